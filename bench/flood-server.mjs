// A graphql-transport-ws server for the benchmark, run as its own process so that its work
// is not charged to the harness or the client. After `subscribe` it plays one of three modes:
//
//   --mode flood --messages N        N `next` frames back to back, as fast as the socket takes
//                                    them, then `complete`
//   --mode paced --rate R --seconds D  R `next` frames a second for D seconds, then `complete`
//   --mode steady --messages N --rate R  the flood's N frames at R a second, then `complete`
//   --mode first                     one `next` at once, then `complete`
//
// It prints its endpoint URL on stdout once listening, and exits when its stdin ends, so it
// never outlives the harness that started it. It listens on 127.0.0.1 only.
//
// The `ws` library does the upgrade and reads the client's (masked) frames. The `next` frames
// are encoded here and written straight to the TCP socket: a flood then costs one write per
// block of frames instead of two per frame, which keeps the server well above the clients.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const PROTOCOL = 'graphql-transport-ws';
const PATH = '/graphql';

// Distinct payloads a flood cycles through, and how many frames go out in one socket write.
const FLOOD_VARIANTS = 1024;
const FRAMES_PER_WRITE = 128;

// The clock shared with the probe that reads the client's lines: process.hrtime is Linux's
// CLOCK_MONOTONIC, one clock for every process on the machine. Microseconds keep the value
// far below 2^53, so a client that parses it as a double prints it back unchanged.
const nowMicros = () => process.hrtime.bigint() / 1000n;

// One unmasked, unfragmented text frame (RFC 6455, section 5.2).
function textFrame(text) {
  const body = Buffer.from(text);
  const size = body.length;
  const headerSize = size < 126 ? 2 : size < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerSize + size);
  frame[0] = 0x81;
  if (size < 126) {
    frame[1] = size;
  } else if (size < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(size, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(size), 2);
  }
  body.copy(frame, headerSize);
  return frame;
}

// A `realtimePrice` payload as Blink sends it (about 250 bytes), whose sat price wanders a
// little from one message to the next. `sentAt` is the benchmark's own field: the server's
// clock in microseconds when the payload was built, which in the paced and first modes is
// just before it is written (the flood's payloads are built at start-up).
function pricePayload(index, sentAt) {
  const satBase = 96_912_345_678 + Math.round(Math.sin(index / 50) * 250_000_000) + index % 997;
  const price = {
    id: randomUUID(),
    timestamp: Math.floor(Date.now() / 1000),
    denominatorCurrency: 'USD',
    btcSatPrice: { base: satBase, offset: 12 },
    usdCentPrice: { base: 1_000_000, offset: 6 },
    sentAt,
  };
  return JSON.stringify({ data: { realtimePrice: { errors: [], realtimePrice: price } } });
}

const nextMessage = (id, payload) =>
  `{"id":${JSON.stringify(id)},"type":"next","payload":${payload}}`;

// The flood's payloads are built once at start-up; only the subscription id is filled in
// per subscribe.
const floodPayloads = Array.from({ length: FLOOD_VARIANTS }, (_, index) =>
  pricePayload(index, Number(nowMicros())),
);

// Blocks of FRAMES_PER_WRITE frames for one subscription id, with the byte offset at which
// each frame ends, so that the last, partial block is a slice of a full one.
function floodBlocks(id) {
  const blocks = [];
  for (let start = 0; start < FLOOD_VARIANTS; start += FRAMES_PER_WRITE) {
    const frames = floodPayloads
      .slice(start, start + FRAMES_PER_WRITE)
      .map((payload) => textFrame(nextMessage(id, payload)));
    const ends = [];
    let end = 0;
    for (const frame of frames) {
      end += frame.length;
      ends.push(end);
    }
    blocks.push({ bytes: Buffer.concat(frames), ends });
  }
  return blocks;
}

