import assert from 'node:assert/strict';

import { assertSessionStart, integrationTest, runBlinkSub, startMock } from './harness.mjs';

const FAST = { intervalMs: 20 };

const INIT = JSON.stringify({ type: 'connection_init', payload: {} });
const SUBSCRIBE = JSON.stringify({
  id: 'raw-1',
  type: 'subscribe',
  payload: { query: 'subscription { realtimePrice(input: {}) { realtimePrice { id } } }' },
});

integrationTest('raw sends stdin lines as frames and prints every frame', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['raw', '--endpoint', mock.url, '--count', '2'], {
    stdin: `${INIT}\n${SUBSCRIBE}\n`,
  });

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.deepEqual(json[0], { type: 'connection_ack' });
  assert.deepEqual(
    json.slice(1).map(({ id, type }) => ({ id, type })),
    [{ id: 'raw-1', type: 'next' }, { id: 'raw-1', type: 'next' }],
  );
  assert.ok(json[1].payload.data.realtimePrice.realtimePrice.id);

  const { init, subscribe } = await assertSessionStart(mock);
  assert.deepEqual(init.payload, {});
  assert.equal(subscribe.id, 'raw-1');
  const close = await mock.waitFor((e) => e.type === 'close');
  assert.equal(close.code, 1000);
});

integrationTest('raw keeps running after stdin ends, until a signal', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['raw', '--endpoint', mock.url], { stdin: 'pipe' });

  run.write(`${INIT}\n`);
  assert.deepEqual(await run.line(1), { type: 'connection_ack' });
  run.write(`${SUBSCRIBE}\n`);
  await mock.waitFor((e) => e.type === 'subscribe');
  run.end();

  // Frames keep coming after end of input: the stream ticks every 20 ms.
  const seen = run.lines.length;
  assert.equal((await run.line(seen + 3)).type, 'next');
  assert.equal(run.exited, false);
  run.kill('SIGINT');
  const { code } = await run.result();
  assert.equal(code, 130);
  const close = await mock.waitFor((e) => e.type === 'close');
  assert.equal(close.code, 1000);
});

integrationTest('raw prints frames the server sends unasked, such as a protocol ping', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['raw', '--endpoint', mock.url], { stdin: 'pipe' });

  run.write(`${INIT}\n`);
  await run.line(1);
  mock.broadcast({ type: 'ping', payload: { from: 'mock' } });
  assert.deepEqual(await run.line(2), { type: 'ping', payload: { from: 'mock' } });
  run.kill('SIGTERM');
  assert.equal((await run.result()).code, 143);
});
