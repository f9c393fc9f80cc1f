#include "blink_sub/cli.hpp"
#include "blink_sub/exit_code.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <regex>

namespace blink_sub {
namespace {

using namespace std::chrono_literals;

using Env = std::map<std::string, std::string, std::less<>>;

CliResult run(std::vector<std::string> args, const Env& env = {}) {
    args.insert(args.begin(), "blink-sub");
    return parse_cli(args, [&env](std::string_view name) -> std::optional<std::string> {
        const auto found = env.find(name);
        if (found == env.end()) {
            return std::nullopt;
        }
        return found->second;
    });
}

Options run_ok(const std::vector<std::string>& args, const Env& env = {}) {
    const auto result = run(args, env);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err, "");
    EXPECT_TRUE(result.options);
    return result.options.value_or(Options{});
}

std::string write_temp_file(const std::string& name, const std::string& content) {
    const auto path = std::filesystem::path(testing::TempDir()) / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
}

testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) {
        return testing::AssertionSuccess();
    }
    return testing::AssertionFailure() << "\"" << part << "\" is not in \"" << text << "\"";
}

TEST(Cli, DefaultsForPrice) {
    const auto options = run_ok({"price"});
    EXPECT_EQ(options.command, Command::price);
    EXPECT_EQ(options.connection.endpoint, (net::Endpoint{true, "ws.blink.sv", "443", "/graphql"}));
    EXPECT_TRUE(options.connection.api_key.empty());
    EXPECT_TRUE(options.connection.auth_token.empty());
    EXPECT_EQ(options.connection.connect_timeout, 10s);
    EXPECT_EQ(options.connection.keepalive, 30s);
    EXPECT_EQ(options.connection.retries, -1);
    EXPECT_FALSE(options.connection.proxy);
    EXPECT_EQ(options.connection.cacert, "");
    EXPECT_FALSE(options.connection.insecure);
    EXPECT_EQ(options.count, 0u);
    EXPECT_EQ(options.verbosity, 0);
    EXPECT_EQ(options.operation, price_operation(1, "BTCSAT", "USDCENT"));
}

struct CommandCase {
    std::vector<std::string> args;
    Command command;
};

class CliSelects : public testing::TestWithParam<CommandCase> {};

TEST_P(CliSelects, TheSubcommandGiven) {
    EXPECT_EQ(run_ok(GetParam().args, {{"BLINK_API_KEY", "k"}}).command, GetParam().command);
}

INSTANTIATE_TEST_SUITE_P(
    Subcommands, CliSelects,
    testing::Values(CommandCase{{"price"}, Command::price},
                    CommandCase{{"realtime-price"}, Command::realtime_price},
                    CommandCase{{"my-updates"}, Command::my_updates},
                    CommandCase{{"invoice-status", "--payment-request", "lnbc1"},
                                Command::invoice_status},
                    CommandCase{{"subscribe", "--query", "subscription { x }"}, Command::subscribe},
                    CommandCase{{"raw"}, Command::raw}));

const std::vector<std::string> global_options = {"-e",
                                                 "ws://[::1]:4000/graphql",
                                                 "--api-key",
                                                 "blink_key",
                                                 "--auth-token",
                                                 "session",
                                                 "--count",
                                                 "5",
                                                 "--connect-timeout",
                                                 "2.5",
                                                 "--keepalive",
                                                 "0",
                                                 "--retries",
                                                 "7",
                                                 "--proxy",
                                                 "http://proxy:3128",
                                                 "--insecure",
                                                 "-v",
                                                 "-v"};

void expect_global_options_applied(const Options& options) {
    EXPECT_EQ(options.command, Command::raw);
    EXPECT_EQ(options.connection.endpoint, (net::Endpoint{false, "::1", "4000", "/graphql"}));
    EXPECT_EQ(options.connection.api_key.reveal(), "blink_key");
    EXPECT_EQ(options.connection.auth_token.reveal(), "session");
    EXPECT_EQ(options.count, 5u);
    EXPECT_EQ(options.connection.connect_timeout, 2500ms);
    EXPECT_EQ(options.connection.keepalive, 0ms);
    EXPECT_EQ(options.connection.retries, 7);
    ASSERT_TRUE(options.connection.proxy);
    EXPECT_EQ(options.connection.proxy->display, "http://proxy:3128");
    EXPECT_TRUE(options.connection.insecure);
    EXPECT_EQ(options.verbosity, 2);
}

