/*
 * The probe: launches one client with its stdout on a pipe, reads that pipe to the end and
 * prints what it measured as one JSON line. It is the far end of the pipe for every figure,
 * in C so that the reader costs little and wakes up fast, whichever client it reads.
 *
 *   probe drain [--timeout S] -- COMMAND [ARG...]
 *       lines and bytes read, and the seconds from launch to the client's exit
 *   probe first [--timeout S] -- COMMAND [ARG...]
 *       microseconds from launch to the arrival of the first complete line
 *   probe stamp [--timeout S] [--cpu] -- COMMAND [ARG...]
 *       for each line, its arrival time minus the "sentAt" it carries (p50, p99, max, in
 *       microseconds); with --cpu also the client's CPU time per second of wall time
 *       between its first and its last line
 *
 * Times come from CLOCK_MONOTONIC, the clock the flood server stamps "sentAt" with
 * (Node's process.hrtime), and one clock for all processes on the machine. A client still
 * running at the deadline (default 120 s) is killed and the probe exits 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

enum Mode { DRAIN, FIRST, STAMP };

struct Samples {
    int64_t* values;
    size_t size;
    size_t capacity;
};

static int64_t now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void push(struct Samples* samples, int64_t value) {
    if (samples->size == samples->capacity) {
        samples->capacity = samples->capacity ? samples->capacity * 2 : 1024;
        samples->values = realloc(samples->values, samples->capacity * sizeof(int64_t));
        if (samples->values == NULL) {
            fputs("probe: out of memory\n", stderr);
            exit(1);
        }
    }
    samples->values[samples->size++] = value;
}

static int compare(const void* left, const void* right) {
    int64_t a = *(const int64_t*)left;
    int64_t b = *(const int64_t*)right;
    return (a > b) - (a < b);
}

/* Nearest-rank percentile of sorted samples. */
static int64_t percentile(const struct Samples* sorted, double fraction) {
    size_t rank = (size_t)(fraction * (double)sorted->size + 0.999999);
    return sorted->values[rank == 0 ? 0 : rank - 1];
}

/* CPU time of every thread of a process, in nanoseconds: the first field of each thread's
 * schedstat. Unlike /proc/PID/stat, whose unit is a 10 ms clock tick, it is fine enough for
 * a client that sleeps almost all the time. Returns -1 if the kernel does not provide it. */
static int64_t process_cpu_ns(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR* tasks = opendir(path);
    if (tasks == NULL) {
        return -1;
    }
    int64_t total = 0;
    struct dirent* task;
    while ((task = readdir(tasks)) != NULL) {
        if (task->d_name[0] == '.') {
            continue;
        }
        char stat_path[300];
        snprintf(stat_path, sizeof stat_path, "/proc/%d/task/%s/schedstat", (int)pid, task->d_name);
        FILE* file = fopen(stat_path, "r");
        long long runtime = 0;
        if (file != NULL) {
            if (fscanf(file, "%lld", &runtime) != 1) {
                runtime = 0;
            }
            fclose(file);
        }
        total += runtime;
    }
    closedir(tasks);
    return total > 0 ? total : -1;
}

/* The value of "sentAt" in a line, or -1 if it has none. */
static int64_t sent_at_micros(const char* line, size_t size) {
    const char* key = "\"sentAt\":";
    const char* found = memmem(line, size, key, strlen(key));
    if (found == NULL) {
        return -1;
    }
    int64_t value = 0;
    const char* digit = found + strlen(key);
    const char* end = line + size;
    if (digit == end || *digit < '0' || *digit > '9') {
        return -1;
    }
    for (; digit < end && *digit >= '0' && *digit <= '9'; ++digit) {
        value = value * 10 + (*digit - '0');
    }
    return value;
}

static void usage(void) {
    fputs("usage: probe drain|first|stamp [--timeout S] [--cpu] -- COMMAND [ARG...]\n", stderr);
    exit(2);
}

