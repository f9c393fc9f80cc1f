#include "blink_sub/protocol/close_code.hpp"
#include "blink_sub/protocol/session.hpp"

#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <vector>

namespace blink_sub::protocol {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{};
const std::string ack = R"({"type":"connection_ack"})";
const std::string init = R"({"type":"connection_init"})";
const std::string subscribe1 =
    R"({"id":"1","payload":{"query":"subscription { x }"},"type":"subscribe"})";
const std::string complete1 = R"({"id":"1","type":"complete"})";

std::string next(std::string_view payload, std::string_view id = "1") {
    return R"({"type":"next","id":")" + std::string(id) + R"(","payload":)" + std::string(payload) +
           "}";
}

Operation plain_operation() {
    return {"subscription { x }", "", "", false};
}

Operation invoice_operation() {
    return {"subscription { x }", "", "", true};
}

// Everything a run did, gathered from the actions of every event.
struct Outcome {
    std::vector<std::string> sent;
    std::vector<std::string> lines;
    std::vector<Log> logs;
    std::optional<CloseSocket> close;
    std::optional<ExitCode> exit;
    std::optional<std::string> reconnect; // the cause given

    void add(const Actions& actions) {
        for (const auto& action : actions) {
            if (const auto* send = std::get_if<SendText>(&action)) {
                sent.push_back(send->text.reveal());
            } else if (const auto* emit = std::get_if<EmitLine>(&action)) {
                lines.emplace_back(emit->line);
            } else if (const auto* entry = std::get_if<Log>(&action)) {
                logs.push_back(*entry);
            } else if (const auto* close_socket = std::get_if<CloseSocket>(&action)) {
                EXPECT_FALSE(exit) << "close after finish";
                close = *close_socket;
            } else if (const auto* done = std::get_if<Finish>(&action)) {
                EXPECT_FALSE(exit) << "finished twice";
                exit = done->code;
            } else if (const auto* again = std::get_if<Reconnect>(&action)) {
                reconnect = again->cause;
            }
        }
    }

