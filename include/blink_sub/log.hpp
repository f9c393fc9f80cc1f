#pragma once

#include "blink_sub/secret.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace blink_sub {

// Installs the stderr logger: `blink-sub: LEVEL: text`. stdout is for data only.
// verbosity: -1 errors only, 0 warnings too, 1 info, 2 debug, 3 and up trace.
void init_logging(int verbosity);

} // namespace blink_sub

// Whatever formats a Secret sees only stars.
template <>
struct fmt::formatter<blink_sub::Secret> : fmt::formatter<std::string_view> {
    template <typename Context>
    auto format(const blink_sub::Secret&, Context& context) const {
        return fmt::formatter<std::string_view>::format("***", context);
    }
};
