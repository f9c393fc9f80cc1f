// Drives protocol::Session with a script of events, one per line, the way
// the runner would: server frames in any order, clock steps, closes, signals.
//
//   first line   COUNT KEEPALIVE_MS OPERATIONS INVOICE   (each optional)
//   o[MS]        the socket opens; connection_ack is due MS later (default 10000)
//   f FRAME      a text frame arrives
//   t[MS]        MS pass; the session ticks if a deadline is due
//   c[CODE] WHY  the socket closes with CODE (default 1006)
//   s[CODE]      a signal: stop with exit code CODE (default 130)
//   g WHY        the reconnect policy gives up
//
// Events the runner could not produce at that point (a frame on a closed
// socket, a second open) are skipped.
#include "blink_sub/protocol/session.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using namespace blink_sub;
using namespace blink_sub::protocol;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "session_fuzz: %s\n", what);
    std::abort();
}

void check(bool condition, const char* what) {
    if (!condition) {
        fail(what);
    }
}

template <typename Integer>
Integer number(std::string_view text, Integer fallback, Integer low, Integer high) {
    Integer value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end == text.data()) {
        return fallback;
    }
    return std::clamp(value, low, high);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    while (!text.empty()) {
        const auto at = text.find(separator);
        parts.push_back(text.substr(0, at));
        text = at == std::string_view::npos ? std::string_view{} : text.substr(at + 1);
    }
    return parts;
}

SessionConfig config_from(std::string_view line) {
    const auto words = split(line, ' ');
    const auto word = [&](std::size_t i) { return i < words.size() ? words[i] : ""; };

    SessionConfig config;
    config.init_payload = Secret(R"({"X-API-KEY":"fuzz-key"})");
    config.count = number<std::uint64_t>(word(0), 0, 0, 5);
    config.keepalive = std::chrono::milliseconds(number<int>(word(1), 0, 0, 120'000));
    const int operations = number<int>(word(2), 1, 1, 3);
    const bool invoice = word(3) == "1";
    for (int i = 0; i < operations; ++i) {
        config.operations.push_back(
            {.query = "subscription { x }",
             .variables = i == 0 ? "" : R"({"i":)" + std::to_string(i) + "}",
             .operation_name = i == 1 ? "Named" : "",
             .ends_at_final_status = invoice});
    }
    return config;
}

// What the runner knows about the run, and the rules every action must keep.
class Harness {
  public:
    explicit Harness(SessionConfig config) : count_(config.count), session_(std::move(config)) {}

    void step(std::string_view line) {
        const char kind = line.empty() ? ' ' : line.front();
        const std::string_view rest = line.substr(line.empty() ? 0 : 1);
        switch (kind) {
        case 'o':
            if (!socket_open_ && !finished_) {
                socket_open_ = true;
                closing_ = false;
                reconnecting_ = false;
                const auto wait = std::chrono::milliseconds(number<int>(rest, 10'000, 0, 60'000));
                apply(session_.on_open(now_, now_ + wait), true);
            }
            break;
        case 'f':
            if (socket_open_) {
                // The frame lives until its actions are carried out, as in the runner.
                const std::string frame(rest.substr(rest.empty() ? 0 : 1));
                apply(session_.on_text(frame, now_), true);
            }
            break;
        case 't':
            now_ += std::chrono::milliseconds(number<int>(rest, 1'000, 0, 600'000));
            if (const auto deadline = session_.next_deadline(); deadline && now_ >= *deadline) {
                apply(session_.on_tick(now_), socket_open_);
            }
            break;
        case 'c':
            if (socket_open_) {
                socket_open_ = false;
                const auto space = rest.find(' ');
                const auto code = number<std::uint16_t>(rest.substr(0, space), 1006, 0, 65535);
                const auto reason = space == std::string_view::npos ? "" : rest.substr(space + 1);
                apply(session_.on_closed(code, reason, now_), false);
            }
            break;
        case 's':
            apply(session_.on_stop(static_cast<ExitCode>(number<int>(rest, 130, 0, 255))),
                  socket_open_);
            break;
        case 'g':
            if (reconnecting_ && !finished_) {
                apply(session_.on_give_up(std::string(rest)), false);
            }
            break;
        default:
            break;
        }
        if (finished_) {
            check(session_.finished(), "Finish was given but the session runs on");
            check(!session_.next_deadline(), "a finished session still wants a tick");
        }
    }

  private:
    void apply(const Actions& actions, bool socket_open) {
        for (const auto& action : actions) {
            if (std::holds_alternative<Log>(action)) {
                continue;
            }
            check(!finished_, "an action other than a log after Finish");
            if (const auto* send = std::get_if<SendText>(&action)) {
                check(socket_open && !closing_, "a frame sent without an open socket");
                check(nlohmann::json::accept(send->text.reveal()), "a frame sent is not JSON");
                check(!send->description.empty(), "a frame sent has no description");
            } else if (const auto* emit = std::get_if<EmitLine>(&action)) {
                check(socket_open, "a line emitted with no frame read");
                check(emit->line.starts_with('{'), "a line emitted is not a JSON object");
                check(nlohmann::json::accept(emit->line), "a line emitted is not valid JSON");
                ++lines_;
                check(count_ == 0 || lines_ <= count_, "more lines than --count");
            } else if (std::holds_alternative<CloseSocket>(action)) {
                check(socket_open && !closing_, "a close without an open socket, or twice");
                closing_ = true;
            } else if (std::holds_alternative<Finish>(action)) {
                finished_ = true;
            } else if (std::holds_alternative<Reconnect>(action)) {
                check(!closing_, "a reconnect after the close began");
                socket_open_ = false;
                reconnecting_ = true;
                socket_open = false;
            }
        }
    }

    std::uint64_t count_;
    Session session_;
    TimePoint now_{};
    std::uint64_t lines_ = 0;
    bool socket_open_ = false;
    bool closing_ = false;
    bool reconnecting_ = false;
    bool finished_ = false;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view script(reinterpret_cast<const char*>(data), size);
    const auto lines = split(script, '\n');
    Harness harness(config_from(lines.empty() ? "" : lines.front()));
    for (std::size_t i = 1; i < lines.size(); ++i) {
        harness.step(lines[i]);
    }
    return 0;
}
