/*
 * The floor: the least a client can do with the flood server's stream. It opens a WebSocket
 * with the graphql-transport-ws subprotocol, sends connection_init, waits for the ack,
 * subscribes, then reads frames and throws them away until `complete`. Its throughput is the
 * ceiling that the server and loopback allow, which the other clients are measured against.
 *
 *   floor [--lines] ws://127.0.0.1:PORT/PATH
 *
 * With --lines it writes each `next` payload to stdout as one line, which the first-line and
 * latency figures need. It reports the number of `next` frames on stderr and exits 0 after
 * `complete`, 1 on any failure. Plain libc and sockets, IPv4 addresses only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

enum { BUFFER_SIZE = 1 << 18 };

static const char SUBSCRIBE[] =
    "{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"subscription { "
    "realtimePrice(input: {currency: \\\"USD\\\"}) { errors { message } realtimePrice { id "
    "timestamp denominatorCurrency btcSatPrice { base offset } usdCentPrice { base offset } } "
    "} }\"}}";

static void fail(const char* format, ...) {
    va_list args;
    va_start(args, format);
    fputs("floor: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

static void write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t written = write(fd, data, size);
        if (written < 0) {
            fail("write failed: %m");
        }
        data += written;
        size -= (size_t)written;
    }
}

/* A client frame must be masked (RFC 6455, section 5.3); a fixed-size buffer is plenty for
 * the few short frames the floor sends. */
static void send_frame(int fd, unsigned opcode, const char* payload, size_t size) {
    unsigned char frame[1024];
    size_t header = size < 126 ? 2 : 4;
    if (header + 4 + size > sizeof frame) {
        fail("frame of %zu bytes is too large to send", size);
    }
    frame[0] = (unsigned char)(0x80 | opcode);
    if (size < 126) {
        frame[1] = (unsigned char)(0x80 | size);
    } else {
        frame[1] = 0x80 | 126;
        frame[2] = (unsigned char)(size >> 8);
        frame[3] = (unsigned char)size;
    }
    unsigned char* mask = frame + header;
    if (getrandom(mask, 4, 0) != 4) {
        fail("getrandom failed: %m");
    }
    for (size_t i = 0; i < size; ++i) {
        frame[header + 4 + i] = (unsigned char)payload[i] ^ mask[i % 4];
    }
    write_all(fd, (const char*)frame, header + 4 + size);
}

static void send_text(int fd, const char* text) {
    send_frame(fd, 0x1, text, strlen(text));
}

struct Endpoint {
    struct sockaddr_in address;
    char host[64];
    const char* path;
};

static struct Endpoint parse_endpoint(const char* url) {
    struct Endpoint endpoint = {.address = {.sin_family = AF_INET}};
    const char* scheme = "ws://";
    if (strncmp(url, scheme, strlen(scheme)) != 0) {
        fail("endpoint must start with ws://: %s", url);
    }
    const char* host = url + strlen(scheme);
    const char* colon = strchr(host, ':');
    endpoint.path = strchr(host, '/');
    if (colon == NULL || endpoint.path == NULL || colon > endpoint.path ||
        (size_t)(endpoint.path - host) >= sizeof endpoint.host) {
        fail("endpoint must look like ws://ADDRESS:PORT/PATH: %s", url);
    }
    memcpy(endpoint.host, host, (size_t)(endpoint.path - host));
    char address[64] = {0};
    memcpy(address, host, (size_t)(colon - host));
    long port = strtol(colon + 1, NULL, 10);
    if (inet_pton(AF_INET, address, &endpoint.address.sin_addr) != 1 || port < 1 || port > 65535) {
        fail("endpoint needs an IPv4 address and a port: %s", url);
    }
    endpoint.address.sin_port = htons((uint16_t)port);
    return endpoint;
}

static int connect_to(const struct Endpoint* endpoint) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        fail("socket failed: %m");
    }
    if (connect(fd, (const struct sockaddr*)&endpoint->address, sizeof endpoint->address) != 0) {
        fail("connect failed: %m");
    }
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    /* A server that goes quiet ends the run instead of hanging it. */
    struct timeval quiet = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &quiet, sizeof quiet);
    return fd;
}

/* The upgrade request, then the response up to its blank line. Bytes read past it are frames
 * and stay in `buffer`; returns how many. The accept key is not checked: that needs SHA-1,
 * and the server is our own, on loopback. */
static size_t upgrade(int fd, const struct Endpoint* endpoint, char* buffer) {
    unsigned char nonce[16];
    if (getrandom(nonce, sizeof nonce, 0) != sizeof nonce) {
        fail("getrandom failed: %m");
    }
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char key[25] = {0};
    for (int group = 0; group < 6; ++group) {
        uint32_t bits = (uint32_t)nonce[group * 3] << 16;
        if (group < 5) {
            bits |= (uint32_t)nonce[group * 3 + 1] << 8 | nonce[group * 3 + 2];
        }
        for (int digit = 0; digit < 4; ++digit) {
            key[group * 4 + digit] = alphabet[(bits >> (18 - 6 * digit)) & 0x3f];
        }
    }
    key[22] = key[23] = '=';

    char request[512];
    int size = snprintf(request, sizeof request,
                        "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n",
                        endpoint->path, endpoint->host, key);
    if (size < 0 || (size_t)size >= sizeof request) {
        fail("endpoint path is too long");
    }
    write_all(fd, request, (size_t)size);

    size_t filled = 0;
    char* end = NULL;
    while (end == NULL) {
        if (filled == BUFFER_SIZE - 1) {
            fail("upgrade response too long");
        }
        ssize_t got = read(fd, buffer + filled, BUFFER_SIZE - 1 - filled);
        if (got <= 0) {
            fail("connection closed during the upgrade");
        }
        filled += (size_t)got;
        buffer[filled] = '\0';
        end = strstr(buffer, "\r\n\r\n");
    }
    if (strncmp(buffer, "HTTP/1.1 101", 12) != 0) {
        fail("upgrade refused: %.*s", (int)strcspn(buffer, "\r"), buffer);
    }
    size_t header = (size_t)(end + 4 - buffer);
    memmove(buffer, buffer + header, filled - header);
    return filled - header;
}

