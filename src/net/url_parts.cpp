#include "url_parts.hpp"

#include <algorithm>
#include <boost/url.hpp>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

namespace blink_sub::net::detail {
namespace {

namespace urls = boost::urls;

// Decoded percent-escapes could smuggle a CR/LF into the Host header, or control characters
// into logs.
bool is_host_name(std::string_view host) {
    return std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
}

std::optional<std::string> port_of(const urls::url_view& url, std::string_view default_port) {
    if (!url.has_port() || url.port().empty()) {
        return std::string(default_port);
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

std::string hiding(std::string_view url, std::string_view part) {
    const auto begin = static_cast<std::size_t>(part.data() - url.data());
    return std::string(url.substr(0, begin)) + "***" + std::string(url.substr(begin + part.size()));
}

std::optional<HostPort> host_port_of(const urls::url_view& url, std::string_view default_port,
                                     std::string_view subject, std::string& error) {
    HostPort parts;
    switch (url.host_type()) {
    case urls::host_type::ipv4:
    case urls::host_type::ipv6:
        parts.host = url.host_address();
        break;
    case urls::host_type::name:
        parts.host = url.host_address();
        if (!is_host_name(parts.host)) {
            error = std::string(subject) + " has an invalid host name";
            return std::nullopt;
        }
        break;
    case urls::host_type::ipvfuture:
        error = std::string(subject) + " uses an IPvFuture address, which is not supported";
        return std::nullopt;
    case urls::host_type::none:
        break;
    }
    if (parts.host.empty()) {
        error = std::string(subject) + " has no host";
        return std::nullopt;
    }

    auto port = port_of(url, default_port);
    if (!port) {
        error = std::string(subject) + " has an invalid port \"" + std::string(url.port()) + "\"";
        return std::nullopt;
    }
    parts.port = std::move(*port);
    return parts;
}

std::string quoted(std::string_view text) {
    return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string host_and_port(const std::string& host, const std::string& port) {
    if (host.find(':') != std::string::npos) {
        return "[" + host + "]:" + port;
    }
    return host + ":" + port;
}

} // namespace blink_sub::net::detail
