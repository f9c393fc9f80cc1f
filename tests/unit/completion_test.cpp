#include "blink_sub/cli.hpp"
#include "blink_sub/completion.hpp"

#include <gtest/gtest.h>
#include <regex>
#include <set>

namespace blink_sub {
namespace {

CompletionSpec tool_spec() {
    CompletionSpec spec;
    spec.program = "my-tool";
    spec.global_options = {
        {{"-h", "--help"}, "print help", ValueKind::none, "", {}, false},
        {{"-o", "--output"}, "write to FILE", ValueKind::file, "FILE", {}, false},
        {{"-v"}, "say more", ValueKind::none, "", {}, true},
    };
    spec.commands = {
        {"paint",
         "paint the shed's wall [quickly]: now",
         {{{"--colour"}, "one of: red, blue", ValueKind::choice, "COLOUR", {"red", "blue"}, false},
          {{"--note"}, "text, or @FILE", ValueKind::text_or_file, "TEXT|@FILE", {}, false},
          {{"-h", "--help"}, "print help", ValueKind::none, "", {}, false}},
         {}},
        {"shell", "pick a shell", {}, {"sh", "ksh"}},
    };
    return spec;
}

CliResult run(std::vector<std::string> args) {
    args.insert(args.begin(), "blink-sub");
    return parse_cli(args, [](std::string_view) { return std::optional<std::string>{}; });
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(ShellNamed, KnowsBashZshAndFishOnly) {
    EXPECT_EQ(shell_named("bash"), Shell::bash);
    EXPECT_EQ(shell_named("zsh"), Shell::zsh);
    EXPECT_EQ(shell_named("fish"), Shell::fish);
    EXPECT_EQ(shell_named("Bash"), std::nullopt);
    EXPECT_EQ(shell_named("tcsh"), std::nullopt);
    EXPECT_EQ(shell_named(""), std::nullopt);
}

TEST(BashCompletion, RegistersOneFunctionForTheProgram) {
    const auto script = completion_script(tool_spec(), Shell::bash);
    EXPECT_TRUE(contains(script, "\n_my_tool() {\n"));
    EXPECT_TRUE(script.ends_with("\ncomplete -F _my_tool my-tool\n")) << script;
}

TEST(BashCompletion, SkipsTheValueOfAGlobalOptionWhenLookingForTheSubcommand) {
    const auto script = completion_script(tool_spec(), Shell::bash);
    EXPECT_TRUE(contains(script, "        -o | --output)\n            ((i++))")) << script;
    EXPECT_TRUE(contains(script, "        paint | shell)\n            command=")) << script;
}

TEST(BashCompletion, OffersChoicesFilesAndAtFilesForValues) {
    const auto script = completion_script(tool_spec(), Shell::bash);
    EXPECT_TRUE(contains(script, "\"paint --colour\")\n        mapfile -t COMPREPLY < <(compgen -W "
                                 "'red blue' -- \"$cur\")"))
        << script;
    EXPECT_TRUE(contains(script, "*\" -o\" | *\" --output\")\n        compopt -o filenames\n"))
        << script;
    EXPECT_TRUE(contains(script, "\"paint --note\")\n        if [[ $cur == @* ]]")) << script;
}

TEST(BashCompletion, OffersASubcommandsOwnOptionsThenTheGlobalOnesOnce) {
    const auto script = completion_script(tool_spec(), Shell::bash);
    EXPECT_TRUE(contains(script,
                         "    paint)\n        options='--colour --note -h --help -o --output "
                         "-v'\n"))
        << script;
    EXPECT_TRUE(contains(script, "    shell)\n        options='-h --help -o --output -v'\n"
                                 "        words='sh ksh'\n"))
        << script;
}

TEST(ZshCompletion, IsAnAutoloadableFunctionThatAlsoRegistersItselfWhenSourced) {
    const auto script = completion_script(tool_spec(), Shell::zsh);
    EXPECT_TRUE(script.starts_with("#compdef my-tool\n")) << script;
    EXPECT_TRUE(contains(script, "\n_my-tool() {\n"));
    EXPECT_TRUE(contains(script, "    compdef _my-tool my-tool\n"));
}

TEST(ZshCompletion, EscapesMarkupAndQuotesInDescriptions) {
    const auto script = completion_script(tool_spec(), Shell::zsh);
    EXPECT_TRUE(contains(script, "'paint:paint the shed'\\''s wall [quickly]: now'")) << script;
    EXPECT_TRUE(contains(script, "'--colour=[one of\\: red, blue]:COLOUR:(red blue)'")) << script;
}

TEST(ZshCompletion, DescribesEachKindOfOption) {
    const auto script = completion_script(tool_spec(), Shell::zsh);
    EXPECT_TRUE(contains(script, "'(-h --help)--help[print help]'")) << script;
    EXPECT_TRUE(contains(script, "'(-o --output)-o+[write to FILE]:FILE:_files'")) << script;
    EXPECT_TRUE(contains(script, "'*-v[say more]'")) << script;
    EXPECT_TRUE(contains(script, "'--note=[text, or @FILE]:TEXT|@FILE:{compset -P @ && _files}'"))
        << script;
    EXPECT_TRUE(contains(script, "'1:argument:(sh ksh)'")) << script;
}

TEST(FishCompletion, TiesSubcommandOptionsToTheirSubcommand) {
    const auto script = completion_script(tool_spec(), Shell::fish);
    EXPECT_TRUE(contains(script, "complete -c my-tool -n '__my_tool_using paint' -l colour -x -a "
                                 "'red blue' -d 'one of: red, blue'\n"))
        << script;
    EXPECT_TRUE(contains(script, "complete -c my-tool -n '__my_tool_using shell' -a 'sh ksh'\n"));
    EXPECT_TRUE(contains(script, "complete -c my-tool -s o -l output -r -F -d 'write to FILE'\n"));
    EXPECT_TRUE(contains(script, "complete -c my-tool -n 'not __my_tool_subcommand' -a paint -d "
                                 "'paint the shed\\'s wall [quickly]: now'\n"))
        << script;
}

TEST(FishCompletion, OffersGlobalHelpOnceNotAgainPerSubcommand) {
    const auto script = completion_script(tool_spec(), Shell::fish);
    EXPECT_FALSE(contains(script, "using paint' -s h")) << script;
    EXPECT_TRUE(contains(script, "complete -c my-tool -s h -l help -d 'print help'\n"));
}

class CliCompletionScript : public testing::TestWithParam<std::string> {};

// Every subcommand and option that --help shows is completed, whichever the shell.
TEST_P(CliCompletionScript, KnowsEverythingThatHelpLists) {
    const auto result = run({"completion", GetParam()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err, "");
    EXPECT_FALSE(result.options);

    std::string help = run({"--help"}).out;
    for (const auto* subcommand : {"price", "realtime-price", "my-updates", "invoice-status",
                                   "subscribe", "raw", "completion"}) {
        help += run({subcommand, "--help"}).out;
    }
    const std::regex option_name(R"((^|[ ,])(--?[a-z][a-z-]*))");
    std::set<std::string> names;
    for (auto match = std::sregex_iterator(help.begin(), help.end(), option_name);
         match != std::sregex_iterator(); ++match) {
        names.insert((*match)[2]);
    }
    ASSERT_GT(names.size(), 20u) << help;
    for (const auto& name : names) {
        // fish names an option without its dashes.
        const auto dashes = name.starts_with("--") ? "-l " : "-s ";
        const auto as_written =
            GetParam() == "fish" ? dashes + name.substr(name.find_first_not_of('-')) : name;
        EXPECT_TRUE(contains(result.out, as_written)) << name << " in\n" << result.out;
    }
    for (const auto* word : {"price", "realtime-price", "my-updates", "invoice-status", "subscribe",
                             "raw", "completion", "BTCSAT", "USDCENT"}) {
        EXPECT_TRUE(contains(result.out, word)) << word;
    }
}

INSTANTIATE_TEST_SUITE_P(Shells, CliCompletionScript, testing::Values("bash", "zsh", "fish"));

TEST(CliCompletion, OffersTheCurrencyUnitsForBothUnitOptions) {
    const auto script = run({"completion", "bash"}).out;
    for (const auto* option : {"--amount-unit", "--price-unit"}) {
        EXPECT_TRUE(contains(script, std::string("\"price ") + option +
                                         "\")\n        mapfile -t COMPREPLY < <(compgen -W "
                                         "'BTCSAT USDCENT'"))
            << option;
    }
}

TEST(CliCompletion, CompletesFilesForCacertAndAtFilesForQuery) {
    const auto script = run({"completion", "zsh"}).out;
    EXPECT_TRUE(contains(script, "'--cacert=[trust this PEM bundle instead of the system "
                                 "store]:FILE:_files'"));
    EXPECT_TRUE(contains(script, ":TEXT|@FILE:{compset -P @ && _files}'"));
    EXPECT_TRUE(contains(script, "'*-v[log more on stderr; repeat for more]'"));
}

TEST(CliCompletion, AcceptsGlobalOptionsAroundIt) {
    const auto result = run({"-v", "completion", "fish", "--count", "2"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(result.out.starts_with("# fish completion for blink-sub"));
}

TEST(CliCompletion, NeedsAShellItKnows) {
    const auto missing = run({"completion"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_EQ(missing.out, "");
    EXPECT_EQ(missing.err, "blink-sub: completion needs a shell; pass bash, zsh or fish\n");

    const auto unknown = run({"completion", "tcsh"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_EQ(unknown.out, "");
    EXPECT_EQ(unknown.err,
              "blink-sub: completion: \"tcsh\" is not a shell it knows; pass bash, zsh or fish\n");

    EXPECT_EQ(run({"completion", "bash", "zsh"}).exit_code, 2);
}

TEST(CliCompletion, IsListedInHelpWithHowToLoadIt) {
    EXPECT_TRUE(contains(run({"--help"}).out, "completion"));
    const auto help = run({"completion", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_TRUE(contains(help.out, "source <(blink-sub completion bash)")) << help.out;
}

} // namespace
} // namespace blink_sub
