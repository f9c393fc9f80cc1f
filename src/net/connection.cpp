#include "blink_sub/net/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <optional>
#include <utility>

namespace blink_sub::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto as_values = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view subprotocol = "graphql-transport-ws";
constexpr std::size_t max_message_bytes = 64 * 1024 * 1024;
constexpr std::size_t max_close_reason_bytes = 123; // RFC 6455 5.5: 125 bytes, 2 for the code

using PlainSocket = websocket::stream<beast::tcp_stream>;
using TlsSocket = websocket::stream<ssl::stream<beast::tcp_stream>>;

Status failed(std::string message) {
    return {Status::Kind::failed, std::move(message)};
}

Status failed_for_good(std::string message) {
    return {Status::Kind::failed, std::move(message), false};
}

// Upgrade refusals worth another try: the server is busy, restarting or rate limiting.
bool is_transient_refusal(unsigned status) {
    return status == 408 || status == 429 || status >= 500;
}

bool is_ip_literal(const std::string& host) {
    error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

std::string openssl_error() {
    const auto code = static_cast<int>(ERR_get_error());
    return error_code(code, asio::error::get_ssl_category()).message();
}

// Browsers and curl leave a default port out of Host, and some servers compare it that way.
std::string host_header(const Endpoint& endpoint) {
    if (endpoint.port != (endpoint.secure ? "443" : "80")) {
        return endpoint.host_and_port();
    }
    if (endpoint.host.find(':') != std::string::npos) {
        return "[" + endpoint.host + "]";
    }
    return endpoint.host;
}

bool is_untrusted_issuer(long verify_result) {
    switch (verify_result) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return true;
    default:
        return false;
    }
}

// Cuts at a UTF-8 character boundary so the close frame stays valid text.
std::string_view truncate_reason(std::string_view reason) {
    if (reason.size() <= max_close_reason_bytes) {
        return reason;
    }
    std::size_t size = max_close_reason_bytes;
    while (size > 0 && (static_cast<unsigned char>(reason[size]) & 0xC0) == 0x80) {
        --size;
    }
    return reason.substr(0, size);
}

template <typename Socket>
void configure(Socket& ws) {
    ws.read_message_max(max_message_bytes);
    ws.text(true);
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
        request.set(http::field::user_agent, "blink-sub");
        request.set(http::field::sec_websocket_protocol, subprotocol);
    }));
}

// The resolver's helper thread cannot be interrupted, so open() waits on `timer` and a late
// answer lands here, owned by the completion handler, after open() has given up.
struct Resolving {
    explicit Resolving(const asio::any_io_executor& executor)
        : resolver(executor), timer(executor) {}

    tcp::resolver resolver;
    asio::steady_timer timer;
    bool done = false;
    error_code ec;
    tcp::resolver::results_type results;
};

} // namespace

struct Connection::Impl {
    Impl(asio::any_io_executor executor, Endpoint endpoint, TlsOptions tls,
         std::optional<Proxy> proxy)
        : executor(std::move(executor)), endpoint(std::move(endpoint)), tls(std::move(tls)),
          proxy(std::move(proxy)), where(this->endpoint.host_and_port()) {}

    asio::any_io_executor executor;
    Endpoint endpoint;
    TlsOptions tls;
    std::optional<Proxy> proxy;
    std::string where;
    std::optional<ssl::context> context;
    std::optional<PlainSocket> plain;
    std::optional<TlsSocket> secure;
    std::weak_ptr<Resolving> resolving;
    bool aborted = false;
    bool closing = false;
    beast::flat_buffer buffer;
    CloseInfo close_info;

    bool has_socket() const { return plain || secure; }

    beast::tcp_stream& tcp() {
        return secure ? beast::get_lowest_layer(*secure) : beast::get_lowest_layer(*plain);
    }

    template <typename Op>
    decltype(auto) with_socket(Op&& op) {
        return secure ? op(*secure) : op(*plain);
    }

    Status make_socket();
    asio::awaitable<Status> resolve(std::chrono::steady_clock::time_point deadline,
                                    tcp::resolver::results_type& results);
    asio::awaitable<Status> connect(const tcp::resolver::results_type& results);
    asio::awaitable<Status> tunnel();
    asio::awaitable<Status> tls_handshake();
    Status tls_failure(error_code ec);
    asio::awaitable<Status> upgrade();
    asio::awaitable<Status> open(std::chrono::steady_clock::time_point deadline);
    Status read_failure(error_code ec);
};

