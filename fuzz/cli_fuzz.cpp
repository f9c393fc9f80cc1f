// The user's side of the input: parse_cli with fuzzed --query, --variables and
// --operation-name values, each typed inline or read from @FILE, and then the
// subscribe frame that carries them to the server.
//
// The first byte holds flags (see `flag`); the rest is split at NUL bytes into
// the query, the variables and the operation name. With flag::argv set, the
// pieces are instead a whole command line after the program name.
#include "blink_sub/cli.hpp"
#include "blink_sub/protocol/message.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

using namespace blink_sub;

namespace flag {
constexpr unsigned query_file = 1;
constexpr unsigned variables_file = 2;
constexpr unsigned variables = 4;
constexpr unsigned operation_name = 8;
constexpr unsigned argv = 16;
} // namespace flag

void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "cli_fuzz: %s\n", what);
        std::abort();
    }
}

std::vector<std::string> split(std::string_view text) {
    std::vector<std::string> parts;
    for (;;) {
        const auto at = text.find('\0');
        parts.emplace_back(text.substr(0, at));
        if (at == std::string_view::npos) {
            return parts;
        }
        text.remove_prefix(at + 1);
    }
}

// `@FILE` as the user would pass it, naming a file that holds `content`.
std::string at_file(int index, const std::string& content) {
    const auto path =
        std::filesystem::temp_directory_path() /
        ("blink-sub-cli-fuzz-" + std::to_string(::getpid()) + "-" + std::to_string(index));
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    return "@" + path.string();
}

std::vector<std::string> subscribe_args(unsigned flags, const std::vector<std::string>& parts) {
    const auto part = [&](std::size_t i) { return i < parts.size() ? parts[i] : std::string(); };
    std::vector<std::string> args = {"blink-sub", "subscribe", "--query"};
    args.push_back((flags & flag::query_file) != 0 ? at_file(0, part(0)) : part(0));
    if ((flags & flag::variables) != 0) {
        args.emplace_back("--variables");
        args.push_back((flags & flag::variables_file) != 0 ? at_file(1, part(1)) : part(1));
    }
    if ((flags & flag::operation_name) != 0) {
        args.emplace_back("--operation-name");
        args.push_back(part(2));
    }
    return args;
}

// A whole command line, less what would read a file the fuzzer did not write
// (an endless /dev/zero is not a finding).
std::vector<std::string> free_args(const std::vector<std::string>& parts) {
    std::vector<std::string> args = {"blink-sub"};
    for (const auto& part : parts) {
        if (!part.starts_with('@') && !part.starts_with("--cacert")) {
            args.push_back(part);
        }
    }
    return args;
}

void check_options(const Options& options) {
    const auto& operation = options.operation;
    if (options.command == Command::raw) {
        return;
    }
    check(!operation.query.empty(), "an operation without a document");
    if (!operation.variables.empty()) {
        check(nlohmann::json::accept(operation.variables), "the variables are not JSON");
        check(nlohmann::json::parse(operation.variables).is_object(),
              "the variables are not an object");
    }
    // What goes on the wire must be built without an exception, as JSON.
    check(nlohmann::json::accept(protocol::encode_subscribe("1", operation)),
          "the subscribe frame is not JSON");
    const Secret init =
        connection_init_payload(options.connection.api_key, options.connection.auth_token);
    check(nlohmann::json::accept(protocol::encode_connection_init(init).reveal()),
          "the connection_init frame is not JSON");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const unsigned flags = data[0];
    const auto parts = split(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    const auto args = (flags & flag::argv) != 0 ? free_args(parts) : subscribe_args(flags, parts);

    const CliResult result =
        parse_cli(args, [](std::string_view) -> std::optional<std::string> { return {}; });
    if (result.options) {
        check(result.exit_code == 0 && result.err.empty(), "options come with an error");
        check_options(*result.options);
        return 0;
    }
    check(result.exit_code == 0 || result.exit_code == 2, "an exit code other than 0 or 2");
    if (result.exit_code == 2) {
        check(result.err.starts_with("blink-sub: ") && result.err.ends_with('\n'),
              "a usage error not in the form \"blink-sub: ...\\n\"");
        check(result.err.find('\n') == result.err.size() - 1, "a usage error spans lines");
    }
    return 0;
}
