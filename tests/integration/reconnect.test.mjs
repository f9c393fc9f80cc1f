import assert from 'node:assert/strict';

import {
  assertCleanEnd,
  assertSessionStart,
  connectionCount,
  integrationTest,
  operation,
  RECONNECTING,
  reconnectLines,
  runBlinkSub,
  startMock,
} from './harness.mjs';

const KEY = 'blink_test_key';
const FAST = { intervalMs: 20 };
// One value per subscription, at once: each stdout line then comes from a known connection.
const ONE_VALUE = { intervalMs: 60_000 };

const on = (type, connection) => (e) => e.type === type && e.connection === connection;

integrationTest('a dropped connection is re-established with the key and the same subscription',
  async () => {
    const mock = await startMock(FAST);
    const run = runBlinkSub(['my-updates', '--api-key', KEY, '--endpoint', mock.url]);

    await run.line(1);
    mock.dropConnections();
    const { init, subscribe } = await run.whileRunning(assertSessionStart(mock, 2));
    assert.deepEqual(init.payload, { 'X-API-KEY': KEY });
    const first = await mock.waitFor(on('subscribe', 1));
    assert.deepEqual(subscribe.payload, first.payload);
    assert.deepEqual((await operation(mock, 2)).args, (await operation(mock, 1)).args);

    // The stream goes on over the new connection, still authenticated.
    const resumed = await run.line(run.lines.length + 1);
    assert.equal(resumed.data.myUpdates.errors.length, 0);
    run.kill('SIGINT');
    const { code, stderr } = await run.result();
    assert.equal(code, 130);
    assert.equal(reconnectLines(stderr).length, 1, stderr);
    assert.ok(!stderr.includes(KEY), 'the key leaked into stderr');
    await assertCleanEnd(mock, 2);
  });

integrationTest('--count spans reconnects: N lines in all, over as many connections', async () => {
  const mock = await startMock(ONE_VALUE);
  const run = runBlinkSub(['realtime-price', '--endpoint', mock.url, '--count', '3']);

  await run.line(1);
  mock.closeConnections(1012, 'Service Restart');
  await run.line(2);
  mock.closeConnections(1001, 'Going Away');
  const { code, json, stderr } = await run.result();
  assert.equal(code, 0, stderr);
  assert.equal(json.length, 3);
  for (const line of json) assert.equal(line.data.realtimePrice.errors.length, 0);
  assert.equal(connectionCount(mock), 3);
  const subscribed = mock.events.filter((e) => e.type === 'subscribe');
  assert.deepEqual(subscribed.map((e) => e.connection), [1, 2, 3]);
  await assertCleanEnd(mock, 3);
});

integrationTest('a close code that means a client bug is not retried: exit 1', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['price', '--endpoint', mock.url]);

  await run.line(1);
  mock.closeConnections(4400, 'Bad request');
  const { code, stderr } = await run.result();
  assert.equal(code, 1);
  assert.match(stderr, /4400/);
  assert.equal(connectionCount(mock), 1);
});

integrationTest('a 4401 close after subscribing is an authentication failure: exit 3',
  async () => {
    const mock = await startMock(FAST);
    const run = runBlinkSub(['price', '--endpoint', mock.url]);

    await run.line(1);
    mock.closeConnections(4401, 'Unauthorized');
    const { code } = await run.result();
    assert.equal(code, 3);
    assert.equal(connectionCount(mock), 1);
  });

integrationTest('an invoice paid while disconnected is seen after the reconnect: exit 0',
  async () => {
    const request = 'lnbc_reconnect_1';
    const mock = await startMock(ONE_VALUE);
    const run = runBlinkSub(['invoice-status', '--payment-request', request, '-e', mock.url]);

    const pending = await run.line(1);
    assert.equal(pending.data.lnInvoicePaymentStatusByPaymentRequest.status, 'PENDING');
    mock.dropConnections();
    mock.settle(request, 'PAID');
    const { code, json, stderr } = await run.result();
    assert.equal(code, 0, stderr);
    const statuses = json.map((line) => line.data.lnInvoicePaymentStatusByPaymentRequest.status);
    assert.deepEqual(statuses, ['PENDING', 'PAID']);
    const second = await mock.waitFor(on('subscribe', 2));
    assert.deepEqual(second.payload, (await mock.waitFor(on('subscribe', 1))).payload);
    await assertCleanEnd(mock, 2);
  });

integrationTest('--retries 0 gives up at the first lost connection: exit 1', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['price', '--endpoint', mock.url, '--retries', '0']);

  await run.line(1);
  mock.dropConnections();
  const { code, stderr } = await run.result();
  assert.equal(code, 1);
  assert.doesNotMatch(stderr, RECONNECTING);
  assert.equal(connectionCount(mock), 1);
});

integrationTest('a server gone for good is retried --retries times, then exit 1', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['price', '--endpoint', mock.url, '--retries', '2']);

  await run.line(1);
  await mock.close();
  const { code, stderr } = await run.result();
  assert.equal(code, 1);
  assert.equal(reconnectLines(stderr).length, 2, stderr);
  const lastLine = stderr.trimEnd().split('\n').at(-1);
  assert.match(lastLine, /error:.*refused/i);
  assert.equal(connectionCount(mock), 1);
});
