#pragma once

#include "blink_sub/net/endpoint.hpp"
#include "blink_sub/net/proxy.hpp"
#include "blink_sub/operation.hpp"
#include "blink_sub/secret.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace blink_sub {

inline constexpr std::string_view default_endpoint = "wss://ws.blink.sv/graphql";

enum class Command { price, realtime_price, my_updates, invoice_status, subscribe, raw };

struct ConnectionOptions {
    net::Endpoint endpoint;
    Secret api_key;
    Secret auth_token;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds keepalive{30'000}; // zero turns keepalive off
    int retries = -1;                            // failed reconnects in a row; -1: forever
    std::optional<net::Proxy> proxy;             // nothing: connect directly
    std::string cacert;                          // empty: the system store
    bool insecure = false;
};

struct Options {
    Command command = Command::price;
    ConnectionOptions connection;
    Operation operation;     // not used by `raw`
    std::uint64_t count = 0; // zero: no limit
    int verbosity = 0;       // -1 with -q, +1 for each -v
};

} // namespace blink_sub
