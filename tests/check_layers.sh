#!/bin/sh
# Fails when the protocol core includes an I/O or logging library.
root=${1:-.}
found=$(grep -nE '#include *[<"](boost/|openssl/|spdlog/|asio)' \
  "$root"/include/blink_sub/protocol/*.hpp "$root"/src/protocol/*.cpp \
  "$root"/include/blink_sub/operation.hpp "$root"/src/operation.cpp)
if [ -n "$found" ]; then
  echo "the protocol core must stay sans-IO, but includes:"
  echo "$found"
  exit 1
fi
echo "protocol core includes no I/O or logging library"
