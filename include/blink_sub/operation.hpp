#pragma once

#include "blink_sub/secret.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace blink_sub {

// One GraphQL subscription as it goes into a `subscribe` message.
struct Operation {
    std::string query;
    std::string variables;      // a compact JSON object, or empty for none
    std::string operation_name; // empty for none

    // Invoice streams never complete on Blink: the client ends them at PAID or EXPIRED.
    bool ends_at_final_status = false;

    friend bool operator==(const Operation&, const Operation&) = default;
};

Operation price_operation(std::uint64_t amount, std::string_view amount_unit,
                          std::string_view price_unit);
Operation realtime_price_operation(std::string_view currency);
Operation my_updates_operation();
Operation invoice_by_payment_request_operation(std::string_view payment_request);
Operation invoice_by_payment_hash_operation(std::string_view payment_hash);

// The connection_init payload: {"X-API-KEY": key} and/or {"Authorization": "Bearer token"},
// as JSON text; empty when neither is set.
Secret connection_init_payload(const Secret& api_key, const Secret& auth_token);

} // namespace blink_sub
