#pragma once

#include <cstdint>

namespace blink_sub::protocol {

// WebSocket and graphql-transport-ws close codes.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t abnormal = 1006; // no close frame: never sent, only reported
inline constexpr std::uint16_t internal_error = 4500;
inline constexpr std::uint16_t bad_request = 4400;
inline constexpr std::uint16_t unauthorized = 4401;
inline constexpr std::uint16_t forbidden = 4403;
inline constexpr std::uint16_t subprotocol_not_acceptable = 4406;
inline constexpr std::uint16_t connection_init_timeout = 4408;
inline constexpr std::uint16_t subscriber_already_exists = 4409;
inline constexpr std::uint16_t too_many_initialisation_requests = 4429;
} // namespace close_code

enum class CloseClass {
    auth_rejected, // 4401, 4403: exit 3, never retried
    client_bug,    // 4400, 4406, 4409, 4429: exit 1, never retried
    transient,     // everything else: worth another attempt
};

CloseClass classify_close(std::uint16_t code);

} // namespace blink_sub::protocol
