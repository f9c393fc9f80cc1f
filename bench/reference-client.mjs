// The reference client: graphql-ws's own client doing blink-sub's job. It subscribes once
// and writes each `next` payload to stdout as one JSON line, and exits when the server
// completes the subscription.
//
//   node bench/reference-client.mjs --endpoint ws://127.0.0.1:PORT/graphql --query DOCUMENT
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: { endpoint: { type: 'string' }, query: { type: 'string' } },
});
if (!values.endpoint || !values.query) {
  console.error('usage: reference-client.mjs --endpoint URL --query DOCUMENT');
  process.exit(2);
}

// Node writes to a pipe asynchronously, so a slow reader would let lines pile up in memory.
// When stdout's buffer is full, stop reading the socket until it drains, as blink-sub does by
// blocking on its write.
let socket;
class TrackedWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    socket = this;
  }
}

// graphql-ws hands on what the socket reported: an Error, an error event or a close event.
function describe(error) {
  if (error instanceof Error) return error.message;
  if (typeof error?.code === 'number') return `socket closed with code ${error.code}`;
  return error?.message ?? String(error);
}

const client = createClient({
  url: values.endpoint,
  webSocketImpl: TrackedWebSocket,
  lazy: false,
  retryAttempts: 0,
  // The subscription's error handler below reports a failed connection.
  onNonLazyError: () => {},
});

client.subscribe(
  { query: values.query },
  {
    next: (payload) => {
      if (!process.stdout.write(`${JSON.stringify(payload)}\n`) && !socket.isPaused) {
        socket.pause();
        process.stdout.once('drain', () => socket.resume());
      }
    },
    error: (error) => {
      console.error(`reference-client: subscription failed: ${describe(error)}`);
      process.exitCode = 1;
      client.dispose();
    },
    complete: () => client.dispose(),
  },
);
