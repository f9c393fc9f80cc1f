#include "blink_sub/output.hpp"

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <limits>
#include <string>
#include <unistd.h>

namespace blink_sub {
namespace {

constexpr int one_mebibyte = 1 << 20;

// The largest pipe this host lets an unprivileged process ask for; unbounded when unknown.
long pipe_max_size() {
    std::ifstream limit_file("/proc/sys/fs/pipe-max-size");
    long limit = 0;
    return limit_file >> limit ? limit : std::numeric_limits<long>::max();
}

struct Pipe {
    int read_end = -1;
    int write_end = -1;

    // Grown, it has room for more than one full output buffer, so that no write blocks.
    explicit Pipe(bool grown = true) {
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        read_end = fds[0];
        write_end = fds[1];
        if (grown) {
            ::fcntl(write_end, F_SETPIPE_SZ, one_mebibyte);
        }
    }

    int capacity() const { return ::fcntl(write_end, F_GETPIPE_SZ); }
    ~Pipe() {
        if (read_end >= 0) {
            ::close(read_end);
        }
        ::close(write_end);
    }

    std::string drain(size_t size) const {
        std::string text(size, '\0');
        size_t got = 0;
        while (got < size) {
            ssize_t n = ::read(read_end, text.data() + got, size - got);
            if (n <= 0) {
                break;
            }
            got += static_cast<size_t>(n);
        }
        text.resize(got);
        return text;
    }
};

TEST(Output, EachPayloadBecomesOneLine) {
    Pipe pipe;
    Output output(pipe.write_end);
    EXPECT_TRUE(output.write_line(R"({"data":1})"));
    EXPECT_TRUE(output.write_line(R"({"data":2})"));
    EXPECT_EQ(pipe.drain(22), "{\"data\":1}\n{\"data\":2}\n");
}

TEST(Output, AppendedLinesWaitForTheFlush) {
    Pipe pipe;
    Output output(pipe.write_end);
    output.append_line("1");
    output.append_line("2");
    ASSERT_EQ(::fcntl(pipe.read_end, F_SETFL, O_NONBLOCK), 0);
    char byte;
    EXPECT_EQ(::read(pipe.read_end, &byte, 1), -1) << "nothing written before flush()";
    EXPECT_TRUE(output.flush());
    EXPECT_EQ(pipe.drain(4), "1\n2\n");
}

TEST(Output, AFullBufferIsWrittenWithoutAFlush) {
    Pipe pipe;
    if (pipe.capacity() < 270 * 1001) {
        GTEST_SKIP() << "the pipe holds only " << pipe.capacity()
                     << " bytes: the write would block";
    }
    Output output(pipe.write_end);
    const std::string line(1000, 'x');
    for (int i = 0; i < 270; ++i) {
        output.append_line(line);
    }
    ASSERT_EQ(::fcntl(pipe.read_end, F_SETFL, O_NONBLOCK), 0);
    EXPECT_EQ(pipe.drain(270 * 1001).size(), 262u * 1001)
        << "the first 256 KiB (262 lines) went out on their own, the rest waits";
}

TEST(Output, APipeOnStdoutIsGrownToOneMebibyte) {
    if (const long limit = pipe_max_size(); limit < one_mebibyte) {
        GTEST_SKIP() << "this host caps pipes at " << limit << " bytes (fs.pipe-max-size)";
    }
    const Pipe pipe(/*grown=*/false);
    ASSERT_LT(pipe.capacity(), one_mebibyte);
    const Output output(pipe.write_end);
    EXPECT_EQ(pipe.capacity(), one_mebibyte);
}

TEST(Output, ClosedReaderIsReportedNotFatal) {
    std::signal(SIGPIPE, SIG_IGN);
    Pipe pipe;
    ::close(pipe.read_end);
    pipe.read_end = -1;
    Output output(pipe.write_end);
    EXPECT_FALSE(output.write_line("{}"));
    EXPECT_TRUE(output.closed());
    EXPECT_FALSE(output.write_line("{}")) << "stays closed";
}

} // namespace
} // namespace blink_sub
