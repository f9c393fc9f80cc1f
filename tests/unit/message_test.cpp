#include "blink_sub/protocol/message.hpp"

#include <gtest/gtest.h>

namespace blink_sub::protocol {
namespace {

struct Decoded {
    bool ok;
    ServerMessage message;
    std::string error;
};

Decoded decode(std::string_view frame) {
    FrameDecoder decoder;
    Decoded result;
    result.ok = decoder.decode(frame, result.message, result.error);
    return result;
}

TEST(FrameDecoder, NextGivesIdAndCompactPayload) {
    auto result = decode(R"({"type":"next","id":"1","payload":{ "data": {"a": [1, 2]} }})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.type, MessageType::next);
    EXPECT_EQ(result.message.id, "1");
    EXPECT_EQ(result.message.payload, R"({"data":{"a":[1,2]}})");
}

TEST(FrameDecoder, CompactPayloadIsTakenFromTheFrameWithoutACopy) {
    const std::string frame = R"({"id":"1","type":"next","payload":{"data":{"s":"a } \" ] { ,"}}})";
    FrameDecoder decoder;
    ServerMessage message;
    std::string error;
    ASSERT_TRUE(decoder.decode(frame, message, error)) << error;
    EXPECT_EQ(message.payload, R"({"data":{"s":"a } \" ] { ,"}})");
    EXPECT_GE(message.payload.data(), frame.data());
    EXPECT_LE(message.payload.data() + message.payload.size(), frame.data() + frame.size());
}

TEST(FrameDecoder, MembersAfterThePayloadDoNotLeakIntoIt) {
    auto result = decode(R"({"id":"1","type":"next","payload":{"data":{"a":1}},"x":{"b":2}})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.payload, R"({"data":{"a":1}})");
}

TEST(FrameDecoder, AnEscapedPayloadKeyIsStillFound) {
    auto result = decode(R"({"id":"1","type":"next","pay\u006coad":{"data":{"payload":{"a":1}}}})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.payload, R"({"data":{"payload":{"a":1}}})");
}

// Found by fuzz/frame_decoder_fuzz: a second payload member, or an escaped quote that puts
// `"payload":` inside another key, made the payload text run past its end.
TEST(FrameDecoder, AMisleadingPayloadKeyNeverCutsThePayloadWrong) {
    for (auto frame : {R"({"type":"next","id":"1","payload":{"a":1},"payload":{"b":2}})",
                       R"({"type":"next","id":"1","payload":{"a":1},"p\u0061yload":{"b":2}})",
                       R"({"type":"next","id":"1","\"payload":1,"payload":{"a":1}})",
                       R"({"type":"next","id":"1","\"payload":1,"p\u0061yload":{"a":1}})"}) {
        auto result = decode(frame);
        ASSERT_TRUE(result.ok) << result.error;
        EXPECT_EQ(result.message.payload, R"({"a":1})") << frame;
    }
}

TEST(FrameDecoder, BracesAndPayloadKeysInsideEarlierStringsDoNotMisplaceThePayload) {
    for (auto frame : {R"({"id":"{","type":"next","payload":{"a":1}})",
                       R"({"id":"1","type":"next","x":"\"payload\":{","payload":{"a":1}})",
                       R"({"id":"1","type":"next","x":"a, \"payload\" : {","payload":{"a":1}})",
                       R"({"id":"1","type":"next","x":"payload\":{","payload":{"a":1}})"}) {
        auto result = decode(frame);
        ASSERT_TRUE(result.ok) << frame;
        EXPECT_EQ(result.message.payload, R"({"a":1})") << frame;
    }
}

// The compactness check reads 32 bytes at a time, then the rest one by one: white space in
// either part must be found.
TEST(FrameDecoder, WhiteSpaceDeepInALongPayloadIsFound) {
    const std::string name(40, 'n');
    for (std::size_t tail = 0; tail < 40; ++tail) {
        std::string key = name;
        key.append(tail, 'p');
        std::string frame = R"({"id":"1","type":"next","payload":{")";
        frame.append(key).append("\":1,\t\"b\":2}}");
        std::string expected = "{\"";
        expected.append(key).append(R"(":1,"b":2})");
        auto result = decode(frame);
        ASSERT_TRUE(result.ok) << frame;
        EXPECT_EQ(result.message.payload, expected) << frame;
    }
}

TEST(FrameDecoder, SpacesAroundTheLastPayloadAreLeftOut) {
    auto result = decode("{\"id\":\"1\",\"type\":\"next\", \"payload\" :\n{\"a\":1} \r\n}");
    ASSERT_TRUE(result.ok);
    EXPECT_EQ(result.message.payload, R"({"a":1})");
}

TEST(FrameDecoder, WhiteSpaceOnlyInsideStringsKeepsThePayloadAsSent) {
    auto result = decode(R"({"type":"next","id":"1","payload":{"data":{"memo":"two  words"}}})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.payload, R"({"data":{"memo":"two  words"}})");
}

TEST(FrameDecoder, WhiteSpaceBetweenTokensGoesEvenNextToSpacesInStrings) {
    auto result =
        decode("{\"type\":\"next\",\"id\":\"1\",\"payload\":{\"memo\":\"a b\",\n\"n\":1}}");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.payload, R"({"memo":"a b","n":1})");
}