TEST(Cli, GlobalOptionsBeforeSubcommand) {
    auto args = global_options;
    args.emplace_back("raw");
    expect_global_options_applied(run_ok(args));
}

TEST(Cli, GlobalOptionsAfterSubcommand) {
    std::vector<std::string> args = {"raw"};
    args.insert(args.end(), global_options.begin(), global_options.end());
    expect_global_options_applied(run_ok(args));
}

TEST(Cli, GlobalOptionsMixedAroundSubcommandOptions) {
    const auto options = run_ok(
        {"--count", "2", "price", "--amount", "100", "-e", "ws://h/", "--price-unit", "BTCSAT"});
    EXPECT_EQ(options.count, 2u);
    EXPECT_EQ(options.connection.endpoint.host, "h");
    EXPECT_EQ(options.operation, price_operation(100, "BTCSAT", "BTCSAT"));
}

TEST(Cli, CacertThatExistsIsKept) {
    const auto path = write_temp_file("cli_test_ca.pem", "-----BEGIN CERTIFICATE-----\n");
    EXPECT_EQ(run_ok({"--cacert", path, "price"}).connection.cacert, path);
}

TEST(Cli, LastRepeatedFlagWins) {
    EXPECT_EQ(run_ok({"--count", "1", "price", "--count", "7"}).count, 7u);
}

TEST(Cli, VerbosityCountsRepeatedV) {
    EXPECT_EQ(run_ok({"-v", "price"}).verbosity, 1);
    EXPECT_EQ(run_ok({"-vvv", "price"}).verbosity, 3);
    EXPECT_EQ(run_ok({"-v", "price", "-v"}).verbosity, 2);
    EXPECT_EQ(run_ok({"-q", "price"}).verbosity, -1);
}

TEST(Cli, SecondsMayBeFractional) {
    EXPECT_EQ(run_ok({"--connect-timeout", "0.25", "raw"}).connection.connect_timeout, 250ms);
    EXPECT_EQ(run_ok({"--keepalive", "12.5", "raw"}).connection.keepalive, 12500ms);
}

TEST(Cli, TinyKeepaliveIsNotTurnedOff) {
    EXPECT_EQ(run_ok({"--keepalive", "0.0001", "raw"}).connection.keepalive, 1ms);
}

TEST(Cli, RetriesAcceptsMinusOneInBothSpellings) {
    EXPECT_EQ(run_ok({"--retries", "-1", "raw"}).connection.retries, -1);
    EXPECT_EQ(run_ok({"--retries=-1", "raw"}).connection.retries, -1);
    EXPECT_EQ(run_ok({"--retries", "0", "raw"}).connection.retries, 0);
}

TEST(Cli, PriceOptionsBuildTheOperation) {
    EXPECT_EQ(
        run_ok({"price", "--amount", "0", "--amount-unit", "usdcent", "--price-unit", "btcsat"})
            .operation,
        price_operation(0, "USDCENT", "BTCSAT"));
}

TEST(Cli, RealtimePriceDefaultsToUsd) {
    EXPECT_EQ(run_ok({"realtime-price"}).operation, realtime_price_operation("USD"));
}

TEST(Cli, RealtimePriceUppercasesTheCurrency) {
    EXPECT_EQ(run_ok({"realtime-price", "--currency", "eur"}).operation,
              realtime_price_operation("EUR"));
    EXPECT_EQ(run_ok({"realtime-price", "--currency", "usdt"}).operation,
              realtime_price_operation("USDT"));
}

TEST(Cli, MyUpdatesBuildsTheOperation) {
    EXPECT_EQ(run_ok({"my-updates", "--api-key", "k"}).operation, my_updates_operation());
}

TEST(Cli, InvoiceStatusByPaymentRequest) {
    EXPECT_EQ(run_ok({"invoice-status", "--payment-request", "lnbc10u1p"}).operation,
              invoice_by_payment_request_operation("lnbc10u1p"));
}

TEST(Cli, InvoiceStatusByHashLowercasesTheHash) {
    const std::string hash = "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789";
    std::string lower = hash;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    EXPECT_EQ(run_ok({"invoice-status", "--payment-hash", hash}).operation,
              invoice_by_payment_hash_operation(lower));
}

