#pragma once

#include "blink_sub/exit_code.hpp"
#include "blink_sub/secret.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace blink_sub::protocol {

enum class LogLevel { trace, debug, info, warn, error };

// Send one text frame. `text` may carry the key (connection_init): it is a Secret.
struct SendText {
    Secret text;
    std::string description; // what to log instead of the text

    friend bool operator==(const SendText& a, const SendText& b) {
        return a.text.reveal() == b.text.reveal() && a.description == b.description;
    }
};

// Write one line (a payload) to stdout. It points into the frame that
// produced it: carry it out before the next event.
struct EmitLine {
    std::string_view line;

    friend bool operator==(const EmitLine&, const EmitLine&) = default;
};

struct Log {
    LogLevel level = LogLevel::info;
    std::string text;

    friend bool operator==(const Log&, const Log&) = default;
};

// Start the closing handshake once every earlier SendText has gone out.
struct CloseSocket {
    std::uint16_t code = 1000;
    std::string reason;

    friend bool operator==(const CloseSocket&, const CloseSocket&) = default;
};

// The run is over: exit with this code once the socket is closed.
struct Finish {
    ExitCode code = ExitCode::ok;

    friend bool operator==(const Finish&, const Finish&) = default;
};

// The connection is lost or useless: drop it and, if the reconnect policy
// allows, open a new one. `cause` says why, for the log.
struct Reconnect {
    std::string cause;

    friend bool operator==(const Reconnect&, const Reconnect&) = default;
};

using Action = std::variant<SendText, EmitLine, Log, CloseSocket, Finish, Reconnect>;
using Actions = std::vector<Action>;

} // namespace blink_sub::protocol
