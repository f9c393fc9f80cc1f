#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace blink_sub {

// Looks up an environment variable; nothing when it is unset. Taken as a
// parameter so that tests choose the environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

} // namespace blink_sub
