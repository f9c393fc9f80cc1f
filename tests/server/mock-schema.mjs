// Blink's public subscription schema with the mock's resolvers attached. Business errors go
// inside the payload and keep the stream open; bad input and missing authentication throw from
// `subscribe`, which graphql-ws sends as `next` with top-level `errors`, then `complete`.
import { readFileSync } from 'node:fs';

import { buildSchema, GraphQLError } from 'graphql';

import { tickingStream, eventStream } from './event-stream.mjs';
import {
  applicationError,
  isKnownCurrency,
  priceUpdate,
  pricePayload,
  realtimePrice,
} from './fixtures.mjs';
import { invoiceStatusPayload, isPaymentHash, isPaymentRequest } from './invoice-book.mjs';

const SCHEMA_TEXT = readFileSync(new URL('./blink-schema.graphql', import.meta.url), 'utf8');

const MAX_PRICE_AMOUNT = 1_000_000;

function inputError(message) {
  return new GraphQLError(message, { extensions: { code: 'INVALID_INPUT' } });
}

// A stream that sends one payload with business errors and then stays open, as Blink does.
function errorStream(message) {
  return eventStream((push) => {
    push({ errors: [applicationError(message)] });
  });
}

// `server` provides: intervalMs, record(event), nextTick(), invoices (an InvoiceBook), and
// paymentStreams (a Set of push functions for authenticated myUpdates subscribers).
export function buildMockSchema(server) {
  const schema = buildSchema(SCHEMA_TEXT);
  const fields = schema.getSubscriptionType().getFields();
  const ticking = (payloadAt) =>
    tickingStream(server.intervalMs, () => payloadAt(server.nextTick()));

  const define = (name, subscribe) => {
    fields[name].subscribe = (_source, args, context) => {
      server.record({
        type: 'operation',
        connection: context.connection,
        id: context.id,
        field: name,
        args: structuredClone(args),
      });
      return subscribe(args, context);
    };
    fields[name].resolve = (payload) => payload;
  };

  define('price', ({ input }) => {
    const amount = Number(input.amount);
    if (!Number.isInteger(amount) || amount < 0) {
      return errorStream('Invalid value for SatAmount');
    }
    if (input.amountCurrencyUnit !== 'BTCSAT' || input.priceCurrencyUnit !== 'USDCENT') {
      return errorStream('Unsupported exchange unit');
    }
    if (amount >= MAX_PRICE_AMOUNT) return errorStream('Unsupported exchange amount');
    return ticking((tick) => pricePayload(amount, tick));
  });

  define('realtimePrice', ({ input }) => {
    const currency = input.currency ?? 'USD';
    if (typeof currency !== 'string' || !/^[A-Za-z]{3,4}$/.test(currency)) {
      return errorStream('Invalid value for DisplayCurrency');
    }
    const code = currency.toUpperCase();
    if (!isKnownCurrency(code)) return errorStream(`Unsupported display currency: ${code}`);
    return ticking((tick) => ({ errors: [], realtimePrice: realtimePrice(code, tick) }));
  });

  define('myUpdates', (_args, context) => {
    if (!context.user) {
      throw new GraphQLError('Not Authenticated for subscription', {
        extensions: { code: 'NOT_AUTHENTICATED' },
      });
    }
    return eventStream((push) => {
      const onPayment = (update) => push({ errors: [], me: context.user, update });
      push(priceUpdate(server.nextTick()));
      for (const payment of server.initialPayments) onPayment(server.makePayment(payment));
      const timer = setInterval(() => push(priceUpdate(server.nextTick())), server.intervalMs);
      server.paymentStreams.add(onPayment);
      return () => {
        clearInterval(timer);
        server.paymentStreams.delete(onPayment);
      };
    });
  });

  const invoiceStream = (invoice) =>
    eventStream((push) => server.invoices.watch(invoice, (it) => push(invoiceStatusPayload(it))));

  const byRequest = ({ input }) => {
    if (!isPaymentRequest(input.paymentRequest)) {
      throw inputError('Invalid value for LnPaymentRequest');
    }
    return invoiceStream(server.invoices.byRequest(input.paymentRequest));
  };
  define('lnInvoicePaymentStatusByPaymentRequest', byRequest);
  define('lnInvoicePaymentStatus', byRequest);

  define('lnInvoicePaymentStatusByHash', ({ input }) => {
    if (!isPaymentHash(input.paymentHash)) throw inputError('Invalid value for PaymentHash');
    return invoiceStream(server.invoices.byHash(input.paymentHash));
  });

  return schema;
}
