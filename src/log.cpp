#include "blink_sub/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace blink_sub {

void init_logging(int verbosity) {
    auto logger = spdlog::stderr_color_st("blink-sub");
    logger->set_pattern("blink-sub: %^%l%$: %v");
    if (verbosity < 0) {
        logger->set_level(spdlog::level::err);
    } else if (verbosity == 0) {
        logger->set_level(spdlog::level::warn);
    } else if (verbosity == 1) {
        logger->set_level(spdlog::level::info);
    } else if (verbosity == 2) {
        logger->set_level(spdlog::level::debug);
    } else {
        logger->set_level(spdlog::level::trace);
    }
    spdlog::set_default_logger(std::move(logger));
}

} // namespace blink_sub