TEST(FrameDecoder, TheFirstOfDuplicateTypeAndIdMembersCounts) {
    auto result = decode(R"({"type":"next","type":"complete","id":"1","id":"2","payload":{}})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.type, MessageType::next);
    EXPECT_EQ(result.message.id, "1");
}

TEST(FrameDecoder, PayloadBeforeOtherMembersAndSpacesAroundIt) {
    auto result = decode("{ \"payload\" :\t{\"data\":[1, 2]} , \"type\":\"next\",\"id\":\"9\" }");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.payload, R"({"data":[1,2]})");
    EXPECT_EQ(result.message.id, "9");
}

TEST(FrameDecoder, NonAsciiTextAndEscapesSurviveUnchanged) {
    auto result = decode(R"({"type":"next","id":"1",)"
                         R"("payload":{"data":{"memo":"café ⚡ \u00e9"}}})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.payload, R"({"data":{"memo":"café ⚡ \u00e9"}})");
}

TEST(FrameDecoder, NextErrorsCarryMessageAndExtensionCode) {
    auto result =
        decode(R"({"type":"next","id":"1","payload":{"errors":[{"message":"Not )"
               R"(Authenticated","extensions":{"code":"NOT_AUTHENTICATED"}}],"data":null}})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.errors,
              (std::vector<GraphqlError>{{"Not Authenticated", "NOT_AUTHENTICATED"}}));
}

TEST(FrameDecoder, DataFieldStatusAndBusinessErrorsAreRead) {
    auto result = decode(R"({"type":"next","id":"1","payload":{"data":{"ln":{"status":"PAID",)"
                         R"("errors":[{"message":"late","code":"X"}]}}}})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.data_status, "PAID");
    EXPECT_EQ(result.message.data_errors, (std::vector<GraphqlError>{{"late", "X"}}));
}

TEST(FrameDecoder, ErrorPayloadIsAListOfErrors) {
    auto result = decode(R"({"type":"error","id":"3","payload":[{"message":"bad field"}]})");
    ASSERT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.message.type, MessageType::error);
    EXPECT_EQ(result.message.errors, (std::vector<GraphqlError>{{"bad field", ""}}));
}

TEST(FrameDecoder, ControlMessagesNeedNoId) {
    for (auto frame :
         {R"({"type":"connection_ack"})", R"({"type":"ping"})",
          R"({"type":"pong","payload":{"x":1}})", R"({"type":"ping","payload":null})"}) {
        EXPECT_TRUE(decode(frame).ok) << frame;
    }
}

TEST(FrameDecoder, DecoderIsReusableAcrossFrames) {
    FrameDecoder decoder;
    ServerMessage message;
    std::string error;
    ASSERT_TRUE(decoder.decode(R"({"type":"next","id":"1","payload":{"data":{"f":{"status":)"
                               R"("PAID"}}}})",
                               message, error));
    ASSERT_TRUE(decoder.decode(R"({"type":"complete","id":"2"})", message, error));
    EXPECT_EQ(message.id, "2");
    EXPECT_TRUE(message.payload.empty());
    EXPECT_TRUE(message.data_status.empty());
}

struct BadFrame {
    const char* frame;
    const char* error;
};

class FrameDecoderRejects : public testing::TestWithParam<BadFrame> {};

TEST_P(FrameDecoderRejects, BadFramesAreErrorsNotExceptions) {
    auto result = decode(GetParam().frame);
    EXPECT_FALSE(result.ok);
    EXPECT_NE(result.error.find(GetParam().error), std::string::npos) << result.error;
}

INSTANTIATE_TEST_SUITE_P(
    FrameDecoder, FrameDecoderRejects,
    testing::Values(BadFrame{"", "not valid JSON"}, BadFrame{"{\"type\":", "not valid JSON"},
                    BadFrame{"[1,2]", "not a JSON object"}, BadFrame{"{}", "type"},
                    BadFrame{R"({"type":7})", "type"},
                    BadFrame{R"({"type":"hello"})", "unknown message type"},
                    BadFrame{R"({"type":"next","payload":{}})", "id"},
                    BadFrame{R"({"type":"next","id":"1"})", "payload"},
                    BadFrame{R"({"type":"next","id":"1","payload":[1]})", "payload"},
                    BadFrame{R"({"type":"error","id":"1","payload":{}})", "errors"},
                    BadFrame{"{\"type\":\"next\",\"id\":\"1\",\"payload\":{\"s\":\"\xff\"}}",
                             "not valid JSON"}));

TEST(Encode, SubscribeCarriesQueryVariablesAndName) {
    Operation operation{"subscription P($i: I!) { p(input: $i) { x } }", R"({"i":{"a":1}})", "P",
                        false};
    EXPECT_EQ(encode_subscribe("1", operation),
              R"({"id":"1","payload":{"operationName":"P","query":"subscription P($i: I!) )"
              R"({ p(input: $i) { x } }","variables":{"i":{"a":1}}},"type":"subscribe"})");
}

TEST(Encode, SubscribeOmitsEmptyVariablesAndName) {
    EXPECT_EQ(encode_subscribe("2", {"subscription { x }", "", "", false}),
              R"({"id":"2","payload":{"query":"subscription { x }"},"type":"subscribe"})");
}

TEST(Encode, ControlMessages) {
    EXPECT_EQ(encode_complete("4"), R"({"id":"4","type":"complete"})");
    EXPECT_EQ(encode_ping(), R"({"type":"ping"})");
    EXPECT_EQ(encode_pong(), R"({"type":"pong"})");
    EXPECT_EQ(encode_connection_init(Secret()).reveal(), R"({"type":"connection_init"})");
}

} // namespace
} // namespace blink_sub::protocol