TEST(Cli, SubscribeTakesQueryVariablesAndOperationName) {
    const auto options =
        run_ok({"subscribe", "--query", "subscription S { price }", "--variables",
                R"({ "input" : { "currency" : "EUR" } })", "--operation-name", "S"});
    EXPECT_EQ(options.operation.query, "subscription S { price }");
    EXPECT_EQ(options.operation.variables, R"({"input":{"currency":"EUR"}})");
    EXPECT_EQ(options.operation.operation_name, "S");
    EXPECT_FALSE(options.operation.ends_at_final_status);
}

TEST(Cli, SubscribeReadsQueryAndVariablesFromFiles) {
    const auto query = write_temp_file("cli_test_query.graphql", "subscription {\n  x\n}\n");
    const auto variables = write_temp_file("cli_test_variables.json", "{\"a\": [1, 2]}\n");
    const auto options =
        run_ok({"subscribe", "--query", "@" + query, "--variables", "@" + variables});
    EXPECT_EQ(options.operation.query, "subscription {\n  x\n}\n");
    EXPECT_EQ(options.operation.variables, R"({"a":[1,2]})");
    EXPECT_EQ(options.operation.operation_name, "");
}

TEST(Cli, SubscribeWithoutVariablesSendsNone) {
    EXPECT_EQ(run_ok({"subscribe", "--query", "subscription { x }"}).operation.variables, "");
}

TEST(Cli, RawHasNoOperation) {
    EXPECT_EQ(run_ok({"raw"}).operation, Operation{});
}

TEST(CliEnv, EndpointComesFromTheEnvironment) {
    EXPECT_EQ(run_ok({"raw"}, {{"BLINK_WS_ENDPOINT", "ws://localhost:4455/graphqlws"}})
                  .connection.endpoint,
              (net::Endpoint{false, "localhost", "4455", "/graphqlws"}));
}

TEST(CliEnv, EndpointFlagBeatsTheEnvironment) {
    EXPECT_EQ(run_ok({"-e", "ws://flag/", "raw"}, {{"BLINK_WS_ENDPOINT", "ws://env/"}})
                  .connection.endpoint.host,
              "flag");
}

TEST(CliEnv, CredentialsComeFromTheEnvironment) {
    const auto options =
        run_ok({"my-updates"}, {{"BLINK_API_KEY", "env_key"}, {"BLINK_AUTH_TOKEN", "env_token"}});
    EXPECT_EQ(options.connection.api_key.reveal(), "env_key");
    EXPECT_EQ(options.connection.auth_token.reveal(), "env_token");
}

TEST(CliEnv, CredentialFlagsBeatTheEnvironment) {
    const auto options =
        run_ok({"my-updates", "--api-key", "flag_key", "--auth-token", "flag_token"},
               {{"BLINK_API_KEY", "env_key"}, {"BLINK_AUTH_TOKEN", "env_token"}});
    EXPECT_EQ(options.connection.api_key.reveal(), "flag_key");
    EXPECT_EQ(options.connection.auth_token.reveal(), "flag_token");
}

TEST(CliEnv, EmptyVariablesCountAsUnset) {
    const auto options = run_ok(
        {"price"}, {{"BLINK_WS_ENDPOINT", ""}, {"BLINK_API_KEY", ""}, {"BLINK_AUTH_TOKEN", ""}});
    EXPECT_EQ(options.connection.endpoint.host, "ws.blink.sv");
    EXPECT_TRUE(options.connection.api_key.empty());
    EXPECT_TRUE(options.connection.auth_token.empty());
}

TEST(CliEnv, ProxyComesFromTheVariableForTheEndpointScheme) {
    const Env env = {{"HTTPS_PROXY", "http://tls:1"}, {"HTTP_PROXY", "http://plain:2"}};
    const auto secure = run_ok({"price"}, env).connection.proxy;
    ASSERT_TRUE(secure);
    EXPECT_EQ(secure->display, "http://tls:1");

    const auto plain = run_ok({"price", "-e", "ws://127.0.0.1:4000/graphql"}, env).connection.proxy;
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->display, "http://plain:2");
}

