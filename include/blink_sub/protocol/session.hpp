#pragma once

#include "blink_sub/operation.hpp"
#include "blink_sub/protocol/action.hpp"
#include "blink_sub/protocol/message.hpp"
#include "blink_sub/secret.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace blink_sub::protocol {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct SessionConfig {
    Secret init_payload; // JSON object for connection_init; empty: none
    std::vector<Operation> operations;
    std::uint64_t count = 0;                // stop after this many `next`s; zero: never
    std::chrono::milliseconds keepalive{0}; // protocol ping interval; zero: off
};

// The graphql-transport-ws client as a state machine (sans-IO): events in,
// actions out. It does no I/O, reads no clock and draws no random numbers.
class Session {
  public:
    explicit Session(SessionConfig config);

    // The socket is open (upgrade done); connection_ack is due by `ack_deadline`.
    // After a Reconnect, the next on_open starts over: init, ack, and every
    // subscription that is still live is sent again.
    Actions on_open(TimePoint now, TimePoint ack_deadline);

    Actions on_text(std::string_view frame, TimePoint now);

    // The socket closed: `code` from the close frame, or 1006 with `reason`
    // describing the failure when none came.
    Actions on_closed(std::uint16_t code, std::string_view reason, TimePoint now);

    // Time passed; call at or after next_deadline().
    Actions on_tick(TimePoint now);

    // SIGINT / SIGTERM (or a closed stdout): end every subscription and close.
    Actions on_stop(ExitCode code);

    // The reconnect policy gave up after a Reconnect: `text` says why.
    Actions on_give_up(std::string text);

    std::optional<TimePoint> next_deadline() const;
    bool acknowledged() const { return state_ == State::ready; }
    bool finished() const { return state_ == State::finished; }

  private:
    enum class State { idle, awaiting_ack, ready, finished };
    enum class SubState { pending, active, completed, failed };

    struct Subscription {
        std::string id;
        Operation operation;
        SubState state = SubState::pending;
        bool errored = false; // a `next` carried errors
    };

    Actions handle(const ServerMessage& message, TimePoint now);
    void on_next(const ServerMessage& message, Actions& out);
    void on_error(const ServerMessage& message, Actions& out);
    void on_complete(const ServerMessage& message, Actions& out);
    Subscription* find_live(std::string_view id);
    void reconnect(std::string cause, Actions& out);
    void finish(ExitCode code, Actions& out);
    void fail(ExitCode code, std::string text, Actions& out);
    void end_if_all_done(Actions& out);

    SessionConfig config_;
    State state_ = State::idle;
    std::vector<Subscription> subscriptions_;
    FrameDecoder decoder_;
    ServerMessage message_;
    std::uint64_t received_ = 0; // `next`s in the whole run, across reconnects
    bool data_seen_ = false;
    int reconnects_ = 0;
    TimePoint ack_deadline_{};
    TimePoint last_received_{};
    TimePoint next_ping_{};
};

} // namespace blink_sub::protocol
