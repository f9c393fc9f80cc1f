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

integrationTest('price streams --count lines of data and ends cleanly', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['price', '--endpoint', mock.url, '--count', '3']);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal(json.length, 3);
  for (const line of json) {
    assert.deepEqual(line.data.price.errors, []);
    assert.equal(line.data.price.price.offset, 12);
    assert.equal(line.data.price.price.currencyUnit, 'USDCENT');
    assert.ok(line.data.price.price.base > 0);
  }
  const { subscribe } = await assertSessionStart(mock);
  assert.match(subscribe.payload.query, /\bsubscription\b/);
  assert.deepEqual((await operation(mock)).args.input, {
    amount: 1,
    amountCurrencyUnit: 'BTCSAT',
    priceCurrencyUnit: 'USDCENT',
  });
  await assertCleanEnd(mock);
});

integrationTest('price passes --amount, --amount-unit and --price-unit to the server', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub([
    'price', '--amount', '21000', '--amount-unit', 'BTCSAT', '--price-unit', 'USDCENT',
    '--endpoint', mock.url, '--count', '1',
  ]);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal((await operation(mock)).args.input.amount, 21000);
  const { base, formattedAmount } = json[0].data.price.price;
  assert.ok(Number(formattedAmount) > 1000, `21000 sats are worth ${formattedAmount} cents`);
  assert.ok(base > 10 ** 15);
});

integrationTest('an unsupported unit is a business error in the data; the stream goes on',
  async () => {
    const mock = await startMock(FAST);
    const run = runBlinkSub([
      '--endpoint', mock.url, '--count', '1', 'price', '--amount-unit', 'USDCENT',
    ]);

    const { code, json } = await run.result();
    assert.equal(code, 0);
    assert.equal(json[0].data.price.price, null);
    assert.equal(json[0].data.price.errors[0].message, 'Unsupported exchange unit');
    await assertCleanEnd(mock);
  });

integrationTest('an amount of a million sats or more is refused inside the data', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['price', '--amount', '1000000', '--endpoint', mock.url, '--count', '1']);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal(json[0].data.price.errors[0].message, 'Unsupported exchange amount');
});

integrationTest('BLINK_WS_ENDPOINT sets the endpoint', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['price', '--count', '1'], { env: { BLINK_WS_ENDPOINT: mock.url } });

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal(json.length, 1);
  await assertSessionStart(mock);
});

integrationTest('--endpoint wins over BLINK_WS_ENDPOINT', async () => {
  const mock = await startMock(FAST);
  const unused = await startMock(FAST);
  const run = runBlinkSub(['price', '--endpoint', mock.url, '--count', '1'], {
    env: { BLINK_WS_ENDPOINT: unused.url },
  });

  const { code } = await run.result();
  assert.equal(code, 0);
  await assertSessionStart(mock);
  assert.equal(unused.events.length, 0);
});

integrationTest('price needs no API key and sends an empty or absent init payload', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['price', '-e', mock.url, '--count', '1']);

  assert.equal((await run.result()).code, 0);
  const { init } = await assertSessionStart(mock);
  assert.ok(init.payload === undefined || init.payload === null || !('X-API-KEY' in init.payload));
});
