#include "blink_sub/cli.hpp"

#include "blink_sub/completion.hpp"
#include "blink_sub/exit_code.hpp"
#include "blink_sub/net/endpoint.hpp"
#include "blink_sub/net/proxy.hpp"
#include "blink_sub/operation.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <utility>

#ifndef BLINK_SUB_VERSION
#define BLINK_SUB_VERSION "0.0.0"
#endif

namespace blink_sub {
namespace {

constexpr std::string_view program = "blink-sub";
constexpr std::string_view see_help = "see 'blink-sub --help'";
constexpr double max_seconds = 86'400;

// A usage error: what was wrong, then what to do, without the program name.
class UsageError : public std::runtime_error {
  public:
    explicit UsageError(const std::string& what, std::string_view what_to_do = see_help)
        : std::runtime_error(what + "; " + std::string(what_to_do)) {}
};

struct SubcommandInfo {
    Command command;
    std::string_view name;
    std::string_view description;
};

constexpr std::array<SubcommandInfo, 6> subcommands{{
    {Command::price, "price", "convert an amount at Blink's price: a value now, then every 30 s"},
    {Command::realtime_price, "realtime-price",
     "the price of one sat and of one US cent in a display currency"},
    {Command::my_updates, "my-updates",
     "the account's incoming payments and price ticks (needs --api-key or --auth-token)"},
    {Command::invoice_status, "invoice-status",
     "follow a Lightning invoice until PAID (exit 0) or EXPIRED (exit 5)"},
    {Command::subscribe, "subscribe", "run any subscription document"},
    {Command::raw, "raw",
     "websocat-style: send each stdin line as a frame, print each frame received"},
}};

constexpr std::string_view pass_a_subcommand =
    "pass one of price, realtime-price, my-updates, invoice-status, subscribe or raw";

constexpr std::string_view completion_name = "completion";

constexpr std::array<std::string_view, 2> currency_units{"BTCSAT", "USDCENT"};

// An option's text as typed; validation happens after CLI11 has parsed, so
// that every message has our wording and exit code.
struct Flag {
    explicit Flag(std::string flag_name) : name(std::move(flag_name)) {}

    std::string name;
    std::string value;
    CLI::Option* option = nullptr;

    bool given() const { return option->count() > 0; }
};

struct CommandLine {
    Flag endpoint{"--endpoint"};
    Flag api_key{"--api-key"};
    Flag auth_token{"--auth-token"};
    Flag count{"--count"};
    Flag connect_timeout{"--connect-timeout"};
    Flag keepalive{"--keepalive"};
    Flag retries{"--retries"};
    Flag proxy{"--proxy"};
    Flag cacert{"--cacert"};
    bool insecure = false;
    int verbose = 0;
    bool quiet = false;

    Flag amount{"--amount"};
    Flag amount_unit{"--amount-unit"};
    Flag price_unit{"--price-unit"};
    Flag currency{"--currency"};
    Flag payment_request{"--payment-request"};
    Flag payment_hash{"--payment-hash"};
    Flag query{"--query"};
    Flag variables{"--variables"};
    Flag operation_name{"--operation-name"};

    Flag shell{"SHELL"};

