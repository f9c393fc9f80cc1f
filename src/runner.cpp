#include "blink_sub/runner.hpp"

#include "blink_sub/log.hpp"
#include "blink_sub/net/connection.hpp"
#include "blink_sub/output.hpp"
#include "blink_sub/protocol/close_code.hpp"
#include "blink_sub/protocol/reconnect_policy.hpp"
#include "blink_sub/protocol/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
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

std::string seconds(std::chrono::milliseconds duration) {
    return fmt::format("{:.1f} s", static_cast<double>(duration.count()) / 1000);
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
    explicit Runner(const Options& options)
        : options_(options), session_(session_config(options)),
          policy_({.retries = options.connection.retries}) {}

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
        // When main_loop is done, so is the run: stop rather than wait for
        // stray timers (Beast's own close timeout among them).
        asio::co_spawn(io_, main_loop(), [this](const std::exception_ptr& error) {
            if (error) {
                try {
                    std::rethrow_exception(error);
                } catch (const std::exception& e) {
                    spdlog::error("internal error: {}", e.what());
                }
                exit_ = ExitCode::failure;
            }
            io_.stop();
        });
        io_.run();
        return exit_.value_or(ExitCode::failure);
    }

  private:
    struct CloseRequest {
        std::uint16_t code;
        std::string reason;
    };
    using Outgoing = std::variant<Secret, CloseRequest>;

    // The stdin thread of `raw` posts here while the runner lives.
    struct StdinRelay {
        std::mutex mutex;
        Runner* runner = nullptr;
    };

    bool raw() const { return options_.command == Command::raw; }

    asio::awaitable<void> main_loop() {
        for (;;) {
            co_await connect_and_read();
            if (exit_) {
                break;
            }
            if (raw()) {
                // raw has no session to judge the loss, and never reconnects.
                spdlog::error("{}", cause_);
                exit_ = ExitCode::failure;
                break;
            }
            auto delay =
                retryable_ ? policy_.next_delay(Clock::now(), jitter_(random_)) : std::nullopt;
            if (!delay) {
                apply(session_.on_give_up(give_up_text()));
                break;
            }
            spdlog::warn("{}; reconnecting in {} (attempt {})", cause_, seconds(*delay),
                         policy_.attempt());
            backoff_.expires_after(*delay);
            co_await backoff_.async_wait(asio::as_tuple(asio::use_awaitable));
            if (exit_) {
                break;
            }
        }
        finish_io();
    }

    std::string give_up_text() const {
        if (!retryable_ || !policy_.acknowledged_once()) {
            return cause_;
        }
        if (options_.connection.retries == 0) {
            return cause_ + "; not reconnecting (--retries 0)";
        }
        return fmt::format("{}; giving up after {} failed attempts (--retries {})", cause_,
                           policy_.attempt(), options_.connection.retries);
    }

    // One connection, from opening to the end of its reads. Leaves cause_ and
    // retryable_ saying why it ended, unless the run is over.
    asio::awaitable<void> connect_and_read() {
        const auto& endpoint = options_.connection.endpoint;
        if (options_.connection.proxy) {
            spdlog::info("connecting to {} via proxy {}", endpoint_url(endpoint),
                         options_.connection.proxy->display);
        } else {
            spdlog::info("connecting to {}", endpoint_url(endpoint));
        }
        const auto deadline = Clock::now() + options_.connection.connect_timeout;
        retryable_ = true;
        auto connection = std::make_shared<net::Connection>(
            io_.get_executor(), endpoint,
            net::TlsOptions{options_.connection.cacert, options_.connection.insecure},
            options_.connection.proxy);
        connection_ = connection;

        net::Status status = co_await connection->open(deadline);
        // Counted when the opening ends, which is after the server saw the upgrade: a server
        // that counts upgrades then never finds more within its window than the limit either.
        policy_.on_attempt(Clock::now());
        if (exit_) {
            co_return; // a signal arrived while connecting
        }
        if (!status.ok()) {
            cause_ = status.message;
            retryable_ = status.retryable;
            co_return;
        }
        socket_open_ = true;
        acknowledged_ = false;
        spdlog::info("connected to {}", endpoint.host_and_port());

        if (raw()) {
            start_stdin_relay();
        } else {
            apply(session_.on_open(Clock::now(), deadline));
        }
        co_await read_loop(connection);
    }

    asio::awaitable<void> read_loop(std::shared_ptr<net::Connection> connection) {
        for (;;) {
            std::string_view frame;
            net::Status status = co_await connection->read(frame);
            if (connection != connection_) {
                co_return; // dropped for a reconnect
            }
            if (!status.ok()) {
                socket_open_ = false;
                on_socket_closed(*connection, status);
                co_return;
            }
            // Frames that have already arrived are taken without suspending, and they all
            // arrived by now. Their lines wait only while more bytes are already here; the rest
            // of a frame that is still arriving holds nothing back.
            const auto now = Clock::now();
            do {
                on_frame(frame, now);
            } while (connection->try_read(frame));
            arm_timer();
            if (!connection->input_pending()) {
                flush_output();
            }
        }
    }

    void on_frame(std::string_view frame, Clock::time_point now) {
        spdlog::trace("received: {}", frame.substr(0, 1000));
        if (raw()) {
            on_raw_frame(frame);
        } else {
            carry_out(session_.on_text(frame, now)); // read_loop arms the timer per batch
        }
        if (!acknowledged_ && session_.acknowledged()) {
            acknowledged_ = true;
            policy_.on_acknowledged();
        }
    }

    void on_socket_closed(const net::Connection& connection, const net::Status& status) {
        flush_output();
        const net::CloseInfo& info = connection.close_info();
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
        output_.append_line(frame);
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
                        runner->queue(Secret(std::move(line)));
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

    // Carries out the session's actions, then arms the timer for its next deadline.
    void apply(protocol::Actions actions) {
        carry_out(std::move(actions));
        arm_timer();
    }

    void carry_out(protocol::Actions actions) {
        for (auto& action : actions) {
            if (auto* send_text = std::get_if<protocol::SendText>(&action)) {
                spdlog::debug("sending {}", send_text->description);
                queue(std::move(send_text->text));
            } else if (auto* emit = std::get_if<protocol::EmitLine>(&action)) {
                output_.append_line(emit->line);
            } else if (auto* log = std::get_if<protocol::Log>(&action)) {
                spdlog::log(to_spdlog(log->level), "{}", log->text);
            } else if (auto* close = std::get_if<protocol::CloseSocket>(&action)) {
                queue(CloseRequest{close->code, std::move(close->reason)});
            } else if (auto* finish = std::get_if<protocol::Finish>(&action)) {
                exit_ = exit_.value_or(finish->code);
                backoff_.cancel();
            } else if (auto* again = std::get_if<protocol::Reconnect>(&action)) {
                cause_ = std::move(again->cause);
                drop_connection();
            }
        }
        if (output_.closed()) {
            on_stdout_closed();
        }
    }

    void flush_output() {
        if (!output_.flush()) {
            on_stdout_closed();
        }
    }

    // `| head -1`: the reader has gone, so the run has nothing left to do.
    void on_stdout_closed() {
        if (!exit_) {
            spdlog::debug("stdout closed; ending");
            end(ExitCode::ok);
        }
    }

    // The session gave up on this socket: no close handshake, the read loop
    // ends and main_loop decides about the next attempt.
    void drop_connection() {
        socket_open_ = false;
        outbox_.clear();
        if (connection_) {
            connection_->abort();
        }
    }

    void arm_timer() {
        auto deadline = session_.next_deadline();
        if (!deadline || exit_) {
            cancel_timer();
            return;
        }
        // With keepalive on, every frame moves the deadline later. Re-arming each time costs
        // more than the frame itself, so a timer due no later stays: the session does nothing
        // when ticked early, and the tick arms the timer for the deadline of the moment.
        if (armed_for_ && *armed_for_ <= *deadline) {
            return;
        }
        armed_for_ = deadline;
        timer_.expires_at(*deadline);
        timer_.async_wait([this](auto error) {
            if (!error) {
                armed_for_.reset();
                apply(session_.on_tick(Clock::now()));
            }
        });
    }

    void cancel_timer() {
        armed_for_.reset();
        timer_.cancel();
    }

    void on_signal(int signal) {
        ExitCode code = signal == SIGINT ? ExitCode::interrupted : ExitCode::terminated;
        spdlog::info("{}; closing", signal == SIGINT ? "interrupted" : "terminated");
        if (raw()) {
            end(code);
        } else {
            apply(session_.on_stop(code));
        }
        exit_ = exit_.value_or(code);
        backoff_.cancel();
        if (!socket_open_ && connection_) {
            connection_->abort(); // still connecting
        }
        // A second signal means "now".
        signals_.async_wait([this](auto error, int) {
            if (!error && connection_) {
                connection_->abort();
            }
        });
    }

    void queue(Outgoing item) {
        if (!socket_open_) {
            return;
        }
        if (std::holds_alternative<CloseRequest>(item)) {
            close_guard_.expires_after(close_grace);
            close_guard_.async_wait([this, connection = connection_](auto error) {
                if (!error) {
                    spdlog::debug("closing handshake timed out; dropping the connection");
                    connection->abort();
                }
            });
        }
        outbox_.push_back(std::move(item));
        if (writer_ != connection_) {
            writer_ = connection_;
            asio::co_spawn(io_, write_loop(connection_), asio::detached);
        }
    }

    // Sends the outbox in order on one connection; a reconnect leaves this
    // loop behind and starts another for the new connection.
    asio::awaitable<void> write_loop(std::shared_ptr<net::Connection> connection) {
        while (connection == connection_ && socket_open_ && !outbox_.empty()) {
            Outgoing item = std::move(outbox_.front());
            outbox_.pop_front();
            net::Status status;
            if (auto* text = std::get_if<Secret>(&item)) {
                status = co_await connection->write(text->reveal());
            } else {
                auto& close = std::get<CloseRequest>(item);
                status = co_await connection->close(close.code, close.reason);
            }
            if (!status.ok()) {
                spdlog::debug("write failed: {}", status.message);
                break;
            }
        }
        if (writer_ == connection) {
            writer_.reset();
        }
    }

    // Nothing more will be read: stop every timer so io_context::run returns.
    void finish_io() {
        output_.flush();
        socket_open_ = false;
        cancel_timer();
        backoff_.cancel();
        close_guard_.cancel();
        signals_.cancel();
        if (connection_) {
            connection_->abort();
        }
    }

    const Options& options_;
    asio::io_context io_;
    asio::signal_set signals_{io_, SIGINT, SIGTERM};
    asio::steady_timer timer_{io_};              // the session's next deadline
    std::optional<Clock::time_point> armed_for_; // when timer_ fires, while it waits
    asio::steady_timer backoff_{io_};            // the wait before a reconnect
    asio::steady_timer close_guard_{io_};
    std::shared_ptr<net::Connection> connection_; // the current one
    std::shared_ptr<net::Connection> writer_;     // the one write_loop serves
    protocol::Session session_;
    protocol::ReconnectPolicy policy_;
    std::mt19937_64 random_{std::random_device{}()};
    std::uniform_real_distribution<double> jitter_{0.0, 1.0};
    Output output_;
    std::deque<Outgoing> outbox_;
    bool socket_open_ = false;
    bool acknowledged_ = false; // on the current connection
    bool retryable_ = true;
    std::string cause_; // why the last connection ended
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
