// A scripted graphql-transport-ws server for the failures that a well-behaved server library
// never produces on purpose: a TCP connection cut without a close frame, a server that stops
// answering, a refused upgrade, malformed or fragmented frames. Each connection plays the
// scenario its number selects from a script (see README.md). Listens on 127.0.0.1 only.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { performance } from 'node:perf_hooks';

import { WebSocketServer } from 'ws';

const HOST = '127.0.0.1';
const PROTOCOL = 'graphql-transport-ws';
const WAIT_TIMEOUT_MS = 10_000;

// The reason phrases of the HTTP statuses a refused upgrade is likely to use.
const STATUS_TEXT = { 429: 'Too Many Requests', 502: 'Bad Gateway', 503: 'Service Unavailable' };

class ConnectionClosed extends Error {}

// One unmasked text frame (RFC 6455 5.2) holding `message` (an object as JSON), for writeRaw.
export function textFrame(message) {
  const body = Buffer.from(typeof message === 'string' ? message : JSON.stringify(message));
  const header = body.length < 126 ? Buffer.from([0x81, body.length]) : Buffer.alloc(4);
  if (body.length >= 126) {
    if (body.length > 0xffff) throw new RangeError('textFrame: at most 65535 bytes');
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(body.length, 2);
  }
  return Buffer.concat([header, body]);
}

// The `n`th payload a scripted subscription sends on connection `connection`.
export const tick = (connection, n) => ({ data: { tick: { connection, n } } });

// One accepted WebSocket, as a scenario sees it.
class Peer {
  #socket;
  #record;
  #inbox = new Map();
  #takers = new Map();
  #silent = false;
  closed = false;

  constructor(number, socket, record) {
    this.number = number;
    this.#socket = socket;
    this.#record = record;
    socket.once('close', () => {
      this.closed = true;
      for (const takers of this.#takers.values()) {
        for (const { reject } of takers) reject(new ConnectionClosed());
      }
      this.#takers.clear();
    });
  }

  // Called for every client message that parsed as JSON with a string `type`.
  deliver(message) {
    // A ping racing the end of the connection goes unanswered, as it would on a real server.
    if (message.type === 'ping' && !this.#silent) this.send({ type: 'pong' }).catch(() => {});
    const waiting = this.#takers.get(message.type);
    if (waiting?.length) {
      waiting.shift().resolve(message);
      return;
    }
    const queue = this.#inbox.get(message.type) ?? [];
    queue.push(message);
    this.#inbox.set(message.type, queue);
  }

  // The next client message of `type` that no earlier receive() returned. Rejects with
  // ConnectionClosed if the connection ends first.
  receive(type) {
    const queued = this.#inbox.get(type);
    if (queued?.length) return Promise.resolve(queued.shift());
    if (this.closed) return Promise.reject(new ConnectionClosed());
    return new Promise((resolve, reject) => {
      const takers = this.#takers.get(type) ?? [];
      takers.push({ resolve, reject });
      this.#takers.set(type, takers);
    });
  }

  // Sends one text frame: an object as JSON, a string as it is. Resolves once the frame has been
  // handed to the kernel, so that a drop() after it cannot discard it.
  send(message) {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    return this.sendFragments([text]);
  }

  // Sends one text message split into WebSocket frames, one per piece (strings or Buffers; a
  // piece may end inside a UTF-8 sequence that the next one completes).
  sendFragments(pieces) {
    if (this.closed) return Promise.reject(new ConnectionClosed());
    const sent = pieces.map(
      (piece, index) =>
        new Promise((resolve, reject) => {
          const fin = index === pieces.length - 1;
          this.#socket.send(piece, { binary: false, fin }, (error) => {
            if (error) reject(new ConnectionClosed(error.message));
            else resolve();
          });
        }),
    );
    return Promise.all(sent);
  }

  // Writes bytes straight to the TCP connection, below the WebSocket layer: a frame cut in two
  // (see textFrame) arrives as two reads. Resolves once the kernel has them.
  writeRaw(bytes) {
    if (this.closed) return Promise.reject(new ConnectionClosed());
    return new Promise((resolve, reject) => {
      this.#socket._socket.write(bytes, (error) => {
        if (error) reject(new ConnectionClosed(error.message));
        else resolve();
      });
    });
  }

  // Waits for connection_init, acknowledges it, and returns the first subscribe message.
  async handshake() {
    await this.receive('connection_init');
    await this.send({ type: 'connection_ack' });
    return this.receive('subscribe');
  }

  // Sends `count` ticks to subscription `id`, numbered from `from`.
  async stream(id, count, from = 1) {
    for (let n = from; n < from + count; n++) {
      await this.send({ id, type: 'next', payload: tick(this.number, n) });
    }
  }

  // From now on, answers neither WebSocket pings nor protocol pings.
  silence() {
    this.#silent = true;
  }

  get silent() {
    return this.#silent;
  }

  // Cuts the TCP connection without a close frame, as a network failure would.
  drop() {
    if (this.closed) return;
    this.#record({ type: 'dropped', connection: this.number });
    this.#socket.terminate();
  }

  // Starts the closing handshake with `code` and `reason`.
  close(code, reason = '') {
    if (this.closed) return;
    this.#record({ type: 'close-sent', connection: this.number, code, reason });
    this.#socket.close(code, reason);
  }
}

// Scenarios: what one connection does. A function receives the Peer; an object
// `{ refuse: status }` answers the upgrade with that HTTP status instead.

// Answers the upgrade with an HTTP error, as Blink's ingress does past its connection limits.
export const refuse = (status = 503) => ({ refuse: status });

// Answers the upgrade with 101 but a Sec-WebSocket-Accept that does not match the client's key.
export const wrongAccept = () => ({ wrongAccept: true });

