#include "blink_sub/runner.hpp"

#include "blink_sub/log.hpp"
#include "blink_sub/net/connection.hpp"
#include "blink_sub/output.hpp"
#include "blink_sub/protocol/close_code.hpp"
#include "blink_sub/protocol/session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>

namespace blink_sub {

namespace {

namespace asio = boost::asio;
using protocol::Clock;

// How long the closing handshake may take before the socket is dropped.
constexpr std::chrono::seconds close_grace{2};

spdlog::level::level_enum to_spdlog(protocol::LogLevel level) {
    switch (level) {
    case protocol::LogLevel::trace:
        return spdlog::level::trace;
    case protocol::LogLevel::debug:
        return spdlog::level::debug;
    case protocol::LogLevel::info:
        return spdlog::level::info;
    case protocol::LogLevel::warn:
        return spdlog::level::warn;
    case protocol::LogLevel::error:
        return spdlog::level::err;
    }
    return spdlog::level::info;
}

std::string endpoint_url(const net::Endpoint& endpoint) {
    return (endpoint.secure ? "wss://" : "ws://") + endpoint.host_and_port() + endpoint.target;
}

protocol::SessionConfig session_config(const Options& options) {
    protocol::SessionConfig config;
    config.init_payload =
        connection_init_payload(options.connection.api_key, options.connection.auth_token);
    config.operations.push_back(options.operation);
    config.count = options.count;
    config.keepalive = options.connection.keepalive;
    return config;
}

// `raw` ends when the server closes: a normal close is success, an auth
// close is exit 3, anything else a failure.
ExitCode raw_exit_code(std::uint16_t code) {
    if (code == protocol::close_code::normal) {
        return ExitCode::ok;
    }
    if (protocol::classify_close(code) == protocol::CloseClass::auth_rejected) {
        return ExitCode::auth_rejected;
    }
    return ExitCode::failure;
}

class Runner {
  public:
    struct StdinRelay {
        std::mutex mutex;
        Runner* runner = nullptr;
    };

    explicit Runner(const Options& options)
        : options_(options), connection_(io_.get_executor(), options.connection.endpoint,
                                         {options.connection.cacert, options.connection.insecure}),
          session_(session_config(options)) {}

    ~Runner() {
        if (relay_) {
            std::lock_guard lock(relay_->mutex);
            relay_->runner = nullptr;
        }
    }
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    ExitCode run() {
        if (options_.connection.insecure) {
            spdlog::warn("--insecure: the server's certificate and host name are not checked");
        }
        signals_.async_wait([this](auto error, int signal) {
            if (!error) {
                on_signal(signal);
            }
        });
        asio::co_spawn(io_, main_loop(), asio::detached);
        io_.run();
        return exit_.value_or(ExitCode::failure);
    }

  private:
    struct CloseRequest {
        std::uint16_t code;
        std::string reason;
    };
    using Outgoing = std::variant<Secret, CloseRequest>;

    bool raw() const { return options_.command == Command::raw; }

    asio::awaitable<void> main_loop() {
        const auto& endpoint = options_.connection.endpoint;
        spdlog::info("connecting to {}", endpoint_url(endpoint));
        auto deadline = Clock::now() + options_.connection.connect_timeout;

        net::Status status = co_await connection_.open(deadline);
        if (!status.ok()) {
            if (!exit_) {
                spdlog::error("{}", status.message);
                exit_ = ExitCode::failure;
            }
            co_return finish_io();
        }
        if (exit_) {
            co_return finish_io(); // a signal arrived while connecting
        }
        socket_open_ = true;
        spdlog::info("connected to {}", endpoint.host_and_port());

        if (raw()) {
            start_stdin_relay();
        } else {
            apply(session_.on_open(Clock::now(), deadline));
        }
        co_await read_loop();
        finish_io();
    }

    asio::awaitable<void> read_loop() {
        for (;;) {
            std::string_view frame;
            net::Status status = co_await connection_.read(frame);
            if (!status.ok()) {
                socket_open_ = false;
                on_socket_closed(status);
                co_return;
            }
            spdlog::trace("received: {}", frame.substr(0, 1000));
            if (raw()) {
                on_raw_frame(frame);
            } else {
                apply(session_.on_text(frame, Clock::now()));
            }
        }
    }

    void on_socket_closed(const net::Status& status) {
        const net::CloseInfo& info = connection_.close_info();
        std::string reason = status.kind == net::Status::Kind::failed && !status.message.empty()
                                 ? status.message
                                 : info.reason;
        spdlog::debug("connection closed ({})", info.code);
        if (!raw()) {
            apply(session_.on_closed(info.code, reason, Clock::now()));
            return;
        }
        if (!exit_) {
            ExitCode code = raw_exit_code(info.code);
            if (code != ExitCode::ok) {
                spdlog::error("connection closed ({}{}{})", info.code, reason.empty() ? "" : ": ",
                              reason);
            }
            exit_ = code;
        }
    }

    void on_raw_frame(std::string_view frame) {
        if (exit_) {
            return;
        }
        if (!output_.write_line(frame)) {
            end(ExitCode::ok);
            return;
        }
        // --count counts `next` messages here too, not acks or pings.
        std::string error;
        if (options_.count != 0 && raw_decoder_.decode(frame, raw_message_, error) &&
            raw_message_.type == protocol::MessageType::next && ++received_ >= options_.count) {
            end(ExitCode::ok);
        }
    }