TEST(CliEnv, ProxyFlagBeatsTheVariables) {
    const Env env = {{"HTTPS_PROXY", "http://env:1"}, {"ALL_PROXY", "http://all:2"}};
    const auto proxy = run_ok({"--proxy", "http://u:pw@flag:3", "price"}, env).connection.proxy;
    ASSERT_TRUE(proxy);
    EXPECT_EQ(proxy->host, "flag");
    EXPECT_EQ(proxy->port, "3");
    EXPECT_EQ(proxy->authorization.reveal(), "Basic dTpwdw==");
}

TEST(CliEnv, EmptyProxyFlagConnectsDirectly) {
    const Env env = {{"HTTPS_PROXY", "http://env:1"}};
    EXPECT_FALSE(run_ok({"--proxy", "", "price"}, env).connection.proxy);
    EXPECT_FALSE(run_ok({"--proxy=", "price"}, env).connection.proxy);
}

TEST(CliEnv, NoProxyExemptsTheEndpoint) {
    const Env env = {{"HTTPS_PROXY", "http://env:1"}, {"NO_PROXY", "localhost,blink.sv"}};
    EXPECT_FALSE(run_ok({"price"}, env).connection.proxy);
}

TEST(CliEnv, MyUpdatesAcceptsATokenAlone) {
    EXPECT_EQ(run_ok({"my-updates"}, {{"BLINK_AUTH_TOKEN", "t"}}).command, Command::my_updates);
    EXPECT_EQ(run_ok({"my-updates", "--auth-token", "t"}).command, Command::my_updates);
}

TEST(CliEnv, MyUpdatesWithEmptyKeyVariableIsAUsageError) {
    const auto result = run({"my-updates"}, {{"BLINK_API_KEY", ""}});
    EXPECT_EQ(result.exit_code, 2);
}

struct BadInput {
    std::vector<std::string> args;
    std::vector<std::string> mentions; // what the message must name
    Env env = {};
};

void PrintTo(const BadInput& bad, std::ostream* out) {
    for (const auto& arg : bad.args) {
        *out << arg << ' ';
    }
}

class CliRejects : public testing::TestWithParam<BadInput> {};

TEST_P(CliRejects, WithExitTwoAndAOneLineMessageNamingTheFlag) {
    const auto result = run(GetParam().args, GetParam().env);
    EXPECT_EQ(result.exit_code, to_int(ExitCode::usage));
    EXPECT_FALSE(result.options);
    EXPECT_EQ(result.out, "");
    EXPECT_TRUE(result.err.starts_with("blink-sub: ")) << result.err;
    EXPECT_TRUE(contains(result.err, "; "));
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_TRUE(result.err.ends_with("\n"));
    for (const auto& mention : GetParam().mentions) {
        EXPECT_TRUE(contains(result.err, mention));
    }
}

const std::string bad_hash_63(63, 'a');
const std::string bad_hash_hex = std::string(63, 'a') + "g";