    // The values that shells offer for an option; validation stays in our hands.
    std::map<const CLI::Option*, std::vector<std::string>> choices;
};

// Values in messages are JSON-quoted so that control characters stay visible.
std::string in_quotes(std::string_view text) {
    return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string seconds_text(std::chrono::milliseconds duration) {
    std::ostringstream text;
    text << static_cast<double>(duration.count()) / 1000;
    return text.str();
}

std::string exit_code_table() {
    std::string table = "Exit codes:";
    for (const auto& info : exit_codes) {
        const auto code = std::to_string(to_int(info.code));
        table +=
            "\n  " + std::string(5 - code.size(), ' ') + code + "  " + std::string(info.meaning);
    }
    return table;
}

void add(CLI::App& app, Flag& flag, const std::string& names, const std::string& type_name,
         const std::string& description) {
    flag.option = app.add_option(names, flag.value, description)->type_name(type_name);
}

void define_global_options(CLI::App& app, CommandLine& line) {
    const ConnectionOptions defaults;

    add(app, line.endpoint, "-e,--endpoint", "URL",
        "ws:// or wss:// URL of the server (env BLINK_WS_ENDPOINT)\ndefault " +
            std::string(default_endpoint));
    add(app, line.api_key, "--api-key", "KEY", "Blink API key (env BLINK_API_KEY)");
    add(app, line.auth_token, "--auth-token", "TOKEN",
        "session token, sent as Bearer (env BLINK_AUTH_TOKEN)");
    add(app, line.count, "--count", "N", "end after N updates, all subscriptions together");
    add(app, line.connect_timeout, "--connect-timeout", "S",
        "seconds to connect and get connection_ack (default " +
            seconds_text(defaults.connect_timeout) + ")");
    add(app, line.keepalive, "--keepalive", "S",
        "seconds between pings; 0 turns them off (default " + seconds_text(defaults.keepalive) +
            ")");
    add(app, line.retries, "--retries", "N",
        "failed reconnects in a row before giving up (default " + std::to_string(defaults.retries) +
            ")\n-1 retries forever");
    add(app, line.proxy, "--proxy", "URL",
        "HTTP CONNECT proxy; without it HTTPS_PROXY, HTTP_PROXY,\nALL_PROXY and NO_PROXY "
        "are read as curl reads them");
    add(app, line.cacert, "--cacert", "FILE", "trust this PEM bundle instead of the system store");
    app.add_flag("--insecure", line.insecure, "skip certificate and host-name checks");
    app.add_flag("-v", line.verbose, "log more on stderr; repeat for more");
    app.add_flag("-q", line.quiet, "log less on stderr");
}

void define_subcommand_options(CLI::App& app, CommandLine& line) {
    auto* price = app.get_subcommand("price");
    add(*price, line.amount, "--amount", "N", "amount to convert (default 1)");
    add(*price, line.amount_unit, "--amount-unit", "UNIT",
        "unit of the amount: BTCSAT or USDCENT (default BTCSAT)");
    add(*price, line.price_unit, "--price-unit", "UNIT",
        "unit of the price: BTCSAT or USDCENT (default USDCENT)");
    for (const Flag* unit : {&line.amount_unit, &line.price_unit}) {
        line.choices[unit->option] = {currency_units.begin(), currency_units.end()};
    }

    add(*app.get_subcommand("realtime-price"), line.currency, "--currency", "CODE",
        "display currency, 3 or 4 letters (default USD)");

    auto* invoice = app.get_subcommand("invoice-status");
    add(*invoice, line.payment_request, "--payment-request", "PR",
        "the Lightning invoice (BOLT11)");
    add(*invoice, line.payment_hash, "--payment-hash", "HASH",
        "the invoice's payment hash, 64 hex characters");

    auto* subscribe = app.get_subcommand("subscribe");
    add(*subscribe, line.query, "--query", "TEXT|@FILE",
        "the subscription document, or @FILE (required)");
    add(*subscribe, line.variables, "--variables", "JSON|@FILE",
        "variables as a JSON object, or @FILE");
    add(*subscribe, line.operation_name, "--operation-name", "NAME",
        "which operation of the document to run");
}

void define(CLI::App& app, CommandLine& line) {
    // curl's rule: when a flag is repeated, the last one counts.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.set_help_flag("-h,--help", "print this help and exit");
    app.set_version_flag("--version", std::string(program) + " " + BLINK_SUB_VERSION,
                         "print the version and exit");
    app.get_formatter()->column_width(26);
    define_global_options(app, line);

    for (const auto& info : subcommands) {
        auto* subcommand =
            app.add_subcommand(std::string(info.name), std::string(info.description));
        subcommand->fallthrough();
        subcommand->footer("Global options (see 'blink-sub --help') may stand before or after "
                           "the subcommand.");
    }
    define_subcommand_options(app, line);

    auto* completion = app.add_subcommand(std::string(completion_name),
                                          "print a completion script for bash, zsh or fish");
    completion->fallthrough();
    line.shell.option = completion->add_option("shell", line.shell.value, "bash, zsh or fish")
                            ->type_name(line.shell.name);
    line.choices[line.shell.option] = {shell_names.begin(), shell_names.end()};
    completion->footer("Load it into the current shell:\n"
                       "  bash: source <(blink-sub completion bash)\n"
                       "  zsh:  source <(blink-sub completion zsh)   (after compinit)\n"
                       "  fish: blink-sub completion fish | source");

    app.require_subcommand(1);
    // Unknown arguments are collected rather than thrown, so that the message can
    // tell an unknown option from an unknown subcommand.
    app.allow_extras();
    app.footer("Global options may also stand after the subcommand.\n\n" + exit_code_table());
}

std::optional<std::string> env_value(const EnvLookup& env, std::string_view name) {
    auto value = env(name);
    if (value && value->empty()) {
        return std::nullopt;
    }
    return value;
}

template <typename Integer>
std::optional<Integer> parse_integer(std::string_view text) {
    Integer value{};
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || stop != end) {
        return std::nullopt;
    }
    return value;
}

std::uint64_t positive_integer(const Flag& flag) {
    const auto value = parse_integer<std::uint64_t>(flag.value);
    if (!value || *value == 0) {
        throw UsageError(flag.name + ": " + in_quotes(flag.value) + " is not a positive integer");
    }
    return *value;
}

std::chrono::milliseconds seconds(const Flag& flag, bool zero_allowed) {
    double value = 0;
    const char* end = flag.value.data() + flag.value.size();
    const auto [stop, ec] =
        std::from_chars(flag.value.data(), end, value, std::chars_format::fixed);
    const bool in_range = zero_allowed ? value >= 0 : value > 0;
    if (ec != std::errc{} || stop != end || !std::isfinite(value) || !in_range) {
        throw UsageError(flag.name + ": " + in_quotes(flag.value) + " is not a" +
                             (zero_allowed ? "" : " positive") + " number of seconds",
                         zero_allowed ? "pass 0 to turn it off, or a number such as 30 or 2.5"
                                      : "pass a number such as 10 or 2.5");
    }
    if (value > max_seconds) {
        throw UsageError(flag.name + ": " + in_quotes(flag.value) + " is more than a day",
                         "pass at most 86400");
    }
    // Rounding must not turn a small positive value into 0, which means "off".
    const auto milliseconds = std::max<long long>(std::llround(value * 1000), value > 0 ? 1 : 0);
    return std::chrono::milliseconds{milliseconds};
}

int retries(const Flag& flag) {
    const auto value = parse_integer<int>(flag.value);
    if (!value || *value < -1) {
        throw UsageError(flag.name + ": " + in_quotes(flag.value) +
                             " is not an integer of -1 or more",
                         "pass -1 to retry forever");
    }
    return *value;
}

std::string read_file(const Flag& flag, const std::string& path) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::fopen(path.c_str(), "rb"),
                                                               &std::fclose};
    std::string content;
    if (file) {
        std::array<char, 65536> buffer{};
        std::size_t read = 0;
        while ((read = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
            content.append(buffer.data(), read);
        }
    }
    if (!file || std::ferror(file.get())) {
        std::string reason = std::strerror(errno);
        reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
        throw UsageError(flag.name + ": cannot read " + in_quotes(path) + ": " + reason,
                         "check the file name and its permissions");
    }
    return content;
}

// `@FILE` stands for the file's content, as in curl's --data.
std::string text_or_file(const Flag& flag) {
    if (!flag.value.starts_with('@')) {
        return flag.value;
    }
    const std::string path = flag.value.substr(1);
    if (path.empty()) {
        throw UsageError(flag.name + ": \"@\" names no file", "pass @FILE with a file name");
    }
    return read_file(flag, path);
}

std::string currency_unit(const Flag& flag, std::string_view fallback) {
    if (!flag.given()) {
        return std::string(fallback);
    }
    std::string unit = flag.value;
    std::transform(unit.begin(), unit.end(), unit.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (std::find(currency_units.begin(), currency_units.end(), unit) == currency_units.end()) {
        throw UsageError(flag.name + ": " + in_quotes(flag.value) + " is not a currency unit",
                         "pass BTCSAT or USDCENT");
    }
    return unit;
}

std::string currency_code(const Flag& flag) {
    if (!flag.given()) {
        return "USD";
    }
    const std::string& code = flag.value;
    const bool letters =
        std::all_of(code.begin(), code.end(), [](unsigned char c) { return std::isalpha(c) != 0; });
    if (code.size() < 3 || code.size() > 4 || !letters) {
        throw UsageError(flag.name + ": " + in_quotes(code) +
                             " is not a 3- or 4-letter currency code",
                         "pass one such as USD or EUR");
    }
    std::string upper = code;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return upper;
}

std::string payment_hash(const Flag& flag) {
    std::string hash = flag.value;
    const bool hex = std::all_of(hash.begin(), hash.end(),
                                 [](unsigned char c) { return std::isxdigit(c) != 0; });
    if (hash.size() != 64 || !hex) {
        throw UsageError(flag.name + ": " + in_quotes(hash) + " is not 64 hexadecimal characters",
                         "pass the invoice's payment hash");
    }
    std::transform(hash.begin(), hash.end(), hash.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return hash;
}

std::string variables_json(const Flag& flag) {
    const std::string text = text_or_file(flag);
    const std::string source = flag.value.starts_with('@')
                                   ? flag.name + ": " + in_quotes(flag.value.substr(1))
                                   : flag.name;
    const std::string_view example = R"(pass a JSON object such as '{"input":{"currency":"EUR"}}')";

    nlohmann::json variables;
    try {
        variables = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 2:
        // syntax error ... - invalid literal; last read: ..."; keep the middle.
        std::string detail = e.what();
        const auto begin = detail.find("] ");
        detail = detail.substr(begin == std::string::npos ? 0 : begin + 2);
        detail = detail.substr(0, detail.find("; "));
        throw UsageError(source + " is not valid JSON (" + detail + ")", example);
    }
    if (!variables.is_object()) {
        const std::string type = variables.type_name();
        const std::string article = type == "null" ? "" : type == "array" ? "an " : "a ";
        throw UsageError(source + " must be a JSON object, not " + article + type, example);
    }
    return variables.dump();
}

// The subscribe frame is JSON, whose strings are UTF-8: other bytes could never be sent, so they
// are refused here, not at the server's acknowledgement. `source` names the flag (and @FILE).
void require_utf8(const std::string& text, const std::string& source) {
    try {
        static_cast<void>(nlohmann::json(text).dump());
    } catch (const nlohmann::json::type_error&) {
        throw UsageError(source + " is not valid UTF-8", "pass UTF-8 text");
    }
}

Operation subscribe_operation(const CommandLine& line) {
    if (!line.query.given()) {
        throw UsageError("subscribe needs --query TEXT or --query @FILE",
                         "see 'blink-sub subscribe --help'");
    }
    Operation operation;
    operation.query = text_or_file(line.query);
    if (operation.query.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw UsageError("--query: the document is empty", "pass a subscription document or @FILE");
    }
    require_utf8(operation.query, line.query.value.starts_with('@')
                                      ? "--query: " + in_quotes(line.query.value.substr(1))
                                      : "--query");
    if (line.variables.given()) {
        operation.variables = variables_json(line.variables);
    }
    require_utf8(line.operation_name.value, line.operation_name.name);
    operation.operation_name = line.operation_name.value;
    return operation;
}

Operation invoice_operation(const CommandLine& line) {
    const bool by_request = line.payment_request.given();
    const bool by_hash = line.payment_hash.given();
    if (by_request == by_hash) {
        throw UsageError(by_request ? "--payment-request and --payment-hash exclude each other"
                                    : "invoice-status needs --payment-request or --payment-hash",
                         "pass exactly one of them");
    }
    if (by_hash) {
        return invoice_by_payment_hash_operation(payment_hash(line.payment_hash));
    }
    if (line.payment_request.value.empty()) {
        throw UsageError("--payment-request: the invoice is empty", "pass a BOLT11 invoice");
    }
    return invoice_by_payment_request_operation(line.payment_request.value);
}

Operation operation_for(Command command, const CommandLine& line) {
    switch (command) {
    case Command::price: {
        const auto amount = line.amount.given() ? parse_integer<std::uint64_t>(line.amount.value)
                                                : std::optional<std::uint64_t>{1};
        if (!amount) {
            throw UsageError("--amount: " + in_quotes(line.amount.value) +
                             " is not a non-negative integer");
        }
        return price_operation(*amount, currency_unit(line.amount_unit, "BTCSAT"),
                               currency_unit(line.price_unit, "USDCENT"));
    }
    case Command::realtime_price:
        return realtime_price_operation(currency_code(line.currency));
    case Command::my_updates:
        return my_updates_operation();
    case Command::invoice_status:
        return invoice_operation(line);
    case Command::subscribe:
        return subscribe_operation(line);
    case Command::raw:
        break;
    }
    return {};
}

net::Endpoint endpoint(const CommandLine& line, const EnvLookup& env) {
    std::string source = line.endpoint.name;
    std::string url = line.endpoint.value;
    std::string what_to_do = "pass a URL such as " + std::string(default_endpoint);
    if (!line.endpoint.given()) {
        source = "BLINK_WS_ENDPOINT";
        url = env_value(env, source).value_or(std::string(default_endpoint));
        what_to_do = "fix BLINK_WS_ENDPOINT or pass --endpoint";
    }
    std::string error;
    auto parsed = net::parse_endpoint(url, error);
    if (!parsed) {
        throw UsageError(source + ": " + error, what_to_do);
    }
    return *parsed;
}

Secret secret(const Flag& flag, const EnvLookup& env, std::string_view variable) {
    if (flag.given()) {
        // An empty value is almost always an unset shell variable; say so.
        if (flag.value.empty()) {
            throw UsageError(flag.name + " is empty",
                             "pass a value or leave the flag out to use " + std::string(variable));
        }
        return Secret{flag.value};
    }
    return Secret{env_value(env, variable).value_or("")};
}

std::optional<net::Proxy> proxy(const Flag& flag, const net::Endpoint& endpoint,
                                const EnvLookup& env) {
    std::optional<std::string_view> flag_value;
    if (flag.given()) {
        flag_value = flag.value;
    }
    std::string error;
    auto chosen = net::select_proxy(endpoint, flag_value, env, error);
    if (!error.empty()) {
        throw UsageError(error, flag.given() ? "pass a URL such as http://proxy.example:3128"
                                             : "fix the variable, or pass --proxy URL (or "
                                               "--proxy '' to connect directly)");
    }
    return chosen;
}

ConnectionOptions connection_options(const CommandLine& line, const EnvLookup& env) {
    ConnectionOptions connection;
    connection.endpoint = endpoint(line, env);
    connection.api_key = secret(line.api_key, env, "BLINK_API_KEY");
    connection.auth_token = secret(line.auth_token, env, "BLINK_AUTH_TOKEN");
    if (line.connect_timeout.given()) {
        connection.connect_timeout = seconds(line.connect_timeout, false);
    }
    if (line.keepalive.given()) {
        connection.keepalive = seconds(line.keepalive, true);
    }
    if (line.retries.given()) {
        connection.retries = retries(line.retries);
    }
    connection.proxy = proxy(line.proxy, connection.endpoint, env);
    if (line.cacert.given()) {
        read_file(line.cacert, line.cacert.value);
        connection.cacert = line.cacert.value;
    }
    connection.insecure = line.insecure;
    return connection;
}

Command selected_command(const CLI::App& app) {
    const auto name = app.get_subcommands().front()->get_name();
    return std::find_if(subcommands.begin(), subcommands.end(),
                        [&](const SubcommandInfo& info) { return info.name == name; })
        ->command;
}

Options options_from(const CLI::App& app, const CommandLine& line, const EnvLookup& env) {
    Options options;
    options.command = selected_command(app);
    options.connection = connection_options(line, env);
    if (line.count.given()) {
        options.count = positive_integer(line.count);
    }
    options.verbosity = line.verbose - (line.quiet ? 1 : 0);

    if (options.command == Command::my_updates && options.connection.api_key.empty() &&
        options.connection.auth_token.empty()) {
        throw UsageError("my-updates needs an API key or an auth token",
                         "pass --api-key or set BLINK_API_KEY");
    }
    options.operation = operation_for(options.command, line);
    return options;
}

CompletionOption completion_option(const CLI::Option& option, const CommandLine& line) {
    CompletionOption completion;
    for (const auto& name : option.get_snames()) {
        completion.names.push_back("-" + name);
    }
    for (const auto& name : option.get_lnames()) {
        completion.names.push_back("--" + name);
    }
    completion.description = option.get_description();
    std::replace(completion.description.begin(), completion.description.end(), '\n', ' ');
    completion.repeatable = option.get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
    if (option.get_expected_max() == 0) {
        return completion;
    }

    completion.value_name = option.get_type_name();
    if (const auto found = line.choices.find(&option); found != line.choices.end()) {
        completion.value = ValueKind::choice;
        completion.choices = found->second;
    } else if (completion.value_name == "FILE") {
        completion.value = ValueKind::file;
    } else if (completion.value_name.ends_with("|@FILE")) {
        completion.value = ValueKind::text_or_file;
    } else {
        completion.value = ValueKind::text;
    }
    return completion;
}

// Read off the parser itself, so that completions cannot drift from what it accepts.
CompletionSpec completion_spec(const CLI::App& app, const CommandLine& line) {
    CompletionSpec spec;
    spec.program = program;
    for (const auto* option : app.get_options()) {
        spec.global_options.push_back(completion_option(*option, line));
    }
    for (const auto* subcommand : app.get_subcommands([](const CLI::App*) { return true; })) {
        CompletionCommand command{subcommand->get_name(), subcommand->get_description(), {}, {}};
        for (const auto* option : subcommand->get_options()) {
            auto completion = completion_option(*option, line);
            if (!option->get_positional()) {
                command.options.push_back(std::move(completion));
            } else if (completion.value == ValueKind::choice) {
                command.argument_choices = completion.choices;
            }
        }
        spec.commands.push_back(std::move(command));
    }
    return spec;
}

CliResult completion_result(const CLI::App& app, const CommandLine& line) {
    const auto shell = shell_named(line.shell.value);
    if (!shell) {
        throw UsageError(line.shell.given() ? "completion: " + in_quotes(line.shell.value) +
                                                  " is not a shell it knows"
                                            : "completion needs a shell",
                         "pass bash, zsh or fish");
    }
    CliResult result;
    result.out = completion_script(completion_spec(app, line), *shell);
    return result;
}

std::string unexpected_argument(const CLI::App& app, const std::string& argument) {
    const auto selected = app.get_subcommands();
    const std::string see_command_help =
        selected.empty() ? std::string(see_help)
                         : "see 'blink-sub " + selected.front()->get_name() + " --help'";
    if (argument.starts_with('-')) {
        return "unknown option " + in_quotes(argument) + "; " + see_command_help;
    }
    if (selected.empty()) {
        return "unknown subcommand " + in_quotes(argument) + "; " + std::string(pass_a_subcommand);
    }
    const auto is_subcommand = [&](const SubcommandInfo& info) { return info.name == argument; };
    if (std::any_of(subcommands.begin(), subcommands.end(), is_subcommand)) {
        return "one subcommand at a time: " + in_quotes(argument) + " follows " +
               in_quotes(selected.front()->get_name()) + "; run them separately";
    }
    return "unexpected argument " + in_quotes(argument) + "; " + see_command_help;
}

// CLI11's messages start with the option's name, e.g. "--count: 1 required N missing".
std::string option_in(const std::string& message) {
    if (!message.starts_with('-')) {
        return {};
    }
    return message.substr(0, message.find_first_of(": "));
}

std::string describe(const CLI::App& app, const CLI::ParseError& error) {
    const std::string message = error.what();

    if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr &&
        !option_in(message).empty()) {
        return option_in(message) + " needs a value; " + std::string(see_help);
    }

    const auto extras = app.remaining(true);
    if (!extras.empty()) {
        return unexpected_argument(app, extras.front());
    }

    if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr &&
        app.get_subcommands().empty()) {
        return "a subcommand is required; " + std::string(pass_a_subcommand);
    }

    const std::string prefix = "Could not convert: ";
    if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr &&
        message.starts_with(prefix)) {
        const auto name = message.substr(prefix.size(), message.find(" = ") - prefix.size());
        return name + " takes no value; " + std::string(see_help);
    }

