#include "blink_sub/protocol/message.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <simdjson.h>

namespace blink_sub::protocol {

namespace {

using simdjson::dom::element;

std::string_view string_field(element object, const char* key) {
    std::string_view value;
    if (object[key].get(value) != simdjson::SUCCESS) {
        return {};
    }
    return value;
}

// GraphQL errors carry their code in extensions.code; Blink's business errors
// (inside data) carry it as `code`.
void read_errors(element list, std::vector<GraphqlError>& out) {
    simdjson::dom::array errors;
    if (list.get(errors) != simdjson::SUCCESS) {
        return;
    }
    for (element error : errors) {
        GraphqlError& item = out.emplace_back();
        item.message = string_field(error, "message");
        item.code = string_field(error, "code");
        element extensions;
        if (item.code.empty() && error["extensions"].get(extensions) == simdjson::SUCCESS) {
            item.code = string_field(extensions, "code");
        }
    }
}

void read_next_payload(element payload, ServerMessage& out) {
    element errors;
    if (payload["errors"].get(errors) == simdjson::SUCCESS) {
        read_errors(errors, out.errors);
    }

    simdjson::dom::object data;
    if (payload["data"].get(data) != simdjson::SUCCESS) {
        return;
    }
    for (auto [key, field] : data) {
        element field_errors;
        if (field["errors"].get(field_errors) == simdjson::SUCCESS) {
            read_errors(field_errors, out.data_errors);
        }
        out.data_status = string_field(field, "status");
        break; // a subscription document selects exactly one root field
    }
}

// Where the payload's text lies in the frame, in the usual shape of a
// graphql-ws frame: `"payload"` is the one and last member, spelt plainly,
// and no member before it holds an object or array (so no nested key can be
// found first). Nothing when the frame has another shape; the caller then
// serialises the parsed payload instead.
std::optional<std::string_view> payload_text(std::string_view frame, simdjson::dom::object root) {
    int payloads = 0;
    bool payload_last = false;
    for (auto [key, value] : root) {
        payload_last = key == "payload";
        payloads += payload_last ? 1 : 0;
        if (!payload_last && (value.is_object() || value.is_array())) {
            return std::nullopt;
        }
    }
    if (payloads != 1 || !payload_last) {
        return std::nullopt;
    }

    // In valid JSON a quote that follows `{` or `,` opens a key; any other
    // match (say inside the key "\"payload") is not the member.
    constexpr std::string_view marker = "\"payload\":";
    const std::size_t at = frame.find(marker);
    if (at == std::string_view::npos || at == 0 || frame.find('{', 1) < at) {
        return std::nullopt;
    }
    const std::size_t before = frame.find_last_not_of(" \t\r\n", at - 1);
    if (before == std::string_view::npos || (frame[before] != ',' && frame[before] != '{')) {
        return std::nullopt;
    }

    const std::size_t begin = frame.find_first_not_of(" \t\r\n", at + marker.size());
    std::size_t end = frame.find_last_not_of(" \t\r\n");
    if (begin == std::string_view::npos || end == std::string_view::npos || frame[end] != '}') {
        return std::nullopt;
    }
    end = frame.find_last_not_of(" \t\r\n", end - 1) + 1;
    return frame.substr(begin, end - begin);
}

bool parse_type(std::string_view name, MessageType& type) {
    static constexpr std::pair<std::string_view, MessageType> names[] = {
        {"next", MessageType::next},         {"ping", MessageType::ping},
        {"pong", MessageType::pong},         {"error", MessageType::error},
        {"complete", MessageType::complete}, {"connection_ack", MessageType::connection_ack},
    };
    for (const auto& [known, value] : names) {
        if (name == known) {
            type = value;
            return true;
        }
    }
    return false;
}

bool needs_id(MessageType type) {
    return type == MessageType::next || type == MessageType::error || type == MessageType::complete;
}

} // namespace

struct FrameDecoder::Impl {
    simdjson::dom::parser parser;
};

FrameDecoder::FrameDecoder() : impl_(std::make_unique<Impl>()) {}

FrameDecoder::~FrameDecoder() = default;

bool FrameDecoder::decode(std::string_view frame, ServerMessage& out, std::string& error) {
    out.id.clear();
    out.payload = {};
    out.errors.clear();
    out.data_errors.clear();
    out.data_status.clear();

    element root;
    if (auto code = impl_->parser.parse(frame.data(), frame.size()).get(root);
        code != simdjson::SUCCESS) {
        error = std::string("not valid JSON: ") + simdjson::error_message(code);
        return false;
    }
    simdjson::dom::object members;
    if (root.get(members) != simdjson::SUCCESS) {
        error = "not a JSON object";
        return false;
    }

    std::string_view type;
    if (root["type"].get(type) != simdjson::SUCCESS) {
        error = "no \"type\" string";
        return false;
    }
    if (!parse_type(type, out.type)) {
        error = "unknown message type \"" + std::string(type.substr(0, 40)) + "\"";
        return false;
    }

    std::string_view id;
    if (needs_id(out.type)) {
        if (root["id"].get(id) != simdjson::SUCCESS || id.empty()) {
            error = std::string(type) + " message without an \"id\" string";
            return false;
        }
        out.id = id;
    }

    element payload;
    bool has_payload = root["payload"].get(payload) == simdjson::SUCCESS && !payload.is_null();
    if (out.type == MessageType::next) {
        if (!has_payload || !payload.is_object()) {
            error = "next message without an object payload";
            return false;
        }
        read_next_payload(payload, out);
    } else if (out.type == MessageType::error) {
        if (!has_payload || !payload.is_array()) {
            error = "error message without a list of errors";
            return false;
        }
        read_errors(payload, out.errors);
    }
    if (has_payload) {
        // The frame is valid JSON by now: the payload's own text can go to
        // stdout once white space outside strings is squeezed out, which
        // simdjson's text minifier does far faster than serialising the DOM.
        auto text = payload_text(frame, members);
        if (text) {
            std::size_t size = 0;
            out.compacted.resize(text->size());
            if (simdjson::minify(text->data(), text->size(), out.compacted.data(), size) !=
                simdjson::SUCCESS) {
                text.reset();
            } else if (size == text->size()) {
                out.payload = *text; // already compact: no copy at all
            } else {
                out.compacted.resize(size);
                out.payload = out.compacted;
            }
        }
        if (!text) {
            out.compacted = simdjson::minify(payload);
            out.payload = out.compacted;
        }
    }
    return true;
}

Secret encode_connection_init(const Secret& payload) {
    nlohmann::json message = {{"type", "connection_init"}};
    if (!payload.empty()) {
        message["payload"] = nlohmann::json::parse(payload.reveal());
    }
    return Secret(message.dump());
}

std::string encode_subscribe(std::string_view id, const Operation& operation) {
    nlohmann::json payload = {{"query", operation.query}};
    if (!operation.variables.empty()) {
        payload["variables"] = nlohmann::json::parse(operation.variables);
    }
    if (!operation.operation_name.empty()) {
        payload["operationName"] = operation.operation_name;
    }
    nlohmann::json message = {{"id", id}, {"type", "subscribe"}, {"payload", std::move(payload)}};
    return message.dump();
}

std::string encode_complete(std::string_view id) {
    return nlohmann::json{{"id", id}, {"type", "complete"}}.dump();
}

std::string encode_ping() {
    return R"({"type":"ping"})";
}

std::string encode_pong() {
    return R"({"type":"pong"})";
}

} // namespace blink_sub::protocol
