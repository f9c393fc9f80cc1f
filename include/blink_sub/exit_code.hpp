#pragma once

#include <array>
#include <string_view>

namespace blink_sub {

// The documented exit codes (CONTRACT.md); every outcome maps to one of these.
enum class ExitCode : int {
    ok = 0,
    failure = 1,
    usage = 2,
    auth_rejected = 3,
    operation_rejected = 4,
    invoice_expired = 5,
    interrupted = 130,
    terminated = 143,
};

struct ExitCodeInfo {
    ExitCode code;
    std::string_view meaning;
};

// The table that --help prints.
inline constexpr std::array<ExitCodeInfo, 8> exit_codes{{
    {ExitCode::ok, "finished: all subscriptions completed, --count reached, or invoice paid"},
    {ExitCode::failure, "connection, TLS or protocol failure (after retries)"},
    {ExitCode::usage, "usage error: bad flag, bad JSON, or my-updates without a key or token"},
    {ExitCode::auth_rejected, "authentication rejected by the server"},
    {ExitCode::operation_rejected, "the server rejected the operation"},
    {ExitCode::invoice_expired, "invoice expired"},
    {ExitCode::interrupted, "interrupted by SIGINT"},
    {ExitCode::terminated, "terminated by SIGTERM"},
}};

constexpr int to_int(ExitCode code) {
    return static_cast<int>(code);
}

} // namespace blink_sub
