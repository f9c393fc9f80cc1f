import assert from 'node:assert/strict';

import {
  assertCleanEnd,
  integrationTest,
  runBlinkSub,
  runShell,
  startMock,
} from './harness.mjs';

const FAST = { intervalMs: 20 };

for (const [signal, exitCode] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  integrationTest(`${signal} completes the subscription, closes with 1000, exits ${exitCode}`,
    async () => {
      const mock = await startMock(FAST);
      const run = runBlinkSub(['price', '--endpoint', mock.url]);

      await run.line(1);
      run.kill(signal);
      const { code, signal: killedBy, json } = await run.result();
      assert.equal(killedBy, null, `killed by ${killedBy} instead of exiting`);
      assert.equal(code, exitCode);
      assert.ok(json.length >= 1);
      for (const line of json) assert.equal(line.data.price.price.offset, 12);
      await assertCleanEnd(mock);
    });
}

integrationTest('a signal while waiting for an invoice still completes it', async () => {
  const mock = await startMock(FAST);
  const run = runBlinkSub(['invoice-status', '--payment-hash', 'b2'.repeat(32), '-e', mock.url]);

  await run.line(1);
  run.kill('SIGINT');
  assert.equal((await run.result()).code, 130);
  await assertCleanEnd(mock);
});

integrationTest('a closed stdout (| head -1) ends the run promptly and quietly', async () => {
  const mock = await startMock({ intervalMs: 5 });
  const run = runShell(`"$BLINK_SUB_BIN" price --endpoint '${mock.url}' | head -n 1`);

  // The shell waits for both ends of the pipe, so its exit means blink-sub has ended too.
  const { code, json, stderr } = await run.result({ timeoutMs: 5_000 });
  assert.equal(code, 0);
  assert.equal(json.length, 1);
  assert.equal(json[0].data.price.price.offset, 12);
  assert.equal(stderr, '');
  await mock.waitFor((e) => e.type === 'close');
});
