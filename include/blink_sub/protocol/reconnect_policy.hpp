#pragma once

#include <chrono>
#include <deque>
#include <optional>

namespace blink_sub::protocol {

// When to try again after a connection is lost: exponential backoff with full
// jitter, a cap on consecutive failures, and Blink's ingress limit of new
// connections per minute. Time and jitter are passed in.
class ReconnectPolicy {
  public:
    using Duration = std::chrono::milliseconds;
    using TimePoint = std::chrono::steady_clock::time_point;

    struct Limits {
        int retries = -1; // consecutive failed attempts allowed; -1: no limit
        Duration base{1'000};
        Duration cap{30'000};
        int connections_per_window = 10;
        Duration window{60'000};
    };

    explicit ReconnectPolicy(Limits limits) : limits_(limits) {}

    // A new connection has just been opened, or failed to open. The limit counts these times.
    void on_attempt(TimePoint now);

    // The server acknowledged the connection: the next loss starts the backoff afresh.
    void on_acknowledged();

    // The connection was lost or an attempt failed. Returns how long to wait
    // before the next attempt, or nothing when it is time to give up: the
    // retries are spent, or no connection was ever acknowledged (a first
    // connection that fails is a configuration problem, not a drop).
    // `jitter` is uniform in [0, 1).
    std::optional<Duration> next_delay(TimePoint now, double jitter);

    // The number of the attempt that next_delay() last scheduled (1 after a drop).
    int attempt() const { return failures_; }

    bool acknowledged_once() const { return acknowledged_once_; }

  private:
    Duration backoff(double jitter) const;

    Limits limits_;
    int failures_ = 0;
    bool acknowledged_once_ = false;
    std::deque<TimePoint> attempts_; // start times within the last window
};

} // namespace blink_sub::protocol
