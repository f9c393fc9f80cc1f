#include "blink_sub/net/frame_codec.hpp"

#include <gtest/gtest.h>
#include <optional>
#include <vector>

namespace blink_sub::net {
namespace {

using Kind = InboundMessage::Kind;

constexpr std::uint8_t continuation = 0x0;
constexpr std::uint8_t text = 0x1;
constexpr std::uint8_t binary = 0x2;
constexpr std::uint8_t close = 0x8;
constexpr std::uint8_t ping = 0x9;
constexpr std::uint8_t pong = 0xA;

// A server frame: unmasked, the length in the shortest form unless `length_bytes` forces one
// (0, 2 or 8 extra bytes).
std::string frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                  std::optional<int> length_bytes = {}) {
    const std::size_t size = payload.size();
    const int extended = length_bytes ? *length_bytes : size < 126 ? 0 : size <= 0xFFFF ? 2 : 8;
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
    if (extended == 0) {
        out.push_back(static_cast<char>(size));
    } else {
        out.push_back(static_cast<char>(extended == 2 ? 126 : 127));
        for (int i = extended - 1; i >= 0; --i) {
            out.push_back(static_cast<char>((size >> (8 * i)) & 0xFF));
        }
    }
    return out + std::string(payload);
}

std::string close_payload(std::uint16_t code, std::string_view reason = "") {
    std::string out;
    out.push_back(static_cast<char>(code >> 8));
    out.push_back(static_cast<char>(code & 0xFF));
    return out + std::string(reason);
}

// A message with its payload copied out of the reader.
struct Message {
    Kind kind;
    std::string payload;
    std::uint16_t close_code = 0;

    friend bool operator==(const Message&, const Message&) = default;
};

void PrintTo(const Message& message, std::ostream* out) {
    *out << "{kind " << static_cast<int>(message.kind) << ", \"" << message.payload << "\", "
         << message.close_code << "}";
}

struct Drained {
    std::vector<Message> messages;
    std::error_code error;
};

// Every message `reader` gives for what it holds now.
void drain(FrameReader& reader, Drained& into) {
    InboundMessage message;
    for (;;) {
        const auto result = reader.next(message);
        if (result == FrameReader::Result::incomplete) {
            return;
        }
        if (result == FrameReader::Result::error) {
            into.error = reader.error();
            return;
        }
        into.messages.push_back({message.kind, std::string(message.payload), message.close_code});
    }
}

Drained read_all(std::string_view bytes, std::size_t max_message = 1024 * 1024) {
    FrameReader reader(max_message);
    reader.feed(bytes);
    Drained drained;
    drain(reader, drained);
    return drained;
}

Drained read_in_two(std::string_view bytes, std::size_t split) {
    FrameReader reader;
    Drained drained;
    reader.feed(bytes.substr(0, split));
    drain(reader, drained);
    reader.feed(bytes.substr(split));
    drain(reader, drained);
    return drained;
}

// A client frame taken apart by hand: opcode, FIN, and the payload unmasked.
struct ClientFrame {
    bool fin = false;
    std::uint8_t opcode = 0;
    bool masked = false;
    std::string payload;
};

ClientFrame parse_client(std::string_view bytes) {
    ClientFrame out;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes.at(i)); };
    out.fin = (byte(0) & 0x80) != 0;
    out.opcode = byte(0) & 0x0F;
    out.masked = (byte(1) & 0x80) != 0;
    std::size_t size = byte(1) & 0x7F;
    std::size_t at = 2;
    if (size >= 126) {
        const int extended = size == 126 ? 2 : 8;
        size = 0;
        for (int i = 0; i < extended; ++i) {
            size = size << 8 | byte(at++);
        }
    }
    const std::size_t key_at = at;
    at += 4;
    EXPECT_EQ(bytes.size(), at + size) << "frame length";
    for (std::size_t i = 0; i < size; ++i) {
        out.payload.push_back(static_cast<char>(byte(at + i) ^ byte(key_at + i % 4)));
    }
    return out;
}

