#include "blink_sub/operation.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace blink_sub {
namespace {

// gtest only (no gmock): the test target links GTest::gtest_main alone.
testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) {
        return testing::AssertionSuccess();
    }
    return testing::AssertionFailure() << "\"" << part << "\" is not in \"" << text << "\"";
}

TEST(PriceOperation, SendsTheInputAsVariables) {
    const auto operation = price_operation(100, "BTCSAT", "USDCENT");
    EXPECT_EQ(operation.operation_name, "Price");
    EXPECT_EQ(
        operation.variables,
        R"({"input":{"amount":100,"amountCurrencyUnit":"BTCSAT","priceCurrencyUnit":"USDCENT"}})");
    EXPECT_FALSE(operation.ends_at_final_status);
}

TEST(PriceOperation, SelectsErrorsAndThePrice) {
    const auto query = price_operation(1, "BTCSAT", "USDCENT").query;
    EXPECT_TRUE(contains(query, "subscription Price($input: PriceInput!)"));
    EXPECT_TRUE(contains(query, "price(input: $input)"));
    EXPECT_TRUE(contains(query, "errors { message code path }"));
    EXPECT_TRUE(contains(query, "price { base offset currencyUnit formattedAmount }"));
}

TEST(PriceOperation, KeepsLargeAmountsExact) {
    const auto operation = price_operation(18'446'744'073'709'551'615u, "USDCENT", "BTCSAT");
    EXPECT_EQ(nlohmann::json::parse(operation.variables)["input"]["amount"].get<std::uint64_t>(),
              18'446'744'073'709'551'615u);
}

TEST(RealtimePriceOperation, SendsTheCurrency) {
    const auto operation = realtime_price_operation("EUR");
    EXPECT_EQ(operation.operation_name, "RealtimePrice");
    EXPECT_EQ(operation.variables, R"({"input":{"currency":"EUR"}})");
    EXPECT_TRUE(
        contains(operation.query, "subscription RealtimePrice($input: RealtimePriceInput!)"));
    EXPECT_TRUE(contains(operation.query, "realtimePrice { id timestamp denominatorCurrency "
                                          "btcSatPrice { base offset } "
                                          "usdCentPrice { base offset } }"));
}

TEST(MyUpdatesOperation, SelectsTypenameSoPriceTicksAreNotEmpty) {
    const auto operation = my_updates_operation();
    EXPECT_EQ(operation.operation_name, "MyUpdates");
    EXPECT_TRUE(operation.variables.empty());
    EXPECT_TRUE(contains(operation.query, "subscription MyUpdates { myUpdates {"));
    EXPECT_TRUE(contains(operation.query, "me { id }"));
    EXPECT_TRUE(contains(operation.query, "update { __typename"));
}

TEST(MyUpdatesOperation, SelectsEveryKindOfUpdate) {
    const auto query = my_updates_operation().query;
    const std::string transaction =
        "transaction { id direction status settlementAmount settlementCurrency memo createdAt }";
    EXPECT_TRUE(contains(query, "... on Price { base offset currencyUnit formattedAmount }"));
    EXPECT_TRUE(contains(query, "... on RealtimePrice { id timestamp"));
    EXPECT_TRUE(contains(query, "... on LnUpdate { paymentHash status walletId " + transaction));
    EXPECT_TRUE(contains(query, "... on OnChainUpdate { txNotificationType txHash amount "
                                "walletId " +
                                    transaction));
    EXPECT_TRUE(contains(query, "... on IntraLedgerUpdate { txNotificationType amount walletId " +
                                    transaction));
}

TEST(InvoiceOperations, EndAtTheFinalStatus) {
    EXPECT_TRUE(invoice_by_payment_request_operation("lnbc1").ends_at_final_status);
    EXPECT_TRUE(invoice_by_payment_hash_operation(std::string(64, 'a')).ends_at_final_status);
}

TEST(InvoiceOperations, ByPaymentRequestSendsTheRequest) {
    const auto operation = invoice_by_payment_request_operation("lnbc10u1p");
    EXPECT_EQ(operation.operation_name, "LnInvoicePaymentStatusByPaymentRequest");
    EXPECT_EQ(operation.variables, R"({"input":{"paymentRequest":"lnbc10u1p"}})");
    EXPECT_TRUE(
        contains(operation.query, "($input: LnInvoicePaymentStatusByPaymentRequestInput!)"));
    EXPECT_TRUE(contains(operation.query, "lnInvoicePaymentStatusByPaymentRequest(input: $input) "
                                          "{ errors { message code path } status paymentHash "
                                          "paymentRequest paymentPreimage }"));
}

TEST(InvoiceOperations, ByHashSendsTheHash) {
    const std::string hash(64, 'f');
    const auto operation = invoice_by_payment_hash_operation(hash);
    EXPECT_EQ(operation.operation_name, "LnInvoicePaymentStatusByHash");
    EXPECT_EQ(operation.variables, R"({"input":{"paymentHash":")" + hash + R"("}})");
    EXPECT_TRUE(contains(operation.query, "($input: LnInvoicePaymentStatusByHashInput!)"));
    EXPECT_TRUE(contains(operation.query, "lnInvoicePaymentStatusByHash(input: $input) "
                                          "{ errors { message code path } status"));
}

TEST(InvoiceOperations, EscapeUserTextInVariables) {
    const auto operation = invoice_by_payment_request_operation("a\"b\\c\n");
    EXPECT_EQ(nlohmann::json::parse(operation.variables)["input"]["paymentRequest"], "a\"b\\c\n");
}

TEST(InvoiceOperations, InvalidUtf8DoesNotThrow) {
    const auto operation = invoice_by_payment_request_operation("ln\xff");
    EXPECT_EQ(operation.variables, "{\"input\":{\"paymentRequest\":\"ln\xef\xbf\xbd\"}}");
}

TEST(ConnectionInitPayload, IsEmptyWithoutCredentials) {
    EXPECT_TRUE(connection_init_payload(Secret{}, Secret{}).empty());
}

TEST(ConnectionInitPayload, CarriesTheApiKey) {
    EXPECT_EQ(connection_init_payload(Secret{"blink_abc"}, Secret{}).reveal(),
              R"({"X-API-KEY":"blink_abc"})");
}

TEST(ConnectionInitPayload, CarriesTheTokenAsBearer) {
    EXPECT_EQ(connection_init_payload(Secret{}, Secret{"tok"}).reveal(),
              R"({"Authorization":"Bearer tok"})");
}

TEST(ConnectionInitPayload, CarriesBothWhenBothAreSet) {
    const auto payload =
        nlohmann::json::parse(connection_init_payload(Secret{"blink_abc"}, Secret{"tok"}).reveal());
    EXPECT_EQ(payload,
              (nlohmann::json{{"X-API-KEY", "blink_abc"}, {"Authorization", "Bearer tok"}}));
}

TEST(ConnectionInitPayload, EscapesQuotesInTheKey) {
    const auto payload =
        nlohmann::json::parse(connection_init_payload(Secret{R"(a"b)"}, Secret{}).reveal());
    EXPECT_EQ(payload["X-API-KEY"], R"(a"b)");
}

} // namespace
} // namespace blink_sub
