#include "blink_sub/net/frame_codec.hpp"

#include <algorithm>
#include <cstring>

namespace blink_sub::net {

namespace {

constexpr std::uint8_t op_continuation = 0x0;
constexpr std::uint8_t op_text = 0x1;
constexpr std::uint8_t op_binary = 0x2;
constexpr std::uint8_t op_close = 0x8;
constexpr std::uint8_t op_ping = 0x9;
constexpr std::uint8_t op_pong = 0xA;

// RFC 6455 5.5: control frames carry at most 125 bytes, and a close frame's code takes two.
constexpr std::size_t max_control_payload = 125;
constexpr std::size_t max_close_reason = max_control_payload - 2;

// A buffer this large that a small frame would fit is given back, so that one huge message
// does not pin its memory for the rest of the connection.
constexpr std::size_t shrink_above = 1024 * 1024;

class FrameCategory : public std::error_category {
  public:
    const char* name() const noexcept override { return "websocket frame"; }

    std::string message(int value) const override {
        switch (static_cast<FrameError>(value)) {
        case FrameError::masked_frame:
            return "the server sent a masked frame";
        case FrameError::reserved_bits:
            return "the server set a reserved bit in a frame header";
        case FrameError::unknown_opcode:
            return "the server sent a frame with an unknown opcode";
        case FrameError::bad_length:
            return "the server sent a malformed frame length";
        case FrameError::control_too_long:
            return "the server sent a control frame over 125 bytes";
        case FrameError::fragmented_control:
            return "the server sent a fragmented control frame";
        case FrameError::unexpected_continuation:
            return "the server sent a continuation frame outside a fragmented message";
        case FrameError::missing_continuation:
            return "the server started a new message inside a fragmented one";
        case FrameError::message_too_big:
            return "the server sent a message over the size limit";
        case FrameError::bad_close_payload:
            return "the server sent a malformed close frame";
        case FrameError::bad_close_code:
            return "the server sent a close frame with an invalid code";
        case FrameError::invalid_utf8:
            return "the server sent text that is not valid UTF-8";
        }
        return "unknown websocket frame error";
    }
};

std::uint64_t read_big_endian(const char* bytes, int size) {
    std::uint64_t value = 0;
    for (int i = 0; i < size; ++i) {
        value = value << 8 | static_cast<unsigned char>(bytes[i]);
    }
    return value;
}

// How many bytes at `at` are ASCII. JSON mostly is, so whole words are tested at once.
std::size_t ascii_prefix(const unsigned char* at, std::size_t size) {
    constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
    std::size_t count = 0;
    for (; count + 32 <= size; count += 32) {
        std::uint64_t words[4];
        std::memcpy(words, at + count, sizeof words);
        if (((words[0] | words[1] | words[2] | words[3]) & high_bits) != 0) {
            break;
        }
    }
    for (; count + 8 <= size; count += 8) {
        std::uint64_t word;
        std::memcpy(&word, at + count, sizeof word);
        if ((word & high_bits) != 0) {
            break;
        }
    }
    while (count < size && at[count] < 0x80) {
        ++count;
    }
    return count;
}

// RFC 6455 7.4: codes a peer may send; 1004-1006 and 1015 are reserved for local use.
bool is_valid_close_code(std::uint16_t code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

std::string encode_frame(std::uint8_t opcode, std::string_view payload, MaskKey key) {
    const std::size_t size = payload.size();
    const std::size_t extended = size < 126 ? 0 : size <= 0xFFFF ? 2 : 8;
    std::string frame(2 + extended + key.size() + size, '\0');
    auto* out = reinterpret_cast<unsigned char*>(frame.data());

    out[0] = 0x80 | opcode; // FIN: client messages are never fragmented
    const unsigned char masked = 0x80;
    if (extended == 0) {
        out[1] = masked | static_cast<unsigned char>(size);
    } else {
        out[1] = masked | (extended == 2 ? 126 : 127);
        for (std::size_t i = 0; i < extended; ++i) {
            out[2 + i] = static_cast<unsigned char>(size >> (8 * (extended - 1 - i)));
        }
    }

    unsigned char* body = out + 2 + extended;
    std::memcpy(body, key.data(), key.size());
    body += key.size();
    for (std::size_t i = 0; i < size; ++i) {
        body[i] = static_cast<unsigned char>(payload[i]) ^ key[i % 4];
    }
    return frame;
}

// Cuts at a UTF-8 character boundary so the close frame stays valid text.
std::string_view truncate_reason(std::string_view reason) {
    if (reason.size() <= max_close_reason) {
        return reason;
    }
    std::size_t size = max_close_reason;
    while (size > 0 && (static_cast<unsigned char>(reason[size]) & 0xC0) == 0x80) {
        --size;
    }
    return reason.substr(0, size);
}

} // namespace

const std::error_category& frame_category() {
    static const FrameCategory category;
    return category;
}

std::error_code make_error_code(FrameError error) {
    return {static_cast<int>(error), frame_category()};
}

std::uint16_t close_code_for(FrameError error) {
    switch (error) {
    case FrameError::invalid_utf8:
        return 1007;
    case FrameError::message_too_big:
        return 1009;
    default:
        return 1002;
    }
}

FrameReader::FrameReader(std::size_t max_message) : max_message_(max_message) {}

FrameReader::~FrameReader() = default;
FrameReader::FrameReader(FrameReader&&) noexcept = default;
FrameReader& FrameReader::operator=(FrameReader&&) noexcept = default;

std::span<char> FrameReader::prepare(std::size_t size) {
    const std::size_t pending = end_ - begin_;
    if (pending == 0) {
        begin_ = end_ = 0;
    }
    const std::size_t rest = needed_ > pending ? needed_ - pending : 0;
    const std::size_t room = std::max(size, rest);
    const bool oversized = capacity_ > shrink_above && capacity_ > 2 * (pending + room);

    if (capacity_ - end_ < room || oversized) {
        if (pending + room <= capacity_ && !oversized) {
            std::memmove(buffer_.get(), buffer_.get() + begin_, pending);
        } else {
            auto larger = std::make_unique_for_overwrite<char[]>(pending + room);
            if (pending > 0) {
                std::memcpy(larger.get(), buffer_.get() + begin_, pending);
            }
            buffer_ = std::move(larger);
            capacity_ = pending + room;
        }
        begin_ = 0;
        end_ = pending;
    }
    return {buffer_.get() + end_, capacity_ - end_};
}

void FrameReader::commit(std::size_t size) {
    end_ += std::min(size, capacity_ - end_);
}

void FrameReader::feed(std::span<const char> bytes) {
    // A reader that has no buffer yet would hand memcpy a null pointer, which it never allows.
    if (bytes.empty()) {
        return;
    }
    const auto room = prepare(bytes.size());
    std::memcpy(room.data(), bytes.data(), bytes.size());
    commit(bytes.size());
}

void FrameReader::reset() {
    begin_ = end_ = needed_ = 0;
    joined_.clear();
    in_message_ = false;
    error_.clear();
}

FrameReader::Result FrameReader::fail(FrameError error) {
    error_ = error;
    return Result::error;
}

FrameReader::Result FrameReader::next(InboundMessage& out) {
    for (;;) {
        if (error_) {
            return Result::error;
        }
        const std::size_t available = end_ - begin_;
        if (available < 2) {
            return Result::incomplete;
        }
        const char* frame = buffer_.get() + begin_;
        const auto first = static_cast<unsigned char>(frame[0]);
        const auto second = static_cast<unsigned char>(frame[1]);
        const bool fin = (first & 0x80) != 0;
        const std::uint8_t opcode = first & 0x0F;
        const bool is_control = (opcode & 0x08) != 0;

        // RFC 6455 5.2: no extension is negotiated, so every reserved bit must be clear.
        if ((first & 0x70) != 0) {
            return fail(FrameError::reserved_bits);
        }
        if (is_control ? opcode > op_pong : opcode > op_binary) {
            return fail(FrameError::unknown_opcode);
        }
        // RFC 6455 5.1: a client must fail the connection on a masked frame from the server.
        if ((second & 0x80) != 0) {
            return fail(FrameError::masked_frame);
        }

        std::size_t header = 2;
        std::uint64_t length = second & 0x7F;
        if (length == 126) {
            if (available < 4) {
                return Result::incomplete;
            }
            header = 4;
            length = read_big_endian(frame + 2, 2);
            // RFC 6455 5.2: lengths use the shortest encoding.
            if (length < 126) {
                return fail(FrameError::bad_length);
            }
        } else if (length == 127) {
            if (available < 10) {
                return Result::incomplete;
            }
            header = 10;
            length = read_big_endian(frame + 2, 8);
            // RFC 6455 5.2: the most significant bit of a 64-bit length must be 0.
            if (length <= 0xFFFF || (length >> 63) != 0) {
                return fail(FrameError::bad_length);
            }
        }

        if (is_control) {
            // RFC 6455 5.5: control frames are at most 125 bytes and never fragmented.
            if (!fin) {
                return fail(FrameError::fragmented_control);
            }
            if (length > max_control_payload) {
                return fail(FrameError::control_too_long);
            }
        } else {
            // RFC 6455 5.4: fragments of one message are not interleaved with another's.
            if (opcode == op_continuation && !in_message_) {
                return fail(FrameError::unexpected_continuation);
            }
            if (opcode != op_continuation && in_message_) {
                return fail(FrameError::missing_continuation);
            }
            const std::size_t so_far = in_message_ ? joined_.size() : 0;
            if (length > max_message_ - so_far) {
                return fail(FrameError::message_too_big);
            }
        }

        const std::size_t total = header + static_cast<std::size_t>(length);
        if (available < total) {
            needed_ = total;
            return Result::incomplete;
        }
        needed_ = 0;
        begin_ += total;
        const std::string_view payload(frame + header, static_cast<std::size_t>(length));

        if (is_control) {
            return control(opcode, payload, out);
        }
        if (opcode != op_continuation && fin) {
            return finish_data(opcode == op_text, payload, out);
        }
        if (opcode != op_continuation) {
            if (joined_.capacity() > shrink_above) {
                joined_ = std::string();
            }
            joined_.assign(payload);
            joined_text_ = opcode == op_text;
            in_message_ = true;
            continue;
        }
        joined_.append(payload);
        if (fin) {
            in_message_ = false;
            return finish_data(joined_text_, joined_, out);
        }
    }
}

FrameReader::Result FrameReader::finish_data(bool text, std::string_view payload,
                                             InboundMessage& out) {
    // RFC 6455 8.1: text must be valid UTF-8 once the whole message is in.
    if (text && !is_valid_utf8(payload)) {
        return fail(FrameError::invalid_utf8);
    }
    out.kind = text ? InboundMessage::Kind::text : InboundMessage::Kind::binary;
    out.payload = payload;
    out.close_code = 0;
    return Result::message;
}

FrameReader::Result FrameReader::control(std::uint8_t opcode, std::string_view payload,
                                         InboundMessage& out) {
    out.payload = payload;
    out.close_code = 0;
    if (opcode == op_ping) {
        out.kind = InboundMessage::Kind::ping;
        return Result::message;
    }
    if (opcode == op_pong) {
        out.kind = InboundMessage::Kind::pong;
        return Result::message;
    }

    out.kind = InboundMessage::Kind::close;
    // RFC 6455 7.1.5: a close frame without a code counts as 1005.
    if (payload.empty()) {
        out.close_code = 1005;
        return Result::message;
    }
    if (payload.size() == 1) {
        return fail(FrameError::bad_close_payload);
    }
    const auto code = static_cast<std::uint16_t>(read_big_endian(payload.data(), 2));
    if (!is_valid_close_code(code)) {
        return fail(FrameError::bad_close_code);
    }
    // RFC 6455 5.5.1: the reason, if any, is UTF-8.
    const std::string_view reason = payload.substr(2);
    if (!is_valid_utf8(reason)) {
        return fail(FrameError::bad_close_payload);
    }
    out.close_code = code;
    out.payload = reason;
    return Result::message;
}

std::string encode_text(std::string_view payload, MaskKey key) {
    return encode_frame(op_text, payload, key);
}

std::string encode_pong(std::string_view payload, MaskKey key) {
    return encode_frame(op_pong, payload.substr(0, max_control_payload), key);
}

std::string encode_close(std::uint16_t code, std::string_view reason, MaskKey key) {
    // RFC 6455 7.4.1: 1005 only stands for "no code" and never goes on the wire.
    if (code == 1005) {
        return encode_frame(op_close, {}, key);
    }
    std::string payload;
    payload.reserve(max_control_payload);
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    payload.append(truncate_reason(reason));
    return encode_frame(op_close, payload, key);
}

bool is_valid_utf8(std::string_view text) {
    const auto* at = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = at + text.size();
    for (;;) {
        at += ascii_prefix(at, static_cast<std::size_t>(end - at));
        if (at == end) {
            return true;
        }

        // RFC 3629 4: the second byte's range rules out overlong forms, surrogates and code
        // points above U+10FFFF.
        const unsigned char lead = *at;
        int trailing = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            trailing = 1;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            trailing = 2;
            low = lead == 0xE0 ? 0xA0 : 0x80;
            high = lead == 0xED ? 0x9F : 0xBF;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            trailing = 3;
            low = lead == 0xF0 ? 0x90 : 0x80;
            high = lead == 0xF4 ? 0x8F : 0xBF;
        } else {
            return false;
        }
        if (end - at <= trailing || at[1] < low || at[1] > high) {
            return false;
        }
        for (int i = 2; i <= trailing; ++i) {
            if ((at[i] & 0xC0) != 0x80) {
                return false;
            }
        }
        at += trailing + 1;
    }
}

} // namespace blink_sub::net
