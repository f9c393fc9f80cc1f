// The forced-drop drill, started by bench/drill. blink-sub follows `myUpdates` on the Blink mock
// (tests/server/blink-mock.mjs, run in this process); the drill drops the connection without a
// close frame, as a network failure would, as soon as the subscription is back and data has
// flowed on it, again and again. It checks that every new connection carries the key and the
// subscription and delivers data, and that blink-sub never opens more than 10 connections in
// a rolling minute. The report is printed and written to bench/results/drill.md; the drill
// exits 1, with a one-line reason, when a check fails.
import { EventEmitter } from 'node:events';
import { createServer, connect } from 'node:net';
import { parseArgs } from 'node:util';

import { format, launch, loadAverage, machineInfo, writeReport } from './common.mjs';

const KEY = 'blink_test_key';

// blink-sub's limit: at most this many new connections in any WINDOW_MS.
const LIMIT = 10;
const WINDOW_MS = 60_000;


// Failure bounds. A reconnect may wait for the limit (up to a minute) plus the backoff (under
// a second after a connection that was acknowledged); the rest of a restore is local.
const RECONNECT_BOUND_MS = WINDOW_MS + 15_000;
const STEP_BOUND_MS = 10_000;

const USAGE = `usage: bench/drill [--drops N]

  --drops N   connections to drop (default 20: the limit holds up the 11th and the 21st
              connection; at least ${LIMIT} are needed to reach it)`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      binary: { type: 'string' },
      drops: { type: 'string', default: '20' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const settings = { binary: values.binary, drops: Number(values.drops) };
  if (!Number.isInteger(settings.drops) || settings.drops < 1) {
    throw new Error('--drops must be a positive integer');
  }
  if (!settings.binary) throw new Error('--binary is required (bench/drill passes it)');
  return settings;
}

// The mock comes from tests/server, with that folder's node_modules; bench/drill checks them.
async function loadMock() {
  try {
    return (await import('../tests/server/blink-mock.mjs')).startBlinkMock;
  } catch (error) {
    throw new Error(
      `cannot load tests/server/blink-mock.mjs (${error.message.split('\n')[0]}): ` +
        'run scripts/setup.sh --tests',
    );
  }
}

const now = () => performance.now();

// Rejects after `ms` with `what` unless `promise` settles first, and at once if blink-sub
// exits meanwhile: the drill's waits for events are bounded, never open-ended.
function bounded(promise, ms, what, ended) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([
    promise.catch(() => {
      throw new Error(`${what} within ${ms / 1000} s`);
    }),
    timeout,
    ended,
  ]).finally(() => clearTimeout(timer));
}