const MaskKey key{0x12, 0x34, 0x56, 0x78};

TEST(FrameReader, TextFrameComesOutWhole) {
    const auto drained = read_all(frame(text, R"({"type":"ping"})"));
    EXPECT_FALSE(drained.error);
    EXPECT_EQ(drained.messages, (std::vector<Message>{{Kind::text, R"({"type":"ping"})"}}));
}

TEST(FrameReader, EmptyAndBinaryMessagesComeOut) {
    const auto drained = read_all(frame(text, "") + frame(binary, std::string("\0\xFF", 2)));
    EXPECT_FALSE(drained.error);
    EXPECT_EQ(drained.messages,
              (std::vector<Message>{{Kind::text, ""}, {Kind::binary, std::string("\0\xFF", 2)}}));
}

// Found by fuzz/frame_reader_fuzz: feeding nothing to a new reader passed memcpy a null pointer.
TEST(FrameReader, FeedingNothingIsHarmless) {
    FrameReader reader;
    reader.feed({});
    InboundMessage message;
    EXPECT_EQ(reader.next(message), FrameReader::Result::incomplete);
    EXPECT_EQ(reader.buffered(), 0u);
}

TEST(FrameReader, PartialFrameWaitsForTheRest) {
    const std::string bytes = frame(text, "hello");
    FrameReader reader;
    reader.feed(std::string_view(bytes).substr(0, 4));
    InboundMessage message;
    EXPECT_EQ(reader.next(message), FrameReader::Result::incomplete);
    EXPECT_EQ(reader.buffered(), 4u);
    reader.feed(std::string_view(bytes).substr(4));
    ASSERT_EQ(reader.next(message), FrameReader::Result::message);
    EXPECT_EQ(message.payload, "hello");
    EXPECT_EQ(reader.buffered(), 0u);
    EXPECT_EQ(reader.next(message), FrameReader::Result::incomplete);
}

TEST(FrameReader, LengthsTakeSevenSixteenOrSixtyFourBits) {
    for (const std::size_t size : {0u, 125u, 126u, 1000u, 65535u, 65536u, 300000u}) {
        const std::string payload(size, 'x');
        const auto drained = read_all(frame(text, payload));
        EXPECT_FALSE(drained.error) << size;
        ASSERT_EQ(drained.messages.size(), 1u) << size;
        EXPECT_EQ(drained.messages[0].payload.size(), size);
    }
}

TEST(FrameReader, ManyMessagesFromOneFillPointIntoTheBuffer) {
    const std::string first = frame(text, "one");
    const std::string bytes = first + frame(text, "two") + frame(text, "three");
    FrameReader reader;
    reader.feed(bytes);

    InboundMessage one;
    InboundMessage two;
    InboundMessage three;
    ASSERT_EQ(reader.next(one), FrameReader::Result::message);
    ASSERT_EQ(reader.next(two), FrameReader::Result::message);
    ASSERT_EQ(reader.next(three), FrameReader::Result::message);
    // Unfragmented payloads are not copied: they sit one after another, as on the wire.
    EXPECT_EQ(two.payload.data() - one.payload.data(), static_cast<std::ptrdiff_t>(first.size()));
    EXPECT_EQ(one.payload, "one");
    EXPECT_EQ(two.payload, "two");
    EXPECT_EQ(three.payload, "three");
}

// A stream with every kind of frame: 7-, 16- and 64-bit lengths, fragments with control frames
// between them, and a close.
std::string mixed_stream() {
    return frame(text, "first") + frame(ping, "are you there") +
           frame(text, std::string(300, 'm')) + frame(text, "frag", false) + frame(ping, "p") +
           frame(continuation, "men", false) + frame(pong, "") + frame(continuation, "ted") +
           frame(binary, std::string(70000, 'b')) + frame(close, close_payload(1001, "going away"));
}

