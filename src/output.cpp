#include "blink_sub/output.hpp"

#include <cerrno>
#include <poll.h>
#include <unistd.h>

namespace blink_sub {

namespace {

// Past this much, gathered lines go out even if more frames are waiting:
// it bounds both memory and how far stdout lags behind the socket.
constexpr std::size_t flush_threshold = 64 * 1024;

} // namespace

void Output::append_line(std::string_view line) {
    if (closed_) {
        return;
    }
    buffer_.append(line);
    buffer_.push_back('\n');
    if (buffer_.size() >= flush_threshold) {
        flush();
    }
}

bool Output::flush() {
    if (closed_) {
        return false;
    }
    if (!buffer_.empty()) {
        closed_ = !write_all(buffer_);
        buffer_.clear();
    }
    return !closed_;
}

bool Output::write_all(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t written = ::write(fd_, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                // stdout inherited in non-blocking mode: wait until it drains.
                pollfd ready{fd_, POLLOUT, 0};
                ::poll(&ready, 1, -1);
                continue;
            }
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return true;
}

} // namespace blink_sub
