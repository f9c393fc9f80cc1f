#include "blink_sub/output.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/uio.h>

namespace blink_sub {

bool Output::write_line(std::string_view line) {
    if (closed_) {
        return false;
    }
    char newline = '\n';
    iovec parts[2] = {{const_cast<char*>(line.data()), line.size()}, {&newline, 1}};
    iovec* next = parts;
    int count = 2;
    while (count > 0) {
        ssize_t written = ::writev(fd_, next, count);
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
            closed_ = true;
            return false;
        }
        auto left = static_cast<size_t>(written);
        while (count > 0 && left >= next->iov_len) {
            left -= next->iov_len;
            ++next;
            --count;
        }
        if (count > 0) {
            next->iov_base = static_cast<char*>(next->iov_base) + left;
            next->iov_len -= left;
        }
    }
    return true;
}

} // namespace blink_sub
