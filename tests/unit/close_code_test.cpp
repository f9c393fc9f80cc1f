#include "blink_sub/protocol/close_code.hpp"

#include <gtest/gtest.h>

namespace blink_sub::protocol {
namespace {

TEST(CloseCode, AuthCodesAreAuthRejections) {
    EXPECT_EQ(classify_close(4401), CloseClass::auth_rejected);
    EXPECT_EQ(classify_close(4403), CloseClass::auth_rejected);
}

TEST(CloseCode, ClientBugCodesAreNotRetried) {
    for (std::uint16_t code : {4400, 4406, 4409, 4429}) {
        EXPECT_EQ(classify_close(code), CloseClass::client_bug) << code;
    }
}

TEST(CloseCode, DropsAndServerErrorsAreTransient) {
    for (std::uint16_t code : {1001, 1006, 1011, 1012, 1013, 4408, 4499, 4500, 4504}) {
        EXPECT_EQ(classify_close(code), CloseClass::transient) << code;
    }
}

} // namespace
} // namespace blink_sub::protocol
