#pragma once

#include <boost/url/url_view.hpp>
#include <optional>
#include <string>
#include <string_view>

// URL handling shared by the endpoint and proxy parsers.
namespace blink_sub::net::detail {

// `url` with `part`, a view into it, replaced by "***".
std::string hiding(std::string_view url, std::string_view part);

struct HostPort {
    std::string host; // without brackets for IPv6 literals
    std::string port;
};

// The host and port of `url`, with `default_port` when it gives none. On failure returns
// nothing and sets `error` to `subject` (the URL as error sentences name it) and what is wrong.
std::optional<HostPort> host_port_of(const boost::urls::url_view& url,
                                     std::string_view default_port, std::string_view subject,
                                     std::string& error);

// `text` in double quotes, escaped as a JSON string, so that error messages show control
// characters instead of passing them to the terminal.
std::string quoted(std::string_view text);

// "host:port", with an IPv6 host in brackets.
std::string host_and_port(const std::string& host, const std::string& port);

} // namespace blink_sub::net::detail