INSTANTIATE_TEST_SUITE_P(
    BadFlags, CliRejects,
    testing::Values(
        BadInput{{}, {"a subcommand is required", "price", "raw"}},
        BadInput{{"prcie"}, {"unknown subcommand \"prcie\""}},
        BadInput{{"price", "raw"}, {"\"raw\"", "\"price\""}},
        BadInput{{"price", "extra"}, {"unexpected argument \"extra\""}},
        BadInput{{"--bogus", "price"}, {"unknown option \"--bogus\""}},
        BadInput{{"price", "--currency", "EUR"}, {"unknown option \"--currency\"", "price --help"}},
        BadInput{{"--amount", "5", "price"}, {"\"--amount\""}},
        BadInput{{"price", "--count"}, {"--count needs a value"}},
        BadInput{{"--insecure=maybe", "price"}, {"--insecure takes no value"}},
        BadInput{{"--count", "abc", "price"},
                 {R"(--count: "abc" is not a positive integer; see 'blink-sub --help')"}},
        BadInput{{"--count", "0", "price"}, {"--count", "\"0\""}},
        BadInput{{"--count", "-3", "price"}, {"--count"}},
        BadInput{{"--count", "1.5", "price"}, {"--count"}},
        BadInput{{"--count", "99999999999999999999", "price"}, {"--count"}},
        BadInput{{"--connect-timeout", "0", "raw"}, {"--connect-timeout"}},
        BadInput{{"--connect-timeout", "-1", "raw"}, {"--connect-timeout"}},
        BadInput{{"--connect-timeout", "abc", "raw"}, {"--connect-timeout"}},
        BadInput{{"--connect-timeout", "1e3", "raw"}, {"--connect-timeout"}},
        BadInput{{"--connect-timeout", "nan", "raw"}, {"--connect-timeout"}},
        BadInput{{"--connect-timeout", "inf", "raw"}, {"--connect-timeout"}},
        BadInput{{"--connect-timeout", "100000", "raw"}, {"--connect-timeout", "86400"}},
        BadInput{{"--keepalive", "-1", "raw"}, {"--keepalive"}},
        BadInput{{"--keepalive", "often", "raw"}, {"--keepalive"}},
        BadInput{{"--retries", "-2", "raw"}, {"--retries"}},
        BadInput{{"--retries", "x", "raw"}, {"--retries"}},
        BadInput{{"--retries", "1.5", "raw"}, {"--retries"}},
        BadInput{{"--cacert", "/nonexistent/ca.pem", "raw"},
                 {"--cacert", "/nonexistent/ca.pem", "no such file"}},
        BadInput{{"--cacert", "/", "raw"}, {"--cacert", "is a directory"}},
        BadInput{{"-e", "http://x", "raw"},
                 {R"(--endpoint: endpoint "http://x" must start with ws:// or wss://)"}},
        BadInput{{"--endpoint", "wss://u:p@h/", "raw"}, {"--endpoint", "user name or password"}},
        BadInput{{"raw"}, {"BLINK_WS_ENDPOINT"}, {{"BLINK_WS_ENDPOINT", "https://x"}}},
        BadInput{{"--proxy", "socks5://h:1080", "raw"},
                 {"--proxy: proxy \"socks5://h:1080\"", "only http:// proxies",
                  "pass a URL such as http://"}},
        BadInput{{"--proxy", "http://h:99999", "raw"}, {"--proxy", "invalid port"}},
        BadInput{{"--proxy", "http://h\n\x1b[2J", "raw"}, {R"(proxy "http://h\n\u001b[2J")"}},
        BadInput{{"raw"},
                 {"HTTPS_PROXY: proxy \"https://h\"", "only http:// proxies", "pass --proxy"},
                 {{"HTTPS_PROXY", "https://h"}}},
        BadInput{{"-e", "ws://h/", "raw"},
                 {"ALL_PROXY: proxy \"http://h:x\" is not a valid URL"},
                 {{"ALL_PROXY", "http://h:x"}}},
        BadInput{{"--api-key", "", "price"}, {"--api-key is empty"}},
        BadInput{{"price", "--auth-token", ""}, {"--auth-token is empty"}},
        BadInput{{"--api-key=", "price"}, {"--api-key is empty"}},
        BadInput{{"--count=", "price"}, {R"(--count: "" is not a positive integer)"}},
        BadInput{{"price", "--amount", "-1"}, {"--amount"}},
        BadInput{{"price", "--amount", "ten"}, {"--amount"}},
        BadInput{{"price", "--amount-unit", "EUR"}, {"--amount-unit", "BTCSAT or USDCENT"}},
        BadInput{{"price", "--price-unit", "SAT"}, {"--price-unit"}},
        BadInput{{"realtime-price", "--currency", "US"}, {"--currency"}},
        BadInput{{"realtime-price", "--currency", "USDXX"}, {"--currency"}},
        BadInput{{"realtime-price", "--currency", "U5D"}, {"--currency"}},
        BadInput{{"my-updates"}, {"--api-key", "BLINK_API_KEY"}},
        BadInput{{"invoice-status"}, {"--payment-request", "--payment-hash"}},
        BadInput{{"invoice-status", "--payment-request", "lnbc1", "--payment-hash",
                  std::string(64, 'a')},
                 {"--payment-request", "--payment-hash"}},
        BadInput{{"invoice-status", "--payment-hash", "abc"}, {"--payment-hash", "64"}},
        BadInput{{"invoice-status", "--payment-hash", bad_hash_63}, {"--payment-hash"}},
        BadInput{{"invoice-status", "--payment-hash", bad_hash_hex}, {"--payment-hash"}},
        BadInput{{"invoice-status", "--payment-request", ""}, {"--payment-request"}},
        BadInput{{"subscribe"}, {"--query"}}, BadInput{{"subscribe", "--query", ""}, {"--query"}},
        BadInput{{"subscribe", "--query", "@"}, {"--query"}},
        BadInput{{"subscribe", "--query", "@/nonexistent/q.graphql"},
                 {"--query", "/nonexistent/q.graphql"}},
        BadInput{{"subscribe", "--query", "subscription { x }", "--variables", "{x"},
                 {"--variables", "not valid JSON", "line 1, column 2"}},
        BadInput{{"subscribe", "--query", "subscription { x }", "--variables", "[1]"},
                 {"--variables", "JSON object", "array"}},
        BadInput{{"subscribe", "--query", "subscription { x }", "--variables", "\"s\""},
                 {"--variables", "JSON object", "string"}},
        BadInput{{"subscribe", "--query", "subscription { x }", "--variables", ""},
                 {"--variables"}},
        BadInput{
            {"subscribe", "--query", "subscription { x }", "--variables", "@/nonexistent/v.json"},
            {"--variables", "/nonexistent/v.json"}},
        // Found by fuzz/cli_fuzz: bytes that are not UTF-8 made the subscribe frame throw.
        BadInput{{"subscribe", "--query", "subscri\xf0tion { x }"}, {"--query is not valid UTF-8"}},
        BadInput{{"subscribe", "--query", "subscription { x }", "--operation-name", "N\xc3"},
                 {"--operation-name is not valid UTF-8"}}));

TEST(CliRejectsFile, QueryFileThatIsNotUtf8NamesTheFile) {
    const auto path = write_temp_file("cli_test_latin1.graphql", "subscription { caf\xe9 }");
    const auto result = run({"subscribe", "--query", "@" + path});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(contains(result.err, "--query: \"" + path + "\" is not valid UTF-8")) << result.err;
}

TEST(CliRejectsFile, BadVariablesFileNamesTheFile) {
    const auto path = write_temp_file("cli_test_bad_variables.json", "{\"a\": }");
    const auto result =
        run({"subscribe", "--query", "subscription { x }", "--variables", "@" + path});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(contains(result.err, "--variables"));
    EXPECT_TRUE(contains(result.err, path));
    EXPECT_TRUE(contains(result.err, "line 1, column 7"));
}

TEST(Cli, BadVariablesJsonExitsTwoNamingFlag) {
    const auto result = run({"subscribe", "--query", "subscription { x }", "--variables", "{"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(result.err.starts_with("blink-sub: --variables "));
}

TEST(Cli, CountMustBePositive) {
    for (const auto* count : {"0", "-1", "abc", ""}) {
        const auto result = run({"--count", count, "price"});
        EXPECT_EQ(result.exit_code, 2) << count;
        EXPECT_TRUE(result.err.starts_with("blink-sub: --count")) << result.err;
    }
}

struct SecretCase {
    std::vector<std::string> args;
    Env env = {};
};

void PrintTo(const SecretCase& secret_case, std::ostream* out) {
    for (const auto& arg : secret_case.args) {
        *out << arg << ' ';
    }
}

class ApiKeyNeverEchoedInErrors : public testing::TestWithParam<SecretCase> {};

TEST_P(ApiKeyNeverEchoedInErrors, WhateverWentWrong) {
    const auto result = run(GetParam().args, GetParam().env);
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.err.find("s3cr3t"), std::string::npos) << result.err;
    EXPECT_EQ(result.out.find("s3cr3t"), std::string::npos) << result.out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ApiKeyNeverEchoedInErrors,
    testing::Values(SecretCase{{"price", "--api-key", "--s3cr3t", "--bogus"}},
                    SecretCase{{"price", "--auth-token", "--s3cr3t", "x"}},
                    SecretCase{{"price", "--api-key"}, {{"BLINK_API_KEY", "s3cr3t"}}},
                    SecretCase{{"--api-key", "-s3cr3t", "price", "--bogus"}},
                    SecretCase{{"--api-key", "s3cr3t", "price", "s3cr3t"}},
                    SecretCase{{"--auth-token=s3cr3t", "s3cr3t"}},
                    SecretCase{{"--api-key=s3cr3t", "--insecure=s3cr3t", "price"}},
                    SecretCase{{"--api-key", "s3cr3t", "--count", "s3cr3t", "price"}},
                    SecretCase{{"price", "--amount", "s3cr3t"}, {{"BLINK_API_KEY", "s3cr3t"}}},
                    SecretCase{{"realtime-price", "--currency", "s3cr3t"},
                               {{"BLINK_AUTH_TOKEN", "s3cr3t"}}},
                    SecretCase{{"s3cr3t"}, {{"BLINK_API_KEY", "s3cr3t"}}}));

// Found by fuzz/cli_fuzz: redacting a one-letter key also rewrote the program name.
TEST(Cli, AShortKeyIsRedactedWithoutManglingTheProgramName) {
    const auto result = run({"--api-key", "b", "price", "--bogus"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_TRUE(result.err.starts_with("blink-sub: ")) << result.err;
}

TEST(Cli, ProxyPasswordNeverEchoedInErrors) {
    const std::vector<SecretCase> cases = {
        {{"--proxy", "socks5://user:s3cr3t@h", "raw"}},
        {{"--proxy=https://user:s3cr3t@h", "raw"}},
        {{"--proxy", "http://user:s3cr3t@h", "price", "http://user:s3cr3t@h"}},
        {{"raw"}, {{"HTTPS_PROXY", "https://user:s3cr3t@h"}}},
        {{"raw"}, {{"ALL_PROXY", "http://user:s3cr3t@h:99999"}}},
    };
    for (const auto& secret_case : cases) {
        const auto result = run(secret_case.args, secret_case.env);
        EXPECT_EQ(result.exit_code, 2) << result.err;
        EXPECT_TRUE(contains(result.err, "***@h")) << result.err;
        EXPECT_EQ(result.err.find("s3cr3t"), std::string::npos) << result.err;
        EXPECT_EQ(result.out.find("s3cr3t"), std::string::npos) << result.out;
    }
}

TEST(CliHelp, ListsEverySubcommandOptionAndExitCode) {
    const auto result = run({"--help"});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.err, "");
    EXPECT_FALSE(result.options);
    for (const auto* word : {"price",
                             "realtime-price",
                             "my-updates",
                             "invoice-status",
                             "subscribe",
                             "raw",
                             "--endpoint",
                             "-e",
                             "--api-key",
                             "--auth-token",
                             "--count",
                             "--connect-timeout",
                             "--keepalive",
                             "--retries",
                             "--proxy",
                             "--cacert",
                             "--insecure",
                             "-v",
                             "-q",
                             "--version",
                             "--help",
                             "--amount",
                             "--amount-unit",
                             "--price-unit",
                             "--currency",
                             "--payment-request",
                             "--payment-hash",
                             "--query",
                             "--variables",
                             "--operation-name",
                             "BLINK_WS_ENDPOINT",
                             "BLINK_API_KEY",
                             "BLINK_AUTH_TOKEN"}) {
        EXPECT_TRUE(contains(result.out, word));
    }
    for (const auto& info : exit_codes) {
        EXPECT_TRUE(contains(result.out,
                             std::to_string(to_int(info.code)) + "  " + std::string(info.meaning)));
    }
}

TEST(CliHelp, HelpWinsOverMissingSubcommandAndOtherFlags) {
    EXPECT_EQ(run({"--count", "3", "-h"}).exit_code, 0);
}

TEST(CliHelp, SubcommandHelpShowsItsOptions) {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"price", "--help"}, {"--help", "price"}}) {
        const auto result = run(args);
        EXPECT_EQ(result.exit_code, 0);
        EXPECT_TRUE(contains(result.out, "blink-sub price"));
        EXPECT_TRUE(contains(result.out, "--amount-unit"));
        EXPECT_FALSE(contains(result.out, "--payment-hash"));
    }
}

TEST(CliVersion, PrintsNameAndVersion) {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"--version"}, {"price", "--version"}}) {
        const auto result = run(args);
        EXPECT_EQ(result.exit_code, 0);
        EXPECT_EQ(result.err, "");
        EXPECT_TRUE(std::regex_match(result.out, std::regex(R"(blink-sub \d+\.\d+\.\d+\n)")))
            << result.out;
    }
}

TEST(CliProcessEnv, ReadsTheRealEnvironment) {
    ::setenv("BLINK_SUB_CLI_TEST", "value", 1);
    EXPECT_EQ(process_env("BLINK_SUB_CLI_TEST"), "value");
    ::unsetenv("BLINK_SUB_CLI_TEST");
    EXPECT_EQ(process_env("BLINK_SUB_CLI_TEST"), std::nullopt);
}

} // namespace
} // namespace blink_sub
