#include "blink_sub/output.hpp"

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace blink_sub {

namespace {

// Past this much, gathered lines go out even if more frames are waiting:
// it bounds both memory and how far stdout lags behind the socket.
constexpr std::size_t flush_threshold = 256 * 1024;

// The pipe capacity asked for. Linux's default of 64 KiB holds one gathered write, so in a flood
// every write waits for the reader to empty the pipe; with room for several the two sides run
// side by side (about a third less wall time for a flood into a pipe, docs/benchmarks.md).
// The pages are taken only while data waits in the pipe, and 1 MiB is the most an
// unprivileged process may ask for by default (/proc/sys/fs/pipe-max-size).
constexpr int pipe_capacity = 1024 * 1024;

} // namespace

Output::Output(int fd) : fd_(fd) {
    struct stat info {};
    if (::fstat(fd_, &info) == 0 && S_ISFIFO(info.st_mode) &&
        ::fcntl(fd_, F_GETPIPE_SZ) < pipe_capacity) {
        // A refusal (a lower limit, or the user's pipe pages used up) leaves the pipe as it
        // was, which only costs speed.
        ::fcntl(fd_, F_SETPIPE_SZ, pipe_capacity);
    }
}

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