    std::string text = message;
    if (!text.empty()) {
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    return text + "; " + std::string(see_help);
}

// Whatever CLI11 echoes back, the key, the token and a proxy's password must not reach the
// terminal.
std::vector<std::string> secrets_in(const std::vector<std::string>& args, const EnvLookup& env) {
    std::vector<std::string> secrets;
    for (std::size_t i = 1; i < args.size(); ++i) {
        for (const std::string_view flag : {"--api-key", "--auth-token", "--proxy"}) {
            const std::string with_value = std::string(flag) + "=";
            std::string_view value;
            if (args[i] == flag && i + 1 < args.size()) {
                value = args[i + 1];
            } else if (args[i].starts_with(with_value)) {
                value = std::string_view(args[i]).substr(with_value.size());
            }
            if (!value.empty()) {
                secrets.emplace_back(flag == "--proxy" ? net::proxy_credentials(value) : value);
            }
        }
    }
    for (const std::string_view variable : {"BLINK_API_KEY", "BLINK_AUTH_TOKEN"}) {
        if (auto value = env_value(env, variable)) {
            secrets.push_back(*value);
        }
    }
    return secrets;
}

std::string redacted(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets) {
        if (secret.empty()) {
            continue;
        }
        for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
            text.replace(at, secret.size(), "***");
        }
    }
    return text;
}