enum MessageType { OTHER, ACK, NEXT, COMPLETE };

/* The type of a server message. The flood server puts "id" and "type" first, so looking at
 * the start of the frame is enough and keeps the floor from scanning the payload. */
static enum MessageType message_type(const char* text, size_t size) {
    const char* key = "\"type\":\"";
    const char* found = memmem(text, size < 96 ? size : 96, key, strlen(key));
    if (found == NULL) {
        return OTHER;
    }
    const char* type = found + strlen(key);
    size_t left = size - (size_t)(type - text);
    if (left >= 5 && memcmp(type, "next\"", 5) == 0) {
        return NEXT;
    }
    if (left >= 9 && memcmp(type, "complete\"", 9) == 0) {
        return COMPLETE;
    }
    if (left >= 15 && memcmp(type, "connection_ack\"", 15) == 0) {
        return ACK;
    }
    return OTHER;
}

/* Writes the payload of a `next` message as one line: the text between "payload": and the
 * message's closing brace. */
static void print_payload(const char* text, size_t size) {
    const char* key = "\"payload\":";
    const char* found = memmem(text, size, key, strlen(key));
    if (found == NULL || size < 1) {
        fail("next message without a payload");
    }
    const char* payload = found + strlen(key);
    struct iovec parts[2] = {{(void*)payload, (size_t)(text + size - 1 - payload)},
                             {(void*)"\n", 1}};
    size_t total = parts[0].iov_len + 1;
    ssize_t written = writev(STDOUT_FILENO, parts, 2);
    if (written < 0) {
        fail("write to stdout failed: %m");
    }
    if ((size_t)written < total) {
        size_t done = (size_t)written;
        if (done < parts[0].iov_len) {
            write_all(STDOUT_FILENO, payload + done, parts[0].iov_len - done);
        }
        write_all(STDOUT_FILENO, "\n", 1);
    }
}

int main(int argc, char** argv) {
    int lines = argc == 3 && strcmp(argv[1], "--lines") == 0;
    if (argc != 2 + lines) {
        fputs("usage: floor [--lines] ws://127.0.0.1:PORT/PATH\n", stderr);
        return 2;
    }
    struct Endpoint endpoint = parse_endpoint(argv[argc - 1]);
    int fd = connect_to(&endpoint);
    char* buffer = malloc(BUFFER_SIZE);
    if (buffer == NULL) {
        fail("out of memory");
    }
    size_t filled = upgrade(fd, &endpoint, buffer);
    send_text(fd, "{\"type\":\"connection_init\"}");

    long nexts = 0;
    int subscribed = 0;
    for (;;) {
        size_t offset = 0;
        for (;;) {
            size_t left = filled - offset;
            const unsigned char* frame = (const unsigned char*)buffer + offset;
            if (left < 2) {
                break;
            }
            if (frame[1] & 0x80) {
                fail("the server sent a masked frame");
            }
            size_t header = 2;
            uint64_t size = frame[1] & 0x7f;
            if (size == 126) {
                header = 4;
                size = left < header ? 0 : (uint64_t)frame[2] << 8 | frame[3];
            } else if (size == 127) {
                header = 10;
                size = 0;
                for (int i = 0; i < 8 && left >= header; ++i) {
                    size = size << 8 | frame[2 + i];
                }
            }
            if (size > BUFFER_SIZE - header) {
                fail("frame of %llu bytes is larger than the buffer", (unsigned long long)size);
            }
            if (left < header || left - header < size) {
                break;
            }
            const char* text = (const char*)frame + header;
            unsigned opcode = frame[0] & 0x0f;
            offset += header + (size_t)size;
            if (opcode == 0x8) {
                fail("the server closed the connection after %ld next messages", nexts);
            }
            if (opcode == 0x9) {
                send_frame(fd, 0xA, text, (size_t)size);
                continue;
            }
            if (opcode != 0x1) {
                continue;
            }
            switch (message_type(text, (size_t)size)) {
            case ACK:
                if (!subscribed) {
                    send_text(fd, SUBSCRIBE);
                    subscribed = 1;
                }
                break;
            case NEXT:
                ++nexts;
                if (lines) {
                    print_payload(text, (size_t)size);
                }
                break;
            case COMPLETE:
                /* Close code 1000, then leave without waiting for the server's close frame. */
                send_frame(fd, 0x8, "\x03\xe8", 2);
                close(fd);
                fprintf(stderr, "floor: %ld next messages\n", nexts);
                return 0;
            case OTHER:
                break;
            }
        }
        memmove(buffer, buffer + offset, filled - offset);
        filled -= offset;
        ssize_t got = read(fd, buffer + filled, BUFFER_SIZE - filled);
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            fail("nothing received for 30 s after %ld next messages", nexts);
        }
        if (got < 0) {
            fail("read failed: %m");
        }
        if (got == 0) {
            fail("connection closed after %ld next messages, before complete", nexts);
        }
        filled += (size_t)got;
    }
}