    bool logged(LogLevel level, std::string_view text) const {
        for (const auto& entry : logs) {
            if (entry.level == level && entry.text.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }
};

Outcome run(Session& session, const std::vector<std::string>& frames) {
    Outcome outcome;
    outcome.add(session.on_open(t0, t0 + 10s));
    for (const auto& frame : frames) {
        outcome.add(session.on_text(frame, t0 + 1s));
    }
    return outcome;
}

Outcome run(SessionConfig config, const std::vector<std::string>& frames) {
    Session session(std::move(config));
    return run(session, frames);
}

SessionConfig one(Operation operation, std::uint64_t count = 0) {
    SessionConfig config;
    config.operations.push_back(std::move(operation));
    config.count = count;
    return config;
}

// Frames in, frames / lines / exit code out.
struct Case {
    const char* name;
    SessionConfig config;
    std::vector<std::string> frames;
    std::vector<std::string> sent;
    std::vector<std::string> lines;
    std::optional<ExitCode> exit;
};

class SessionTable : public testing::TestWithParam<Case> {};

TEST_P(SessionTable, FramesInActionsOut) {
    const Case& c = GetParam();
    Outcome outcome = run(c.config, c.frames);
    EXPECT_EQ(outcome.sent, c.sent);
    EXPECT_EQ(outcome.lines, c.lines);
    EXPECT_EQ(outcome.exit, c.exit);
    if (c.exit) {
        ASSERT_TRUE(outcome.close) << "a finished run closes its socket";
        EXPECT_EQ(outcome.close->code, close_code::normal);
    }
}

const std::string price_line = R"({"data":{"price":{"base":1}}})";
const std::string paid = R"({"data":{"ln":{"status":"PAID","errors":[]}}})";
const std::string expired = R"({"data":{"ln":{"status":"EXPIRED","errors":[]}}})";
const std::string pending = R"({"data":{"ln":{"status":"PENDING","errors":[]}}})";
const std::string not_authenticated =
    R"({"errors":[{"message":"Not Authenticated for subscription","path":["myUpdates"],)"
    R"("extensions":{"code":"NOT_AUTHENTICATED"}}],"data":null})";

INSTANTIATE_TEST_SUITE_P(
    Session, SessionTable,
    testing::Values(
        Case{"SubscribesOnlyAfterAck", one(plain_operation()), {}, {init}, {}, std::nullopt},
        Case{"AckSendsSubscribe", one(plain_operation()), {ack}, {init, subscribe1}, {}, {}},
        Case{"ServerPingIsAnsweredWithPong",
             one(plain_operation()),
             {ack, R"({"type":"ping"})"},
             {init, subscribe1, R"({"type":"pong"})"},
             {},
             {}},
        Case{"ServerPongIsIgnored",
             one(plain_operation()),
             {ack, R"({"type":"pong","payload":{}})"},
             {init, subscribe1},
             {},
             {}},
        Case{"NextPayloadIsEmittedCompact",
             one(plain_operation()),
             {ack, next(R"({ "data" : { "price" : { "base" : 1 } } })")},
             {init, subscribe1},
             {price_line},
             {}},
        Case{"CountEndsTheRunAfterNMessages",
             one(plain_operation(), 2),
             {ack, next(price_line), next(price_line), next(price_line)},
             {init, subscribe1, complete1},
             {price_line, price_line},
             ExitCode::ok},
        Case{"ServerCompletingEverySubscriptionEndsWithZero",
             one(plain_operation()),
             {ack, next(price_line), complete1},
             {init, subscribe1},
             {price_line},
             ExitCode::ok},
        Case{"ErrorMessageExitsFour",
             one(plain_operation()),
             {ack, R"({"type":"error","id":"1","payload":[{"message":"Cannot query field"}]})"},
             {init, subscribe1},
             {},
             ExitCode::operation_rejected},
        Case{"NextWithErrorsThenCompleteExitsFour",
             one(invoice_operation()),
             {ack, next(R"({"errors":[{"message":"bad request"}],"data":null})"), complete1},
             {init, subscribe1},
             {R"({"errors":[{"message":"bad request"}],"data":null})"},
             ExitCode::operation_rejected},
        Case{"NotAuthenticatedIsPrintedAndExitsThree",
             one(plain_operation()),
             {ack, next(not_authenticated), complete1},
             {init, subscribe1, complete1},
             {not_authenticated},
             ExitCode::auth_rejected},
        Case{"InvoicePaidExitsZeroAndCompletesItself",
             one(invoice_operation()),
             {ack, next(pending), next(paid)},
             {init, subscribe1, complete1},
             {pending, paid},
             ExitCode::ok},
        Case{"InvoiceExpiredExitsFive",
             one(invoice_operation()),
             {ack, next(expired)},
             {init, subscribe1, complete1},
             {expired},
             ExitCode::invoice_expired},
        Case{"StatusEndsOnlyInvoiceStreams",
             one(plain_operation()),
             {ack, next(paid)},
             {init, subscribe1},
             {paid},
             {}},
        Case{"NextForUnknownIdIsDropped",
             one(plain_operation()),
             {ack, next(price_line, "7")},
             {init, subscribe1},
             {},
             {}},
        Case{"FramesAfterTheEndAreIgnored",
             one(plain_operation(), 1),
             {ack, next(price_line), next(price_line), R"({"type":"ping"})"},
             {init, subscribe1, complete1},
             {price_line},
             ExitCode::ok}),
    [](const auto& info) { return std::string(info.param.name); });

class SessionReconnectsOn : public testing::TestWithParam<const char*> {};

TEST_P(SessionReconnectsOn, InvalidServerMessage) {
    Session session(one(plain_operation()));
    Outcome outcome = run(session, {ack, GetParam()});
    ASSERT_TRUE(outcome.reconnect);
    EXPECT_NE(outcome.reconnect->find("invalid message"), std::string::npos);
    EXPECT_FALSE(outcome.exit);

    Outcome again;
    again.add(session.on_open(t0 + 2s, t0 + 12s));
    again.add(session.on_text(ack, t0 + 3s));
    EXPECT_EQ(again.sent, (std::vector<std::string>{init, subscribe1}))
        << "the subscription is sent again on the new connection";
}

INSTANTIATE_TEST_SUITE_P(Session, SessionReconnectsOn,
                         testing::Values(R"({"type":"next","id":"1","payload":{"data":)",
                                         R"({"type":"surprise"})", R"({"type":"next","id":"1"})",
                                         "not json at all"));

TEST(Session, InitCarriesTheApiKeyPayload) {
    SessionConfig config = one(plain_operation());
    config.init_payload = Secret(R"({"X-API-KEY":"blink_k"})");
    Outcome outcome = run(std::move(config), {});
    ASSERT_EQ(outcome.sent.size(), 1u);
    EXPECT_EQ(outcome.sent[0], R"({"payload":{"X-API-KEY":"blink_k"},"type":"connection_init"})");
}

TEST(Session, KeyIsNeverInLogsOrDescriptions) {
    SessionConfig config = one(plain_operation());
    config.init_payload = Secret(R"({"X-API-KEY":"blink_secret"})");
    Session session(std::move(config));
    for (const auto& action : session.on_open(t0, t0 + 1s)) {
        if (const auto* send = std::get_if<SendText>(&action)) {
            EXPECT_EQ(send->description.find("blink_secret"), std::string::npos);
        }
    }
}

TEST(Session, EverySubscriptionGetsItsOwnId) {
    SessionConfig config = one(plain_operation());
    config.operations.push_back(plain_operation());
    Outcome outcome = run(std::move(config), {ack, complete1});
    ASSERT_EQ(outcome.sent.size(), 3u);
    EXPECT_NE(outcome.sent[2].find(R"("id":"2")"), std::string::npos);
    EXPECT_FALSE(outcome.exit) << "subscription 2 is still live";
}

TEST(Session, GraphqlErrorsInNextAreReportedOnStderr) {
    Outcome outcome =
        run(one(plain_operation()), {ack, next(R"({"errors":[{"message":"boom"}],"data":null})")});
    EXPECT_EQ(outcome.lines.size(), 1u);
    EXPECT_TRUE(outcome.logged(LogLevel::warn, "boom"));
}

TEST(Session, BusinessErrorsInDataAreReportedOnStderr) {
    Outcome outcome = run(
        one(plain_operation()),
        {ack, next(R"({"data":{"price":{"errors":[{"message":"Unsupported exchange unit"}]}}})")});
    EXPECT_TRUE(outcome.logged(LogLevel::warn, "Unsupported exchange unit"));
    EXPECT_FALSE(outcome.exit);
}

TEST(Session, UnauthenticatedCodeAlsoExitsThree) {
    Outcome outcome =
        run(one(plain_operation()), {ack, next(R"({"errors":[{"message":"no","extensions":)"
                                               R"({"code":"UNAUTHENTICATED"}}]})")});
    EXPECT_EQ(outcome.exit, ExitCode::auth_rejected);
}

struct CloseCase {
    std::uint16_t code;
    std::optional<ExitCode> exit; // nothing: reconnect
};

class SessionClose : public testing::TestWithParam<CloseCase> {};

TEST_P(SessionClose, CloseCodeMapsToExitCodeOrReconnect) {
    Session session(one(plain_operation()));
    Outcome outcome = run(session, {ack, next(price_line)});
    outcome.add(session.on_closed(GetParam().code, "bye", t0 + 2s));
    EXPECT_EQ(outcome.exit, GetParam().exit);
    EXPECT_EQ(outcome.reconnect.has_value(), !GetParam().exit);
    EXPECT_FALSE(outcome.close) << "the socket is already closed";
    EXPECT_FALSE(outcome.sent.back() == complete1) << "no complete on a closed socket";
}

INSTANTIATE_TEST_SUITE_P(
    Session, SessionClose,
    testing::Values(CloseCase{4401, ExitCode::auth_rejected},
                    CloseCase{4403, ExitCode::auth_rejected}, CloseCase{4400, ExitCode::failure},
                    CloseCase{4406, ExitCode::failure}, CloseCase{4409, ExitCode::failure},
                    CloseCase{4429, ExitCode::failure}, CloseCase{1000, {}}, CloseCase{1001, {}},
                    CloseCase{1006, {}}, CloseCase{1011, {}}, CloseCase{1012, {}},
                    CloseCase{1013, {}}, CloseCase{4408, {}}, CloseCase{4499, {}},
                    CloseCase{4500, {}}, CloseCase{4504, {}}));

TEST(Session, Close4500RightAfterSubscribingIsARejectedDocument) {
    Session session(one(plain_operation()));
    Outcome outcome = run(session, {ack});
    outcome.add(session.on_closed(4500, "Internal server error", t0 + 2s));
    EXPECT_EQ(outcome.exit, ExitCode::operation_rejected);
    EXPECT_TRUE(outcome.logged(LogLevel::error, "syntax"));
}

TEST(Session, AbnormalCloseCarriesTheTransportReason) {
    Session session(one(plain_operation()));
    Outcome outcome = run(session, {ack});
    outcome.add(session.on_closed(1006, "connection lost: end of stream", t0 + 2s));
    EXPECT_EQ(outcome.reconnect, "connection lost: end of stream");
}

TEST(Session, ReconnectSendsInitAndOnlyLiveSubscriptionsAgain) {
    SessionConfig config = one(plain_operation());
    config.operations.push_back(plain_operation());
    config.init_payload = Secret(R"({"X-API-KEY":"k"})");
    Session session(std::move(config));
    Outcome outcome = run(session, {ack, complete1});
    outcome.add(session.on_closed(1012, "restart", t0 + 2s));
    ASSERT_TRUE(outcome.reconnect);

    Outcome again;
    again.add(session.on_open(t0 + 3s, t0 + 13s));
    again.add(session.on_text(ack, t0 + 4s));
    ASSERT_EQ(again.sent.size(), 2u);
    EXPECT_EQ(again.sent[0], R"({"payload":{"X-API-KEY":"k"},"type":"connection_init"})");
    EXPECT_NE(again.sent[1].find(R"("id":"2")"), std::string::npos);
    EXPECT_TRUE(again.logged(LogLevel::warn, "reconnected"));
}

TEST(Session, CountSpansReconnects) {
    Session session(one(plain_operation(), 2));
    Outcome outcome = run(session, {ack, next(price_line)});
    outcome.add(session.on_closed(1006, "connection lost", t0 + 2s));
    outcome.add(session.on_open(t0 + 3s, t0 + 13s));
    outcome.add(session.on_text(ack, t0 + 4s));
    outcome.add(session.on_text(next(price_line), t0 + 5s));
    EXPECT_EQ(outcome.lines.size(), 2u);
    EXPECT_EQ(outcome.exit, ExitCode::ok);
}

TEST(Session, GivingUpExitsOneWithTheCause) {
    Session session(one(plain_operation()));
    Outcome outcome = run(session, {ack});
    outcome.add(session.on_closed(1006, "connection lost", t0 + 2s));
    outcome.add(session.on_give_up("connection lost; giving up after 3 attempts"));
    EXPECT_EQ(outcome.exit, ExitCode::failure);
    EXPECT_FALSE(outcome.close) << "no socket is open between attempts";
    EXPECT_TRUE(outcome.logged(LogLevel::error, "giving up after 3 attempts"));
}

TEST(Session, StopBetweenAttemptsSendsNothing) {
    Session session(one(plain_operation()));
    Outcome outcome = run(session, {ack});
    outcome.add(session.on_closed(1006, "connection lost", t0 + 2s));
    std::size_t sent = outcome.sent.size();
    outcome.add(session.on_stop(ExitCode::interrupted));
    EXPECT_EQ(outcome.sent.size(), sent);
    EXPECT_FALSE(outcome.close);
    EXPECT_EQ(outcome.exit, ExitCode::interrupted);
}

TEST(Session, CloseAfterFinishingIsExpected) {
    Session session(one(plain_operation(), 1));
    Outcome outcome = run(session, {ack, next(price_line)});
    Outcome after;
    after.add(session.on_closed(1000, "", t0 + 2s));
    EXPECT_EQ(outcome.exit, ExitCode::ok);
    EXPECT_FALSE(after.exit);
    EXPECT_TRUE(after.logs.empty());
}

TEST(Session, StopCompletesLiveSubscriptionsAndCloses) {
    Session session(one(plain_operation()));
    Outcome outcome = run(session, {ack, next(price_line)});
    outcome.add(session.on_stop(ExitCode::interrupted));
    EXPECT_EQ(outcome.sent.back(), complete1);
    ASSERT_TRUE(outcome.close);
    EXPECT_EQ(outcome.close->code, close_code::normal);
    EXPECT_EQ(outcome.exit, ExitCode::interrupted);
}

TEST(Session, StopBeforeAckSendsNoComplete) {
    Session session(one(plain_operation()));
    Outcome outcome = run(session, {});
    outcome.add(session.on_stop(ExitCode::terminated));
    EXPECT_EQ(outcome.sent, std::vector<std::string>{init});
    EXPECT_EQ(outcome.exit, ExitCode::terminated);
}

TEST(Session, MissingAckIsALostConnection) {
    Session session(one(plain_operation()));
    Outcome outcome;
    outcome.add(session.on_open(t0, t0 + 5s));
    EXPECT_EQ(session.next_deadline(), t0 + 5s);
    outcome.add(session.on_tick(t0 + 4s));
    EXPECT_FALSE(outcome.exit);
    outcome.add(session.on_tick(t0 + 5s));
    ASSERT_TRUE(outcome.reconnect);
    EXPECT_NE(outcome.reconnect->find("connection_ack"), std::string::npos);
}

TEST(Session, KeepaliveSendsPingsAndReconnectsWhenSilent) {
    SessionConfig config = one(plain_operation());
    config.keepalive = 30s;
    Session session(std::move(config));
    Outcome outcome;
    outcome.add(session.on_open(t0, t0 + 10s));
    outcome.add(session.on_text(ack, t0));
    EXPECT_EQ(session.next_deadline(), t0 + 30s);

    outcome.add(session.on_tick(t0 + 30s));
    EXPECT_EQ(outcome.sent.back(), R"({"type":"ping"})");
    EXPECT_EQ(session.next_deadline(), t0 + 40s) << "silence deadline comes before next ping";

    outcome.add(session.on_tick(t0 + 40s));
    ASSERT_TRUE(outcome.reconnect);
    EXPECT_NE(outcome.reconnect->find("silent"), std::string::npos);
    EXPECT_FALSE(outcome.exit);
}

TEST(Session, TrafficKeepsAKeepaliveConnectionAlive) {
    SessionConfig config = one(plain_operation());
    config.keepalive = 30s;
    Session session(std::move(config));
    Outcome outcome;
    outcome.add(session.on_open(t0, t0 + 10s));
    outcome.add(session.on_text(ack, t0));
    outcome.add(session.on_tick(t0 + 30s));
    outcome.add(session.on_text(R"({"type":"pong"})", t0 + 31s));
    outcome.add(session.on_tick(t0 + 40s));
    EXPECT_FALSE(outcome.exit);
}

TEST(Session, ShortKeepaliveGetsAGraceAsLongAsItself) {
    SessionConfig config = one(plain_operation());
    config.keepalive = 1s;
    Session session(std::move(config));
    run(session, {ack});
    Outcome outcome;
    outcome.add(session.on_tick(t0 + 2s + 999ms));
    EXPECT_FALSE(outcome.reconnect);
    outcome.add(session.on_tick(t0 + 3s));
    EXPECT_TRUE(outcome.reconnect) << "silent since the ack at t0 + 1 s: dead at 1 + 1 + 1 s";
}

TEST(Session, NoKeepaliveMeansNoDeadlineAfterAck) {
    Session session(one(plain_operation()));
    run(session, {ack});
    EXPECT_EQ(session.next_deadline(), std::nullopt);
}

} // namespace
} // namespace blink_sub::protocol
