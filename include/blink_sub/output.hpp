#pragma once

#include <string_view>

namespace blink_sub {

// Writes payloads to stdout, one line each, straight to the file descriptor so
// that a reader such as `jq` sees every line as soon as it is written.
class Output {
  public:
    explicit Output(int fd = 1) : fd_(fd) {}

    // Appends a newline. Returns false once the reader has gone (EPIPE) or the
    // descriptor fails; later calls then do nothing.
    bool write_line(std::string_view line);

    bool closed() const { return closed_; }

  private:
    int fd_;
    bool closed_ = false;
};

} // namespace blink_sub
