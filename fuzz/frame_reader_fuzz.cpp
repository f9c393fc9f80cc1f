// The bytes a server sends after the upgrade, through net::FrameReader. The first byte picks the
// message size limit and how the stream is cut into reads; the rest is the stream. The same
// bytes read whole and read in pieces must give the same messages and the same end.
#include "blink_sub/net/frame_codec.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <simdjson.h>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using blink_sub::net::FrameReader;
using blink_sub::net::InboundMessage;

void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "frame_reader_fuzz: %s\n", what);
        std::abort();
    }
}

struct Message {
    InboundMessage::Kind kind;
    std::string payload;
    std::uint16_t close_code;

    friend bool operator==(const Message&, const Message&) = default;
};

struct Outcome {
    std::vector<Message> messages;
    FrameReader::Result last = FrameReader::Result::incomplete;
    std::error_code error;
};

// Takes every message the reader has ready, checking each as it comes.
void drain(FrameReader& reader, Outcome& outcome) {
    InboundMessage message;
    FrameReader::Result result;
    while ((result = reader.next(message)) == FrameReader::Result::message) {
        const bool control = message.kind == InboundMessage::Kind::ping ||
                             message.kind == InboundMessage::Kind::pong ||
                             message.kind == InboundMessage::Kind::close;
        check(!control || message.payload.size() <= 125, "a control payload over 125 bytes");
        const bool text = message.kind == InboundMessage::Kind::text ||
                          message.kind == InboundMessage::Kind::close;
        check(!text || simdjson::validate_utf8(message.payload.data(), message.payload.size()),
              "text that is not UTF-8 came through");
        check(message.kind != InboundMessage::Kind::close || message.close_code >= 1000,
              "a close without a code");
        outcome.messages.push_back(
            {message.kind, std::string(message.payload), message.close_code});
    }
    outcome.last = result;
    outcome.error = reader.error();
    if (result == FrameReader::Result::error) {
        check(static_cast<bool>(reader.error()), "an error result without an error");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const unsigned choice = data[0];
    const std::span<const char> stream(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t limit =
        (choice & 1) != 0 ? 16 * (choice >> 1) : FrameReader::default_max_message;

    // The validator against simdjson's, on bytes of any kind.
    const std::string_view bytes(stream.data(), stream.size());
    check(blink_sub::net::is_valid_utf8(bytes) ==
              simdjson::validate_utf8(bytes.data(), bytes.size()),
          "is_valid_utf8 disagrees with simdjson");

    FrameReader whole(limit);
    Outcome expected;
    whole.feed(stream);
    drain(whole, expected);

    // Reads of varying sizes, each asking for room first, as the connection does.
    FrameReader pieces(limit);
    Outcome actual;
    std::uint32_t state = choice * 2654435761U + 1;
    for (std::size_t at = 0; at < stream.size();) {
        state = state * 1103515245U + 12345U;
        const std::size_t want = 1 + (state >> 16) % 97;
        const auto room = pieces.prepare(want);
        check(room.size() >= want, "prepare gave less room than asked");
        const std::size_t count = std::min({want, room.size(), stream.size() - at});
        std::memcpy(room.data(), stream.data() + at, count);
        pieces.commit(count);
        at += count;
        drain(pieces, actual);
        if (actual.last == FrameReader::Result::error) {
            break;
        }
    }
    check(actual.messages == expected.messages, "reading in pieces changed the messages");
    check(actual.last == expected.last && actual.error == expected.error,
          "reading in pieces changed the end");
    return 0;
}