const std::vector<Message> mixed_messages{
    {Kind::text, "first"},
    {Kind::ping, "are you there"},
    {Kind::text, std::string(300, 'm')},
    {Kind::ping, "p"},
    {Kind::pong, ""},
    {Kind::text, "fragmented"},
    {Kind::binary, std::string(70000, 'b')},
    {Kind::close, "going away", 1001},
};

TEST(FrameReader, MixedStreamReadsAsMessages) {
    const auto drained = read_all(mixed_stream());
    EXPECT_FALSE(drained.error);
    EXPECT_EQ(drained.messages, mixed_messages);
}

TEST(FrameReader, SplittingTheStreamAnywhereChangesNothing) {
    const std::string bytes = mixed_stream();
    // Every byte up to the 64-bit frame's payload, including each byte of every header, then
    // a few points inside that payload and after it.
    const std::size_t big_payload = bytes.find(std::string(100, 'b'));
    std::vector<std::size_t> splits;
    for (std::size_t split = 0; split <= big_payload + 2; ++split) {
        splits.push_back(split);
    }
    for (const std::size_t split : {big_payload + 4096, big_payload + 69999, bytes.size() - 12,
                                    bytes.size() - 3, bytes.size() - 1, bytes.size()}) {
        splits.push_back(split);
    }
    for (const std::size_t split : splits) {
        const auto drained = read_in_two(bytes, split);
        EXPECT_FALSE(drained.error) << "split at " << split;
        EXPECT_EQ(drained.messages, mixed_messages) << "split at " << split;
    }
}

TEST(FrameReader, ByteByByteFeedingChangesNothing) {
    const std::string bytes = frame(text, "abc") + frame(text, std::string(200, 's')) +
                              frame(text, "frag", false) + frame(ping, "p") +
                              frame(continuation, "ment") + frame(close, "");
    FrameReader reader;
    Drained drained;
    for (const char byte : bytes) {
        reader.feed(std::span(&byte, 1));
        drain(reader, drained);
    }
    EXPECT_FALSE(drained.error);
    EXPECT_EQ(drained.messages, (std::vector<Message>{{Kind::text, "abc"},
                                                      {Kind::text, std::string(200, 's')},
                                                      {Kind::ping, "p"},
                                                      {Kind::text, "fragment"},
                                                      {Kind::close, "", 1005}}));
}

TEST(FrameReader, FragmentsMayBeEmptyAndBinary) {
    const auto drained = read_all(frame(binary, "", false) + frame(continuation, "ab", false) +
                                  frame(continuation, "") + frame(text, "next"));
    EXPECT_FALSE(drained.error);
    EXPECT_EQ(drained.messages, (std::vector<Message>{{Kind::binary, "ab"}, {Kind::text, "next"}}));
}

TEST(FrameReader, CharacterSplitAcrossFragmentsIsValidText) {
    const std::string euro = "\xE2\x82\xAC";
    const auto drained = read_all(frame(text, "price " + euro.substr(0, 2), false) +
                                  frame(continuation, euro.substr(2)));
    EXPECT_FALSE(drained.error);
    EXPECT_EQ(drained.messages, (std::vector<Message>{{Kind::text, "price " + euro}}));
}

TEST(FrameReader, CloseFrameGivesCodeAndReason) {
    EXPECT_EQ(read_all(frame(close, close_payload(4403, "Forbidden"))).messages,
              (std::vector<Message>{{Kind::close, "Forbidden", 4403}}));
    EXPECT_EQ(read_all(frame(close, close_payload(1000))).messages,
              (std::vector<Message>{{Kind::close, "", 1000}}));
}

TEST(FrameReader, CloseFrameWithoutCodeCountsAs1005) {
    EXPECT_EQ(read_all(frame(close, "")).messages, (std::vector<Message>{{Kind::close, "", 1005}}));
}

TEST(FrameReader, CloseCodesThePeerMaySendAreAccepted) {
    for (const std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999}) {
        const auto drained = read_all(frame(close, close_payload(code)));
        EXPECT_FALSE(drained.error) << code;
        EXPECT_EQ(drained.messages, (std::vector<Message>{{Kind::close, "", code}})) << code;
    }
}

