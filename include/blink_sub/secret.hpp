#pragma once

#include <string>
#include <utility>

namespace blink_sub {

// A credential (API key, auth token, or a payload that carries one). Nothing
// that formats a Secret can show its value: fmt and spdlog print "***" (see
// log.hpp). Only reveal() gives the text, and only the wire needs it.
class Secret {
  public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}

    bool empty() const { return value_.empty(); }
    const std::string& reveal() const { return value_; }

  private:
    std::string value_;
};

} // namespace blink_sub
