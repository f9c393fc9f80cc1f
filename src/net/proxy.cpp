#include "blink_sub/net/proxy.hpp"

#include "url_parts.hpp"

#include <algorithm>
#include <array>
#include <boost/url.hpp>
#include <cctype>
#include <cstdint>
#include <utility>

namespace blink_sub::net {
namespace {

namespace urls = boost::urls;

constexpr std::string_view default_port = "1080";

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

// RFC 3986 3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), followed here by "://".
std::size_t scheme_length(std::string_view url) {
    const auto end = url.find("://");
    if (end == std::string_view::npos || end == 0 ||
        !std::isalpha(static_cast<unsigned char>(url[0]))) {
        return 0;
    }
    const auto scheme = url.substr(0, end);
    const bool valid = std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
    return valid ? end : 0;
}

std::string shown(std::string_view url) {
    const auto credentials = proxy_credentials(url);
    return "proxy " + detail::quoted(credentials.empty() ? std::string(url)
                                                         : detail::hiding(url, credentials));
}

std::string base64(std::string_view bytes) {
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string text;
    text.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t taken = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 3; ++j) {
            const auto byte = j < taken ? static_cast<unsigned char>(bytes[i + j]) : 0U;
            group = (group << 8) | byte;
        }
        // RFC 4648 4: n input bytes give n + 1 characters, padded with '=' to 4.
        for (std::size_t j = 0; j < 4; ++j) {
            text += j <= taken ? alphabet[(group >> (18 - 6 * j)) & 0x3F] : '=';
        }
    }
    return text;
}

bool is_ip_address(std::string_view host) {
    return urls::parse_ipv4_address(host).has_value() || urls::parse_ipv6_address(host).has_value();
}

// IPv6 addresses have several spellings of one address ("::1", "0:0::1").
bool same_host(std::string_view host, std::string_view entry) {
    const auto host_v6 = urls::parse_ipv6_address(host);
    const auto entry_v6 = urls::parse_ipv6_address(entry);
    if (host_v6 && entry_v6) {
        return *host_v6 == *entry_v6;
    }
    return equal_ignoring_case(host, entry);
}

std::string_view trimmed(std::string_view text) {
    const auto begin = text.find_first_not_of(" \t");
    if (begin == std::string_view::npos) {
        return {};
    }
    return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// "name:port" and "[v6]:port" lose the port; a bare IPv6 address has several colons and
// stays whole.
std::string_view without_port(std::string_view entry) {
    if (entry.starts_with('[')) {
        return entry.substr(1, entry.find(']') - 1);
    }
    const auto colon = entry.find(':');
    if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
        return entry.substr(0, colon);
    }
    return entry;
}

std::optional<std::string> variable(const EnvLookup& env, std::string_view name) {
    auto value = env(name);
    if (value && value->empty()) {
        return std::nullopt;
    }
    return value;
}

} // namespace

std::string Proxy::host_and_port() const {
    return detail::host_and_port(host, port);
}

std::string_view proxy_credentials(std::string_view url) {
    const auto at = url.rfind('@');
    if (at == std::string_view::npos) {
        return {};
    }
    // Everything before the last '@' but the scheme: a password with an unescaped '/' or
    // '#' in it must not show either.
    const auto scheme = scheme_length(url);
    const auto begin = scheme > 0 && scheme + 3 <= at ? scheme + 3 : 0;
    return url.substr(begin, at - begin);
}

std::optional<Proxy> parse_proxy(std::string_view url, std::string& error) {
    const auto scheme = scheme_length(url);
    if (scheme == 0 && url.find("://") != std::string_view::npos) {
        error = shown(url) + " is not a valid URL";
        return std::nullopt;
    }
    if (scheme > 0 && !equal_ignoring_case(url.substr(0, scheme), "http")) {
        error = shown(url) + " uses " + std::string(url.substr(0, scheme)) +
                "://, but only http:// proxies are supported";
        return std::nullopt;
    }

    const std::string text = scheme == 0 ? "http://" + std::string(url) : std::string(url);
    const auto parsed = urls::parse_uri(text);
    // Boost.URL 1.81 reads "http://h:x" as host "h", an empty port and the path "x".
    if (!parsed || !(parsed->encoded_path().empty() || parsed->encoded_path().starts_with('/'))) {
        error = shown(url) + " is not a valid URL";
        return std::nullopt;
    }
    const urls::url_view& view = *parsed;

    Proxy proxy;
    auto parts = detail::host_port_of(view, default_port, shown(url), error);
    if (!parts) {
        return std::nullopt;
    }
    proxy.host = std::move(parts->host);
    proxy.port = std::move(parts->port);
    proxy.display = "http://" + proxy.host_and_port();

    // curl sends "user:" for a URL that names a user without a password.
    const std::string user = view.user();
    const std::string password = view.password();
    if (!user.empty() || !password.empty()) {
        proxy.authorization = Secret{"Basic " + base64(user + ":" + password)};
    }
    return proxy;
}

bool bypasses_proxy(std::string_view host, std::string_view no_proxy) {
    // A domain suffix never matches an address: "0.0.1" must not exempt 127.0.0.1.
    const bool address = is_ip_address(host);
    while (!no_proxy.empty()) {
        const auto comma = no_proxy.find(',');
        auto entry = trimmed(no_proxy.substr(0, comma));
        no_proxy =
            comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);

        if (entry == "*") {
            return true;
        }
        entry = without_port(entry);
        if (entry.starts_with('.')) {
            entry.remove_prefix(1);
        }
        if (entry.empty()) {
            continue;
        }
        if (same_host(host, entry)) {
            return true;
        }
        const auto suffix = host.size() > entry.size() ? host.size() - entry.size() : 0;
        if (!address && suffix > 0 && host[suffix - 1] == '.' &&
            equal_ignoring_case(host.substr(suffix), entry)) {
            return true;
        }
    }
    return false;
}

std::optional<Proxy> select_proxy(const Endpoint& endpoint, std::optional<std::string_view> flag,
                                  const EnvLookup& env, std::string& error) {
    error.clear();
    std::string source = "--proxy";
    std::string url;
    if (flag) {
        url = *flag;
    } else {
        const auto names = endpoint.secure
                               ? std::array<std::string_view, 4>{"https_proxy", "HTTPS_PROXY",
                                                                 "all_proxy", "ALL_PROXY"}
                               : std::array<std::string_view, 4>{"http_proxy", "HTTP_PROXY",
                                                                 "all_proxy", "ALL_PROXY"};
        for (const auto name : names) {
            if (auto value = variable(env, name)) {
                source = name;
                url = std::move(*value);
                break;
            }
        }
    }
    if (url.empty()) {
        return std::nullopt;
    }

    // An exempt host leaves the proxy URL unread, so that a variable set for other programs
    // (a socks5:// ALL_PROXY, say) cannot stop a connection that does not use it.
    auto no_proxy = variable(env, "no_proxy");
    if (!no_proxy) {
        no_proxy = variable(env, "NO_PROXY");
    }
    if (no_proxy && bypasses_proxy(endpoint.host, *no_proxy)) {
        return std::nullopt;
    }

    auto proxy = parse_proxy(url, error);
    if (!proxy) {
        error = source + ": " + error;
    }
    return proxy;
}

} // namespace blink_sub::net
