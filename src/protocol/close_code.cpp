#include "blink_sub/protocol/close_code.hpp"

namespace blink_sub::protocol {

CloseClass classify_close(std::uint16_t code) {
    switch (code) {
    case close_code::unauthorized:
    case close_code::forbidden:
        return CloseClass::auth_rejected;
    case close_code::bad_request:
    case close_code::subprotocol_not_acceptable:
    case close_code::subscriber_already_exists:
    case close_code::too_many_initialisation_requests:
        return CloseClass::client_bug;
    default:
        return CloseClass::transient;
    }
}

} // namespace blink_sub::protocol
