#!/usr/bin/env bash
# Print what 100,000 sats are worth in US cents, now and every 30 seconds.
#
#   examples/watch-price.sh [BLINK-SUB OPTIONS]
#
# Options go to blink-sub: --count 3 stops after three prices. The endpoint comes from
# --endpoint or BLINK_WS_ENDPOINT, as for blink-sub itself. Needs jq.
set -euo pipefail

# jq --unbuffered prints each price as soon as blink-sub hands it over.
blink-sub price --amount 100000 --amount-unit BTCSAT --price-unit USDCENT "$@" |
    jq --unbuffered -r '.data.price.price
        | "\(now | strflocaltime("%H:%M:%S"))  100000 sats = \(.formattedAmount) US cents"'