CliResult usage_error(const std::string& message, const std::vector<std::string>& args,
                      const EnvLookup& env) {
    CliResult result;
    result.exit_code = to_int(ExitCode::usage);
    // The program name is added after redaction: a key as short as "b" must not eat into it.
    result.err = std::string(program) + ": " + redacted(message, secrets_in(args, env)) + "\n";
    return result;
}

bool takes_value(const CLI::App& app, const std::string& name) {
    std::vector<const CLI::App*> scopes = {&app};
    for (const auto& info : subcommands) {
        scopes.push_back(app.get_subcommand(std::string(info.name)));
    }
    return std::any_of(scopes.begin(), scopes.end(), [&](const CLI::App* scope) {
        const auto* option = scope->get_option_no_throw(name);
        return option != nullptr && option->get_type_size() > 0;
    });
}

// CLI11 reads "--api-key=" as "--api-key" and takes the next argument as its
// value; an empty value (an unset shell variable) must stay an empty value.
std::vector<std::string> with_empty_values_split(const CLI::App& app,
                                                 const std::vector<std::string>& args) {
    std::vector<std::string> split;
    for (const auto& arg : args) {
        const auto name = arg.substr(0, arg.size() - 1);
        if (arg.starts_with("--") && arg.ends_with('=') && takes_value(app, name)) {
            split.push_back(name);
            split.emplace_back();
        } else {
            split.push_back(arg);
        }
    }
    return split;
}

} // namespace

