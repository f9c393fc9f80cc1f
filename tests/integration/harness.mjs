// Runs the real blink-sub binary (BLINK_SUB_BIN) against test servers on 127.0.0.1. Tests
// synchronise on events only: a line on stdout, the process exit, an event the server saw.
// Every wait is bounded, so a broken client fails its test instead of hanging the suite.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';

// The mock's npm packages live in tests/server/node_modules; say how to get them if missing.
const { startBlinkMock } = await import('../server/blink-mock.mjs').catch((error) => {
  const hint = error.code === 'ERR_MODULE_NOT_FOUND' ? '; run `npm ci` in tests/server' : '';
  throw new Error(`cannot load the Blink mock: ${error.message}${hint}`);
});

const WAIT_TIMEOUT_MS = 10_000;
const TEST_TIMEOUT_MS = 20_000;
export const PROTOCOL = 'graphql-transport-ws';

// A sanitizer build (the asan preset) sets these for ctest; the binary under test needs them.
const sanitizerEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => /^(?:ASAN|UBSAN|LSAN)_OPTIONS$/.test(name)),
);

// The first line of an AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer report.
const SANITIZER_REPORT = /^==\d+==ERROR: \w+Sanitizer|: runtime error: /m;

// The binary under test, or an error saying why there is none.
export function blinkSubBinary() {
  const binary = process.env.BLINK_SUB_BIN;
  if (!binary) {
    throw new Error('BLINK_SUB_BIN is not set: point it at the built blink-sub (ctest sets it)');
  }
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(`BLINK_SUB_BIN not found or not executable: ${binary}`);
  }
  return binary;
}

const live = { runs: new Set(), mocks: new Set() };

// Nothing started here outlives the test process, even when it is interrupted.
const killLive = () => {
  for (const run of live.runs) run.killAll();
};
process.on('exit', killLive);
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => {
    killLive();
    process.exit(code);
  });
}

// A test with the suite's time limit (or `timeoutMs`) that, pass or fail, kills the processes
// and closes the servers it started. A sanitizer report from any of them fails the test, even
// one whose exit code the test expected anyway.
export function integrationTest(name, fn, { timeoutMs = TEST_TIMEOUT_MS } = {}) {
  test(name, { timeout: timeoutMs }, async (t) => {
    const runs = [];
    try {
      await fn(t);
    } finally {
      runs.push(...live.runs);
      for (const run of live.runs) run.killAll();
      await Promise.all([...live.runs].map((run) => run.closed));
      await Promise.all([...live.mocks].map((mock) => mock.close()));
      live.runs.clear();
      live.mocks.clear();
    }
    const report = runs.find((run) => SANITIZER_REPORT.test(run.stderr));
    assert.equal(report, undefined, `sanitizer report:\n${report?.stderr}`);
  });
}

// startBlinkMock() whose server integrationTest() closes at the end of the test.
export async function startMock(options = {}) {
  const mock = await startBlinkMock(options);
  live.mocks.add(mock);
  return mock;
}

// startFaultServer() (tests/server/fault-server.mjs) whose server integrationTest() closes at
// the end of the test.
export async function startFaults(options) {
  const { startFaultServer } = await import('../server/fault-server.mjs');
  const server = await startFaultServer(options);
  live.mocks.add(server);
  return server;
}

// Parses each stdout line as one JSON document, failing the test on the first that is not.
export function parseJsonLines(lines) {
  return lines.map((line, index) => {
    try {
      return JSON.parse(line);
    } catch (error) {
      assert.fail(`stdout line ${index + 1} is not JSON (${error.message}): ${line}`);
    }
  });
}

class Run extends EventEmitter {
  lines = [];
  stderr = '';
  stdout = '';
  exitCode = null;
  signal = null;
  exited = false;

