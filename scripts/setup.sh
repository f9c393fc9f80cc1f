#!/bin/sh
# Installs what blink-sub needs on Debian 12: build dependencies, and with
# --tests also GoogleTest, clang-format, OpenSSL's CLI, tinyproxy, Node.js, the
# tools the packaging and hardening checks use, and the test server's npm packages (from
# tests/server/package-lock.json). The tests start tinyproxy themselves; the
# service the package enables (port 8888, local clients only) is not used and
# may be disabled.
set -eu

tests=no
for arg in "$@"; do
    case "$arg" in
    --tests) tests=yes ;;
    *) echo "usage: scripts/setup.sh [--tests]" >&2; exit 2 ;;
    esac
done

as_root=""
if [ "$(id -u)" -ne 0 ]; then
    as_root=sudo
fi

packages="cmake ninja-build g++ pkg-config ca-certificates
    libboost1.81-dev libboost-url1.81-dev libssl-dev
    nlohmann-json3-dev libsimdjson-dev libcli11-dev libspdlog-dev"
if [ "$tests" = yes ]; then
    packages="$packages libgtest-dev clang-format openssl tinyproxy"
    # Packaging checks: the .deb (dpkg-shlibdeps, file), the man page, the completions in
    # their shells, and jq for examples/.
    packages="$packages dpkg-dev file man-db groff-base bash-completion zsh fish jq"
    # bench/run measures peak memory with GNU time.
    packages="$packages time"
    # .ci/run's hardening checks: clang-tidy, and clang with its sanitizer and libFuzzer
    # runtimes for the fuzz preset.
    packages="$packages clang libclang-rt-14-dev clang-tidy"
    # Debian's Node.js unless one is already installed.
    command -v node >/dev/null 2>&1 || packages="$packages nodejs"
    command -v npm >/dev/null 2>&1 || packages="$packages npm"
fi

missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $package"
done
if [ -n "$missing" ]; then
    $as_root apt-get update -q
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -q --no-install-recommends $missing
fi

if [ "$tests" = yes ]; then
    cd "$(dirname "$0")/../tests/server"
    npm ci --no-audit --no-fund --loglevel=error
fi
