import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';

import {
  neverAck,
  refuse,
  serve,
  textFrame,
  tick,
  wrongAccept,
} from '../server/fault-server.mjs';
import {
  freePort,
  integrationTest,
  RECONNECTING,
  reconnectLines,
  runBlinkSub,
  startFaults,
} from './harness.mjs';

const KEY = 'blink_fault_key';
const QUERY = 'subscription Ticks($from: Int) { tick(from: $from) { connection n } }';
const VARIABLES = { from: 1 };

const subscribeArgs = (server, ...extra) => [
  'subscribe', '--query', QUERY, '--variables', JSON.stringify(VARIABLES),
  '--api-key', KEY, '--endpoint', server.url, ...extra,
];

const on = (type, connection) => (e) => e.type === type && e.connection === connection;

// Connection `connection` started over: connection_init with the same key, then the same
// subscription as on connection 1.
async function assertResubscribed(server, connection) {
  const first = await server.waitFor(on('subscribe', 1));
  const again = await server.waitFor(on('subscribe', connection));
  const init = server.events.find(on('connection_init', connection));
  assert.deepEqual(init?.payload, { 'X-API-KEY': KEY });
  assert.deepEqual(again.payload, first.payload);
  assert.equal(again.payload.query, QUERY);
  assert.deepEqual(again.payload.variables, VARIABLES);
}

integrationTest('a cut TCP connection is re-established within a second, keeping every tick',
  async () => {
    const server = await startFaults({ script: [serve(3, 'drop'), serve(2)] });
    const run = runBlinkSub(subscribeArgs(server, '--count', '5'));

    const { code, json, stderr } = await run.result();
    assert.equal(code, 0, stderr);
    assert.deepEqual(json, [tick(1, 1), tick(1, 2), tick(1, 3), tick(2, 1), tick(2, 2)]);
    assert.equal(reconnectLines(stderr).length, 1, stderr);
    await assertResubscribed(server, 2);

    // The first retry after an acknowledged connection waits at most about a second.
    const dropped = await server.waitFor(on('dropped', 1));
    const reopened = await server.waitFor(on('open', 2));
    assert.ok(reopened.at - dropped.at < 1_600, `reconnected after ${reopened.at - dropped.at} ms`);
  });

for (const code of [1001, 1011, 1012, 1013, 4408, 4499, 4500, 4504]) {
  integrationTest(`a close with ${code} after the ack is retried`, async () => {
    const closing = serve(1, { code, reason: 'scripted close' });
    const server = await startFaults({ script: [closing, serve(1)] });
    const run = runBlinkSub(subscribeArgs(server, '--count', '2'));

    const { code: exitCode, json, stderr } = await run.result();
    assert.equal(exitCode, 0, stderr);
    assert.deepEqual(json, [tick(1, 1), tick(2, 1)]);
    assert.match(stderr, RECONNECTING);
    await assertResubscribed(server, 2);
  });
}

for (const [code, exitCode] of [[4400, 1], [4406, 1], [4409, 1], [4429, 1], [4401, 3], [4403, 3]]) {
  integrationTest(`a close with ${code} is not retried: exit ${exitCode}`, async () => {
    const reason = `scripted reason ${code}`;
    const server = await startFaults({ script: [serve(1, { code, reason }), serve(1)] });
    const run = runBlinkSub(subscribeArgs(server));

    const { code: actual, json, stderr } = await run.result();
    assert.equal(actual, exitCode, stderr);
    assert.deepEqual(json, [tick(1, 1)]);
    assert.ok(stderr.includes(String(code)) && stderr.includes(reason), stderr);
    assert.doesNotMatch(stderr, RECONNECTING);
    assert.equal(server.connections(), 1);
  });
}

integrationTest('a line goes out at once while the next frame is still arriving', async () => {
  let run;
  const split = async (peer) => {
    const { id } = await peer.handshake();
    const second = textFrame({ id, type: 'next', payload: tick(peer.number, 2) });
    const first = textFrame({ id, type: 'next', payload: tick(peer.number, 1) });
    // The first frame whole and the start of the second in one write, then nothing more until
    // the first line is out.
    await peer.writeRaw(Buffer.concat([first, second.subarray(0, 10)]));
    await run.line(1);
    await peer.writeRaw(second.subarray(10));
  };
  const server = await startFaults({ script: [split] });
  run = runBlinkSub(subscribeArgs(server, '--count', '2'));

  const { code, json, stderr } = await run.result();
  assert.equal(code, 0, stderr);
  assert.deepEqual(json, [tick(1, 1), tick(1, 2)]);
});

