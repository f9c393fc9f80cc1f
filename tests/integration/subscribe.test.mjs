import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  assertCleanEnd,
  assertSessionStart,
  connectionCount,
  integrationTest,
  operation,
  runBlinkSub,
  startMock,
} from './harness.mjs';

const FAST = { intervalMs: 20 };

const PRICE_QUERY = `subscription Convert($sats: SatAmount!) {
  price(input: {amount: $sats, amountCurrencyUnit: BTCSAT, priceCurrencyUnit: USDCENT}) {
    price { base offset }
  }
}`;

async function withFiles(files, fn) {
  const dir = await mkdtemp(path.join(tmpdir(), 'blink-sub-subscribe-'));
  try {
    const paths = {};
    for (const [name, text] of Object.entries(files)) {
      paths[name] = path.join(dir, name);
      await writeFile(paths[name], text);
    }
    return await fn(paths);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

integrationTest('subscribe sends --query and --variables as given', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub([
    'subscribe', '--query', PRICE_QUERY, '--variables', '{"sats": 5000}',
    '-e', mock.url, '--count', '2',
  ]);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal(json.length, 2);
  for (const line of json) assert.equal(line.data.price.price.offset, 12);
  const { subscribe } = await assertSessionStart(mock);
  assert.equal(subscribe.payload.query, PRICE_QUERY);
  assert.deepEqual(subscribe.payload.variables, { sats: 5000 });
  assert.equal((await operation(mock)).args.input.amount, 5000);
  await assertCleanEnd(mock);
});

integrationTest('subscribe reads --query @FILE and --variables @FILE', async () => {
  const mock = await startMock(FAST);
  await withFiles({ 'price.graphql': PRICE_QUERY, 'vars.json': '{"sats": 777}\n' }, async (f) => {
    const run = runBlinkSub([
      'subscribe', '--query', `@${f['price.graphql']}`, '--variables', `@${f['vars.json']}`,
      '-e', mock.url, '--count', '1',
    ]);

    const { code, json } = await run.result();
    assert.equal(code, 0);
    assert.ok(json[0].data.price.price.base > 0);
  });
  const { subscribe } = await assertSessionStart(mock);
  assert.equal(subscribe.payload.query, PRICE_QUERY);
  assert.deepEqual(subscribe.payload.variables, { sats: 777 });
});

integrationTest('--operation-name picks one operation of the document', async () => {
  const mock = await startMock(FAST);
  const document = `
    subscription Usd { realtimePrice(input: {currency: "USD"}) { errors { message } } }
    subscription Eur { realtimePrice(input: {currency: "EUR"}) { errors { message } } }`;
  const run = runBlinkSub([
    'subscribe', '--query', document, '--operation-name', 'Eur', '-e', mock.url, '--count', '1',
  ]);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.deepEqual(json[0].data.realtimePrice.errors, []);
  const { subscribe } = await assertSessionStart(mock);
  assert.equal(subscribe.payload.operationName, 'Eur');
  assert.equal((await operation(mock)).args.input.currency, 'EUR');
});

integrationTest('bad JSON in --variables is a usage error naming the flag', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub([
    'subscribe', '--query', PRICE_QUERY, '--variables', '{"sats": ', '-e', mock.url,
  ]);

  const { code, lines, stderr } = await run.result();
  assert.equal(code, 2);
  assert.deepEqual(lines, []);
  assert.match(stderr, /--variables/);
  assert.equal(connectionCount(mock), 0);
});

integrationTest('a document that does not validate gets an error message: exit 4', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['subscribe', '--query', 'subscription { nope }', '-e', mock.url]);

  const { code, lines, stderr } = await run.result();
  assert.equal(code, 4);
  assert.deepEqual(lines, []);
  assert.match(stderr, /nope/);
  assert.equal(connectionCount(mock), 1, 'a rejected operation is not retried');
});

integrationTest('a query (not a subscription) is refused by the server: exit 4', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['subscribe', '--query', '{ mockServer }', '-e', mock.url]);

  const { code, lines } = await run.result();
  assert.equal(code, 4);
  assert.deepEqual(lines, []);
});

integrationTest('a syntax error makes Blink close the connection with 4500', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub([
    'subscribe', '--query', 'subscription {', '-e', mock.url, '--retries', '0',
  ]);

  const { code, lines } = await run.result();
  assert.ok([1, 4].includes(code), `exit ${code}`);
  assert.deepEqual(lines, []);
  assert.equal((await mock.waitFor((e) => e.type === 'close-sent')).code, 4500);
});

integrationTest('the deprecated lnInvoicePaymentStatus still works through subscribe', async () => {
  const mock = await startMock(FAST);
  const query = `subscription ($pr: LnPaymentRequest!) {
    lnInvoicePaymentStatus(input: {paymentRequest: $pr}) { status }
  }`;
  const run = runBlinkSub([
    'subscribe', '--query', query, '--variables', '{"pr": "lnbcrt1pmockpaid"}',
    '-e', mock.url, '--count', '2',
  ]);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  const statuses = json.map((line) => line.data.lnInvoicePaymentStatus.status);
  assert.deepEqual(statuses, ['PENDING', 'PAID']);
});