Status Connection::Impl::make_socket() {
    secure.reset();
    plain.reset();
    context.reset();
    buffer.clear();
    close_info = {};
    closing = false;

    if (!endpoint.secure) {
        configure(plain.emplace(executor));
        return {};
    }

    context.emplace(ssl::context::tls_client);
    if (tls.insecure) {
        context->set_verify_mode(ssl::verify_none);
    } else {
        error_code ec;
        context->set_verify_mode(ssl::verify_peer);
        if (tls.cacert.empty()) {
            context->set_default_verify_paths(ec);
        } else {
            context->load_verify_file(tls.cacert, ec);
        }
        if (ec && tls.cacert.empty()) {
            return failed_for_good("cannot load the system certificate store: " + ec.message());
        }
        if (ec) {
            return failed_for_good("cannot load --cacert " + tls.cacert + ": " + ec.message());
        }
    }

    configure(secure.emplace(executor, *context));
    SSL* ssl = secure->next_layer().native_handle();
    const bool ip_literal = is_ip_literal(endpoint.host);

    // SNI goes into the ClientHello, so it must be set before the handshake; servers that host
    // several names choose their certificate by it. RFC 6066 allows no IP literals there.
    if (!ip_literal && SSL_set_tlsext_host_name(ssl, endpoint.host.c_str()) != 1) {
        return failed("cannot use " + endpoint.host + " as TLS server name: " + openssl_error());
    }

    if (tls.insecure) {
        return {};
    }

    // OpenSSL's own name check (rather than a verify callback) leaves the reason for a mismatch
    // in SSL_get_verify_result.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int checked = ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(param, endpoint.host.c_str())
                                   : X509_VERIFY_PARAM_set1_host(param, endpoint.host.c_str(), 0);
    if (checked != 1) {
        return failed("cannot check the certificate of " + endpoint.host + ": " + openssl_error());
    }
    return {};
}

asio::awaitable<Status> Connection::Impl::resolve(std::chrono::steady_clock::time_point deadline,
                                                  tcp::resolver::results_type& results) {
    // Through a proxy, only the proxy's name is ours to resolve; the proxy resolves the endpoint's.
    const std::string& host = proxy ? proxy->host : endpoint.host;
    const std::string& port = proxy ? proxy->port : endpoint.port;
    const std::string name = proxy ? "proxy " + host : host;

    const auto state = std::make_shared<Resolving>(executor);
    resolving = state;
    state->timer.expires_at(deadline);
    state->resolver.async_resolve(host, port,
                                  [state](error_code ec, tcp::resolver::results_type found) {
                                      state->done = true;
                                      state->ec = ec;
                                      state->results = std::move(found);
                                      state->timer.cancel();
                                  });

    co_await state->timer.async_wait(as_values);
    resolving.reset();

    if (!state->done) {
        state->resolver.cancel();
        co_return failed("resolving " + name + " timed out");
    }

    if (state->ec) {
        co_return failed("cannot resolve " + name + ": " + state->ec.message());
    }

    results = std::move(state->results);
    co_return Status{};
}

asio::awaitable<Status> Connection::Impl::connect(const tcp::resolver::results_type& results) {
    const std::string peer_name = proxy ? "proxy " + proxy->host_and_port() : where;
    auto [ec, peer] = co_await tcp().async_connect(results, as_values);
    if (ec == beast::error::timeout) {
        co_return failed("connecting to " + peer_name + " timed out");
    }
    if (ec) {
        co_return failed("cannot connect to " + peer_name + ": " + ec.message());
    }
    co_return Status{};
}

