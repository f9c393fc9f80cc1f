#include "blink_sub/protocol/session.hpp"

#include "blink_sub/protocol/close_code.hpp"

#include <algorithm>
#include <utility>

namespace blink_sub::protocol {

namespace {

// How long past the keepalive interval a silent connection is given before
// it counts as dead: a pong may be queued behind a burst of data.
std::chrono::milliseconds keepalive_grace(std::chrono::milliseconds keepalive) {
    return std::min(keepalive, std::chrono::milliseconds(10'000));
}
bool is_auth_error(const GraphqlError& error) {
    return error.code == "NOT_AUTHENTICATED" || error.code == "UNAUTHENTICATED";
}

std::string describe(const std::vector<GraphqlError>& errors) {
    std::string text;
    for (const auto& error : errors) {
        if (!text.empty()) {
            text += "; ";
        }
        text += error.message.empty() ? "(no message)" : error.message;
        if (!error.code.empty()) {
            text += " [" + error.code + "]";
        }
    }
    return text;
}

std::string seconds(std::chrono::milliseconds duration) {
    auto tenths = duration.count() / 100;
    auto text = std::to_string(tenths / 10);
    if (tenths % 10 != 0) {
        text += '.';
        text += std::to_string(tenths % 10);
    }
    text += " s";
    return text;
}

// How logs name a subscription: its operation name when it has one.
std::string label(const std::string& id, const Operation& operation) {
    if (operation.operation_name.empty()) {
        return "subscription " + id;
    }
    return "subscription " + id + " (" + operation.operation_name + ")";
}

void log(Actions& out, LogLevel level, std::string text) {
    out.emplace_back(Log{level, std::move(text)});
}

} // namespace

Session::Session(SessionConfig config) : config_(std::move(config)) {
    int next_id = 1;
    for (auto& operation : config_.operations) {
        subscriptions_.push_back({std::to_string(next_id++), operation});
    }
}

Actions Session::on_open(TimePoint now, TimePoint ack_deadline) {
    Actions out;
    state_ = State::awaiting_ack;
    ack_deadline_ = ack_deadline;
    last_received_ = now;
    out.emplace_back(SendText{encode_connection_init(config_.init_payload), "connection_init"});
    return out;
}

Actions Session::on_text(std::string_view frame, TimePoint now) {
    if (state_ == State::finished || state_ == State::idle) {
        return {};
    }
    last_received_ = now;

    std::string error;
    if (!decoder_.decode(frame, message_, error)) {
        Actions out;
        reconnect("server sent an invalid message (" + error + ")", out);
        return out;
    }
    return handle(message_, now);
}

Actions Session::handle(const ServerMessage& message, TimePoint now) {
    Actions out;
    switch (message.type) {
    case MessageType::connection_ack:
        if (state_ != State::awaiting_ack) {
            log(out, LogLevel::debug, "ignoring a repeated connection_ack");
            break;
        }
        state_ = State::ready;
        next_ping_ = now + config_.keepalive;
        // After a reconnect the user has seen a warning about the loss; say it healed.
        log(out, reconnects_ == 0 ? LogLevel::info : LogLevel::warn,
            reconnects_ == 0 ? "connection acknowledged; subscribing"
                             : "reconnected; subscribing again");
        for (auto& subscription : subscriptions_) {
            if (subscription.state == SubState::pending || subscription.state == SubState::active) {
                subscription.state = SubState::active;
                out.emplace_back(
                    SendText{Secret(encode_subscribe(subscription.id, subscription.operation)),
                             "subscribe " + subscription.id});
            }
        }
        break;
    case MessageType::ping:
        out.emplace_back(SendText{Secret(encode_pong()), "pong"});
        break;
    case MessageType::pong:
        break;
    case MessageType::next:
        on_next(message, out);
        break;
    case MessageType::error:
        on_error(message, out);
        break;
    case MessageType::complete:
        on_complete(message, out);
        break;
    }
    return out;
}

void Session::on_next(const ServerMessage& message, Actions& out) {
    Subscription* subscription = find_live(message.id);
    if (subscription == nullptr) {
        log(out, LogLevel::debug, "ignoring next for unknown subscription " + message.id);
        return;
    }
    ++received_;
    data_seen_ = true;
    out.emplace_back(EmitLine{message.payload});

    if (!message.errors.empty()) {
        subscription->errored = true;
        if (std::any_of(message.errors.begin(), message.errors.end(), is_auth_error)) {
            fail(ExitCode::auth_rejected,
                 "server refused the credentials: " + describe(message.errors) +
                     "; check --api-key / BLINK_API_KEY or --auth-token / BLINK_AUTH_TOKEN",
                 out);
            return;
        }
        log(out, LogLevel::warn,
            label(subscription->id, subscription->operation) +
                " returned errors: " + describe(message.errors));
    }
    if (!message.data_errors.empty()) {
        log(out, LogLevel::warn,
            label(subscription->id, subscription->operation) +
                " reported: " + describe(message.data_errors));
    }

    if (subscription->operation.ends_at_final_status) {
        if (message.data_status == "PAID") {
            log(out, LogLevel::info, "invoice paid; done");
            finish(ExitCode::ok, out);
            return;
        }
        if (message.data_status == "EXPIRED") {
            log(out, LogLevel::info, "invoice expired; done");
            finish(ExitCode::invoice_expired, out);
            return;
        }
    }
    if (config_.count != 0 && received_ >= config_.count) {
        log(out, LogLevel::info, "reached --count " + std::to_string(received_) + "; done");
        finish(ExitCode::ok, out);
    }
}

void Session::on_error(const ServerMessage& message, Actions& out) {
    Subscription* subscription = find_live(message.id);
    if (subscription == nullptr) {
        log(out, LogLevel::debug, "ignoring error for unknown subscription " + message.id);
        return;
    }
    subscription->state = SubState::failed;
    log(out, LogLevel::error,
        "server rejected " + label(subscription->id, subscription->operation) + ": " +
            describe(message.errors));
    end_if_all_done(out);
}

void Session::on_complete(const ServerMessage& message, Actions& out) {
    Subscription* subscription = find_live(message.id);
    if (subscription == nullptr) {
        log(out, LogLevel::debug, "ignoring complete for unknown subscription " + message.id);
        return;
    }
    // graphql-transport-ws ends a failed execution with `next` carrying
    // errors and then `complete`: that subscription failed.
    subscription->state = subscription->errored ? SubState::failed : SubState::completed;
    log(out, subscription->errored ? LogLevel::error : LogLevel::info,
        "server completed " + label(subscription->id, subscription->operation) +
            (subscription->errored ? " after errors" : ""));
    end_if_all_done(out);
}

Actions Session::on_closed(std::uint16_t code, std::string_view reason, TimePoint /*now*/) {
    Actions out;
    if (state_ == State::finished || state_ == State::idle) {
        return out;
    }
    const bool subscribed = state_ == State::ready;
    state_ = State::idle; // nothing more can be sent on this socket

    std::string detail = std::to_string(code);
    if (!reason.empty()) {
        detail += ": " + std::string(reason);
    }
    switch (classify_close(code)) {
    case CloseClass::auth_rejected:
        fail(ExitCode::auth_rejected,
             "server refused the credentials (close " + detail +
                 "); check --api-key / BLINK_API_KEY or --auth-token / BLINK_AUTH_TOKEN",
             out);
        break;
    case CloseClass::client_bug:
        fail(ExitCode::failure, "server closed the connection (" + detail + ")", out);
        break;
    case CloseClass::transient:
        // Blink closes with 4500 when a document does not parse. Right after
        // our subscribe on a run that never got data, that is the likely
        // cause, and trying again would only repeat it.
        if (code == close_code::internal_error && subscribed && !data_seen_) {
            fail(ExitCode::operation_rejected,
                 "server closed the connection (" + detail +
                     ") right after the subscription was sent; check the document's syntax",
                 out);
            break;
        }
        reconnect(code == close_code::abnormal ? std::string(reason)
                                               : "server closed the connection (" + detail + ")",
                  out);
        break;
    }
    return out;
}

Actions Session::on_tick(TimePoint now) {
    Actions out;
    if (state_ == State::awaiting_ack && now >= ack_deadline_) {
        reconnect("server sent no connection_ack within --connect-timeout", out);
        return out;
    }
    if (state_ != State::ready || config_.keepalive.count() == 0) {
        return out;
    }
    auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_received_);
    if (silent >= config_.keepalive + keepalive_grace(config_.keepalive)) {
        reconnect("connection silent for " + seconds(silent) + " despite keepalive pings", out);
        return out;
    }
    if (now >= next_ping_) {
        out.emplace_back(SendText{Secret(encode_ping()), "ping"});
        next_ping_ = now + config_.keepalive;
    }
    return out;
}

Actions Session::on_stop(ExitCode code) {
    Actions out;
    if (state_ != State::finished) {
        finish(code, out);
    }
    return out;
}

Actions Session::on_give_up(std::string text) {
    Actions out;
    if (state_ != State::finished) {
        fail(ExitCode::failure, std::move(text), out);
    }
    return out;
}

void Session::reconnect(std::string cause, Actions& out) {
    state_ = State::idle;
    ++reconnects_;
    out.emplace_back(Reconnect{std::move(cause)});
}

std::optional<TimePoint> Session::next_deadline() const {
    if (state_ == State::awaiting_ack) {
        return ack_deadline_;
    }
    if (state_ == State::ready && config_.keepalive.count() != 0) {
        return std::min(next_ping_,
                        last_received_ + config_.keepalive + keepalive_grace(config_.keepalive));
    }
    return std::nullopt;
}

Session::Subscription* Session::find_live(std::string_view id) {
    for (auto& subscription : subscriptions_) {
        if (subscription.id == id && subscription.state == SubState::active) {
            return &subscription;
        }
    }
    return nullptr;
}

// Ends the run: a `complete` for each live subscription the server knows of,
// and a clean close if a socket is open.
void Session::finish(ExitCode code, Actions& out) {
    for (auto& subscription : subscriptions_) {
        if (subscription.state != SubState::active) {
            continue;
        }
        subscription.state = SubState::completed;
        if (state_ == State::ready) {
            out.emplace_back(
                SendText{Secret(encode_complete(subscription.id)), "complete " + subscription.id});
        }
    }
    if (state_ == State::awaiting_ack || state_ == State::ready) {
        out.emplace_back(CloseSocket{close_code::normal, ""});
    }
    out.emplace_back(Finish{code});
    state_ = State::finished;
}

void Session::fail(ExitCode code, std::string text, Actions& out) {
    log(out, LogLevel::error, std::move(text));
    finish(code, out);
}

void Session::end_if_all_done(Actions& out) {
    bool any_live = std::any_of(subscriptions_.begin(), subscriptions_.end(),
                                [](const auto& s) { return s.state == SubState::active; });
    if (any_live) {
        return;
    }
    bool any_failed = std::any_of(subscriptions_.begin(), subscriptions_.end(),
                                  [](const auto& s) { return s.state == SubState::failed; });
    finish(any_failed ? ExitCode::operation_rejected : ExitCode::ok, out);
}

} // namespace blink_sub::protocol
