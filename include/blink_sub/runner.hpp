#pragma once

#include "blink_sub/exit_code.hpp"
#include "blink_sub/options.hpp"

namespace blink_sub {

// Connects, runs the subscription (or the raw relay) until it ends, and
// returns the exit code. Logs through spdlog; writes payloads to stdout.
ExitCode run(const Options& options);

} // namespace blink_sub
