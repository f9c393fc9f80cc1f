#include "blink_sub/net/connection.hpp"

#include "blink_sub/net/frame_codec.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/core/detail/sha1.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/error.hpp>
#include <cerrno>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <optional>
#include <span>
#include <sys/random.h>
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

// One read takes about 240 frames of a price flood; fewer, larger reads are what make it cheap.
constexpr std::size_t read_size = 64 * 1024;

// How long a close frame sent while failing or answering a close may take to go out.
constexpr std::chrono::seconds close_write_timeout{2};

using PlainSocket = beast::tcp_stream;
using TlsSocket = ssl::stream<beast::tcp_stream>;

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

// RFC 6455 5.3 and 4.1: mask keys and the handshake's nonce must be unpredictable. They come
// from the kernel rather than OpenSSL, so that a ws:// run never initialises OpenSSL, which
// costs more start-up time and memory than the rest of blink-sub's set-up together.
bool random_bytes(std::span<unsigned char> out) {
    while (!out.empty()) {
        const ssize_t got = getrandom(out.data(), out.size(), 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return false;
        }
        out = out.subspan(static_cast<std::size_t>(got));
    }
    return true;
}

MaskKey draw_mask_key() {
    MaskKey key{};
    // Without the kernel's generator nothing else here is trustworthy either; an all-zero key
    // still makes a valid frame, and the server cannot tell.
    random_bytes(key);
    return key;
}

std::string base64(const unsigned char* data, std::size_t size) {
    std::string text(beast::detail::base64::encoded_size(size), '\0');
    text.resize(beast::detail::base64::encode(text.data(), data, size));
    return text;
}

// RFC 6455 4.2.2: the server proves it read our key by hashing it with this GUID.
std::string expected_accept(const std::string& key) {
    const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    beast::detail::sha1_context context;
    beast::detail::init(context);
    beast::detail::update(context, input.data(), input.size());
    std::array<unsigned char, beast::detail::sha1_context::digest_size> digest{};
    beast::detail::finish(context, digest.data());
    return base64(digest.data(), digest.size());
}

