#!/bin/sh
# Fails when the protocol core or the frame codec includes an I/O or logging library.
root=${1:-.}
found=$(grep -nE '#include *[<"](boost/|openssl/|spdlog/|asio)' \
  "$root"/include/blink_sub/protocol/*.hpp "$root"/src/protocol/*.cpp \
  "$root"/include/blink_sub/operation.hpp "$root"/src/operation.cpp \
  "$root"/include/blink_sub/net/frame_codec.hpp "$root"/src/net/frame_codec.cpp)
if [ -n "$found" ]; then
  echo "the protocol core and the frame codec must stay sans-IO, but include:"
  echo "$found"
  exit 1
fi
echo "protocol core and frame codec include no I/O or logging library"
