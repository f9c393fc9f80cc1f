#include "blink_sub/net/endpoint.hpp"

#include "url_parts.hpp"

#include <algorithm>
#include <boost/url.hpp>
#include <cctype>
#include <utility>

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
    return detail::hiding(url, url.substr(authority_begin, at - authority_begin));
}

std::string quoted(std::string_view url) {
    return "endpoint " + detail::quoted(shown(url));
}

} // namespace

std::string Endpoint::host_and_port() const {
    return detail::host_and_port(host, port);
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

    auto parts = detail::host_port_of(view, endpoint.secure ? "443" : "80", quoted(url), error);
    if (!parts) {
        return std::nullopt;
    }
    endpoint.host = std::move(parts->host);
    endpoint.port = std::move(parts->port);

    endpoint.target = view.encoded_path().empty() ? "/" : std::string(view.encoded_path());
    if (view.has_query()) {
        endpoint.target += '?';
        endpoint.target += std::string_view(view.encoded_query());
    }
    return endpoint;
}

} // namespace blink_sub::net
