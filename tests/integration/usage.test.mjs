import assert from 'node:assert/strict';

import {
  assertSessionStart,
  freePort,
  integrationTest,
  runBlinkSub,
  startMock,
} from './harness.mjs';

// CONTRACT.md, "Exit codes".
const EXIT_CODES = [0, 1, 2, 3, 4, 5, 130, 143];

integrationTest('--help exits 0 and lists every exit code', async () => {
  const { code, stdout, stderr } = await runBlinkSub(['--help'], { json: false }).result();
  assert.equal(code, 0, stderr);
  const lines = stdout.split('\n');
  for (const exitCode of EXIT_CODES) {
    const listed = lines.some((line) => new RegExp(`^\\s*${exitCode}\\b`).test(line));
    assert.ok(listed, `--help does not list exit code ${exitCode}:\n${stdout}`);
  }
  for (const word of ['SIGINT', 'SIGTERM', 'expired']) assert.match(stdout, new RegExp(word));
});

integrationTest('--help names every subcommand and global option', async () => {
  const { code, stdout } = await runBlinkSub(['--help'], { json: false }).result();
  assert.equal(code, 0);
  const names = [
    'price', 'realtime-price', 'my-updates', 'invoice-status', 'subscribe', 'raw',
    '--endpoint', '--api-key', '--auth-token', '--count', '--connect-timeout', '--keepalive',
    '--retries', '--proxy', '--cacert', '--insecure', '--version',
  ];
  for (const name of names) assert.ok(stdout.includes(name), `--help does not mention ${name}`);
});

integrationTest('--version exits 0 and prints a version number', async () => {
  const { code, stdout } = await runBlinkSub(['--version'], { json: false }).result();
  assert.equal(code, 0);
  assert.match(stdout, /\d+\.\d+\.\d+/);
});

for (const [what, args] of [
  ['an unknown flag', ['price', '--no-such-flag']],
  ['an unknown subcommand', ['prices']],
  ['no subcommand', []],
  ['a count that is not a number', ['price', '--count', 'many']],
  ['both --payment-request and --payment-hash', [
    'invoice-status', '--payment-request', 'lnbc1x', '--payment-hash', 'ab'.repeat(32),
  ]],
  ['invoice-status without an invoice', ['invoice-status']],
  ['subscribe without --query', ['subscribe']],
]) {
  integrationTest(`${what} is a usage error: exit 2, stdout empty`, async () => {
    const { code, stdout, stderr } = await runBlinkSub(args, { json: false }).result();
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.notEqual(stderr.trim(), '');
  });
}

integrationTest('global options may stand before the subcommand', async () => {
  const mock = await startMock({ intervalMs: 20 });
  const run = runBlinkSub(['--endpoint', mock.url, '--count', '1', 'price', '--amount', '3']);

  const { code, json } = await run.result();
  assert.equal(code, 0);
  assert.equal(json.length, 1);
  await assertSessionStart(mock);
});

integrationTest('a refused connection: exit 1 with a one-line message', async () => {
  const port = await freePort();
  const endpoint = `ws://127.0.0.1:${port}/graphql`;
  const run = runBlinkSub(['price', '--endpoint', endpoint, '--retries', '0']);

  const { code, lines, stderr } = await run.result();
  assert.equal(code, 1);
  assert.deepEqual(lines, []);
  const messages = stderr.split('\n').filter((line) => line.trim() !== '');
  assert.equal(messages.length, 1, `expected one line on stderr:\n${stderr}`);
  assert.match(messages[0], /refused|connect/i);
});

integrationTest('an endpoint with another path is refused by the server: exit 1', async () => {
  const mock = await startMock({ intervalMs: 20 });
  const run = runBlinkSub([
    'price', '--endpoint', `ws://127.0.0.1:${mock.port}/nowhere`, '--retries', '0',
  ]);

  const { code, lines } = await run.result();
  assert.equal(code, 1);
  assert.deepEqual(lines, []);
});
