import assert from 'node:assert/strict';

import {
  assertCleanEnd,
  assertSessionStart,
  integrationTest,
  operation,
  runBlinkSub,
  startMock,
} from './harness.mjs';

const FAST = { intervalMs: 20 };

function assertRealtimePrice(line, currency) {
  const payload = line.data.realtimePrice;
  assert.deepEqual(payload.errors, []);
  const price = payload.realtimePrice;
  assert.equal(price.btcSatPrice.offset, 12);
  assert.equal(price.usdCentPrice.offset, 6);
  assert.ok(price.btcSatPrice.base > 0);
  if ('denominatorCurrency' in price) assert.equal(price.denominatorCurrency, currency);
  if ('timestamp' in price) {
    const ageSeconds = Date.now() / 1000 - price.timestamp;
    assert.ok(Math.abs(ageSeconds) < 3600, `timestamp ${price.timestamp} is not Unix seconds`);
  }
}

integrationTest('realtime-price streams the USD price by default', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['realtime-price', '--endpoint', mock.url, '--count', '2']);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal(json.length, 2);
  for (const line of json) assertRealtimePrice(line, 'USD');
  await assertSessionStart(mock);
  const { field, args } = await operation(mock);
  assert.equal(field, 'realtimePrice');
  assert.equal(args.input.currency, 'USD');
  await assertCleanEnd(mock);
});

integrationTest('realtime-price --currency asks for that currency', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['realtime-price', '--currency', 'EUR', '-e', mock.url, '--count', '1']);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assertRealtimePrice(json[0], 'EUR');
  assert.equal((await operation(mock)).args.input.currency, 'EUR');
});