  constructor(child, { onLine, json }) {
    super();
    this.child = child;
    this.json = json;
    this.setMaxListeners(0);
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      this.stdout += chunk;
      const pieces = (partial + chunk).split('\n');
      partial = pieces.pop();
      for (const line of pieces) this.#addLine(line, onLine);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
      this.emit('stderr');
    });
    child.stdin?.on('error', () => {});
    this.closed = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        if (partial) this.#addLine(partial, onLine);
        partial = '';
        Object.assign(this, { exitCode: code, signal, exited: true });
        this.emit('exit');
        resolve();
      });
    });
    child.on('error', (error) => {
      this.stderr += `spawn failed: ${error.message}\n`;
    });
  }

  #addLine(line, onLine) {
    this.lines.push(line);
    onLine?.(line, this.lines.length);
    this.emit('line');
  }

  #describe() {
    const exit = this.exited ? `exit ${this.exitCode ?? this.signal}` : 'still running';
    return `${exit}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`;
  }

  // The `n`th stdout line (from 1), parsed as JSON. Fails if the process ends first.
  line(n, { timeoutMs = WAIT_TIMEOUT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.lines.length >= n) {
          done();
          resolve(parseJsonLines([this.lines[n - 1]])[0]);
        } else if (this.exited) {
          done();
          reject(new Error(`blink-sub ended before stdout line ${n}: ${this.#describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no stdout line ${n} within ${timeoutMs} ms: ${this.#describe()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.off('line', check);
        this.off('exit', check);
      };
      this.on('line', check);
      this.on('exit', check);
      check();
    });
  }

  // The first complete stderr line, past or future, that matches `pattern`, as its match array.
  // Fails if the process ends first or no such line comes within `timeoutMs`.
  stderrLine(pattern, { timeoutMs = WAIT_TIMEOUT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const lines = this.stderr.split('\n');
        if (!this.exited) lines.pop();
        const match = lines.map((line) => line.match(pattern)).find(Boolean);
        if (match) {
          done();
          resolve(match);
        } else if (this.exited) {
          done();
          reject(new Error(`blink-sub ended before a stderr line ${pattern}: ${this.#describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no stderr line ${pattern} in ${timeoutMs} ms: ${this.#describe()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.off('stderr', check);
        this.off('exit', check);
      };
      this.on('stderr', check);
      this.on('exit', check);
      check();
    });
  }

  // `promise`, unless the process ends first: then a failure showing what it printed.
  whileRunning(promise) {
    return new Promise((resolve, reject) => {
      const ended = () => reject(new Error(`blink-sub ended while awaited: ${this.#describe()}`));
      if (this.exited) {
        ended();
        return;
      }
      this.once('exit', ended);
      promise.then(resolve, reject).finally(() => this.off('exit', ended));
    });
  }

  // Waits for the process to end (killing it after `timeoutMs`) and returns what it did. With
  // JSON output (the default), every stdout line must parse and the last must end in a newline.
  async result({ timeoutMs = WAIT_TIMEOUT_MS } = {}) {
    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const late = await Promise.race([this.closed.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.killAll();
      await this.closed;
      assert.fail(`blink-sub did not end within ${timeoutMs} ms: ${this.#describe()}`);
    }
    const outcome = {
      code: this.exitCode,
      signal: this.signal,
      lines: this.lines,
      stdout: this.stdout,
      stderr: this.stderr,
    };
    if (this.json) {
      outcome.json = parseJsonLines(this.lines);
      assert.ok(this.stdout === '' || this.stdout.endsWith('\n'), 'stdout ends mid-line');
    }
    return outcome;
  }

  // Sends `signal` to the process itself (not to a shell's children).
  kill(signal = 'SIGTERM') {
    if (!this.exited) this.child.kill(signal);
  }

  // Kills the process and everything it started, which may be holding its output open.
  killAll() {
    if (this.exited) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  write(text) {
    this.child.stdin.write(text);
  }

  end() {
    this.child.stdin.end();
  }
}

function start(command, args, { env = {}, stdin = null, onLine, json = true }) {
  const child = spawn(command, args, {
    // A clean environment: the developer's BLINK_* or proxy variables must not leak in.
    env: { PATH: process.env.PATH, ...sanitizerEnv, ...env },
    stdio: [stdin === null ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    // A process group of its own, so that killAll() reaches a shell's children too.
    detached: true,
  });
  const run = new Run(child, { onLine, json });
  live.runs.add(run);
  if (stdin !== null && stdin !== 'pipe') child.stdin.end(stdin);
  return run;
}

// Starts blink-sub with `args`. Options: env (added to a PATH-only environment), stdin (null:
// none; a string: written, then closed; 'pipe': kept open for run.write() and run.end()),
// onLine(line, number), json (false when stdout is not JSON lines, as for --help).
export function runBlinkSub(args, options = {}) {
  return start(blinkSubBinary(), args, options);
}

// Runs a shell command line in which "$BLINK_SUB_BIN" names the binary.
export function runShell(commandLine, { env = {}, ...options } = {}) {
  const binary = blinkSubBinary();
  const withBinary = { ...env, BLINK_SUB_BIN: binary };
  return start('/bin/sh', ['-c', commandLine], { env: withBinary, ...options });
}

// A port on 127.0.0.1 with nothing listening on it (it was free a moment ago).
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Checks the start of a session as the server saw it: the upgrade asked for the
// graphql-transport-ws subprotocol, then connection_init, then subscribe. Returns the events.
export async function assertSessionStart(mock, connection = 1) {
  const onConnection = (type) => (e) => e.type === type && e.connection === connection;
  const subscribe = await mock.waitFor(onConnection('subscribe'));
  const open = mock.events.find(onConnection('open'));
  const init = mock.events.find(onConnection('connection_init'));
  assert.ok(open.protocols.includes(PROTOCOL), `subprotocols asked for: ${open.protocols}`);
  assert.ok(init, 'no connection_init before subscribe');
  const order = (event) => mock.events.indexOf(event);
  assert.ok(order(open) < order(init) && order(init) < order(subscribe));
  return { open, init, subscribe };
}

// Checks a clean end as the server saw it: `complete` for the subscription, then a close frame
// with code 1000.
export async function assertCleanEnd(mock, connection = 1) {
  const onConnection = (type) => (e) => e.type === type && e.connection === connection;
  const subscribe = await mock.waitFor(onConnection('subscribe'));
  const complete = await mock.waitFor(
    (e) => onConnection('complete')(e) && e.id === subscribe.id,
  );
  const close = await mock.waitFor(onConnection('close'));
  assert.equal(close.code, 1000, `close code ${close.code} (${close.reason})`);
  assert.ok(mock.events.indexOf(complete) < mock.events.indexOf(close));
}

// The resolved field and arguments of the subscription the server ran.
export function operation(mock, connection = 1) {
  return mock.waitFor((e) => e.type === 'operation' && e.connection === connection);
}

// A stderr line that announces a reconnect and its wait ("...; reconnecting in 0.6 s").
export const RECONNECTING = /reconnecting in \d+(?:\.\d+)? s/;

// The stderr lines that announce a reconnect.
export const reconnectLines = (stderr) => stderr.split('\n').filter((l) => RECONNECTING.test(l));

// How many WebSocket connections the server accepted.
export const connectionCount = (mock) => mock.events.filter((e) => e.type === 'open').length;