integrationTest('an initial connection refused by the OS is not retried: exit 1', async () => {
  const run = runBlinkSub(subscribeArgs({ url: `ws://127.0.0.1:${await freePort()}/` }));

  const { code, stdout, stderr } = await run.result({ timeoutMs: 5_000 });
  assert.equal(code, 1, stderr);
  assert.equal(stdout, '');
  assert.match(stderr, /error:/);
  assert.doesNotMatch(stderr, RECONNECTING);
});

integrationTest('an initial upgrade refused with HTTP 503 is not retried: exit 1', async () => {
  const server = await startFaults({ script: [refuse(503), serve(1)] });
  const run = runBlinkSub(subscribeArgs(server));

  const { code, stdout, stderr } = await run.result({ timeoutMs: 5_000 });
  assert.equal(code, 1, stderr);
  assert.equal(stdout, '');
  assert.match(stderr, /503/);
  assert.equal(server.connections(), 1);
});

integrationTest('an upgrade answered with the wrong Sec-WebSocket-Accept fails: exit 1', async () => {
  const server = await startFaults({ script: [wrongAccept(), serve(1)] });
  const run = runBlinkSub(subscribeArgs(server));

  const { code, stdout, stderr } = await run.result({ timeoutMs: 5_000 });
  assert.equal(code, 1, stderr);
  assert.equal(stdout, '');
  assert.match(stderr, /^blink-sub: error: .*accept/im);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.equal(server.connections(), 1);
});

integrationTest('an initial connection cut before connection_ack is not retried: exit 1',
  async () => {
    const cutAtInit = async (peer) => {
      await peer.receive('connection_init');
      peer.drop();
    };
    const server = await startFaults({ script: [cutAtInit, serve(1)] });
    const run = runBlinkSub(subscribeArgs(server));

    const { code, stdout, stderr } = await run.result({ timeoutMs: 5_000 });
    assert.equal(code, 1, stderr);
    assert.equal(stdout, '');
    assert.equal(server.connections(), 1);
  });

integrationTest('a server that never acknowledges fails at --connect-timeout: exit 1', async () => {
  const server = await startFaults({ script: [neverAck()] });
  const started = performance.now();
  const run = runBlinkSub(subscribeArgs(server, '--connect-timeout', '1'));

  const { code, stdout, stderr } = await run.result({ timeoutMs: 5_000 });
  const elapsed = performance.now() - started;
  assert.equal(code, 1, stderr);
  assert.equal(stdout, '');
  assert.match(stderr, /connection_ack|acknowledge/i);
  assert.ok(elapsed >= 900 && elapsed < 4_000, `ended after ${Math.round(elapsed)} ms`);
  await server.waitFor(on('connection_init', 1));
  assert.equal(server.connections(), 1);
});

integrationTest('a silent server is declared dead after keepalive + grace and left for a new one',
  async () => {
    const server = await startFaults({ script: [serve(1, 'silent'), serve(1)] });
    const run = runBlinkSub(subscribeArgs(server, '--keepalive', '1', '--count', '2'));

    const { code, json, stderr } = await run.result();
    assert.equal(code, 0, stderr);
    assert.deepEqual(json, [tick(1, 1), tick(2, 1)]);
    assert.match(stderr, RECONNECTING);
    await server.waitFor(on('ping', 1));
    await assertResubscribed(server, 2);

    // Silent from the first tick; dead 1 s + 1 s later; then a retry within about a second.
    const lastHeard = await server.waitFor(on('subscribe', 1));
    const reopened = await server.waitFor(on('open', 2));
    const gap = reopened.at - lastHeard.at;
    assert.ok(gap >= 1_500 && gap < 4_500, `new connection ${gap} ms after the last frame`);
  });

