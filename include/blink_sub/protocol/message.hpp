#pragma once

#include "blink_sub/operation.hpp"
#include "blink_sub/secret.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace blink_sub::protocol {

// graphql-transport-ws message types a server may send.
enum class MessageType { connection_ack, ping, pong, next, error, complete };

struct GraphqlError {
    std::string message;
    std::string code; // extensions.code, or the `code` of a Blink business error

    friend bool operator==(const GraphqlError&, const GraphqlError&) = default;
};

// A decoded server frame, with the few facts the session needs pulled out.
struct ServerMessage {
    MessageType type = MessageType::next;
    std::string id;
    // The payload as compact JSON, empty when absent. It points into the
    // frame when the server sent it compact (the usual case), else into
    // `compacted`; either way it is valid until the next decode.
    std::string_view payload;
    std::string compacted;

    // `next`: payload.errors; `error`: the payload's error list.
    std::vector<GraphqlError> errors;

    // `next` only: the errors and status of the one field under `data`
    // (Blink's business errors and invoice statuses live there).
    std::vector<GraphqlError> data_errors;
    std::string data_status;
};

// Decodes and validates inbound frames. It keeps its parser between frames;
// bad input is reported, never thrown.
class FrameDecoder {
  public:
    FrameDecoder();
    ~FrameDecoder();
    FrameDecoder(const FrameDecoder&) = delete;
    FrameDecoder& operator=(const FrameDecoder&) = delete;

    // Returns false and sets `error` to a short description when the frame
    // is not a well-formed graphql-transport-ws server message.
    bool decode(std::string_view frame, ServerMessage& out, std::string& error);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Outbound messages, as JSON text.
Secret encode_connection_init(const Secret& payload);
std::string encode_subscribe(std::string_view id, const Operation& operation);
std::string encode_complete(std::string_view id);
std::string encode_ping();
std::string encode_pong();

} // namespace blink_sub::protocol
