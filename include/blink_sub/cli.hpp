#pragma once

#include "blink_sub/env_lookup.hpp"
#include "blink_sub/options.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace blink_sub {

// What the command line asks for: either options to run with, or an exit
// code with text for stdout (--help, --version) or stderr (usage errors).
struct CliResult {
    std::optional<Options> options;
    int exit_code = 0;
    std::string out;
    std::string err;
};

// The only place that turns usage errors into exit code 2. `args` includes
// the program name first, like argv.
CliResult parse_cli(const std::vector<std::string>& args, const EnvLookup& env);

// The real environment, for main().
std::optional<std::string> process_env(std::string_view name);

} // namespace blink_sub