integrationTest('malformed JSON from the server counts as a broken connection', async () => {
  const garbled = serve(1, { text: '{"type":"next","id":' });
  const server = await startFaults({ script: [garbled, serve(1)] });
  const run = runBlinkSub(subscribeArgs(server, '--count', '2'));

  const { code, json, stderr } = await run.result();
  assert.equal(code, 0, stderr);
  assert.deepEqual(json, [tick(1, 1), tick(2, 1)]);
  assert.match(stderr, RECONNECTING);
  await assertResubscribed(server, 2);
});

integrationTest('malformed JSON with --retries 0 ends the run: exit 1', async () => {
  const garbled = serve(1, { text: 'not json at all' });
  const server = await startFaults({ script: [garbled, serve(1)] });
  const run = runBlinkSub(subscribeArgs(server, '--retries', '0'));

  const { code, json, stderr } = await run.result();
  assert.equal(code, 1, stderr);
  assert.deepEqual(json, [tick(1, 1)]);
  assert.match(stderr, /error:/);
  assert.equal(server.connections(), 1);
});

integrationTest('--retries 0 ends the run at the first lost connection: exit 1', async () => {
  const server = await startFaults({ script: [serve(1, 'drop'), serve(1)] });
  const run = runBlinkSub(subscribeArgs(server, '--retries', '0'));

  const { code, json, stderr } = await run.result();
  assert.equal(code, 1, stderr);
  assert.deepEqual(json, [tick(1, 1)]);
  assert.match(stderr, /error:/);
  assert.equal(server.connections(), 1);
});

integrationTest('an upgrade refused with HTTP 503 on a reconnect is retried', async () => {
  const script = [serve(1, 'drop'), refuse(503), refuse(503), serve(1)];
  const server = await startFaults({ script });
  const run = runBlinkSub(subscribeArgs(server, '--count', '2', '--retries', '5'));

  const { code, json, stderr } = await run.result();
  assert.equal(code, 0, stderr);
  assert.deepEqual(json, [tick(1, 1), tick(4, 1)]);
  assert.equal(reconnectLines(stderr).length, 3, stderr);
  assert.equal(server.events.filter((e) => e.type === 'refused').length, 2);
  await assertResubscribed(server, 4);
});

integrationTest('--retries 2 gives up after two failed attempts, naming the last cause',
  async () => {
    const server = await startFaults({ script: [serve(1, 'drop'), refuse(503)] });
    const run = runBlinkSub(subscribeArgs(server, '--retries', '2'));

    const { code, json, stderr } = await run.result();
    assert.equal(code, 1, stderr);
    assert.deepEqual(json, [tick(1, 1)]);
    assert.equal(server.connections(), 3);
    assert.equal(reconnectLines(stderr).length, 2, stderr);
    const lastLine = stderr.trimEnd().split('\n').at(-1);
    assert.match(lastLine, /error:.*503/);
  });

integrationTest('--retries counts consecutive failures: an acknowledged connection resets it',
  async () => {
    const lossThenRefusal = [serve(1, 'drop'), refuse(503)];
    const script = [...lossThenRefusal, ...lossThenRefusal, serve(1)];
    const server = await startFaults({ script });
    const run = runBlinkSub(subscribeArgs(server, '--retries', '2', '--count', '3'));

    const { code, json, stderr } = await run.result();
    assert.equal(code, 0, stderr);
    assert.deepEqual(json, [tick(1, 1), tick(3, 1), tick(5, 1)]);
    await assertResubscribed(server, 5);
  });

integrationTest('reconnects stay within 10 new connections a minute, even with --retries -1',
  async () => {
    const server = await startFaults({ script: [serve(0, 'drop')] });
    const run = runBlinkSub(subscribeArgs(server, '--retries', '-1'));

    // Each connection is acknowledged, so each retry comes quickly, until the limit holds the
    // eleventh back for the rest of the minute.
    const longWait = /reconnecting in ([2-9]\d|\d{3,})(?:\.\d+)? s/;
    await run.stderrLine(longWait, { timeoutMs: 25_000 });
    assert.equal(server.connections(), 10);
    assert.equal(server.events.filter((e) => e.type === 'subscribe').length, 10);
    run.kill('SIGTERM');
    const { code, stdout } = await run.result();
    assert.equal(code, 143);
    assert.equal(stdout, '');
    assert.equal(server.connections(), 10);
  },
  { timeoutMs: 30_000 });