    // raw: every stdin line is one text frame. A thread, because stdin may be
    // a regular file or a terminal, which the reactor cannot wait on. EOF on
    // stdin leaves the connection open (websocat's behaviour). The thread may
    // outlive the runner, blocked in a read: it posts only while `relay_`
    // still points here.
    void start_stdin_relay() {
        relay_ = std::make_shared<StdinRelay>();
        relay_->runner = this;
        std::thread([relay = relay_] {
            std::string line;
            while (std::getline(std::cin, line)) {
                std::lock_guard lock(relay->mutex);
                if (relay->runner == nullptr) {
                    return;
                }
                asio::post(relay->runner->io_, [runner = relay->runner, line]() mutable {
                    if (runner->socket_open_ && !runner->exit_) {
                        runner->send(Secret(std::move(line)));
                    }
                });
            }
        }).detach();
    }

    // Ends a run outside the session (raw mode, closed stdout).
    void end(ExitCode code) {
        if (raw()) {
            if (!exit_) {
                exit_ = code;
                queue(CloseRequest{protocol::close_code::normal, ""});
            }
            return;
        }
        apply(session_.on_stop(code));
    }

    void apply(protocol::Actions actions) {
        bool stdout_closed = false;
        for (auto& action : actions) {
            if (auto* send_text = std::get_if<protocol::SendText>(&action)) {
                spdlog::debug("sending {}", send_text->description);
                send(std::move(send_text->text));
            } else if (auto* emit = std::get_if<protocol::EmitLine>(&action)) {
                if (!stdout_closed && !output_.write_line(emit->line)) {
                    stdout_closed = true;
                }
            } else if (auto* log = std::get_if<protocol::Log>(&action)) {
                spdlog::log(to_spdlog(log->level), "{}", log->text);
            } else if (auto* close = std::get_if<protocol::CloseSocket>(&action)) {
                queue(CloseRequest{close->code, std::move(close->reason)});
            } else if (auto* finish = std::get_if<protocol::Finish>(&action)) {
                exit_ = exit_.value_or(finish->code);
            }
        }
        if (stdout_closed && !exit_) {
            spdlog::debug("stdout closed; ending");
            apply(session_.on_stop(ExitCode::ok));
        }
        arm_timer();
    }

    void arm_timer() {
        auto deadline = session_.next_deadline();
        if (!deadline || exit_) {
            timer_.cancel();
            return;
        }
        timer_.expires_at(*deadline);
        timer_.async_wait([this](auto error) {
            if (!error) {
                apply(session_.on_tick(Clock::now()));
            }
        });
    }

    void on_signal(int signal) {
        ExitCode code = signal == SIGINT ? ExitCode::interrupted : ExitCode::terminated;
        spdlog::info("{}; closing", signal == SIGINT ? "interrupted" : "terminated");
        if (!socket_open_) {
            exit_ = exit_.value_or(code);
            connection_.abort();
            return;
        }
        if (raw()) {
            end(code);
        } else {
            apply(session_.on_stop(code));
        }
        // A second signal means "now".
        signals_.async_wait([this](auto error, int) {
            if (!error) {
                connection_.abort();
            }
        });
    }

    void send(Secret text) { queue(std::move(text)); }

    void queue(Outgoing item) {
        if (!socket_open_) {
            return;
        }
        if (std::holds_alternative<CloseRequest>(item)) {
            close_guard_.expires_after(close_grace);
            close_guard_.async_wait([this](auto error) {
                if (!error) {
                    spdlog::debug("closing handshake timed out; dropping the connection");
                    connection_.abort();
                }
            });
        }
        outbox_.push_back(std::move(item));
        if (!writing_) {
            writing_ = true;
            asio::co_spawn(io_, write_loop(), asio::detached);
        }
    }

    asio::awaitable<void> write_loop() {
        while (!outbox_.empty() && socket_open_) {
            Outgoing item = std::move(outbox_.front());
            outbox_.pop_front();
            net::Status status;
            if (auto* text = std::get_if<Secret>(&item)) {
                status = co_await connection_.write(text->reveal());
            } else {
                auto& close = std::get<CloseRequest>(item);
                status = co_await connection_.close(close.code, close.reason);
                outbox_.clear();
            }
            if (!status.ok()) {
                spdlog::debug("write failed: {}", status.message);
                break;
            }
        }
        writing_ = false;
    }

    // Nothing more will be read: stop every timer so io_context::run returns.
    void finish_io() {
        socket_open_ = false;
        timer_.cancel();
        close_guard_.cancel();
        signals_.cancel();
        connection_.abort();
    }

    const Options& options_;
    asio::io_context io_;
    asio::signal_set signals_{io_, SIGINT, SIGTERM};
    asio::steady_timer timer_{io_};
    asio::steady_timer close_guard_{io_};
    net::Connection connection_;
    protocol::Session session_;
    Output output_;
    std::deque<Outgoing> outbox_;
    bool writing_ = false;
    bool socket_open_ = false;
    protocol::FrameDecoder raw_decoder_;
    protocol::ServerMessage raw_message_;
    std::uint64_t received_ = 0;
    std::optional<ExitCode> exit_;
    std::shared_ptr<StdinRelay> relay_;
};

} // namespace

ExitCode run(const Options& options) {
    Runner runner(options);
    return runner.run();
}

} // namespace blink_sub