struct BadStream {
    std::string_view name;
    std::string bytes;
    FrameError error;
};

void PrintTo(const BadStream& stream, std::ostream* out) {
    *out << stream.name;
}

class ProtocolError : public testing::TestWithParam<BadStream> {};

TEST_P(ProtocolError, IsReportedNotThrown) {
    const auto& stream = GetParam();
    FrameReader reader(1000);
    reader.feed(stream.bytes);
    Drained drained;
    drain(reader, drained);
    EXPECT_EQ(drained.error, make_error_code(stream.error)) << drained.error.message();

    // The reader stays failed.
    reader.feed(frame(text, "more"));
    InboundMessage message;
    EXPECT_EQ(reader.next(message), FrameReader::Result::error);
}

std::string with_first_byte(std::string bytes, unsigned char first) {
    bytes[0] = static_cast<char>(first);
    return bytes;
}

std::string masked(std::string bytes) {
    bytes[1] = static_cast<char>(static_cast<unsigned char>(bytes[1]) | 0x80);
    return bytes + "\x01\x02\x03\x04";
}

INSTANTIATE_TEST_SUITE_P(
    Table, ProtocolError,
    testing::Values(
        BadStream{"masked frame", masked(frame(text, "")), FrameError::masked_frame},
        BadStream{"RSV1", with_first_byte(frame(text, "a"), 0xC1), FrameError::reserved_bits},
        BadStream{"RSV2", with_first_byte(frame(text, "a"), 0xA1), FrameError::reserved_bits},
        BadStream{"RSV3", with_first_byte(frame(text, "a"), 0x91), FrameError::reserved_bits},
        BadStream{"data opcode 3", frame(0x3, "a"), FrameError::unknown_opcode},
        BadStream{"data opcode 7", frame(0x7, "a"), FrameError::unknown_opcode},
        BadStream{"control opcode 0xB", frame(0xB, "a"), FrameError::unknown_opcode},
        BadStream{"control opcode 0xF", frame(0xF, "a"), FrameError::unknown_opcode},
        BadStream{"16-bit length under 126", frame(text, "short", true, 2), FrameError::bad_length},
        BadStream{"64-bit length under 65536", frame(text, "short", true, 8),
                  FrameError::bad_length},
        BadStream{"64-bit length with the top bit set", "\x81\x7F\x80" + std::string(7, '\0'),
                  FrameError::bad_length},
        BadStream{"ping over 125 bytes", frame(ping, std::string(126, 'p')),
                  FrameError::control_too_long},
        BadStream{"close over 125 bytes", frame(close, close_payload(1000, std::string(124, 'r'))),
                  FrameError::control_too_long},
        BadStream{"fragmented ping", frame(ping, "p", false), FrameError::fragmented_control},
        BadStream{"continuation first", frame(continuation, "a"),
                  FrameError::unexpected_continuation},
        BadStream{"continuation after a whole message", frame(text, "a") + frame(continuation, "b"),
                  FrameError::unexpected_continuation},
        BadStream{"new message inside a fragmented one", frame(text, "a", false) + frame(text, "b"),
                  FrameError::missing_continuation},
        BadStream{"frame over the limit", frame(binary, std::string(1001, 'x')),
                  FrameError::message_too_big},
        BadStream{"fragments over the limit",
                  frame(text, std::string(600, 'x'), false) +
                      frame(continuation, std::string(401, 'x')),
                  FrameError::message_too_big},
        BadStream{"close with one byte", frame(close, "\x03"), FrameError::bad_close_payload},
        BadStream{"close reason not UTF-8", frame(close, close_payload(1000, "\xC3")),
                  FrameError::bad_close_payload},
        BadStream{"close code 999", frame(close, close_payload(999)), FrameError::bad_close_code},
        BadStream{"close code 1004", frame(close, close_payload(1004)), FrameError::bad_close_code},
        BadStream{"close code 1005", frame(close, close_payload(1005)), FrameError::bad_close_code},
        BadStream{"close code 1006", frame(close, close_payload(1006)), FrameError::bad_close_code},
        BadStream{"close code 1015", frame(close, close_payload(1015)), FrameError::bad_close_code},
        BadStream{"close code 2999", frame(close, close_payload(2999)), FrameError::bad_close_code},
        BadStream{"close code 5000", frame(close, close_payload(5000)), FrameError::bad_close_code},
        BadStream{"text not UTF-8", frame(text, "caf\xE9"), FrameError::invalid_utf8},
        BadStream{"fragmented text not UTF-8",
                  frame(text, "ok", false) + frame(continuation, "\xFF"),
                  FrameError::invalid_utf8}));

