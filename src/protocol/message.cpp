#include "blink_sub/protocol/message.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <simdjson.h>

namespace blink_sub::protocol {

namespace {

using simdjson::dom::element;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The position of the last byte before `end` that is not JSON white space; npos if none.
std::size_t last_non_space(std::string_view text, std::size_t end) {
    while (end > 0) {
        if (!is_space(text[--end])) {
            return end;
        }
    }
    return std::string_view::npos;
}

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

// What one pass over the frame's members finds. The first of duplicate keys counts, as with
// simdjson's own lookup.
struct Members {
    std::optional<element> type;
    std::optional<element> id;
    std::optional<element> payload;
    int payloads = 0;
    bool payload_last = false;
    bool nested_besides_payload = false; // a member other than "payload" holds an object or array
};

Members scan_members(simdjson::dom::object root) {
    Members found;
    for (auto [key, value] : root) {
        found.payload_last = key == "payload";
        if (found.payload_last) {
            ++found.payloads;
            if (!found.payload) {
                found.payload = value;
            }
            continue;
        }
        if (value.is_object() || value.is_array()) {
            found.nested_besides_payload = true;
        }
        if (key == "type" && !found.type) {
            found.type = value;
        } else if (key == "id" && !found.id) {
            found.id = value;
        }
    }
    return found;
}

// Where the payload's text lies in the frame, in the usual shape of a graphql-ws frame:
// `"payload"` is the one and last member, its value an object, and no other member holds an
// object or array. Then the first `{` after the frame's own opens the payload, unless it stands
// inside a string; it is taken only when a plainly spelt `"payload"` key and its colon come
// right before it, which a `{` inside a string cannot have (a quote in a string is escaped).
// Nothing when the frame has another shape; the caller then serialises the parsed payload.
std::optional<std::string_view> payload_text(std::string_view frame, const Members& members) {
    if (members.payloads != 1 || !members.payload_last || members.nested_besides_payload) {
        return std::nullopt;
    }
    constexpr std::string_view key = "\"payload\"";
    const std::size_t begin = frame.find('{', 1);
    if (begin == std::string_view::npos) {
        return std::nullopt;
    }
    const std::size_t colon = last_non_space(frame, begin);
    if (colon == std::string_view::npos || frame[colon] != ':') {
        return std::nullopt;
    }
    const std::size_t key_end = last_non_space(frame, colon) + 1;
    if (key_end < key.size() + 1 || frame.substr(key_end - key.size(), key.size()) != key) {
        return std::nullopt;
    }
    // In valid JSON a quote that follows `{` or `,` opens a key; the key "\"payload" (whose
    // quote follows a backslash) is not the member.
    const std::size_t before = last_non_space(frame, key_end - key.size());
    if (before == std::string_view::npos || (frame[before] != ',' && frame[before] != '{')) {
        return std::nullopt;
    }

    // The payload is the last member, so its closing brace is the last but one.
    std::size_t end = last_non_space(frame, frame.size());
    if (end == std::string_view::npos || frame[end] != '}') {
        return std::nullopt;
    }
    end = last_non_space(frame, end) + 1;
    if (end <= begin) {
        return std::nullopt;
    }
    return frame.substr(begin, end - begin);
}

// In valid JSON, white space outside strings is the only byte at or below U+0020 besides the
// space inside strings (control characters must be escaped there). Text without any such byte
// is therefore already compact, which this scan settles faster than the minifier can. The
// lowest byte of each block is found with vector instructions: the fixed-size inner loop is
// what the compiler turns into them.
bool surely_compact(std::string_view json) {
    constexpr std::size_t block = 32;
    const auto* bytes = reinterpret_cast<const unsigned char*>(json.data());
    const std::size_t size = json.size();
    std::size_t at = 0;
    for (; at + block <= size; at += block) {
        unsigned char lowest = 0xff;
        for (std::size_t i = 0; i < block; ++i) {
            lowest = std::min(lowest, bytes[at + i]);
        }
        if (lowest <= 0x20) {
            return false;
        }
    }
    for (; at < size; ++at) {
        if (bytes[at] <= 0x20) {
            return false;
        }
    }
    return true;
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
    simdjson::dom::object object;
    if (root.get(object) != simdjson::SUCCESS) {
        error = "not a JSON object";
        return false;
    }

    const Members members = scan_members(object);

    std::string_view type;
    if (!members.type || members.type->get(type) != simdjson::SUCCESS) {
        error = "no \"type\" string";
        return false;
    }
    if (!parse_type(type, out.type)) {
        error = "unknown message type \"" + std::string(type.substr(0, 40)) + "\"";
        return false;
    }

    std::string_view id;
    if (needs_id(out.type)) {
        if (!members.id || members.id->get(id) != simdjson::SUCCESS || id.empty()) {
            error = std::string(type) + " message without an \"id\" string";
            return false;
        }
        out.id = id;
    }

    const bool has_payload = members.payload && !members.payload->is_null();
    if (out.type == MessageType::next) {
        if (!has_payload || !members.payload->is_object()) {
            error = "next message without an object payload";
            return false;
        }
        read_next_payload(*members.payload, out);
    } else if (out.type == MessageType::error) {
        if (!has_payload || !members.payload->is_array()) {
            error = "error message without a list of errors";
            return false;
        }
        read_errors(*members.payload, out.errors);
    }
    if (has_payload) {
        // The frame is valid JSON by now: the payload's own text can go to stdout once white
        // space outside strings is squeezed out, which simdjson's text minifier does far faster
        // than serialising the DOM; text that is compact already goes as it is.
        auto text = payload_text(frame, members);
        if (text && surely_compact(*text)) {
            out.payload = *text;
        } else if (text) {
            std::size_t size = 0;
            out.compacted.resize(text->size());
            if (simdjson::minify(text->data(), text->size(), out.compacted.data(), size) !=
                simdjson::SUCCESS) {
                text.reset();
            } else if (size == text->size()) {
                out.payload = *text; // compact after all: no copy
            } else {
                out.compacted.resize(size);
                out.payload = out.compacted;
            }
        }
        if (!text) {
            out.compacted = simdjson::minify(*members.payload);
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
