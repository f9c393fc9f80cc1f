#!/usr/bin/env bash
# Builds the .deb from build/release with cpack, installs it with apt-get, runs the installed
# /usr/bin/blink-sub against the mock Blink server, and purges the package again.
# Run after `cmake --workflow --preset ci` (or a release build) and `scripts/setup.sh --tests`.
# It installs into /usr: meant for CI and throw-away machines.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/release
as_root=""
if [ "$(id -u)" -ne 0 ]; then
    as_root=sudo
fi
passed=0
pass() {
    passed=$((passed + 1))
    echo "package-check: ok: $*"
}
fail() {
    echo "package-check: FAILED: $*" >&2
    exit 1
}

work=$(mktemp -d)
# apt-get reads the .deb as its unprivileged _apt user.
chmod 755 "$work"
mock_pid=""
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
    fi
    if dpkg-query -W -f='${Status}' blink-sub 2>/dev/null | grep -q "install ok installed"; then
        $as_root dpkg --purge blink-sub >/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work" >"$work/cpack.log" 2>&1 ||
    fail "cpack: $(cat "$work/cpack.log")"
debs=("$work"/blink-sub_*.deb)
deb=${debs[0]}
[ -f "$deb" ] || fail "cpack made no .deb in $work"
pass "cpack built $(basename "$deb")"

# Every shared library the binary loads must come from a package the .deb depends on.
depends=$(dpkg-deb --field "$deb" Depends)
depends_names=$(sed -E 's/\([^)]*\)//g; s/[,|]/\n/g; s/ //g' <<<"$depends")
for library in $(ldd "$build/blink-sub" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
    owner=$(dpkg -S "$library" 2>/dev/null || dpkg -S "/usr$library" 2>/dev/null ||
        dpkg -S "$(readlink -f "$library")") || fail "no package owns $library"
    package=${owner%%:*}
    # The dependency may name a virtual package that the owner provides (libspdlog1.10-fmt9).
    provides=$(dpkg-query -W -f='${Provides}' "$package" | sed -E 's/ \([^)]*\)//g; s/,/ /g')
    found=no
    for name in $package $provides; do
        if grep -qxF "$name" <<<"$depends_names"; then
            found=yes
        fi
    done
    [ "$found" = yes ] || fail "Depends lacks $package (for $library): $depends"
done
pass "Depends: $depends"

# Where the files go, read from the package itself.
contents=$(dpkg-deb --contents "$deb" | awk '{ print $6 }')
for file in ./usr/bin/blink-sub ./usr/share/man/man1/blink-sub.1 \
    ./usr/share/bash-completion/completions/blink-sub \
    ./usr/share/zsh/vendor-completions/_blink-sub \
    ./usr/share/fish/vendor_completions.d/blink-sub.fish; do
    grep -qxF "$file" <<<"$contents" || fail "$file is not in the package"
done
pass "binary, man page and completions are in the package"

DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -q --no-install-recommends \
    "$deb" >"$work/apt.log" 2>&1 || fail "apt-get install: $(cat "$work/apt.log")"
pass "apt-get installed it"

expected_version="blink-sub $(dpkg-deb --field "$deb" Version)"
version=$(/usr/bin/blink-sub --version)
[ "$version" = "$expected_version" ] || fail "--version printed '$version'"
pass "/usr/bin/blink-sub --version: $version"

coproc mock { exec node tests/server/blink-mock.mjs --interval-ms 100; }
mock_pid=$mock_PID
read -r -t 10 url <&"${mock[0]}" || fail "the mock Blink server did not start"
output=$(timeout 30 /usr/bin/blink-sub -e "$url" price --count 1) ||
    fail "blink-sub price exited $?"
[ "$(wc -l <<<"$output")" -eq 1 ] || fail "expected one line, got: $output"
jq -e '.data.price.price.base > 0' <<<"$output" >/dev/null || fail "not a price: $output"
pass "one subscription against the mock: $output"

$as_root dpkg --purge blink-sub >/dev/null
[ ! -e /usr/bin/blink-sub ] || fail "/usr/bin/blink-sub is still there after the purge"
pass "purged"

echo "package-check: $passed passed, 0 failed"