TEST(FrameReader, OversizedMessageFailsFromItsHeaderAlone) {
    FrameReader reader(1000);
    const std::string header = frame(binary, std::string(70000, 'x')).substr(0, 10);
    reader.feed(header);
    InboundMessage message;
    EXPECT_EQ(reader.next(message), FrameReader::Result::error);
    EXPECT_EQ(reader.error(), make_error_code(FrameError::message_too_big));
}

TEST(FrameReader, ErrorsAreSentencesWithACloseCode) {
    EXPECT_EQ(make_error_code(FrameError::masked_frame).message(),
              "the server sent a masked frame");
    EXPECT_EQ(close_code_for(FrameError::masked_frame), 1002);
    EXPECT_EQ(close_code_for(FrameError::bad_close_code), 1002);
    EXPECT_EQ(close_code_for(FrameError::invalid_utf8), 1007);
    EXPECT_EQ(close_code_for(FrameError::message_too_big), 1009);
}

TEST(FrameReader, ResetForgetsErrorsAndPartialFrames) {
    FrameReader reader;
    reader.feed(frame(continuation, "x"));
    InboundMessage message;
    ASSERT_EQ(reader.next(message), FrameReader::Result::error);
    reader.reset();
    EXPECT_EQ(reader.buffered(), 0u);
    reader.feed(frame(text, "after"));
    ASSERT_EQ(reader.next(message), FrameReader::Result::message);
    EXPECT_EQ(message.payload, "after");
}

TEST(FrameReader, PrepareMakesRoomForTheWholeFrameInProgress) {
    const std::string bytes = frame(binary, std::string(200000, 'x'));
    FrameReader reader;
    reader.feed(std::string_view(bytes).substr(0, 10));
    InboundMessage message;
    ASSERT_EQ(reader.next(message), FrameReader::Result::incomplete);
    const auto room = reader.prepare(16);
    EXPECT_GE(room.size(), bytes.size() - 10);
    std::copy(bytes.begin() + 10, bytes.end(), room.begin());
    reader.commit(bytes.size() - 10);
    ASSERT_EQ(reader.next(message), FrameReader::Result::message);
    EXPECT_EQ(message.payload.size(), 200000u);
}

TEST(FrameReader, MemoryOfAHugeMessageIsGivenBack) {
    FrameReader reader;
    reader.feed(frame(binary, std::string(4 * 1024 * 1024, 'x')));
    InboundMessage message;
    ASSERT_EQ(reader.next(message), FrameReader::Result::message);
    EXPECT_LT(reader.prepare(64 * 1024).size(), 1024u * 1024);
}

TEST(FrameEncoder, TextIsOneMaskedFinalFrame) {
    for (const std::size_t size : {0u, 1u, 125u, 126u, 65535u, 65536u, 100000u}) {
        std::string payload(size, '\0');
        for (std::size_t i = 0; i < size; ++i) {
            payload[i] = static_cast<char>('a' + i % 26);
        }
        const std::string encoded = encode_text(payload, key);
        const auto parsed = parse_client(encoded);
        EXPECT_TRUE(parsed.fin) << size;
        EXPECT_TRUE(parsed.masked) << size;
        EXPECT_EQ(parsed.opcode, text) << size;
        EXPECT_EQ(parsed.payload, payload) << size;
        if (size >= 4) {
            EXPECT_EQ(encoded.find(payload), std::string::npos) << "payload not masked: " << size;
        }
    }
}

