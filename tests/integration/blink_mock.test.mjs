// The Blink mock itself, spoken to with a plain WebSocket client: the other tests trust it to
// behave as BLINK.md says Blink does, so those habits are pinned here. No blink-sub needed.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import { integrationTest, PROTOCOL, startMock } from './harness.mjs';

const WebSocket = createRequire(new URL('../server/package.json', import.meta.url))('ws');

// A raw graphql-transport-ws peer: frames in order, and the close code.
async function connect(mock) {
  const socket = new WebSocket(mock.url, PROTOCOL);
  const frames = [];
  const waiting = [];
  socket.on('message', (data) => {
    frames.push(JSON.parse(String(data)));
    waiting.splice(0).forEach((wake) => wake());
  });
  const closed = new Promise((resolve) => {
    socket.on('close', (code) => {
      waiting.splice(0).forEach((wake) => wake());
      resolve(code);
    });
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let read = 0;
  return {
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    async next() {
      while (read === frames.length) {
        if (socket.readyState === WebSocket.CLOSED) throw new Error('closed before a frame');
        await new Promise((wake) => waiting.push(wake));
      }
      return frames[read++];
    },
    close: () => socket.close(1000),
  };
}

async function initialised(mock, payload = {}) {
  const peer = await connect(mock);
  peer.send({ type: 'connection_init', payload });
  assert.deepEqual(await peer.next(), { type: 'connection_ack' });
  return peer;
}

function subscribe(id, query, variables) {
  return { id, type: 'subscribe', payload: { query, variables } };
}

integrationTest('mock: a bad key is acked; myUpdates then fails as on Blink', async () => {
  const mock = await startMock();
  const peer = await initialised(mock, { 'X-API-KEY': 'blink_wrong' });

  peer.send(subscribe('1', 'subscription { myUpdates { update { __typename } } }'));
  const next = await peer.next();
  assert.equal(next.type, 'next');
  assert.equal('data' in next.payload, false);
  const [error] = next.payload.errors;
  assert.equal(error.message, 'Not Authenticated for subscription');
  assert.deepEqual(error.path, ['myUpdates']);
  assert.deepEqual(error.extensions, { code: 'NOT_AUTHENTICATED' });
  assert.deepEqual(await peer.next(), { id: '1', type: 'complete' });
  peer.close();
});

integrationTest('mock: authRejection close refuses a bad key with 4403', async () => {
  const mock = await startMock({ authRejection: 'close' });
  const peer = await connect(mock);

  peer.send({ type: 'connection_init', payload: { 'X-API-KEY': 'blink_wrong' } });
  assert.equal(await peer.closed, 4403);
});

integrationTest('mock: a syntax error closes the connection with 4500', async () => {
  const mock = await startMock();
  const peer = await initialised(mock);

  peer.send(subscribe('1', 'subscription {'));
  assert.equal(await peer.closed, 4500);
});

integrationTest('mock: a validation error is an error message for that id only', async () => {
  const mock = await startMock({ intervalMs: 20 });
  const peer = await initialised(mock);

  peer.send(subscribe('bad', 'subscription { nope }'));
  const error = await peer.next();
  assert.equal(error.type, 'error');
  assert.equal(error.id, 'bad');
  peer.send(subscribe('good', 'subscription { realtimePrice(input: {}) { errors { message } } }'));
  assert.equal((await peer.next()).id, 'good');
  peer.close();
});

integrationTest('mock: no connection_init in time closes with 4408', async () => {
  const mock = await startMock({ connectionInitWaitTimeout: 50 });
  const peer = await connect(mock);

  assert.equal(await peer.closed, 4408);
});

integrationTest('mock: price errors stay inside the data and the stream stays open', async () => {
  const mock = await startMock({ intervalMs: 20 });
  const peer = await initialised(mock);
  const query = `subscription { price(input: {amount: 1, amountCurrencyUnit: USDCENT,
    priceCurrencyUnit: USDCENT}) { errors { message } price { base } } }`;

  peer.send(subscribe('1', query));
  const next = await peer.next();
  assert.deepEqual(next.payload.data.price, {
    errors: [{ message: 'Unsupported exchange unit' }],
    price: null,
  });
  // Anything the server sends for id 1 now would be a second payload or a complete; a price
  // subscription started after it must be the next frame.
  peer.send(subscribe('2', query.replace('USDCENT,', 'BTCSAT,')));
  assert.equal((await peer.next()).id, '2');
  peer.close();
});

integrationTest('mock: invoice streams follow the request name, then stay open', async () => {
  const mock = await startMock({ intervalMs: 20 });
  const peer = await initialised(mock);
  const query = `subscription ($pr: LnPaymentRequest!) {
    lnInvoicePaymentStatusByPaymentRequest(input: {paymentRequest: $pr}) { status }
  }`;

  peer.send(subscribe('1', query, { pr: 'lnbc1paid' }));
  const status = async () => (await peer.next()).payload.data
    .lnInvoicePaymentStatusByPaymentRequest.status;
  assert.equal(await status(), 'PENDING');
  assert.equal(await status(), 'PAID');
  peer.send(subscribe('2', query, { pr: 'lnbc1other' }));
  const after = await peer.next();
  assert.equal(after.id, '2', 'the paid stream must not complete by itself');
  peer.close();
});