// Takes connection_init and never acknowledges it, nor answers any ping.
export const neverAck = () => async (peer) => {
  peer.silence();
  await peer.receive('connection_init');
};

// Acknowledges, sends `count` ticks on the first subscription, then ends as `after` says:
// 'hold' keeps the connection open; 'drop' cuts it without a close frame; 'silent' keeps it
// open and answers nothing more; `{ code, reason }` sends a close frame; `{ text }` sends that
// text as one more frame (malformed JSON, say).
export const serve =
  (count = 1, after = 'hold') =>
  async (peer) => {
    const { id } = await peer.handshake();
    await peer.stream(id, count);
    if (after === 'drop') {
      peer.drop();
    } else if (after === 'silent') {
      peer.silence();
    } else if (after.code !== undefined) {
      peer.close(after.code, after.reason);
    } else if (after.text !== undefined) {
      await peer.send(after.text);
    }
  };

function scenarioFor(script, number) {
  if (Array.isArray(script)) return script[Math.min(number, script.length) - 1];
  if (typeof script === 'function') return script(number);
  throw new TypeError('script must be an array of scenarios or a function of the number');
}

function refuseUpgrade(socket, status) {
  const body = `fault server: upgrade refused with ${status}\n`;
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
      'Content-Type: text/plain',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}

const describeEvents = (events) => events.map((e) => JSON.stringify(e)).join('\n  ');

// Starts the server. `script` picks each connection's scenario by its number (from 1): an array
// (connection n plays script[n - 1], and the last entry repeats) or a function of the number.
export async function startFaultServer({ script, path = '/graphql', port = 0 } = {}) {
  if (script === undefined) throw new TypeError('startFaultServer needs a script');
  const events = [];
  const emitter = new EventEmitter();
  const started = performance.now();
  const record = (event) => {
    const stamped = { ...event, at: Math.round(performance.now() - started) };
    events.push(stamped);
    emitter.emit('event', stamped);
  };

  const server = http.createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain' });
    response.end(`fault server: open a WebSocket on ${path}\n`);
  });
  const tcpSockets = new Set();
  server.on('connection', (socket) => {
    tcpSockets.add(socket);
    socket.once('close', () => tcpSockets.delete(socket));
  });

  // Pongs are sent by hand, so that a silenced peer can leave WebSocket pings unanswered.
  const wss = new WebSocketServer({
    noServer: true,
    autoPong: false,
    handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
  });
  let upgrades = 0;

  server.on('upgrade', (request, socket, head) => {
    const number = ++upgrades;
    const scenario = scenarioFor(script, number);
    if (scenario?.refuse !== undefined) {
      record({ type: 'refused', connection: number, status: scenario.refuse });
      refuseUpgrade(socket, scenario.refuse);
      return;
    }
    if (scenario?.wrongAccept) {
      record({ type: 'wrong-accept', connection: number });
      socket.write(
        [
          'HTTP/1.1 101 Switching Protocols',
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
          `Sec-WebSocket-Protocol: ${PROTOCOL}`,
          '',
          '',
        ].join('\r\n'),
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => accept(number, scenario, ws, request));
  });

  function accept(number, scenario, ws, request) {
    const peer = new Peer(number, ws, record);
    const requested = request.headers['sec-websocket-protocol'];
    record({
      type: 'open',
      connection: number,
      url: request.url,
      headers: request.headers,
      protocols: requested ? requested.split(',').map((p) => p.trim()) : [],
      protocol: ws.protocol,
    });

    ws.on('message', (data, isBinary) => {
      let message;
      try {
        message = JSON.parse(String(data));
      } catch {
        record({ type: 'invalid', connection: number, data: String(data), isBinary });
        return;
      }
      const type = typeof message?.type === 'string' ? message.type : 'invalid';
      record({ ...message, type, connection: number, isBinary });
      if (type !== 'invalid') peer.deliver(message);
    });
    ws.on('ping', (data) => {
      record({ type: 'ws-ping', connection: number });
      if (!peer.silent) ws.pong(data);
    });
    ws.on('pong', () => record({ type: 'ws-pong', connection: number }));
    ws.on('error', ({ message }) => record({ type: 'error', connection: number, message }));
    ws.on('close', (code, reason) => {
      record({ type: 'close', connection: number, code, reason: String(reason) });
    });

    Promise.resolve()
      .then(() => scenario(peer))
      .catch((error) => {
        if (!(error instanceof ConnectionClosed)) {
          record({ type: 'script-error', connection: number, message: String(error?.stack) });
        }
      });
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  const address = server.address();
  const waiters = new Set();
  let closing = null;

  return {
    url: `ws://${HOST}:${address.port}${path}`,
    port: address.port,
    events,

    // How many upgrade requests arrived, refused ones included.
    connections: () => upgrades,

    // The first event, past or future, that `predicate` accepts; rejects after `timeoutMs`, or
    // when the server closes, listing the events seen.
    waitFor(predicate, { timeoutMs = WAIT_TIMEOUT_MS } = {}) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const settle = (failure, event) => {
          clearTimeout(timer);
          emitter.off('event', onEvent);
          waiters.delete(settle);
          if (failure) reject(new Error(`${failure}; seen:\n  ${describeEvents(events)}`));
          else resolve(event);
        };
        const onEvent = (event) => predicate(event) && settle(null, event);
        const timer = setTimeout(() => settle(`no matching event in ${timeoutMs} ms`), timeoutMs);
        emitter.on('event', onEvent);
        waiters.add(settle);
      });
    },

    close() {
      closing ??= new Promise((resolve) => {
        for (const settle of waiters) settle('the fault server closed first');
        for (const socket of tcpSockets) socket.destroy();
        wss.close();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
