#pragma once

#include <string>
#include <string_view>

namespace blink_sub {

// Writes payloads to stdout, one line each, straight to the file descriptor.
// Lines are gathered while more frames are already waiting and written in
// one go; the caller flushes as soon as nothing else is waiting, so a reader
// such as `jq` sees every line without delay.
class Output {
  public:
    // When `fd` is a pipe, asks the kernel for a larger one (see output.cpp).
    explicit Output(int fd = 1);

    // Adds a line (the newline is added here); writes out when the buffer is full.
    void append_line(std::string_view line);

    // Writes out everything gathered. Returns false once the reader has gone
    // (EPIPE) or the descriptor fails; later calls then do nothing.
    bool flush();

    bool write_line(std::string_view line) {
        append_line(line);
        return flush();
    }

    bool closed() const { return closed_; }

  private:
    bool write_all(std::string_view bytes);

    int fd_;
    bool closed_ = false;
    std::string buffer_;
};

} // namespace blink_sub