// RFC 9110 9.3.6: CONNECT asks the proxy for a TCP tunnel to the endpoint; TLS and the upgrade
// then run through it as if connected directly.
asio::awaitable<Status> Connection::Impl::tunnel() {
    const std::string name = "proxy " + proxy->host_and_port();
    const std::string step = "opening a tunnel through " + name + " to " + where;

    http::request<http::empty_body> request{http::verb::connect, where, 11};
    request.set(http::field::host, where);
    request.set(http::field::user_agent, "blink-sub");
    if (!proxy->authorization.empty()) {
        request.set(http::field::proxy_authorization, proxy->authorization.reveal());
    }

    auto [write_ec, written] = co_await http::async_write(tcp(), request, as_values);
    if (write_ec == beast::error::timeout) {
        co_return failed(step + " timed out");
    }
    if (write_ec) {
        co_return failed(step + " failed: " + write_ec.message());
    }

    // A 2xx answer to CONNECT has no body (RFC 9110 9.3.6) whatever its header says, and the
    // bytes after the header already belong to the tunnel.
    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    beast::flat_buffer answer;
    auto [read_ec, received] = co_await http::async_read(tcp(), answer, parser, as_values);
    if (read_ec == beast::error::timeout) {
        co_return failed(step + " timed out");
    }
    if (read_ec) {
        co_return failed(step + " failed: " + read_ec.message());
    }

    const auto& response = parser.get();
    const unsigned status = response.result_int();
    if (status / 100 != 2) {
        const auto reason = response.reason().empty() ? http::obsolete_reason(response.result())
                                                      : response.reason();
        std::string message = name + " refused the tunnel to " + where + ": " +
                              std::to_string(status) + " " + std::string(reason);
        // 407 is the standard answer; tinyproxy, for one, answers wrong credentials with 401.
        if (status == 407 || status == 401) {
            message += proxy->authorization.empty()
                           ? "; put user:password@ in the proxy URL"
                           : "; check the user name and password in the proxy URL";
        }
        Status refused = failed(std::move(message));
        refused.retryable = is_transient_refusal(status);
        co_return refused;
    }

    // The endpoint speaks only after our ClientHello or upgrade request, so early bytes can
    // only come from a proxy that broke the tunnel.
    if (answer.size() > 0) {
        co_return failed(step + " failed: the proxy sent data before the tunnel was used");
    }
    co_return Status{};
}

asio::awaitable<Status> Connection::Impl::tls_handshake() {
    auto [ec] = co_await secure->next_layer().async_handshake(ssl::stream_base::client, as_values);
    co_return ec ? tls_failure(ec) : Status{};
}

Status Connection::Impl::tls_failure(error_code ec) {
    const std::string step = "TLS handshake with " + where;
    if (ec == beast::error::timeout) {
        return failed(step + " timed out");
    }

    const long verify_result = SSL_get_verify_result(secure->next_layer().native_handle());
    if (tls.insecure || verify_result == X509_V_OK) {
        return failed(step + " failed: " + ec.message());
    }

    std::string message = step + " failed: certificate verify failed (" +
                          X509_verify_cert_error_string(verify_result) + ")";
    if (is_untrusted_issuer(verify_result)) {
        return failed_for_good(message +
                               "; pass --cacert FILE to trust it or --insecure to skip the check");
    }
    return failed_for_good(message + "; pass --insecure to skip the check");
}

asio::awaitable<Status> Connection::Impl::upgrade() {
    const std::string step = "WebSocket upgrade to " + where + endpoint.target;
    const std::string host = host_header(endpoint);
    websocket::response_type response;

    auto [ec] = co_await with_socket(
        [&](auto& ws) { return ws.async_handshake(response, host, endpoint.target, as_values); });
    if (ec == beast::error::timeout) {
        co_return failed(step + " timed out");
    }
    const auto status = response.result();
    if (ec && response.result_int() != 0 && status != http::status::switching_protocols) {
        const auto reason =
            response.reason().empty() ? http::obsolete_reason(status) : response.reason();
        Status refused = failed(step + " failed: server answered " +
                                std::to_string(response.result_int()) + " " + std::string(reason));
        refused.retryable = is_transient_refusal(response.result_int());
        co_return refused;
    }
    if (ec) {
        co_return failed(step + " failed: " + ec.message());
    }

    if (response[http::field::sec_websocket_protocol] != subprotocol) {
        tcp().close();
        co_return failed_for_good(step + " failed: server did not agree to subprotocol " +
                                  std::string(subprotocol));
    }

    // The WebSocket stream's own timeouts take over from here; a TCP expiry left running
    // would cut a healthy but quiet connection. Keepalive is the protocol layer's job.
    tcp().expires_never();
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.keep_alive_pings = false;
    with_socket([&](auto& ws) { ws.set_option(timeouts); });
    co_return Status{};
}

asio::awaitable<Status> Connection::Impl::open(std::chrono::steady_clock::time_point deadline) {
    if (auto status = make_socket(); !status.ok()) {
        co_return status;
    }

    tcp::resolver::results_type results;
    if (auto status = co_await resolve(deadline, results); !status.ok() || aborted) {
        co_return status;
    }

    tcp().expires_at(deadline);
    if (auto status = co_await connect(results); !status.ok()) {
        co_return status;
    }

    if (proxy) {
        if (auto status = co_await tunnel(); !status.ok()) {
            co_return status;
        }
    }

    if (secure) {
        if (auto status = co_await tls_handshake(); !status.ok()) {
            co_return status;
        }
    }

    co_return co_await upgrade();
}

