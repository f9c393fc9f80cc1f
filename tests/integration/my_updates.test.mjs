import assert from 'node:assert/strict';

import {
  assertCleanEnd,
  assertSessionStart,
  connectionCount,
  integrationTest,
  operation,
  runBlinkSub,
  startMock,
} from './harness.mjs';

const KEY = 'blink_test_key';
const TOKEN = 'blink_test_token';

// One price tick at once and no more for a minute: the next line can only be a payment.
const QUIET = { intervalMs: 60_000, apiKeys: [KEY], authTokens: [TOKEN] };

integrationTest('my-updates with --api-key sends X-API-KEY and prints the updates', async () => {
  const mock = await startMock({ ...QUIET, intervalMs: 20 });
  const run = runBlinkSub(['my-updates', '--api-key', KEY, '--endpoint', mock.url, '--count', '2']);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal(json.length, 2);
  for (const line of json) assert.equal(line.data.myUpdates.update.__typename, 'Price');
  const { init } = await assertSessionStart(mock);
  assert.deepEqual(init.payload, { 'X-API-KEY': KEY });
  assert.equal((await operation(mock)).field, 'myUpdates');
  await assertCleanEnd(mock);
});

integrationTest('BLINK_API_KEY supplies the key', async () => {
  const mock = await startMock(QUIET);
  const run = runBlinkSub(['my-updates', '-e', mock.url, '--count', '1'], {
    env: { BLINK_API_KEY: KEY },
  });

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal(json[0].data.myUpdates.update.__typename, 'Price');
  const { init } = await assertSessionStart(mock);
  assert.deepEqual(init.payload, { 'X-API-KEY': KEY });
});

integrationTest('--auth-token is sent as a bearer Authorization', async () => {
  const mock = await startMock(QUIET);
  const run = runBlinkSub(['my-updates', '--auth-token', TOKEN, '-e', mock.url, '--count', '1']);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal(json[0].data.myUpdates.update.__typename, 'Price');
  const { init } = await assertSessionStart(mock);
  assert.deepEqual(init.payload, { Authorization: `Bearer ${TOKEN}` });
});

integrationTest('BLINK_AUTH_TOKEN supplies the token, and both credentials are sent', async () => {
  const mock = await startMock(QUIET);
  const args = ['my-updates', '--api-key', 'blink_not_valid', '-e', mock.url, '--count', '1'];
  const run = runBlinkSub(args, { env: { BLINK_AUTH_TOKEN: TOKEN } });

  // The server prefers the token, which is valid, over the key, which is not.
  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal(json[0].data.myUpdates.update.__typename, 'Price');
  const { init } = await assertSessionStart(mock);
  assert.deepEqual(init.payload, {
    'X-API-KEY': 'blink_not_valid',
    Authorization: `Bearer ${TOKEN}`,
  });
});

integrationTest('an incoming payment arrives as an LnUpdate', async () => {
  const mock = await startMock(QUIET);
  const run = runBlinkSub(['my-updates', '--api-key', KEY, '-e', mock.url, '--count', '2']);

  assert.equal((await run.line(1)).data.myUpdates.update.__typename, 'Price');
  assert.equal(mock.pay({ sats: 2100, memo: 'coffee' }), 1);
  const { code, json } = await run.result();
  assert.equal(code, 0);
  const { update } = json[1].data.myUpdates;
  assert.equal(update.__typename, 'LnUpdate');
  assert.equal(update.status, 'PAID');
  assert.equal(update.transaction.settlementAmount, 2100);
  assert.equal(update.transaction.memo, 'coffee');
});

integrationTest('on-chain and intra-ledger payments arrive with their own type', async () => {
  const mock = await startMock(QUIET);
  const run = runBlinkSub(['my-updates', '--api-key', KEY, '-e', mock.url, '--count', '3']);

  await run.line(1);
  mock.pay({ kind: 'onchain', sats: 50_000 });
  await run.line(2);
  mock.pay({ kind: 'intraledger', sats: 700 });
  const { code, json } = await run.result();
  assert.equal(code, 0);
  const types = json.map((line) => line.data.myUpdates.update.__typename);
  assert.deepEqual(types, ['Price', 'OnChainUpdate', 'IntraLedgerUpdate']);
});

integrationTest('my-updates without a key or token is a usage error', async () => {
  const mock = await startMock(QUIET);
  const run = runBlinkSub(['my-updates', '--endpoint', mock.url]);

  const { code, lines, stderr } = await run.result();
  assert.equal(code, 2);
  assert.deepEqual(lines, []);
  assert.match(stderr, /--api-key/);
  assert.equal(connectionCount(mock), 0);
});

integrationTest('a key Blink does not know: the error payload is printed, exit 3', async () => {
  const mock = await startMock(QUIET);
  const run = runBlinkSub(['my-updates', '--api-key', 'blink_wrong', '-e', mock.url]);

  const { code, json, stderr } = await run.result();
  assert.equal(code, 3);
  assert.equal(json.length, 1);
  assert.equal(json[0].data ?? null, null);
  assert.equal(json[0].errors[0].extensions.code, 'NOT_AUTHENTICATED');
  assert.notEqual(stderr, '');
  assert.equal(connectionCount(mock), 1, 'an authentication failure is not retried');
});

integrationTest('a server that closes with 4403 on a bad key: exit 3, no retry', async () => {
  const mock = await startMock({ ...QUIET, authRejection: 'close' });
  const run = runBlinkSub(['my-updates', '--api-key', 'blink_wrong', '-e', mock.url]);

  const { code, lines } = await run.result();
  assert.equal(code, 3);
  assert.deepEqual(lines, []);
  const sent = await mock.waitFor((e) => e.type === 'close-sent');
  assert.equal(sent.code, 4403);
  assert.equal(connectionCount(mock), 1);
});