TEST(FrameEncoder, PongCarriesThePingsPayload) {
    const auto parsed = parse_client(encode_pong("are you there", key));
    EXPECT_EQ(parsed.opcode, pong);
    EXPECT_TRUE(parsed.masked);
    EXPECT_EQ(parsed.payload, "are you there");
}

TEST(FrameEncoder, CloseCarriesCodeAndReason) {
    const auto parsed = parse_client(encode_close(4400, "bad frame", key));
    EXPECT_EQ(parsed.opcode, close);
    EXPECT_TRUE(parsed.fin);
    EXPECT_EQ(parsed.payload, close_payload(4400, "bad frame"));
}

TEST(FrameEncoder, Close1005HasNoPayload) {
    const auto parsed = parse_client(encode_close(1005, "ignored", key));
    EXPECT_EQ(parsed.opcode, close);
    EXPECT_EQ(parsed.payload, "");
}

TEST(FrameEncoder, LongCloseReasonIsCutAtACharacterBoundary) {
    std::string reason(122, 'r');
    reason += "\xE2\x82\xAC"; // a three-byte character across the 123-byte limit
    const auto parsed = parse_client(encode_close(1000, reason, key));
    EXPECT_EQ(parsed.payload, close_payload(1000, std::string(122, 'r')));
}

TEST(FrameEncoder, ServerSideOfTheRoundTripReadsTheClientsFrames) {
    // What the encoder masks, unmasking gives back; the reader then accepts it as a server frame.
    const std::string payload = R"({"type":"connection_init","payload":{"X-API-KEY":"k"}})";
    const auto parsed = parse_client(encode_text(payload, {0xFF, 0x00, 0xA5, 0x5A}));
    const auto drained = read_all(frame(parsed.opcode, parsed.payload, parsed.fin));
    EXPECT_EQ(drained.messages, (std::vector<Message>{{Kind::text, payload}}));
}

struct Utf8Case {
    std::string_view name;
    std::string text;
    bool valid;
};

void PrintTo(const Utf8Case& utf8, std::ostream* out) {
    *out << utf8.name;
}

class Utf8 : public testing::TestWithParam<Utf8Case> {};

TEST_P(Utf8, IsCheckedPerRfc3629) {
    EXPECT_EQ(is_valid_utf8(GetParam().text), GetParam().valid);
}

INSTANTIATE_TEST_SUITE_P(
    Table, Utf8,
    testing::Values(Utf8Case{"empty", "", true}, Utf8Case{"ascii", "{\"a\":1} plain text", true},
                    Utf8Case{"two bytes", "caf\xC3\xA9", true},
                    Utf8Case{"three bytes", "\xE2\x9A\xA1 \xE2\x82\xAC", true},
                    Utf8Case{"four bytes", "\xF0\x9F\x98\x80", true},
                    Utf8Case{"highest code point", "\xF4\x8F\xBF\xBF", true},
                    Utf8Case{"non-ascii after eight ascii", "12345678\xC3\xA9", true},
                    Utf8Case{"lone continuation", "ab\x80", false},
                    Utf8Case{"overlong two bytes", "\xC0\x80", false},
                    Utf8Case{"overlong three bytes", "\xE0\x80\x80", false},
                    Utf8Case{"overlong four bytes", "\xF0\x80\x80\x80", false},
                    Utf8Case{"surrogate", "\xED\xA0\x80", false},
                    Utf8Case{"above U+10FFFF", "\xF4\x90\x80\x80", false},
                    Utf8Case{"lead byte F5", "\xF5\x80\x80\x80", false},
                    Utf8Case{"cut short", "abc\xE2\x82", false},
                    Utf8Case{"bad continuation", "\xE2\x28\xA1", false},
                    Utf8Case{"bad byte after eight ascii", "12345678\xFF", false}));

} // namespace
} // namespace blink_sub::net
