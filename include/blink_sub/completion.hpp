#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace blink_sub {

enum class Shell { bash, zsh, fish };

inline constexpr std::array<std::string_view, 3> shell_names{"bash", "zsh", "fish"};

std::optional<Shell> shell_named(std::string_view name);

// What a shell may offer after an option, or as a positional argument.
enum class ValueKind {
    none,         // a flag
    text,         // free text: nothing to offer
    choice,       // one of `choices`
    file,         // a file name
    text_or_file, // free text, or @ and a file name (curl's --data convention)
};

struct CompletionOption {
    std::vector<std::string> names; // as typed: "-e", "--endpoint"
    std::string description;        // one line
    ValueKind value = ValueKind::none;
    std::string value_name; // as in --help: "URL", "FILE"
    std::vector<std::string> choices;
    bool repeatable = false;
};

struct CompletionCommand {
    std::string name;
    std::string description;
    std::vector<CompletionOption> options;
    // The values of the subcommand's one positional argument, if it takes one.
    std::vector<std::string> argument_choices;
};

// A command line as shells complete it: global options, accepted before or after the
// subcommand, and the subcommands with their own options.
struct CompletionSpec {
    std::string program;
    std::vector<CompletionOption> global_options;
    std::vector<CompletionCommand> commands;
};

// A script that, loaded into `shell`, completes `spec.program`'s command line.
std::string completion_script(const CompletionSpec& spec, Shell shell);

} // namespace blink_sub