CliResult parse_cli(const std::vector<std::string>& args, const EnvLookup& env) {
    CLI::App app{"Stream Blink GraphQL subscriptions over WebSocket as JSON lines on stdout.",
                 std::string(program)};
    CommandLine line;
    define(app, line);

    const auto split_args = with_empty_values_split(app, args);
    std::vector<const char*> argv;
    if (split_args.empty()) {
        argv.push_back("blink-sub");
    }
    for (const auto& arg : split_args) {
        argv.push_back(arg.c_str());
    }

    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
        if (const auto extras = app.remaining(true); !extras.empty()) {
            return usage_error(unexpected_argument(app, extras.front()), args, env);
        }
        if (app.get_subcommands().front()->get_name() == completion_name) {
            return completion_result(app, line);
        }
        CliResult result;
        result.options = options_from(app, line, env);
        return result;
    } catch (const CLI::CallForVersion& version) {
        CliResult result;
        result.out = std::string(version.what()) + "\n";
        return result;
    } catch (const CLI::CallForHelp&) {
        CliResult result;
        result.out = app.help("", CLI::AppFormatMode::All);
        // CLI11 leaves two blank lines between the last subcommand and the footer.
        if (const auto at = result.out.find("\n\n\n"); at != std::string::npos) {
            result.out.erase(at, 1);
        }
        return result;
    } catch (const CLI::ParseError& error) {
        return usage_error(describe(app, error), args, env);
    } catch (const UsageError& error) {
        return usage_error(error.what(), args, env);
    }
}

std::optional<std::string> process_env(std::string_view name) {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(value);
}

} // namespace blink_sub