Status Connection::Impl::read_failure(error_code ec) {
    // Once our close frame is out, Beast ends reads with operation_aborted after the close
    // handshake, having kept the peer's close frame in reason().
    const bool close_done = closing && !aborted && ec == asio::error::operation_aborted;
    if (ec == websocket::error::closed || close_done) {
        const auto& frame = with_socket([](auto& ws) -> const auto& { return ws.reason(); });
        // RFC 6455 7.1.5: a close frame without a code counts as 1005.
        close_info.code = frame.code == websocket::close_code::none
                              ? std::uint16_t{1005}
                              : static_cast<std::uint16_t>(frame.code);
        close_info.reason.assign(frame.reason.data(), frame.reason.size());
        std::string message = "connection closed with code " + std::to_string(close_info.code);
        if (!close_info.reason.empty()) {
            message += ": " + close_info.reason;
        }
        return {Status::Kind::closed, std::move(message)};
    }

    close_info.code = 1006;
    if (aborted || ec == asio::error::operation_aborted) {
        close_info.reason = "connection aborted";
    } else if (ec.category() == error_code(websocket::error::closed).category()) {
        close_info.reason = "connection failed: " + ec.message();
    } else if (ec == asio::error::eof) {
        close_info.reason = "connection lost: end of stream";
    } else {
        close_info.reason = "connection lost: " + ec.message();
    }
    return failed(close_info.reason);
}

Connection::Connection(asio::any_io_executor executor, Endpoint endpoint, TlsOptions tls,
                       std::optional<Proxy> proxy)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(endpoint), std::move(tls),
                                   std::move(proxy))) {}

Connection::~Connection() = default;

asio::awaitable<Status> Connection::open(std::chrono::steady_clock::time_point deadline) {
    impl_->aborted = false;
    auto status = co_await impl_->open(deadline);
    if (impl_->aborted) {
        co_return failed("connecting to " + impl_->where + " was aborted");
    }
    co_return status;
}

asio::awaitable<Status> Connection::read(std::string_view& frame) {
    auto& impl = *impl_;
    frame = {};
    if (!impl.has_socket()) {
        co_return failed("not connected to " + impl.where);
    }

    impl.buffer.consume(impl.buffer.size());
    auto [ec, size] =
        co_await impl.with_socket([&](auto& ws) { return ws.async_read(impl.buffer, as_values); });
    if (ec) {
        co_return impl.read_failure(ec);
    }

    frame = {static_cast<const char*>(impl.buffer.data().data()), size};
    co_return Status{};
}

asio::awaitable<Status> Connection::write(std::string_view text) {
    auto& impl = *impl_;
    if (!impl.has_socket()) {
        co_return failed("not connected to " + impl.where);
    }

    auto [ec, size] = co_await impl.with_socket([&](auto& ws) {
        return ws.async_write(asio::buffer(text.data(), text.size()), as_values);
    });
    if (ec) {
        co_return failed("cannot send to " + impl.where + ": " + ec.message());
    }
    co_return Status{};
}

asio::awaitable<Status> Connection::close(std::uint16_t code, std::string_view reason) {
    auto& impl = *impl_;
    if (!impl.has_socket()) {
        co_return failed("not connected to " + impl.where);
    }

    impl.closing = true;
    const websocket::close_reason frame(static_cast<websocket::close_code>(code),
                                        truncate_reason(reason));
    auto [ec] =
        co_await impl.with_socket([&](auto& ws) { return ws.async_close(frame, as_values); });
    if (ec) {
        co_return failed("closing the connection to " + impl.where + " failed: " + ec.message());
    }
    co_return Status{};
}

bool Connection::input_pending() const {
    auto& impl = *impl_;
    if (!impl.has_socket()) {
        return false;
    }
    if (impl.secure && SSL_pending(impl.secure->next_layer().native_handle()) > 0) {
        return true;
    }
    error_code ec;
    return impl.tcp().socket().available(ec) > 0 && !ec;
}

void Connection::abort() {
    auto& impl = *impl_;
    impl.aborted = true;
    if (auto state = impl.resolving.lock()) {
        state->timer.cancel();
    }
    if (impl.has_socket()) {
        impl.tcp().close();
    }
}

const CloseInfo& Connection::close_info() const {
    return impl_->close_info;
}

} // namespace blink_sub::net