int main(int argc, char** argv) {
    if (argc < 2) {
        usage();
    }
    enum Mode mode;
    if (strcmp(argv[1], "drain") == 0) {
        mode = DRAIN;
    } else if (strcmp(argv[1], "first") == 0) {
        mode = FIRST;
    } else if (strcmp(argv[1], "stamp") == 0) {
        mode = STAMP;
    } else {
        usage();
    }
    double timeout_s = 120;
    int with_cpu = 0;
    int arg = 2;
    for (; arg < argc && strcmp(argv[arg], "--") != 0; ++arg) {
        if (strcmp(argv[arg], "--timeout") == 0 && arg + 1 < argc) {
            timeout_s = atof(argv[++arg]);
        } else if (strcmp(argv[arg], "--cpu") == 0 && mode == STAMP) {
            with_cpu = 1;
        } else {
            usage();
        }
    }
    if (arg + 1 >= argc || timeout_s <= 0) {
        usage();
    }
    char** command = argv + arg + 1;

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        perror("probe: pipe");
        return 1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    pid_t child;
    int64_t launched = now_ns();
    int error = posix_spawnp(&child, command[0], &actions, NULL, command, environ);
    if (error != 0) {
        fprintf(stderr, "probe: cannot run %s: %s\n", command[0], strerror(error));
        return 1;
    }
    close(pipe_fds[1]);
    int64_t deadline = launched + (int64_t)(timeout_s * 1e9);

    static char buffer[1 << 16];
    static char line[1 << 16];
    size_t line_size = 0;
    long long lines = 0;
    long long bytes = 0;
    long long unstamped = 0;
    int64_t first_line = -1;
    struct Samples latencies = {0};
    int64_t cpu_first = -1, cpu_last = -1, cpu_first_at = 0, cpu_last_at = 0;
    for (;;) {
        int64_t left_ms = (deadline - now_ns()) / 1000000;
        struct pollfd readable = {pipe_fds[0], POLLIN, 0};
        int ready = left_ms > 0 ? poll(&readable, 1, (int)left_ms) : 0;
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            kill(child, SIGKILL);
            waitpid(child, NULL, 0);
            fprintf(stderr, "probe: %s still running after %g s; killed\n", command[0], timeout_s);
            return 1;
        }
        ssize_t got = read(pipe_fds[0], buffer, sizeof buffer);
        int64_t arrived = now_ns();
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        bytes += got;
        long long lines_before = lines;
        for (const char* cursor = buffer; cursor < buffer + got;) {
            const char* newline = memchr(cursor, '\n', (size_t)(buffer + got - cursor));
            size_t size = (size_t)((newline ? newline : buffer + got) - cursor);
            if (mode == STAMP) {
                /* Lines longer than the buffer are cut; "sentAt" is near their start. */
                size_t room = sizeof line - line_size;
                size_t kept = size < room ? size : room;
                memcpy(line + line_size, cursor, kept);
                line_size += kept;
            }
            if (newline == NULL) {
                break;
            }
            ++lines;
            if (first_line < 0) {
                first_line = arrived;
            }
            if (mode == STAMP) {
                int64_t sent_at = sent_at_micros(line, line_size);
                if (sent_at < 0) {
                    ++unstamped;
                } else {
                    push(&latencies, arrived / 1000 - sent_at);
                }
                line_size = 0;
            }
            cursor = newline + 1;
        }
        if (with_cpu && lines > lines_before) {
            int64_t cpu = process_cpu_ns(child);
            if (cpu_first < 0) {
                cpu_first = cpu;
                cpu_first_at = arrived;
            }
            cpu_last = cpu;
            cpu_last_at = arrived;
        }
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    int64_t exited = now_ns();
    int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

    printf("{\"exit\":%d,\"lines\":%lld,\"bytes\":%lld", exit_code, lines, bytes);
    if (mode == DRAIN) {
        printf(",\"seconds\":%.6f", (double)(exited - launched) / 1e9);
    }
    if (mode == FIRST && first_line >= 0) {
        printf(",\"first_us\":%.1f", (double)(first_line - launched) / 1e3);
    }
    if (mode == STAMP && latencies.size > 0) {
        qsort(latencies.values, latencies.size, sizeof(int64_t), compare);
        printf(",\"unstamped\":%lld,\"p50_us\":%lld,\"p99_us\":%lld,\"max_us\":%lld", unstamped,
               (long long)percentile(&latencies, 0.50), (long long)percentile(&latencies, 0.99),
               (long long)latencies.values[latencies.size - 1]);
    }
    if (with_cpu && cpu_first >= 0 && cpu_last >= 0 && cpu_last_at > cpu_first_at) {
        double window_s = (double)(cpu_last_at - cpu_first_at) / 1e9;
        printf(",\"cpu_window_s\":%.3f,\"cpu_ms_per_s\":%.4f", window_s,
               (double)(cpu_last - cpu_first) / 1e6 / window_s);
    }
    printf("}\n");
    return 0;
}
