#include "blink_sub/net/endpoint.hpp"

#include <gtest/gtest.h>

namespace blink_sub::net {
namespace {

struct GoodUrl {
    std::string_view url;
    Endpoint expected;
};

void PrintTo(const GoodUrl& good, std::ostream* out) {
    *out << good.url;
}

class EndpointAccepts : public testing::TestWithParam<GoodUrl> {};

TEST_P(EndpointAccepts, AndTakesItApart) {
    std::string error;
    const auto endpoint = parse_endpoint(GetParam().url, error);
    ASSERT_TRUE(endpoint) << error;
    EXPECT_EQ(*endpoint, GetParam().expected);
    EXPECT_TRUE(error.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Urls, EndpointAccepts,
    testing::Values(
        GoodUrl{"wss://ws.blink.sv/graphql", {true, "ws.blink.sv", "443", "/graphql"}},
        GoodUrl{"ws://localhost:4000/graphql", {false, "localhost", "4000", "/graphql"}},
        GoodUrl{"ws://localhost", {false, "localhost", "80", "/"}},
        GoodUrl{"wss://example.com:/x", {true, "example.com", "443", "/x"}},
        GoodUrl{"wss://example.com?token=1", {true, "example.com", "443", "/?token=1"}},
        GoodUrl{"ws://127.0.0.1:8080/a/b?c=d&e", {false, "127.0.0.1", "8080", "/a/b?c=d&e"}},
        GoodUrl{"ws://[::1]:4455/graphqlws", {false, "::1", "4455", "/graphqlws"}},
        GoodUrl{"wss://[2001:db8::1]/", {true, "2001:db8::1", "443", "/"}},
        GoodUrl{"WSS://Example.COM/Path", {true, "Example.COM", "443", "/Path"}},
        GoodUrl{"ws://h/a%20b", {false, "h", "80", "/a%20b"}},
        GoodUrl{"ws://h:0080/", {false, "h", "80", "/"}}));

struct BadUrl {
    std::string_view url;
    std::string_view message;
};

void PrintTo(const BadUrl& bad, std::ostream* out) {
    *out << bad.url;
}

class EndpointRejects : public testing::TestWithParam<BadUrl> {};

TEST_P(EndpointRejects, WithASentenceNamingTheProblem) {
    std::string error;
    EXPECT_FALSE(parse_endpoint(GetParam().url, error));
    EXPECT_EQ(error, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Urls, EndpointRejects,
    testing::Values(
        BadUrl{"http://x", R"(endpoint "http://x" must start with ws:// or wss://)"},
        BadUrl{"https://api.blink.sv/graphql",
               R"(endpoint "https://api.blink.sv/graphql" must start with ws:// or wss://)"},
        BadUrl{"ws.blink.sv/graphql",
               R"(endpoint "ws.blink.sv/graphql" must start with ws:// or wss://)"},
        BadUrl{"", R"(endpoint "" must start with ws:// or wss://)"},
        BadUrl{"wss://bad host/", R"(endpoint "wss://bad host/" is not a valid URL)"},
        BadUrl{"wss:///graphql", R"(endpoint "wss:///graphql" has no host)"},
        BadUrl{"wss:graphql", R"(endpoint "wss:graphql" has no host)"},
        BadUrl{"ws://h:99999/", R"(endpoint "ws://h:99999/" has an invalid port "99999")"},
        BadUrl{"ws://h:0/", R"(endpoint "ws://h:0/" has an invalid port "0")"},
        BadUrl{"wss://h/graphql#top", R"(endpoint "wss://h/graphql#top" must not contain a )"
                                      R"(fragment (#...))"},
        BadUrl{"wss://user:pass@h/", "the endpoint must not contain a user name or password"},
        BadUrl{"wss://h%0d%0ax/", R"(endpoint "wss://h%0d%0ax/" has an invalid host name)"},
        BadUrl{"wss://[v1.x]/", R"(endpoint "wss://[v1.x]/" uses an IPvFuture address, which )"
                                R"(is not supported)"}));

TEST(EndpointErrors, NeverRepeatAPassword) {
    std::string error;
    EXPECT_FALSE(parse_endpoint("http://user:hunter2@h/", error));
    EXPECT_EQ(error, R"(endpoint "http://***@h/" must start with ws:// or wss://)");
    EXPECT_EQ(error.find("hunter2"), std::string::npos);
}

// Found by fuzz/cli_fuzz: the URL went into the message raw, line breaks and all.
TEST(EndpointErrors, ShowControlCharactersEscaped) {
    std::string error;
    EXPECT_FALSE(parse_endpoint("ws\n://h/\x1b[2J", error));
    EXPECT_EQ(error, R"(endpoint "ws\n://h/\u001b[2J" must start with ws:// or wss://)");
}

TEST(EndpointHostAndPort, BracketsIpv6Literals) {
    EXPECT_EQ((Endpoint{true, "ws.blink.sv", "443", "/"}).host_and_port(), "ws.blink.sv:443");
    EXPECT_EQ((Endpoint{false, "::1", "4000", "/"}).host_and_port(), "[::1]:4000");
    EXPECT_EQ((Endpoint{false, "127.0.0.1", "80", "/"}).host_and_port(), "127.0.0.1:80");
}

} // namespace
} // namespace blink_sub::net
