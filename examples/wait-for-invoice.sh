#!/bin/sh
# Wait until a Lightning invoice is paid or expires, then act on the outcome.
#
#   examples/wait-for-invoice.sh PAYMENT_REQUEST [BLINK-SUB OPTIONS]
#
# The endpoint comes from --endpoint or BLINK_WS_ENDPOINT, as for blink-sub itself.
if [ $# -lt 1 ]; then
    echo "usage: $0 PAYMENT_REQUEST [BLINK-SUB OPTIONS]" >&2
    exit 2
fi
invoice=$1
shift

# blink-sub ends by itself at the first final status, and says which by its exit code.
blink-sub -q invoice-status --payment-request "$invoice" "$@" >/dev/null
status=$?

case $status in
0) echo "paid: ship the order" ;;
5) echo "expired: ask the customer for a new invoice" ;;
*) echo "could not follow the invoice (blink-sub exit code $status)" >&2 ;;
esac
exit $status
