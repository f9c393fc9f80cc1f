#include "blink_sub/net/endpoint.hpp"

#include <algorithm>
#include <boost/url.hpp>
#include <cctype>
#include <charconv>

namespace blink_sub::net {
namespace {

namespace urls = boost::urls;

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;
           });
}

bool has_websocket_scheme(std::string_view url) {
    return starts_with_ignoring_case(url, "ws://") || starts_with_ignoring_case(url, "wss://");
}

// Error messages repeat the URL; a password in it must not be repeated too.
std::string shown(std::string_view url) {
    const auto scheme_end = url.find("://");
    const auto authority_begin = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const auto authority_end = std::min(url.find_first_of("/?#", authority_begin), url.size());
    const auto at = url.substr(0, authority_end).rfind('@');
    if (at == std::string_view::npos || at < authority_begin) {
        return std::string(url);
    }
    return std::string(url.substr(0, authority_begin)) + "***@" + std::string(url.substr(at + 1));
}

std::string quoted(std::string_view url) {
    return "endpoint \"" + shown(url) + "\"";
}

// Decoded percent-escapes could smuggle a CR/LF into the Host header.
bool is_host_name(std::string_view host) {
    return std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
}

std::optional<std::string> port_of(const urls::url_view& url, bool secure) {
    if (!url.has_port() || url.port().empty()) {
        return secure ? "443" : "80";
    }
    const std::string_view text = url.port();
    unsigned number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc{} || end != text.data() + text.size() || number == 0 || number > 65535) {
        return std::nullopt;
    }
    return std::to_string(number);
}

} // namespace

std::string Endpoint::host_and_port() const {
    if (host.find(':') != std::string::npos) {
        return "[" + host + "]:" + port;
    }
    return host + ":" + port;
}

std::optional<Endpoint> parse_endpoint(std::string_view url, std::string& error) {
    const auto parsed = urls::parse_uri(url);
    if (!parsed) {
        error = quoted(url) + (has_websocket_scheme(url) ? " is not a valid URL"
                                                         : " must start with ws:// or wss://");
        return std::nullopt;
    }
    const urls::url_view& view = *parsed;

    if (view.scheme_id() != urls::scheme::ws && view.scheme_id() != urls::scheme::wss) {
        error = quoted(url) + " must start with ws:// or wss://";
        return std::nullopt;
    }

    if (view.has_userinfo()) {
        error = "the endpoint must not contain a user name or password";
        return std::nullopt;
    }

    if (view.has_fragment()) {
        error = quoted(url) + " must not contain a fragment (#...)";
        return std::nullopt;
    }

    Endpoint endpoint;
    endpoint.secure = view.scheme_id() == urls::scheme::wss;

    switch (view.host_type()) {
    case urls::host_type::ipv4:
    case urls::host_type::ipv6:
        endpoint.host = view.host_address();
        break;
    case urls::host_type::name:
        endpoint.host = view.host_address();
        if (!is_host_name(endpoint.host)) {
            error = quoted(url) + " has an invalid host name";
            return std::nullopt;
        }
        break;
    case urls::host_type::ipvfuture:
        error = quoted(url) + " uses an IPvFuture address, which is not supported";
        return std::nullopt;
    case urls::host_type::none:
        break;
    }
    if (endpoint.host.empty()) {
        error = quoted(url) + " has no host";
        return std::nullopt;
    }

    const auto port = port_of(view, endpoint.secure);
    if (!port) {
        error = quoted(url) + " has an invalid port \"" + std::string(view.port()) + "\"";
        return std::nullopt;
    }
    endpoint.port = *port;

    endpoint.target = view.encoded_path().empty() ? "/" : std::string(view.encoded_path());
    if (view.has_query()) {
        endpoint.target += "?" + std::string(view.encoded_query());
    }
    return endpoint;
}

} // namespace blink_sub::net
