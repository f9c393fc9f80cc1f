#pragma once

#include "blink_sub/env_lookup.hpp"
#include "blink_sub/net/endpoint.hpp"
#include "blink_sub/secret.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace blink_sub::net {

// An HTTP proxy asked to open a tunnel with CONNECT.
struct Proxy {
    std::string host;     // without brackets for IPv6 literals
    std::string port;     // "1080" when the URL gives none, as in curl
    Secret authorization; // the Proxy-Authorization value ("Basic ..."), or empty
    std::string display;  // "http://host:port": never the credentials, so safe to log

    std::string host_and_port() const;
};

// Parses an http:// proxy URL; one without a scheme is taken as http://, as
// curl does. A `user:password@` part (percent-decoded) becomes Basic
// authorization. On failure returns nothing and sets `error` to a sentence
// that shows the URL with `***` in place of any credentials.
std::optional<Proxy> parse_proxy(std::string_view url, std::string& error);

// Whether a NO_PROXY list exempts `host`: comma-separated entries, `*` for
// every host, a name matching itself and its subdomains (with or without a
// leading dot), an IP address matching only itself. Ports in entries are
// ignored; CIDR ranges are not supported.
bool bypasses_proxy(std::string_view host, std::string_view no_proxy);

// The `user:password` part of a proxy URL as typed, or empty: what must never
// be shown.
std::string_view proxy_credentials(std::string_view url);

// The proxy for `endpoint`, chosen as curl chooses: `flag` (the value of
// --proxy, when given) wins and an empty one means none; otherwise
// https_proxy, HTTPS_PROXY for wss:// or http_proxy, HTTP_PROXY for ws://,
// then all_proxy, ALL_PROXY. no_proxy (or NO_PROXY) exempts hosts from either.
// Empty variables count as unset. Unlike curl, HTTP_PROXY is read too: curl
// skips it because a CGI program finds a request's Proxy header under that
// name, and blink-sub is no CGI program. Returns nothing when the connection
// goes direct, and also on failure, which is told apart by a non-empty
// `error`: a sentence that starts with the flag or variable at fault.
std::optional<Proxy> select_proxy(const Endpoint& endpoint, std::optional<std::string_view> flag,
                                  const EnvLookup& env, std::string& error);

} // namespace blink_sub::net
