#include "blink_sub/operation.hpp"

#include <nlohmann/json.hpp>

namespace blink_sub {
namespace {

using nlohmann::json;

const std::string errors_fields = "errors { message code path }";

const std::string price_fields = "base offset currencyUnit formattedAmount";

const std::string realtime_price_fields =
    "id timestamp denominatorCurrency "
    "btcSatPrice { base offset } usdCentPrice { base offset }";

const std::string transaction_fields =
    "transaction { id direction status settlementAmount settlementCurrency memo createdAt }";

const std::string invoice_fields =
    errors_fields + " status paymentHash paymentRequest paymentPreimage";

// User text may hold bytes that are not UTF-8; they become U+FFFD rather than an exception.
std::string compact(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string inline_fragment(std::string_view type, const std::string& fields) {
    return " ... on " + std::string(type) + " { " + fields + " }";
}

std::string input_variables(json input) {
    return compact(json{{"input", std::move(input)}});
}

} // namespace

Operation price_operation(std::uint64_t amount, std::string_view amount_unit,
                          std::string_view price_unit) {
    json input;
    input["amount"] = amount;
    input["amountCurrencyUnit"] = amount_unit;
    input["priceCurrencyUnit"] = price_unit;
    return {
        .query = "subscription Price($input: PriceInput!) { price(input: $input) { " +
                 errors_fields + " price { " + price_fields + " } } }",
        .variables = input_variables(std::move(input)),
        .operation_name = "Price",
    };
}

Operation realtime_price_operation(std::string_view currency) {
    json input;
    input["currency"] = currency;
    return {
        .query = "subscription RealtimePrice($input: RealtimePriceInput!) { "
                 "realtimePrice(input: $input) { " +
                 errors_fields + " realtimePrice { " + realtime_price_fields + " } } }",
        .variables = input_variables(std::move(input)),
        .operation_name = "RealtimePrice",
    };
}

Operation my_updates_operation() {
    const std::string update =
        "update { __typename" + inline_fragment("Price", price_fields) +
        inline_fragment("RealtimePrice", realtime_price_fields) +
        inline_fragment("LnUpdate", "paymentHash status walletId " + transaction_fields) +
        inline_fragment("OnChainUpdate",
                        "txNotificationType txHash amount walletId " + transaction_fields) +
        inline_fragment("IntraLedgerUpdate",
                        "txNotificationType amount walletId " + transaction_fields) +
        " }";

    // BLINK.md: without __typename the price ticks arrive as "update":{}.
    return {
        .query = "subscription MyUpdates { myUpdates { " + errors_fields + " me { id } " + update +
                 " } }",
        .variables = {}, // myUpdates takes no arguments
        .operation_name = "MyUpdates",
    };
}

Operation invoice_by_payment_request_operation(std::string_view payment_request) {
    json input;
    input["paymentRequest"] = payment_request;
    return {
        .query = "subscription LnInvoicePaymentStatusByPaymentRequest("
                 "$input: LnInvoicePaymentStatusByPaymentRequestInput!) { "
                 "lnInvoicePaymentStatusByPaymentRequest(input: $input) { " +
                 invoice_fields + " } }",
        .variables = input_variables(std::move(input)),
        .operation_name = "LnInvoicePaymentStatusByPaymentRequest",
        .ends_at_final_status = true,
    };
}

Operation invoice_by_payment_hash_operation(std::string_view payment_hash) {
    json input;
    input["paymentHash"] = payment_hash;
    return {
        .query = "subscription LnInvoicePaymentStatusByHash("
                 "$input: LnInvoicePaymentStatusByHashInput!) { "
                 "lnInvoicePaymentStatusByHash(input: $input) { " +
                 invoice_fields + " } }",
        .variables = input_variables(std::move(input)),
        .operation_name = "LnInvoicePaymentStatusByHash",
        .ends_at_final_status = true,
    };
}

Secret connection_init_payload(const Secret& api_key, const Secret& auth_token) {
    json payload = json::object();
    if (!api_key.empty()) {
        payload["X-API-KEY"] = api_key.reveal();
    }
    if (!auth_token.empty()) {
        payload["Authorization"] = "Bearer " + auth_token.reveal();
    }
    if (payload.empty()) {
        return Secret{};
    }
    return Secret{compact(payload)};
}

} // namespace blink_sub
