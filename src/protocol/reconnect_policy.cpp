#include "blink_sub/protocol/reconnect_policy.hpp"

#include <algorithm>

namespace blink_sub::protocol {

void ReconnectPolicy::on_attempt(TimePoint now) {
    attempts_.push_back(now);
    while (attempts_.front() <= now - limits_.window) {
        attempts_.pop_front();
    }
}

void ReconnectPolicy::on_acknowledged() {
    acknowledged_once_ = true;
    failures_ = 0;
}

std::optional<ReconnectPolicy::Duration> ReconnectPolicy::next_delay(TimePoint now, double jitter) {
    if (!acknowledged_once_) {
        return std::nullopt;
    }
    if (limits_.retries >= 0 && failures_ >= limits_.retries) {
        return std::nullopt;
    }
    ++failures_;

    TimePoint at = now + backoff(jitter);
    // Blink refuses the upgrade past N new connections in a rolling window:
    // wait until the oldest of the last N has left it.
    auto limit = static_cast<std::size_t>(limits_.connections_per_window);
    if (limit > 0 && attempts_.size() >= limit) {
        at = std::max(at, attempts_[attempts_.size() - limit] + limits_.window);
    }
    // Rounded up, so that the wait never ends a fraction of a millisecond inside the window.
    return std::chrono::ceil<Duration>(at - now);
}

// Full jitter: uniform in [0, min(cap, base * 2^(failures - 1))].
ReconnectPolicy::Duration ReconnectPolicy::backoff(double jitter) const {
    Duration ceiling = limits_.base;
    for (int i = 1; i < failures_ && ceiling < limits_.cap; ++i) {
        ceiling *= 2;
    }
    ceiling = std::min(ceiling, limits_.cap);
    return Duration(static_cast<Duration::rep>(static_cast<double>(ceiling.count()) * jitter));
}

} // namespace blink_sub::protocol
