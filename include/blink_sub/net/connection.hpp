#pragma once

#include "blink_sub/net/endpoint.hpp"
#include "blink_sub/net/proxy.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace blink_sub::net {

struct TlsOptions {
    std::string cacert; // PEM bundle to trust instead of the system store; empty: system store
    bool insecure = false;
};

// How an I/O step ended. `message` is a sentence for the user when failed,
// e.g. "TLS handshake with localhost:8443 failed: certificate verify failed
// (self-signed certificate); pass --cacert FILE to trust it".
struct Status {
    enum class Kind { ok, closed, failed };

    Kind kind = Kind::ok;
    std::string message;

    // False when trying again cannot help: an untrusted certificate, a bad
    // --cacert, an upgrade the server refuses for good.
    bool retryable = true;

    bool ok() const { return kind == Kind::ok; }
};

// A close frame as received (or 1006 with an explanation when none came).
struct CloseInfo {
    std::uint16_t code = 1006;
    std::string reason;
};

// One WebSocket connection speaking the graphql-transport-ws subprotocol over
// TCP or TLS. It knows nothing about GraphQL. One read and one write may be
// outstanding at a time; close() may overlap a pending read.
class Connection {
  public:
    // With a proxy, TCP goes to it and a CONNECT tunnel carries TLS and the upgrade.
    Connection(boost::asio::any_io_executor executor, Endpoint endpoint, TlsOptions tls,
               std::optional<Proxy> proxy);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Resolves, connects (and opens the proxy's tunnel), does the TLS handshake
    // (SNI, peer and host-name checks unless insecure) and the upgrade, all
    // before `deadline`.
    boost::asio::awaitable<Status> open(std::chrono::steady_clock::time_point deadline);

    // Reads one whole message. `frame` stays valid until the next read() or
    // try_read(). A close frame from the peer gives Kind::closed; see
    // close_info(). Pings are answered here, and by write().
    boost::asio::awaitable<Status> read(std::string_view& frame);

    // Takes the next whole message if it has already arrived, without waiting.
    // False when read() would have to wait, or has an ending to report.
    bool try_read(std::string_view& frame);

    boost::asio::awaitable<Status> write(std::string_view text);

    // Sends a close frame; the pending read then drops further messages and
    // ends with Kind::closed when the peer's close frame or end of stream comes.
    boost::asio::awaitable<Status> close(std::uint16_t code, std::string_view reason);

    // True when the socket or the TLS layer holds bytes not yet read, so that
    // a read now would not wait. Part of a frame already read does not count:
    // its rest may be a while.
    bool input_pending() const;

    // Drops the socket at once; pending operations end.
    void abort();

    const CloseInfo& close_info() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace blink_sub::net
