import assert from 'node:assert/strict';

import { freePort, integrationTest, runBlinkSub, startMock } from './harness.mjs';

const KEY = 'blink_SecretKey_6f1c2e9a4b';
const TOKEN = 'SessionToken_0d3b7a55e1c9';

function assertHidden({ stdout, stderr }, ...secrets) {
  for (const secret of secrets) {
    assert.ok(!stdout.includes(secret), `stdout shows ${secret}`);
    assert.ok(!stderr.includes(secret), `stderr shows ${secret}:\n${stderr}`);
  }
}

const mockOptions = { intervalMs: 20, apiKeys: [KEY], authTokens: [TOKEN] };

integrationTest('-vvv never shows the API key given with --api-key', async () => {
  const mock = await startMock(mockOptions);
  const run = runBlinkSub(['-vvv', 'my-updates', '--api-key', KEY, '-e', mock.url, '--count', '2']);

  const result = await run.result();
  assert.equal(result.code, 0);
  assert.notEqual(result.stderr, '', '-vvv should log something');
  assertHidden(result, KEY);
  assert.equal((await mock.waitFor((e) => e.type === 'connection_init')).payload['X-API-KEY'], KEY);
});

integrationTest('-vvv never shows keys and tokens taken from the environment', async () => {
  const mock = await startMock(mockOptions);
  const run = runBlinkSub(['my-updates', '-vvv', '-e', mock.url, '--count', '1'], {
    env: { BLINK_API_KEY: KEY, BLINK_AUTH_TOKEN: TOKEN },
  });

  const result = await run.result();
  assert.equal(result.code, 0);
  assertHidden(result, KEY, TOKEN);
});

integrationTest('-vvv never shows the --auth-token', async () => {
  const mock = await startMock(mockOptions);
  const run = runBlinkSub([
    '-vvv', 'my-updates', '--auth-token', TOKEN, '-e', mock.url, '--count', '1',
  ]);

  const result = await run.result();
  assert.equal(result.code, 0);
  assertHidden(result, TOKEN);
});

integrationTest('a rejected key is not shown either', async () => {
  const wrong = 'blink_RejectedKey_93ab17';
  const mock = await startMock(mockOptions);
  const run = runBlinkSub(['-vvv', 'my-updates', '--api-key', wrong, '-e', mock.url]);

  const result = await run.result();
  assert.equal(result.code, 3);
  assertHidden(result, wrong);
});

integrationTest('a refused connection does not show the secrets', async () => {
  const port = await freePort();
  const run = runBlinkSub([
    '-vvv', 'my-updates', '--api-key', KEY, '--auth-token', TOKEN, '--retries', '0',
    '--endpoint', `ws://127.0.0.1:${port}/graphql`,
  ]);

  const result = await run.result();
  assert.equal(result.code, 1);
  assertHidden(result, KEY, TOKEN);
});

integrationTest('a malformed endpoint does not show the secrets', async () => {
  const run = runBlinkSub(['-vvv', 'my-updates', '--endpoint', 'http//nowhere', '--retries', '0'], {
    env: { BLINK_API_KEY: KEY, BLINK_AUTH_TOKEN: TOKEN },
  });

  const result = await run.result();
  assert.ok([1, 2].includes(result.code), `exit ${result.code}`);
  assertHidden(result, KEY, TOKEN);
});

integrationTest('a key given twice in the environment and flags is still hidden', async () => {
  const mock = await startMock(mockOptions);
  const run = runBlinkSub(['-vvv', 'price', '--api-key', KEY, '-e', mock.url, '--count', '1'], {
    env: { BLINK_API_KEY: KEY },
  });

  const result = await run.result();
  assert.equal(result.code, 0);
  assertHidden(result, KEY);
});
