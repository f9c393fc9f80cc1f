#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace blink_sub::net {

// Where to connect: a ws:// or wss:// URL taken apart.
struct Endpoint {
    bool secure = true;
    std::string host;   // without brackets for IPv6 literals
    std::string port;   // "443" / "80" when the URL gives none
    std::string target; // path and query, at least "/"

    std::string host_and_port() const;

    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Parses a ws:// or wss:// URL; on failure returns nothing and sets `error`
// to a sentence saying what is wrong.
std::optional<Endpoint> parse_endpoint(std::string_view url, std::string& error);

} // namespace blink_sub::net
