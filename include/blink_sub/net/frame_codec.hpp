#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace blink_sub::net {

// Why the server's bytes are not a valid RFC 6455 frame stream. make_error_code gives each a
// sentence through std::error_code::message().
enum class FrameError {
    masked_frame = 1,
    reserved_bits,
    unknown_opcode,
    bad_length,
    control_too_long,
    fragmented_control,
    unexpected_continuation,
    missing_continuation,
    message_too_big,
    bad_close_payload,
    bad_close_code,
    invalid_utf8,
};

const std::error_category& frame_category();
std::error_code make_error_code(FrameError error);

// The close code to fail the connection with (RFC 6455 7.4.1): 1007 for bad UTF-8, 1009 for a
// message over the limit, 1002 for everything else.
std::uint16_t close_code_for(FrameError error);

// One whole message from the server, or a control frame.
struct InboundMessage {
    enum class Kind { text, binary, ping, pong, close };

    Kind kind = Kind::text;
    std::string_view payload;     // close: the reason
    std::uint16_t close_code = 0; // close only; 1005 when the frame carried no code
};

// The client side of RFC 6455 framing, without I/O: bytes go in, whole messages come out.
// Unfragmented messages are views into the reader's own buffer; fragmented ones are joined in
// a second buffer. Either stays valid until the next call to next(), prepare() or feed().
class FrameReader {
  public:
    enum class Result { message, incomplete, error };

    static constexpr std::size_t default_max_message = 64 * 1024 * 1024;

    explicit FrameReader(std::size_t max_message = default_max_message);
    ~FrameReader();
    FrameReader(FrameReader&&) noexcept;
    FrameReader& operator=(FrameReader&&) noexcept;

    // Room for at least `size` more bytes (more when the frame being read needs it), to be
    // filled and then announced with commit(). May move the bytes not yet parsed.
    std::span<char> prepare(std::size_t size);
    void commit(std::size_t size);

    // prepare() and commit() in one, copying `bytes`.
    void feed(std::span<const char> bytes);

    // The next message, `incomplete` when more bytes are needed, or `error` (then error()
    // says why, and every later call gives `error` again).
    Result next(InboundMessage& out);

    std::error_code error() const { return error_; }

    // Bytes received but not yet returned as part of a message.
    std::size_t buffered() const { return end_ - begin_; }

    // Forgets all bytes and state, as for a new connection.
    void reset();

  private:
    Result fail(FrameError error);
    Result finish_data(bool text, std::string_view payload, InboundMessage& out);
    Result control(std::uint8_t opcode, std::string_view payload, InboundMessage& out);

    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;  // first byte not yet parsed
    std::size_t end_ = 0;    // one past the last byte received
    std::size_t needed_ = 0; // bytes the frame at begin_ needs in all, once its header is known
    std::size_t max_message_;
    std::string joined_; // the fragments of the message in progress
    bool in_message_ = false;
    bool joined_text_ = false;
    std::error_code error_;
};

using MaskKey = std::array<std::uint8_t, 4>;

// Client frames, masked with `key` as RFC 6455 5.3 requires of clients; the caller draws the
// key from a strong random source.
std::string encode_text(std::string_view payload, MaskKey key);
std::string encode_pong(std::string_view payload, MaskKey key);

// A code of 1005 sends a close frame without a code. The reason is cut at a character boundary
// to fit the 125 bytes of a control frame.
std::string encode_close(std::uint16_t code, std::string_view reason, MaskKey key);

// Whether `text` is well-formed UTF-8 (RFC 3629).
bool is_valid_utf8(std::string_view text);

} // namespace blink_sub::net

template <>
struct std::is_error_code_enum<blink_sub::net::FrameError> : std::true_type {};
