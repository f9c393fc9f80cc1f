// Lightning invoices the mock knows, keyed by payment hash, with the status each one has and the
// subscribers waiting for it to change. See README.md for how a test decides an invoice's fate.
import { randomBytes } from 'node:crypto';

import { sha256Hex } from './fixtures.mjs';

export const FINAL_STATUSES = new Set(['PAID', 'EXPIRED']);
const STATUSES = new Set(['PENDING', ...FINAL_STATUSES]);

export const isPaymentRequest = (text) => typeof text === 'string' && /^ln/i.test(text);
export const isPaymentHash = (text) => typeof text === 'string' && /^[0-9a-f]{64}$/i.test(text);

// The preimage the mock assigns to a payment request, and the hash of that preimage.
const preimageOf = (paymentRequest) => sha256Hex(`preimage:${paymentRequest}`);
const hashOfPreimage = (preimage) => sha256Hex(Buffer.from(preimage, 'hex'));

export function paymentHashOf(paymentRequest) {
  return hashOfPreimage(preimageOf(paymentRequest));
}

// The status a request's name asks for after one interval, if any.
function scriptedFate(paymentRequest) {
  const text = paymentRequest.toLowerCase();
  if (text.includes('expired')) return 'EXPIRED';
  if (text.includes('paid')) return 'PAID';
  return null;
}

export class InvoiceBook {
  #byHash = new Map();
  #timers = new Set();
  #intervalMs;

  constructor(intervalMs) {
    this.#intervalMs = intervalMs;
  }

  // The invoice for a payment request, created PENDING on first sight.
  byRequest(paymentRequest) {
    const paymentHash = paymentHashOf(paymentRequest);
    let invoice = this.#byHash.get(paymentHash);
    if (!invoice) {
      invoice = this.#create(paymentHash, paymentRequest, preimageOf(paymentRequest));
      invoice.fate = scriptedFate(paymentRequest);
    }
    return invoice;
  }

  // The invoice for a payment hash; an unknown hash gets a PENDING invoice of its own.
  byHash(paymentHash) {
    const hash = paymentHash.toLowerCase();
    return (
      this.#byHash.get(hash) ??
      this.#create(hash, `lnbcrt10u1pmock${hash.slice(0, 32)}`, randomBytes(32).toString('hex'))
    );
  }

  // Sets the status of the invoice named by a payment request or hash, telling its watchers.
  settle(requestOrHash, status) {
    if (!STATUSES.has(status)) throw new Error(`unknown invoice status: ${status}`);
    const invoice = isPaymentHash(requestOrHash)
      ? this.byHash(requestOrHash)
      : this.byRequest(requestOrHash);
    if (invoice.status !== status) {
      invoice.status = status;
      for (const notify of invoice.watchers) notify(invoice);
    }
    return invoice;
  }

  // Calls `notify(invoice)` now and on every change until the returned function is called. The
  // first watcher of an invoice whose request names a fate starts the clock towards it.
  watch(invoice, notify) {
    invoice.watchers.add(notify);
    notify(invoice);
    if (invoice.fate && invoice.status === 'PENDING') {
      const fate = invoice.fate;
      invoice.fate = null;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.settle(invoice.paymentHash, fate);
      }, this.#intervalMs);
      this.#timers.add(timer);
    }
    return () => invoice.watchers.delete(notify);
  }

  close() {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #create(paymentHash, paymentRequest, paymentPreimage) {
    const invoice = {
      paymentHash,
      paymentRequest,
      paymentPreimage,
      status: 'PENDING',
      fate: null,
      watchers: new Set(),
    };
    this.#byHash.set(paymentHash, invoice);
    return invoice;
  }
}

// The subscription payload for an invoice's current status.
export function invoiceStatusPayload(invoice) {
  return {
    errors: [],
    status: invoice.status,
    paymentHash: invoice.paymentHash,
    paymentRequest: invoice.paymentRequest,
    paymentPreimage: invoice.status === 'PAID' ? invoice.paymentPreimage : null,
  };
}