// Why a 101 answer is not a valid upgrade (RFC 6455 4.1), or nothing.
error_code check_upgrade(const http::response<http::empty_body>& response, const std::string& key) {
    if (response.version() != 11) {
        return websocket::error::bad_http_version;
    }
    const auto upgrade = response[http::field::upgrade];
    if (upgrade.empty()) {
        return websocket::error::no_upgrade;
    }
    if (!http::token_list{upgrade}.exists("websocket")) {
        return websocket::error::no_upgrade_websocket;
    }
    const auto connection = response[http::field::connection];
    if (connection.empty()) {
        return websocket::error::no_connection;
    }
    if (!http::token_list{connection}.exists("upgrade")) {
        return websocket::error::no_connection_upgrade;
    }
    const auto accept = response[http::field::sec_websocket_accept];
    if (accept.empty()) {
        return websocket::error::no_sec_accept;
    }
    const std::string expected = expected_accept(key);
    if (expected.empty() || accept != expected) {
        return websocket::error::bad_sec_accept;
    }
    return {};
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
    CloseInfo close_info;

    FrameReader reader;
    InboundMessage message;
    // What read() has yet to report: the peer's close frame or a protocol error.
    std::optional<CloseInfo> peer_close;
    std::error_code protocol_error;
    std::optional<Status> ended; // what read() reported last, once it has
    // ws:// only: the last read from the socket came back short, so the kernel held nothing
    // more at that moment, and input_pending() need not ask it again: lines go out at once.
    bool drained = false;

    // Frames go out one write at a time. Whoever finds no write in progress sends the outbox,
    // including frames queued meanwhile; the others wait on `write_done` for their turn.
    std::string outbox;
    std::string sending;
    bool writing = false;
    std::uint64_t queued = 0;
    std::uint64_t sent = 0;
    error_code write_error;
    asio::steady_timer write_done{executor, asio::steady_timer::time_point::max()};
    std::optional<std::string> pong; // RFC 6455 5.5.3: only the latest ping needs an answer
    bool closing = false;            // our close frame is queued or out

    bool has_socket() const { return plain || secure; }

    bool ending() const { return peer_close || protocol_error; }

    beast::tcp_stream& tcp() {
        return secure ? beast::get_lowest_layer(*secure) : beast::get_lowest_layer(*plain);
    }

    // The stream the HTTP steps and writes use; its timeout bounds them.
    template <typename Op>
    decltype(auto) with_timed_stream(Op&& op) {
        return secure ? op(*secure) : op(*plain);
    }

    // The stream frames are read from; reads wait as long as the peer keeps quiet.
    template <typename Op>
    decltype(auto) with_read_stream(Op&& op) {
        return secure ? op(*secure) : op(plain->socket());
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
    bool parse(std::string_view& frame);
    asio::awaitable<Status> finish_read();
    std::uint64_t queue(std::string_view frame);
    asio::awaitable<error_code> send(std::string frame);
    asio::awaitable<error_code> flush();
    Status read_failure(error_code ec);
};

Status Connection::Impl::make_socket() {
    secure.reset();
    plain.reset();
    context.reset();
    close_info = {};
    reader.reset();
    peer_close.reset();
    protocol_error.clear();
    ended.reset();
    drained = false;
    outbox.clear();
    pong.reset();
    write_error.clear();
    closing = false;

    if (!endpoint.secure) {
        plain.emplace(executor);
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

    secure.emplace(executor, *context);
    SSL* ssl = secure->native_handle();
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

    // An address needs no lookup: answer it here rather than wake the resolver's thread.
    if (is_ip_literal(host)) {
        tcp::resolver resolver(executor);
        error_code ec;
        results = resolver.resolve(
            host, port, tcp::resolver::numeric_host | tcp::resolver::numeric_service, ec);
        if (ec) {
            co_return failed("cannot resolve " + name + ": " + ec.message());
        }
        co_return Status{};
    }

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
    auto [ec] = co_await secure->async_handshake(ssl::stream_base::client, as_values);
    co_return ec ? tls_failure(ec) : Status{};
}

Status Connection::Impl::tls_failure(error_code ec) {
    const std::string step = "TLS handshake with " + where;
    if (ec == beast::error::timeout) {
        return failed(step + " timed out");
    }

    const long verify_result = SSL_get_verify_result(secure->native_handle());
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

// The upgrade runs over Beast's HTTP parser with a buffer of our own, so that frames arriving
// right behind the 101 answer stay ours to read.
asio::awaitable<Status> Connection::Impl::upgrade() {
    const std::string step = "WebSocket upgrade to " + where + endpoint.target;

    std::array<unsigned char, 16> nonce;
    if (!random_bytes(nonce)) {
        co_return failed(step + " failed: cannot draw a key: " +
                         std::error_code(errno, std::generic_category()).message());
    }
    const std::string key = base64(nonce.data(), nonce.size());

    http::request<http::empty_body> request{http::verb::get, endpoint.target, 11};
    request.set(http::field::host, host_header(endpoint));
    request.set(http::field::upgrade, "websocket");
    request.set(http::field::connection, "Upgrade");
    request.set(http::field::sec_websocket_key, key);
    request.set(http::field::sec_websocket_version, "13");
    request.set(http::field::sec_websocket_protocol, subprotocol);
    request.set(http::field::user_agent, "blink-sub");

    auto [write_ec, written] = co_await with_timed_stream(
        [&](auto& stream) { return http::async_write(stream, request, as_values); });
    if (write_ec == beast::error::timeout) {
        co_return failed(step + " timed out");
    }
    if (write_ec) {
        co_return failed(step + " failed: " + write_ec.message());
    }

    // A 101 answer ends with its header; a refusal's body is of no interest.
    http::response_parser<http::empty_body> parser;
    beast::flat_buffer received;
    auto [read_ec, size] = co_await with_timed_stream(
        [&](auto& stream) { return http::async_read_header(stream, received, parser, as_values); });
    if (read_ec == beast::error::timeout) {
        co_return failed(step + " timed out");
    }
    if (read_ec) {
        co_return failed(step + " failed: " + read_ec.message());
    }

    const auto& response = parser.get();
    const auto status = response.result();
    if (status != http::status::switching_protocols) {
        const auto reason =
            response.reason().empty() ? http::obsolete_reason(status) : response.reason();
        Status refused = failed(step + " failed: server answered " +
                                std::to_string(response.result_int()) + " " + std::string(reason));
        refused.retryable = is_transient_refusal(response.result_int());
        co_return refused;
    }
    if (const auto invalid = check_upgrade(response, key)) {
        co_return failed(step + " failed: " + invalid.message());
    }

    if (response[http::field::sec_websocket_protocol] != subprotocol) {
        tcp().close();
        co_return failed_for_good(step + " failed: server did not agree to subprotocol " +
                                  std::string(subprotocol));
    }

    const auto early = received.cdata();
    reader.feed({static_cast<const char*>(early.data()), early.size()});

    // A TCP expiry left running would cut a healthy but quiet connection. Keepalive is the
    // protocol layer's job.
    tcp().expires_never();
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

// Takes buffered frames until a data message, answering pings on the way. False when more
// bytes are needed or an ending (a close frame, a protocol error) waits for finish_read().
bool Connection::Impl::parse(std::string_view& frame) {
    for (;;) {
        const auto result = reader.next(message);
        if (result == FrameReader::Result::incomplete) {
            return false;
        }
        if (result == FrameReader::Result::error) {
            protocol_error = reader.error();
            return false;
        }

        switch (message.kind) {
        case InboundMessage::Kind::text:
        case InboundMessage::Kind::binary:
            // After our close frame only the peer's close matters.
            if (closing) {
                continue;
            }
            frame = message.payload;
            return true;
        case InboundMessage::Kind::ping:
            if (!closing) {
                pong = encode_pong(message.payload, draw_mask_key());
            }
            continue;
        case InboundMessage::Kind::pong:
            continue;
        case InboundMessage::Kind::close:
            peer_close = CloseInfo{message.close_code, std::string(message.payload)};
            return false;
        }
    }
}

asio::awaitable<Status> Connection::Impl::finish_read() {
    if (protocol_error) {
        // RFC 6455 7.1.7: fail the connection, telling the server why if it still listens.
        if (!closing) {
            closing = true;
            const auto code = close_code_for(static_cast<FrameError>(protocol_error.value()));
            tcp().expires_after(close_write_timeout);
            co_await send(encode_close(code, "", draw_mask_key()));
        }
        tcp().close();
        close_info = {1006, "connection failed: " + protocol_error.message()};
        co_return failed(close_info.reason);
    }

    close_info = *peer_close;
    // RFC 6455 5.5.1: a close frame is answered with one echoing its code.
    if (!closing) {
        closing = true;
        tcp().expires_after(close_write_timeout);
        co_await send(encode_close(close_info.code, "", draw_mask_key()));
    }
    std::string text = "connection closed with code " + std::to_string(close_info.code);
    if (!close_info.reason.empty()) {
        text += ": " + close_info.reason;
    }
    co_return Status{Status::Kind::closed, std::move(text)};
}

std::uint64_t Connection::Impl::queue(std::string_view frame) {
    if (!write_error) {
        outbox += frame;
    }
    return ++queued;
}

asio::awaitable<error_code> Connection::Impl::send(std::string frame) {
    if (write_error) {
        co_return write_error;
    }
    const std::uint64_t ticket = queue(frame);
    if (!writing) {
        co_return co_await flush();
    }
    while (writing && sent < ticket) {
        co_await write_done.async_wait(as_values);
    }
    co_return sent >= ticket ? error_code{} : write_error;
}

asio::awaitable<error_code> Connection::Impl::flush() {
    writing = true;
    error_code ec;
    while (!outbox.empty()) {
        sending.swap(outbox);
        outbox.clear();
        const std::uint64_t batch = queued;
        auto [write_ec, size] = co_await with_timed_stream([&](auto& stream) {
            return asio::async_write(stream, asio::buffer(sending), as_values);
        });
        sending.clear();
        if (write_ec) {
            ec = write_error = write_ec;
            outbox.clear();
            break;
        }
        sent = batch;
    }
    writing = false;
    write_done.cancel();
    co_return ec;
}

Status Connection::Impl::read_failure(error_code ec) {
    close_info.code = 1006;
    if (aborted || ec == asio::error::operation_aborted) {
        close_info.reason = "connection aborted";
    } else if (closing && ec == asio::error::eof) {
        // Our close frame is out, so the end was asked for, if without the server's close.
        close_info.reason = "connection closed without a close frame";
        return {Status::Kind::closed, close_info.reason};
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

    for (;;) {
        if (impl.ended) {
            co_return *impl.ended;
        }
        if (impl.aborted) {
            impl.ended = impl.read_failure(asio::error::operation_aborted);
            continue;
        }
        if (!impl.ending() && impl.parse(frame)) {
            co_return Status{};
        }
        if (impl.ending()) {
            impl.ended = co_await impl.finish_read();
            continue;
        }

        // A pong joins a write in progress rather than hold up the reads behind it.
        if (impl.pong && !impl.closing) {
            std::string pong = std::move(*impl.pong);
            impl.pong.reset();
            if (impl.writing) {
                impl.queue(pong);
            } else {
                co_await impl.send(std::move(pong));
            }
        }

        const auto room = impl.reader.prepare(read_size);
        auto [ec, size] = co_await impl.with_read_stream([&](auto& stream) {
            return stream.async_read_some(asio::buffer(room.data(), room.size()), as_values);
        });
        impl.reader.commit(size);
        impl.drained = !ec && !impl.secure && size < room.size();
        if (ec) {
            impl.ended = impl.read_failure(ec);
        }
    }
}

bool Connection::try_read(std::string_view& frame) {
    auto& impl = *impl_;
    if (!impl.has_socket() || impl.aborted || impl.ended || impl.ending()) {
        return false;
    }
    return impl.parse(frame);
}

asio::awaitable<Status> Connection::write(std::string_view text) {
    auto& impl = *impl_;
    if (!impl.has_socket()) {
        co_return failed("not connected to " + impl.where);
    }

    // RFC 6455 5.5.1: no data frame may follow our close frame.
    if (impl.closing) {
        co_return failed("cannot send to " + impl.where + ": " +
                         error_code(asio::error::shut_down).message());
    }

    std::string frame = encode_text(text, draw_mask_key());
    if (impl.pong && !impl.closing) {
        frame.insert(0, *impl.pong);
        impl.pong.reset();
    }
    if (const auto ec = co_await impl.send(std::move(frame))) {
        co_return failed("cannot send to " + impl.where + ": " + ec.message());
    }
    co_return Status{};
}

asio::awaitable<Status> Connection::close(std::uint16_t code, std::string_view reason) {
    auto& impl = *impl_;
    if (!impl.has_socket()) {
        co_return failed("not connected to " + impl.where);
    }
    if (impl.closing) {
        co_return Status{};
    }

    impl.closing = true;
    if (const auto ec = co_await impl.send(encode_close(code, reason, draw_mask_key()))) {
        co_return failed("closing the connection to " + impl.where + " failed: " + ec.message());
    }
    co_return Status{};
}

bool Connection::input_pending() const {
    auto& impl = *impl_;
    if (!impl.has_socket()) {
        return false;
    }
    if (impl.ending()) {
        return true;
    }
    if (impl.secure && SSL_pending(impl.secure->native_handle()) > 0) {
        return true;
    }
    if (impl.drained) {
        return false;
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
