import assert from 'node:assert/strict';

import { integrationTest, runBlinkSub, startMock } from './harness.mjs';

const QUIET = { intervalMs: 60_000 };

integrationTest('a protocol ping from the server is answered with pong', async () => {
  const mock = await startMock(QUIET);
  const run = runBlinkSub(['price', '--endpoint', mock.url]);

  await run.line(1);
  mock.broadcast({ type: 'ping', payload: { n: 7 } });
  const pong = await mock.waitFor((e) => e.type === 'pong');
  assert.equal(pong.connection, 1);
  run.kill('SIGINT');
  assert.equal((await run.result()).code, 130);
});

integrationTest("the server's WebSocket pings are answered, so it keeps the connection",
  async () => {
    const mock = await startMock({ ...QUIET, pingIntervalMs: 100 });
    const run = runBlinkSub(['price', '--endpoint', mock.url]);

    await run.line(1);
    // graphql-ws terminates a peer that leaves a ping unanswered until the next one is due.
    const pongs = () => mock.events.filter((e) => e.type === 'ws-pong').length;
    await mock.waitFor(() => pongs() >= 3);
    assert.ok(!mock.events.some((e) => e.type === 'close'), 'the server dropped the client');
    run.kill('SIGINT');
    assert.equal((await run.result()).code, 130);
  });

integrationTest('--keepalive sends protocol pings on a quiet connection', async () => {
  const mock = await startMock(QUIET);
  const run = runBlinkSub(['price', '--endpoint', mock.url, '--keepalive', '1']);

  await run.line(1);
  const ping = await mock.waitFor((e) => e.type === 'ping', { timeoutMs: 5_000 });
  assert.equal(ping.connection, 1);
  run.kill('SIGINT');
  assert.equal((await run.result()).code, 130);
});