// Writes `total` frames, pausing whenever the socket's buffer is full, then calls `done`.
// Returns a function that stops the stream early.
function flood(socket, id, total, done) {
  const blocks = floodBlocks(id);
  let sent = 0;
  let block = 0;
  let stopped = false;
  const pump = () => {
    while (!stopped && sent < total) {
      const { bytes, ends } = blocks[block];
      block = (block + 1) % blocks.length;
      const count = Math.min(ends.length, total - sent);
      sent += count;
      const chunk = count === ends.length ? bytes : bytes.subarray(0, ends[count - 1]);
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
    if (!stopped) done();
  };
  pump();
  return () => {
    stopped = true;
  };
}

// Writes `rate` frames a second for `seconds` seconds, each stamped as it is written, then
// calls `done`. Each send is scheduled from the start time, so timer lateness does not add up.
function paced(socket, id, rate, seconds, done) {
  const total = Math.round(rate * seconds);
  const start = performance.now();
  let sent = 0;
  let timer;
  const tick = () => {
    if (sent === total) {
      done();
      return;
    }
    socket.write(textFrame(nextMessage(id, pricePayload(sent, Number(nowMicros())))));
    sent += 1;
    timer = setTimeout(tick, Math.max(0, start + (sent * 1000) / rate - performance.now()));
  };
  tick();
  return () => clearTimeout(timer);
}

// Writes the flood's `total` frames at `rate` a second, then calls `done`. Timers fire about
// once a millisecond at best, so each tick writes every frame that is due by then, in one
// write; a socket that is full is waited for, and the frames it held up go out together.
// Returns a function that stops the stream early.
function steady(socket, id, rate, total, done) {
  const frames = floodPayloads.map((payload) => textFrame(nextMessage(id, payload)));
  const start = performance.now();
  let sent = 0;
  let timer;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    const batch = [];
    for (; sent < due; sent += 1) batch.push(frames[sent % frames.length]);
    if (sent === total) {
      socket.write(Buffer.concat(batch));
      done();
      return;
    }
    const next = () => {
      timer = setTimeout(tick, Math.max(0, start + (sent * 1000) / rate - performance.now()));
    };
    if (batch.length > 0 && !socket.write(Buffer.concat(batch))) {
      socket.once('drain', next);
      return;
    }
    next();
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function first(socket, id, done) {
  socket.write(textFrame(nextMessage(id, pricePayload(0, Number(nowMicros())))));
  done();
  return () => {};
}

// One connection: graphql-transport-ws's handshake, then the mode's stream for each subscribe.
function serve(ws, socket, options) {
  let acknowledged = false;
  const streams = new Map();
  const stopAll = () => {
    for (const stop of streams.values()) stop();
    streams.clear();
  };
  ws.on('close', stopAll);
  ws.on('error', stopAll);

  ws.on('message', (data, isBinary) => {
    let message;
    try {
      message = JSON.parse(data.toString());
    } catch {
      message = null;
    }
    if (isBinary || typeof message?.type !== 'string') {
      ws.close(4400, 'invalid message');
      return;
    }
    switch (message.type) {
      case 'connection_init':
        if (acknowledged) {
          ws.close(4429, 'too many initialisation requests');
          return;
        }
        acknowledged = true;
        ws.send(JSON.stringify({ type: 'connection_ack' }));
        return;
      case 'ping':
        ws.send(JSON.stringify({ type: 'pong' }));
        return;
      case 'pong':
        return;
      case 'subscribe': {
        if (!acknowledged) {
          ws.close(4401, 'unauthorized');
          return;
        }
        const { id } = message;
        if (typeof id !== 'string' || streams.has(id)) {
          ws.close(4409, `subscriber for ${id} already exists`);
          return;
        }
        // `complete` goes through ws after the raw writes; both end up in the same socket
        // write queue in call order, so it arrives after the last `next`.
        let finished = false;
        const done = () => {
          finished = true;
          streams.delete(id);
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, type: 'complete' }));
        };
        const stop = startStream(socket, id, options, done);
        if (!finished) streams.set(id, stop);
        return;
      }
      case 'complete': {
        streams.get(message.id)?.();
        streams.delete(message.id);
        return;
      }
      default:
        ws.close(4400, `unexpected message type ${message.type}`);
    }
  });
}

function startStream(socket, id, options, done) {
  switch (options.mode) {
    case 'flood':
      return flood(socket, id, options.messages, done);
    case 'paced':
      return paced(socket, id, options.rate, options.seconds, done);
    case 'steady':
      return steady(socket, id, options.rate, options.messages, done);
    default:
      return first(socket, id, done);
  }
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: 'string', default: 'flood' },
      messages: { type: 'string', default: '200000' },
      rate: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '10' },
    },
  });
  const options = {
    mode: values.mode,
    messages: Number(values.messages),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
  };
  const positive = (value) => Number.isFinite(value) && value > 0;
  if (!['flood', 'paced', 'steady', 'first'].includes(options.mode)) {
    throw new Error(`--mode must be flood, paced, steady or first, not ${options.mode}`);
  }
  if (!Number.isInteger(options.messages) || options.messages < 1) {
    throw new Error(`--messages must be a positive integer, not ${values.messages}`);
  }
  if (!positive(options.rate) || !positive(options.seconds)) {
    throw new Error('--rate and --seconds must be positive numbers');
  }
  return options;
}

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`flood-server: ${error.message}`);
  process.exit(2);
}

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  path: PATH,
  perMessageDeflate: false,
  handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
});
server.on('connection', (ws, request) => serve(ws, request.socket, options));
server.on('listening', () => {
  process.stdout.write(`ws://127.0.0.1:${server.address().port}${PATH}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
