#include "blink_sub/net/proxy.hpp"

#include <gtest/gtest.h>
#include <map>

namespace blink_sub::net {
namespace {

using Env = std::map<std::string, std::string, std::less<>>;

const Endpoint blink{true, "ws.blink.sv", "443", "/graphql"};
const Endpoint local{false, "127.0.0.1", "4000", "/graphql"};

EnvLookup lookup(const Env& env) {
    return [&env](std::string_view name) -> std::optional<std::string> {
        const auto found = env.find(name);
        if (found == env.end()) {
            return std::nullopt;
        }
        return found->second;
    };
}

struct Choice {
    std::string_view name;
    Endpoint endpoint;
    std::optional<std::string_view> flag;
    Env env;
    std::string_view expected; // the chosen proxy's display, or empty for a direct connection
};

void PrintTo(const Choice& choice, std::ostream* out) {
    *out << choice.name;
}

class ProxySelection : public testing::TestWithParam<Choice> {};

TEST_P(ProxySelection, FollowsCurlsRules) {
    const auto& choice = GetParam();
    std::string error = "left over";
    const auto proxy = select_proxy(choice.endpoint, choice.flag, lookup(choice.env), error);
    EXPECT_EQ(error, "");
    EXPECT_EQ(proxy ? proxy->display : "", choice.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ProxySelection,
    testing::Values(
        Choice{"nothing set goes direct", blink, {}, {}, ""},
        Choice{"wss reads HTTPS_PROXY", blink, {}, {{"HTTPS_PROXY", "http://up:1"}}, "http://up:1"},
        Choice{"wss reads https_proxy first",
               blink,
               {},
               {{"https_proxy", "http://low:1"}, {"HTTPS_PROXY", "http://up:2"}},
               "http://low:1"},
        Choice{"wss ignores HTTP_PROXY", blink, {}, {{"HTTP_PROXY", "http://h:1"}}, ""},
        Choice{"ws reads HTTP_PROXY", local, {}, {{"HTTP_PROXY", "http://up:1"}}, "http://up:1"},
        Choice{"ws reads http_proxy first",
               local,
               {},
               {{"http_proxy", "http://low:1"}, {"HTTP_PROXY", "http://up:2"}},
               "http://low:1"},
        Choice{"ws ignores HTTPS_PROXY", local, {}, {{"HTTPS_PROXY", "http://h:1"}}, ""},
        Choice{"ALL_PROXY is the fallback",
               blink,
               {},
               {{"ALL_PROXY", "http://all:1"}},
               "http://all:1"},
        Choice{"all_proxy before ALL_PROXY",
               local,
               {},
               {{"all_proxy", "http://low:1"}, {"ALL_PROXY", "http://up:2"}},
               "http://low:1"},
        Choice{"the scheme's variable beats all_proxy",
               blink,
               {},
               {{"all_proxy", "http://all:1"}, {"HTTPS_PROXY", "http://tls:2"}},
               "http://tls:2"},
        Choice{"an empty variable counts as unset",
               blink,
               {},
               {{"https_proxy", ""}, {"HTTPS_PROXY", "http://up:2"}},
               "http://up:2"},
        Choice{"the flag beats the variables",
               blink,
               "http://flag:1",
               {{"https_proxy", "http://env:2"}, {"ALL_PROXY", "http://all:3"}},
               "http://flag:1"},
        Choice{"an empty flag goes direct", blink, "", {{"HTTPS_PROXY", "http://env:2"}}, ""},
        Choice{"NO_PROXY exempts the host",
               blink,
               {},
               {{"HTTPS_PROXY", "http://env:2"}, {"NO_PROXY", "blink.sv"}},
               ""},
        Choice{"no_proxy is read before NO_PROXY",
               blink,
               {},
               {{"HTTPS_PROXY", "http://env:2"}, {"no_proxy", "other"}, {"NO_PROXY", "*"}},
               "http://env:2"},
        Choice{"NO_PROXY exempts the host from the flag's proxy too",
               local,
               "http://flag:1",
               {{"NO_PROXY", "127.0.0.1"}},
               ""},
        Choice{"NO_PROXY that names other hosts keeps the proxy",
               local,
               {},
               {{"http_proxy", "http://env:2"}, {"no_proxy", "localhost,.example.com"}},
               "http://env:2"},
        Choice{"an exempt host never reads the proxy URL",
               blink,
               {},
               {{"ALL_PROXY", "socks5://h:1080"}, {"no_proxy", "*"}},
               ""}));

struct Bypass {
    std::string_view host;
    std::string_view no_proxy;
    bool bypassed;
};

void PrintTo(const Bypass& bypass, std::ostream* out) {
    *out << bypass.host << " in \"" << bypass.no_proxy << "\"";
}

class NoProxy : public testing::TestWithParam<Bypass> {};

TEST_P(NoProxy, MatchesHostsAsCurlDoes) {
    EXPECT_EQ(bypasses_proxy(GetParam().host, GetParam().no_proxy), GetParam().bypassed);
}

INSTANTIATE_TEST_SUITE_P(
    Table, NoProxy,
    testing::Values(
        Bypass{"example.com", "example.com", true}, Bypass{"a.example.com", "example.com", true},
        Bypass{"a.example.com", ".example.com", true}, Bypass{"example.com", ".example.com", true},
        Bypass{"a.b.example.com", "example.com", true},
        Bypass{"notexample.com", "example.com", false},
        Bypass{"example.com.evil", "example.com", false},
        Bypass{"example.com", "a.example.com", false}, Bypass{"EXAMPLE.com", "example.COM", true},
        Bypass{"ws.blink.sv", " localhost ,\tws.blink.sv ", true},
        Bypass{"ws.blink.sv", "localhost,,127.0.0.1", false}, Bypass{"anything", "*", true},
        Bypass{"anything", "localhost, *", true}, Bypass{"anything", "*.anything", false},
        Bypass{"anything", "", false}, Bypass{"anything", ",", false},
        Bypass{"example.com", "example.com:443", true}, Bypass{"127.0.0.1", "127.0.0.1", true},
        Bypass{"127.0.0.1", "127.0.0.1:4000", true}, Bypass{"127.0.0.1", "0.0.1", false},
        Bypass{"127.0.0.1", "127.0.0.2", false}, Bypass{"::1", "::1", true},
        Bypass{"::1", "[::1]", true}, Bypass{"::1", "[::1]:4000", true},
        Bypass{"::1", "0:0:0:0:0:0:0:1", true}, Bypass{"::1", "::2", false}));

struct GoodProxy {
    std::string_view url;
    std::string_view host;
    std::string_view port;
    std::string_view display;
    std::string_view authorization;
};

void PrintTo(const GoodProxy& good, std::ostream* out) {
    *out << good.url;
}

class ProxyUrlAccepted : public testing::TestWithParam<GoodProxy> {};

TEST_P(ProxyUrlAccepted, AndTakenApart) {
    const auto& good = GetParam();
    std::string error;
    const auto proxy = parse_proxy(good.url, error);
    ASSERT_TRUE(proxy) << error;
    EXPECT_EQ(proxy->host, good.host);
    EXPECT_EQ(proxy->port, good.port);
    EXPECT_EQ(proxy->display, good.display);
    EXPECT_EQ(proxy->authorization.reveal(), good.authorization);
}

INSTANTIATE_TEST_SUITE_P(
    Urls, ProxyUrlAccepted,
    testing::Values(
        GoodProxy{"http://proxy.example:3128", "proxy.example", "3128", "http://proxy.example:3128",
                  ""},
        GoodProxy{"http://proxy.example", "proxy.example", "1080", "http://proxy.example:1080", ""},
        GoodProxy{"proxy.example:8080", "proxy.example", "8080", "http://proxy.example:8080", ""},
        GoodProxy{"HTTP://Proxy.Example:80/", "Proxy.Example", "80", "http://Proxy.Example:80", ""},
        GoodProxy{"http://10.0.0.1:3128/ignored?path", "10.0.0.1", "3128", "http://10.0.0.1:3128",
                  ""},
        GoodProxy{"http://[::1]:8888", "::1", "8888", "http://[::1]:8888", ""},
        GoodProxy{"http://user:pass@h:1", "h", "1", "http://h:1", "Basic dXNlcjpwYXNz"},
        GoodProxy{"user:pass@h:1", "h", "1", "http://h:1", "Basic dXNlcjpwYXNz"},
        GoodProxy{"http://us%40er:p%3Ass@h:1", "h", "1", "http://h:1", "Basic dXNAZXI6cDpzcw=="},
        GoodProxy{"http://user@h:1", "h", "1", "http://h:1", "Basic dXNlcjo="},
        GoodProxy{"http://:only@h:1", "h", "1", "http://h:1", "Basic Om9ubHk="},
        GoodProxy{"http://a:b@h:1", "h", "1", "http://h:1", "Basic YTpi"},
        GoodProxy{"http://ab:c@h:1", "h", "1", "http://h:1", "Basic YWI6Yw=="},
        GoodProxy{"http://abc:d@h:1", "h", "1", "http://h:1", "Basic YWJjOmQ="},
        GoodProxy{"http://@h:1", "h", "1", "http://h:1", ""}));

struct BadProxy {
    std::string_view url;
    std::string_view message;
};

void PrintTo(const BadProxy& bad, std::ostream* out) {
    *out << bad.url;
}

class ProxyUrlRejected : public testing::TestWithParam<BadProxy> {};

TEST_P(ProxyUrlRejected, WithASentenceThatHidesTheCredentials) {
    std::string error;
    EXPECT_FALSE(parse_proxy(GetParam().url, error));
    EXPECT_EQ(error, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Urls, ProxyUrlRejected,
    testing::Values(
        BadProxy{
            "https://u:s3cr3t@h:443",
            R"(proxy "https://***@h:443" uses https://, but only http:// proxies are supported)"},
        BadProxy{
            "socks5://h:1080",
            R"(proxy "socks5://h:1080" uses socks5://, but only http:// proxies are supported)"},
        BadProxy{
            "SOCKS5H://u:s3cr3t@h",
            R"(proxy "SOCKS5H://***@h" uses SOCKS5H://, but only http:// proxies are supported)"},
        BadProxy{"http://u:s3cr3t@h:99999",
                 R"(proxy "http://***@h:99999" has an invalid port "99999")"},
        BadProxy{"http://h:0", R"(proxy "http://h:0" has an invalid port "0")"},
        BadProxy{"http://u:s3cr3t@:3128", R"(proxy "http://***@:3128" has no host)"},
        BadProxy{"http://u:pa/s3cr3t@h", R"(proxy "http://***@h" is not a valid URL)"},
        BadProxy{"u:s3cr3t://x@h", R"(proxy "***@h" is not a valid URL)"},
        BadProxy{"http://h:3128 x", R"(proxy "http://h:3128 x" is not a valid URL)"},
        BadProxy{"http://h%0d%0a:1", R"(proxy "http://h%0d%0a:1" has an invalid host name)"}));

TEST(ProxySelectionErrors, NameTheFlagOrVariableAndHideTheCredentials) {
    const Env env = {{"HTTPS_PROXY", "socks5://u:s3cr3t@h"}, {"all_proxy", "https://u:s3cr3t@a"}};
    std::string error;

    EXPECT_FALSE(select_proxy(blink, {}, lookup(env), error));
    EXPECT_EQ(error, R"(HTTPS_PROXY: proxy "socks5://***@h" uses socks5://, but only http:// )"
                     "proxies are supported");

    EXPECT_FALSE(select_proxy(local, {}, lookup(env), error));
    EXPECT_TRUE(error.starts_with(R"(all_proxy: proxy "https://***@a")")) << error;

    EXPECT_FALSE(select_proxy(blink, "http://u:s3cr3t@h:x", lookup(env), error));
    EXPECT_EQ(error, R"(--proxy: proxy "http://***@h:x" is not a valid URL)");
}

TEST(ProxyCredentials, AreTheUserinfoAsTyped) {
    EXPECT_EQ(proxy_credentials("http://u%3A:p@h:1"), "u%3A:p");
    EXPECT_EQ(proxy_credentials("u:p@h:1"), "u:p");
    EXPECT_EQ(proxy_credentials("http://u:p@ss@h"), "u:p@ss");
    EXPECT_EQ(proxy_credentials("http://h:1"), "");
    EXPECT_EQ(proxy_credentials("http://h:1/"), "");
}

} // namespace
} // namespace blink_sub::net