// A TCP relay in front of the mock, which stamps each connection the moment it accepts it: the
// earliest the server side can know of a new connection. The mock's own `open` event comes
// after its upgrade, and the first upgrade of a run takes Node several milliseconds longer
// than later ones, enough to make connections that blink-sub started 60 s apart look closer.
// A connection the mock drops is cut here too, so blink-sub sees what the mock did.
async function startRelay(port) {
  const accepted = [];
  const sockets = new Set();
  const server = createServer({ noDelay: true }, (client) => {
    accepted.push(now());
    const upstream = connect({ port, host: '127.0.0.1', noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('close', cut);
      socket.on('error', cut);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    accepted,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// blink-sub's stdout as parsed lines, with the time each arrived, and a way to wait for one.
function lineLog() {
  const lines = [];
  const emitter = new EventEmitter();
  return {
    lines,
    add(text) {
      let payload = null;
      try {
        payload = JSON.parse(text);
      } catch {
        // kept as null: the check on every line reports it
      }
      const line = { index: lines.length, at: now(), text, payload };
      lines.push(line);
      emitter.emit('line', line);
    },
    // The first line at or after `from` that `predicate` accepts, past or future.
    waitFor(predicate, from) {
      const seen = lines.slice(from).find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const onLine = (line) => {
          if (predicate(line)) {
            emitter.off('line', onLine);
            resolve(line);
          }
        };
        emitter.on('line', onLine);
      });
    },
  };
}

const update = (line) => line.payload?.data?.myUpdates?.update;

// One connection, from its upgrade to the payment that proves data flows on it. `from` is the
// index of the first stdout line that this connection can have produced.
async function restore(mock, log, connection, from, ended) {
  const on = (type) => (e) => e.type === type && e.connection === connection;
  const wait = (type, ms = STEP_BOUND_MS) => {
    const what = `no ${type} on connection ${connection}`;
    return bounded(mock.waitFor(on(type), { timeoutMs: ms }), ms, what, ended);
  };

  const open = await wait('open', RECONNECT_BOUND_MS);
  const init = await wait('connection_init');
  if (init.payload?.['X-API-KEY'] !== KEY) {
    throw new Error(`connection ${connection}: connection_init without the API key`);
  }
  const subscribe = await wait('subscribe');
  const operation = await wait('operation');
  if (operation.field !== 'myUpdates') {
    throw new Error(`connection ${connection}: the server ran ${operation.field}, not myUpdates`);
  }
  // myUpdates sends a price tick at once: the first line from the new subscription.
  const tick = await bounded(
    log.waitFor((line) => update(line)?.__typename === 'Price', from),
    STEP_BOUND_MS,
    `no price tick on stdout after connection ${connection} opened`,
    ended,
  );
  // A payment made now can reach blink-sub only over this connection's subscription.
  const memo = `drill payment ${connection}`;
  const paidAt = now();
  const told = mock.pay({ memo, sats: 1000 + connection });
  if (told !== 1) {
    throw new Error(`connection ${connection}: ${told} myUpdates subscribers, not 1`);
  }
  const payment = await bounded(
    log.waitFor((line) => update(line)?.transaction?.memo === memo, from),
    STEP_BOUND_MS,
    `no payment line on stdout on connection ${connection}`,
    ended,
  );
  return { connection, open, init, subscribe, operation, tick, payment, paidAt };
}

// For each connection, how many connections (itself included) were accepted in the window
// that starts with it, and the time from it to the LIMIT-th connection after it.
function windows(accepted) {
  return accepted.map((at, i) => ({
    count: accepted.filter((other) => other >= at && other < at + WINDOW_MS).length,
    spanToLimit: i + LIMIT < accepted.length ? accepted[i + LIMIT] - at : null,
  }));
}

// blink-sub's own account of each loss: "...; reconnecting in 0.6 s (attempt 1)".
function loggedWaits(stderr) {
  return [...stderr.matchAll(/reconnecting in ([0-9.]+) s \(attempt (\d+)\)/g)].map((m) => ({
    seconds: Number(m[1]),
    attempt: Number(m[2]),
  }));
}

const ordinal = (n) =>
  n % 10 === 1 && n % 100 !== 11
    ? `${n}st`
    : n % 10 === 2 && n % 100 !== 12
      ? `${n}nd`
      : n % 10 === 3 && n % 100 !== 13
        ? `${n}rd`
        : `${n}th`;

function timelineTable(outcome) {
  const { restored, drops, accepted, perWindow, waits } = outcome;
  const rows = [
    '| connection | accepted, s | after the drop, s | blink-sub waited, s | ' +
      'key in connection_init | subscribe | price tick, ms after accept | ' +
      'payment line, ms after payment | connections in the 60 s from here | ' +
      `to the ${ordinal(LIMIT)} after, s |`,
    '| ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of restored) {
    const k = r.connection;
    const at = accepted[k - 1];
    const drop = drops[k - 2];
    const cells = [
      k,
      format((at - accepted[0]) / 1000, 3),
      drop ? format((at - drop.at) / 1000, 3) : '(first)',
      drop && waits[k - 2] ? format(waits[k - 2].seconds, 1) : '',
      'yes',
      `one, id ${r.subscribe.id}`,
      format(r.tick.at - at, 1),
      format(r.payment.at - r.paidAt, 1),
      perWindow[k - 1].count,
      perWindow[k - 1].spanToLimit === null ? '' : format(perWindow[k - 1].spanToLimit / 1000, 3),
    ];
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

function report(settings, machine, outcome) {
  const { restored, drops, accepted, perWindow, end, failure } = outcome;
  const spans = perWindow.map((w) => w.spanToLimit).filter((span) => span !== null);
  const most = Math.max(0, ...perWindow.map((w) => w.count));
  const shortest = spans.length ? `${format(Math.min(...spans) / 1000, 3)} s` : 'n/a';
  const restoredAfterDrops = restored.filter((r) => r.connection > 1).length;
  return `# blink-sub drop drill

blink-sub follows \`myUpdates\` on the Blink mock (one subscription: a blink-sub run carries
one). Once the subscription is live and a payment has come through on it, the mock drops the
connection without a close frame; the drill waits for blink-sub to reconnect, re-subscribe
and deliver a price tick and a new payment, then drops again.

- result: ${failure ? `FAILED: ${failure}` : 'passed'}
- drops: ${drops.length}; connections blink-sub opened: ${accepted.length}
- restored after a drop: ${restoredAfterDrops} of ${drops.length} (\`connection_init\` with the key,
  one \`subscribe\`, the server ran \`myUpdates\`, the price tick and the new payment on stdout)
- most connections in any ${WINDOW_MS / 1000} s window: ${most} (limit ${LIMIT})
- shortest time from a connection to the ${ordinal(LIMIT)} after it: ${shortest}
- reconnect attempts that failed: ${outcome.failedAttempts}
- stdout lines: ${outcome.lines}, each a \`myUpdates\` payload without errors: \
${outcome.linesOk ? 'yes' : 'no'}
- end: ${end}

"accepted" is when a TCP relay in front of the mock accepted the connection, counted from the
first; the windows are counted on these times. The relay runs in the drill's Node process,
whose first accept of a run takes a cold path: that stamp comes a millisecond or two late,
so the span from the first connection to the 10th after it reads that much short. "blink-sub
waited" is the wait blink-sub logged after the drop: its backoff, or longer when the limit
held it back.

${timelineTable(outcome)}

Run:

- command: \`bench/drill --drops ${settings.drops}\`
- blink-sub: \`my-updates --api-key ... --retries -1\`, default keepalive and backoff, over
  \`ws://\` on loopback; the mock's price interval is 30 s, so each tick in the table is the
  one a new subscription gets at once

Machine:

- CPU: ${machine.cpu}, ${machine.nproc} CPUs; kernel: ${machine.kernel}
- ${machine.blinkSub}; Node ${machine.node} for the mock and the relay
- date: ${machine.date}; load average ${machine.loadBefore} before the run, ${loadAverage()} after
`;
}

// The checks over the whole run, after the step-by-step ones of restore(): the first that
// fails, or null.
function overallFailure(settings, { accepted, perWindow, events, linesOk }) {
  const crowded = perWindow.findIndex((w) => w.count > LIMIT);
  if (crowded !== -1) {
    return (
      `${perWindow[crowded].count} connections within ${WINDOW_MS / 1000} s ` +
      `from connection ${crowded + 1} (limit ${LIMIT})`
    );
  }
  if (accepted.length !== settings.drops + 1) {
    return `${accepted.length} connections for ${settings.drops} drops`;
  }
  const opened = events.filter((e) => e.type === 'open').map((e) => e.connection);
  const extra = opened.find(
    (connection) =>
      events.filter((e) => e.type === 'subscribe' && e.connection === connection).length !== 1,
  );
  if (extra !== undefined) return `connection ${extra} did not carry exactly one subscribe`;
  if (!linesOk) return 'a line on stdout is not a myUpdates payload without errors';
  return null;
}

async function drill(settings, startBlinkMock) {
  const mock = await startBlinkMock({ intervalMs: 30_000 });
  // Each event gets the time it was recorded: the mock records synchronously, and this
  // listener runs before any other.
  mock.emitter.on('event', (event) => {
    event.at = now();
  });
  const relay = await startRelay(mock.port);
  const log = lineLog();
  const client = launch(
    settings.binary,
    [
      'my-updates',
      '--endpoint',
      `ws://127.0.0.1:${relay.port}/graphql`,
      '--api-key',
      KEY,
      '--retries',
      '-1',
    ],
    { onLine: (text) => log.add(text) },
  );
  const ended = client.exited.then((result) => {
    const last = client.stderr.trim().split('\n').at(-1) ?? '';
    throw new Error(`blink-sub exited ${result.code ?? result.signal}${last ? `: ${last}` : ''}`);
  });
  ended.catch(() => {}); // raced against every wait, which reports it

  const restored = [];
  const drops = [];
  let failure = null;
  let end = 'not reached';
  try {
    for (let connection = 1; connection <= settings.drops + 1; connection += 1) {
      restored.push(await restore(mock, log, connection, log.lines.length, ended));
      console.error(`drill: connection ${connection} restored`);
      if (connection <= settings.drops) {
        drops.push({ at: now() });
        mock.dropConnections();
      }
    }
    // The end of a run: SIGTERM sends `complete` and a 1000 close, then exits 143.
    const last = settings.drops + 1;
    client.child.kill('SIGTERM');
    const never = new Promise(() => {});
    const result = await bounded(client.exited, STEP_BOUND_MS, 'no exit on SIGTERM', never);
    const complete = mock.events.some((e) => e.type === 'complete' && e.connection === last);
    // The mock sees the socket close a moment after blink-sub has exited.
    const close = await mock
      .waitFor((e) => e.type === 'close' && e.connection === last, { timeoutMs: STEP_BOUND_MS })
      .catch(() => null);
    end =
      `SIGTERM, exit ${result.code ?? result.signal}; \`complete\` sent: ` +
      `${complete ? 'yes' : 'no'}; close code ${close?.code ?? 'none'}`;
    if (result.code !== 143) {
      failure = `blink-sub exited ${result.code ?? result.signal} on SIGTERM, not 143`;
    } else if (!complete || close?.code !== 1000) {
      failure = 'no complete and 1000 close on SIGTERM';
    }
  } catch (error) {
    failure = error.message;
  } finally {
    client.child.kill('SIGKILL');
    await client.exited;
    await relay.close();
    await mock.close();
  }

  const accepted = relay.accepted;
  const waits = loggedWaits(client.stderr);
  const outcome = {
    restored,
    drops,
    accepted,
    perWindow: windows(accepted),
    waits: waits.filter((w) => w.attempt === 1),
    failedAttempts: waits.filter((w) => w.attempt > 1).length,
    end,
    lines: log.lines.length,
    linesOk: log.lines.every((line) => {
      const errors = line.payload?.data?.myUpdates?.errors;
      return Array.isArray(errors) && errors.length === 0;
    }),
  };
  outcome.failure = failure ?? overallFailure(settings, { ...outcome, events: mock.events });
  return outcome;
}

async function main() {
  let settings;
  try {
    settings = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`drill: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  const startBlinkMock = await loadMock();
  const machine = await machineInfo(settings.binary);
  console.error(`drill: ${settings.drops} drops; the limit makes this take a minute or more`);
  const outcome = await drill(settings, startBlinkMock);
  writeReport('drill', report(settings, machine, outcome));
  if (outcome.failure) {
    console.error(`drill: ${outcome.failure}`);
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(`drill: ${error.message}`);
  process.exit(1);
});