integrationTest('a completed subscription is not sent again when the connection then drops',
  async () => {
    const completeThenCut = async (peer) => {
      const { id } = await peer.handshake();
      await peer.stream(id, 1);
      await peer.send({ id, type: 'complete' });
      peer.drop();
    };
    const server = await startFaults({ script: [completeThenCut, serve(1)] });
    const run = runBlinkSub(subscribeArgs(server));

    const { code, json, stderr } = await run.result({ timeoutMs: 5_000 });
    assert.equal(code, 0, stderr);
    assert.deepEqual(json, [tick(1, 1)]);
    assert.equal(server.connections(), 1);
  });

integrationTest('--count reached as the server cuts the connection still ends the run: exit 0',
  async () => {
    const server = await startFaults({ script: [serve(1, 'drop'), serve(1)] });
    const run = runBlinkSub(subscribeArgs(server, '--count', '1'));

    const { code, json, stderr } = await run.result({ timeoutMs: 5_000 });
    assert.equal(code, 0, stderr);
    assert.deepEqual(json, [tick(1, 1)]);
    assert.equal(server.connections(), 1);
  });

// Letters from a fixed pseudo-random sequence, so that a misplaced fragment changes the text.
function scrambled(length) {
  let state = 12345;
  const letters = new Array(length);
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    letters[i] = String.fromCharCode(97 + (state % 26));
  }
  return letters.join('');
}

integrationTest('a 2 MiB payload in eight WebSocket frames is printed whole on one line',
  async () => {
    const blob = scrambled(2 * 1024 * 1024);
    const payload = { data: { blob } };
    const fragmented = async (peer) => {
      const { id } = await peer.handshake();
      const bytes = Buffer.from(JSON.stringify({ id, type: 'next', payload }));
      const size = Math.ceil(bytes.length / 8);
      const pieces = Array.from({ length: 8 }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
      await peer.sendFragments(pieces);
    };
    const server = await startFaults({ script: [fragmented] });
    const run = runBlinkSub(subscribeArgs(server, '--count', '1'));

    const { code, json, lines, stderr } = await run.result();
    assert.equal(code, 0, stderr);
    assert.equal(lines.length, 1);
    assert.equal(json[0].data.blob.length, blob.length);
    assert.ok(json[0].data.blob === blob, 'the blob came out changed');
  });

integrationTest('non-ASCII text split inside a character across frames comes out as UTF-8',
  async () => {
    const text = 'café ⚡ 日本';
    const splitInsideCharacter = async (peer) => {
      const { id } = await peer.handshake();
      const bytes = Buffer.from(JSON.stringify({ id, type: 'next', payload: { data: { text } } }));
      const cut = bytes.indexOf(Buffer.from('⚡')) + 1;
      await peer.sendFragments([bytes.subarray(0, cut), bytes.subarray(cut)]);
    };
    const server = await startFaults({ script: [splitInsideCharacter] });
    const run = runBlinkSub(subscribeArgs(server, '--count', '1'));

    const { code, json, stdout, stderr } = await run.result();
    assert.equal(code, 0, stderr);
    assert.deepEqual(json, [{ data: { text } }]);
    assert.ok(stdout.includes(text), `not literal UTF-8: ${stdout}`);
  });

integrationTest("the server's protocol ping is answered with pong", async () => {
  // The tick comes only after the pong, so the run can only finish if the client answered.
  const pingFirst = async (peer) => {
    const { id } = await peer.handshake();
    await peer.send({ type: 'ping', payload: { probe: 1 } });
    await peer.receive('pong');
    await peer.stream(id, 1);
  };
  const server = await startFaults({ script: [pingFirst] });
  const run = runBlinkSub(subscribeArgs(server, '--count', '1'));

  const { code, json, stderr } = await run.result();
  assert.equal(code, 0, stderr);
  assert.deepEqual(json, [tick(1, 1)]);
  await server.waitFor(on('pong', 1));
});
