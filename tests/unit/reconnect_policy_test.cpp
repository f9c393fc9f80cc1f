#include "blink_sub/protocol/reconnect_policy.hpp"

#include <gtest/gtest.h>

namespace blink_sub::protocol {
namespace {

using namespace std::chrono_literals;
using Duration = ReconnectPolicy::Duration;

const ReconnectPolicy::TimePoint t0{};

ReconnectPolicy connected_policy(int retries = -1) {
    ReconnectPolicy policy({.retries = retries});
    policy.on_attempt(t0);
    policy.on_acknowledged();
    return policy;
}

TEST(ReconnectPolicy, FirstConnectionThatFailsIsNotRetried) {
    ReconnectPolicy policy({.retries = -1});
    policy.on_attempt(t0);
    EXPECT_EQ(policy.next_delay(t0 + 1s, 0.5), std::nullopt);
}

TEST(ReconnectPolicy, FirstRetryAfterADropComesWithinASecond) {
    auto policy = connected_policy();
    EXPECT_EQ(policy.next_delay(t0 + 5s, 0.999), Duration(999));
    EXPECT_EQ(policy.attempt(), 1);
}

TEST(ReconnectPolicy, BackoffDoublesUpToTheCapWithFullJitter) {
    auto policy = connected_policy();
    std::vector<Duration> ceilings;
    for (int i = 0; i < 8; ++i) {
        // Spread out in time so that the connection limit plays no part.
        auto now = t0 + std::chrono::minutes(i + 1);
        policy.on_attempt(now);
        ceilings.push_back(*policy.next_delay(now, 1.0));
    }
    EXPECT_EQ(ceilings, (std::vector<Duration>{1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s}));
}

TEST(ReconnectPolicy, JitterScalesTheWait) {
    auto policy = connected_policy();
    EXPECT_EQ(policy.next_delay(t0 + 1min, 0.0), Duration(0));
    EXPECT_EQ(policy.next_delay(t0 + 2min, 0.25), Duration(500));
}

TEST(ReconnectPolicy, AcknowledgementResetsTheBackoff) {
    auto policy = connected_policy();
    policy.next_delay(t0 + 1min, 1.0);
    policy.next_delay(t0 + 2min, 1.0);
    policy.on_acknowledged();
    EXPECT_EQ(policy.next_delay(t0 + 3min, 1.0), Duration(1s));
    EXPECT_EQ(policy.attempt(), 1);
}

TEST(ReconnectPolicy, RetriesCountConsecutiveFailedAttempts) {
    auto policy = connected_policy(2);
    EXPECT_TRUE(policy.next_delay(t0 + 1min, 0.5)); // the drop: attempt 1
    EXPECT_TRUE(policy.next_delay(t0 + 2min, 0.5)); // attempt 1 failed: attempt 2
    EXPECT_EQ(policy.next_delay(t0 + 3min, 0.5), std::nullopt) << "two failures spent";
}

TEST(ReconnectPolicy, ZeroRetriesEndsAtTheFirstDrop) {
    auto policy = connected_policy(0);
    EXPECT_EQ(policy.next_delay(t0 + 1s, 0.5), std::nullopt);
}

TEST(ReconnectPolicy, MinusOneRetriesForever) {
    auto policy = connected_policy(-1);
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(policy.next_delay(t0 + std::chrono::minutes(i), 0.5));
    }
}

TEST(ReconnectPolicy, NeverMoreThanTenConnectionsInAnyMinute) {
    auto policy = connected_policy(-1);
    auto now = t0;
    std::vector<ReconnectPolicy::TimePoint> opened{t0};
    for (int i = 0; i < 30; ++i) {
        policy.on_acknowledged(); // every connection is acked, then dropped at once
        now += *policy.next_delay(now, 0.0);
        policy.on_attempt(now);
        opened.push_back(now);
    }
    for (std::size_t i = 10; i < opened.size(); ++i) {
        EXPECT_GE(opened[i] - opened[i - 10], 60s) << "connection " << i;
    }
    EXPECT_EQ(opened[10] - opened[0], 60s) << "waits no longer than needed";
}

TEST(ReconnectPolicy, TheWaitForTheLimitIsRoundedUp) {
    ReconnectPolicy policy({.retries = -1});
    const auto first = t0 + 500us;
    policy.on_attempt(first);
    auto now = first;
    for (int i = 0; i < 9; ++i) {
        policy.on_acknowledged();
        now += 1300us;
        policy.on_attempt(now);
    }
    policy.on_acknowledged();
    now += 250us; // the limit's wait ends 59.98805 s from here
    const auto wait = policy.next_delay(now, 0.0);
    ASSERT_TRUE(wait);
    EXPECT_GE(now + *wait, first + 60s);
    EXPECT_LT(now + *wait, first + 60s + 1ms);
}

} // namespace
} // namespace blink_sub::protocol
