// One input is one server frame, as a WebSocket text message would carry it.
#include "blink_sub/protocol/message.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <simdjson.h>
#include <string>
#include <string_view>

namespace {

using blink_sub::protocol::FrameDecoder;
using blink_sub::protocol::MessageType;
using blink_sub::protocol::ServerMessage;

void check(bool condition, const char* what, std::string_view frame) {
    if (!condition) {
        std::fprintf(stderr, "frame_decoder_fuzz: %s; frame: %.*s\n", what,
                     static_cast<int>(frame.size()), frame.data());
        std::abort();
    }
}

// The payload as the slow, obviously right path sees it: simdjson's DOM
// serialised again. Nothing when the frame has none or nlohmann would not
// read it back (simdjson and nlohmann differ on a few number edge cases).
std::optional<nlohmann::json> reference_payload(std::string_view frame) {
    static simdjson::dom::parser parser;
    simdjson::dom::element payload;
    if (parser.parse(frame.data(), frame.size())["payload"].get(payload) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    const std::string text = simdjson::minify(payload);
    if (!nlohmann::json::accept(text)) {
        return std::nullopt;
    }
    return nlohmann::json::parse(text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The session keeps one decoder for every frame of a run, so state left by
    // one input must not spoil the next.
    static FrameDecoder decoder;
    static ServerMessage message;

    const std::string_view frame(reinterpret_cast<const char*>(data), size);
    std::string error;
    if (!decoder.decode(frame, message, error)) {
        check(!error.empty(), "a rejected frame comes without a reason", frame);
        return 0;
    }

    const bool needs_id = message.type == MessageType::next || message.type == MessageType::error ||
                          message.type == MessageType::complete;
    check(!needs_id || !message.id.empty(), "next, error and complete need an id", frame);
    check(message.type != MessageType::next || !message.payload.empty(),
          "a next message has no payload", frame);
    if (message.payload.empty()) {
        return 0;
    }

    // The payload goes to stdout as one line: compact, valid JSON, and the
    // same value the server sent.
    check(message.payload.find('\n') == std::string_view::npos, "the payload spans lines", frame);
    check(nlohmann::json::accept(message.payload), "the payload is not valid JSON", frame);
    const auto payload = nlohmann::json::parse(message.payload);
    check(message.type != MessageType::next || payload.is_object(),
          "a next payload is not an object", frame);
    check(message.type != MessageType::error || payload.is_array(),
          "an error payload is not a list", frame);
    const auto reference = reference_payload(frame);
    check(!reference || *reference == payload, "the payload differs from the frame's", frame);
    return 0;
}
