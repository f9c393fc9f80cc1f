#!/usr/bin/env bash
# Append every update of your Blink account to a log file, one JSON line each, with the
# time it arrived.
#
#   BLINK_API_KEY=blink_... examples/log-my-updates.sh [FILE] [BLINK-SUB OPTIONS]
#
# FILE defaults to my-updates.jsonl. Options go to blink-sub: --count 10 stops after ten
# updates. The endpoint comes from --endpoint or BLINK_WS_ENDPOINT. Needs jq.
set -euo pipefail

file=my-updates.jsonl
if [[ $# -gt 0 && $1 != -* ]]; then
    file=$1
    shift
fi

# --unbuffered writes each line at once, so that `tail -f` on the file sees it.
blink-sub my-updates "$@" |
    jq --unbuffered -c '{time: (now | todate), update: .data.myUpdates.update}' >>"$file"
