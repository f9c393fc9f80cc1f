// The scripts in examples/, run as a user would run them: blink-sub on the PATH, the endpoint
// from BLINK_WS_ENDPOINT, against the mock Blink server.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  blinkSubBinary,
  freePort,
  integrationTest,
  operation,
  parseJsonLines,
  runShell,
  startMock,
} from './harness.mjs';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const FAST = { intervalMs: 20 };

function runExample(script, args, env) {
  const quoted = [path.join(EXAMPLES, script), ...args].map((word) => `'${word}'`).join(' ');
  return runShell(quoted, {
    json: false,
    env: { PATH: `${path.dirname(blinkSubBinary())}:${process.env.PATH}`, ...env },
  });
}

integrationTest('watch-price.sh prints one line per price and ends at --count', async () => {
  const mock = await startMock(FAST);
  const run = runExample('watch-price.sh', ['--count', '3'], { BLINK_WS_ENDPOINT: mock.url });

  const { code, lines, stderr } = await run.result();
  assert.equal(code, 0, stderr);
  assert.equal(lines.length, 3, lines.join('\n'));
  for (const line of lines) {
    assert.match(line, /^\d\d:\d\d:\d\d {2}100000 sats = \d+(\.\d+)? US cents$/);
  }
  assert.equal((await operation(mock)).args.input.amount, 100000);
});

integrationTest('watch-price.sh fails as blink-sub does when the server is unreachable',
  async () => {
    const endpoint = `ws://127.0.0.1:${await freePort()}/graphql`;
    const run = runExample('watch-price.sh', ['--count', '1'], { BLINK_WS_ENDPOINT: endpoint });

    const { code, lines, stderr } = await run.result();
    assert.equal(code, 1);
    assert.deepEqual(lines, []);
    assert.match(stderr, /^blink-sub: error: /m);
  });

for (const [outcome, request, exitCode, message] of [
  ['paid', 'lnbc_paid_example', 0, /^paid: /],
  ['expired', 'lnbc_expired_example', 5, /^expired: /],
]) {
  integrationTest(`wait-for-invoice.sh branches on the exit code: ${outcome}`, async () => {
    const mock = await startMock(FAST);
    const run = runExample('wait-for-invoice.sh', [request], { BLINK_WS_ENDPOINT: mock.url });

    const { code, lines, stderr } = await run.result();
    assert.equal(code, exitCode, stderr);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], message);
    const { args } = await operation(mock);
    assert.equal(args.input.paymentRequest, request);
  });
}

integrationTest('wait-for-invoice.sh without an invoice prints its usage and exits 2', async () => {
  const { code, lines, stderr } = await runExample('wait-for-invoice.sh', [], {}).result();
  assert.equal(code, 2);
  assert.deepEqual(lines, []);
  assert.match(stderr, /^usage: .*wait-for-invoice\.sh PAYMENT_REQUEST/);
});

integrationTest('log-my-updates.sh appends timestamped JSON lines to the file', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'blink-sub-examples-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'updates.jsonl');
  const mock = await startMock({ ...FAST, payments: [{ kind: 'ln', sats: 2100, memo: 'tea' }] });
  const env = { BLINK_WS_ENDPOINT: mock.url, BLINK_API_KEY: 'blink_test_key' };

  for (const count of ['2', '1']) {
    const { code, stdout, stderr } =
      await runExample('log-my-updates.sh', [file, '--count', count], env).result();
    assert.equal(code, 0, stderr);
    assert.equal(stdout, '');
  }

  const logged = parseJsonLines(readFileSync(file, 'utf8').trimEnd().split('\n'));
  assert.equal(logged.length, 3);
  for (const entry of logged) {
    assert.deepEqual(Object.keys(entry), ['time', 'update']);
    assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Math.abs(Date.parse(entry.time) - Date.now()) < 60_000, entry.time);
  }
  assert.deepEqual(logged.map((entry) => entry.update.__typename), ['Price', 'LnUpdate', 'Price']);
});
