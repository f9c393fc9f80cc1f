// A stand-in for Blink's subscription server (wss://ws.blink.sv/graphql): the same graphql-ws 5
// server on `ws`, Blink's schema, and Blink's habits (see README.md). Tests start it on
// 127.0.0.1 with startBlinkMock(); people run it with `node blink-mock.mjs --help`.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { getOperationAST, GraphQLError, parse, validate } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/lib/use/ws';
import { WebSocketServer } from 'ws';

import { incomingTransaction, mockUser, paymentUpdate } from './fixtures.mjs';
import { InvoiceBook, paymentHashOf } from './invoice-book.mjs';
import { buildMockSchema } from './mock-schema.mjs';

export { paymentHashOf };

const HOST = '127.0.0.1';

const DEFAULTS = {
  port: 0,
  path: '/graphql',
  tls: null,
  apiKeys: ['blink_test_key'],
  authTokens: ['blink_test_token'],
  authRejection: 'next',
  intervalMs: 30_000,
  pingIntervalMs: 12_000,
  connectionInitWaitTimeout: 3_000,
  payments: [],
  waitTimeoutMs: 10_000,
};

// A PEM given as text, or the path of a file holding it.
function pem(value) {
  return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

// The user that a connection_init payload authenticates, or null. Like Blink, a session token
// (`Authorization: Bearer ...`) decides alone when it is present, whatever the API key says.
function authenticate(params, { apiKeys, authTokens }, user) {
  const authorization = params?.Authorization;
  if (typeof authorization === 'string') {
    const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : null;
    return authTokens.includes(token) ? user : null;
  }
  const apiKey = params?.['X-API-KEY'];
  return typeof apiKey === 'string' && apiKeys.includes(apiKey) ? user : null;
}

function describeEvents(events) {
  return events.map((event) => JSON.stringify(event)).join('\n  ');
}

export async function startBlinkMock(options = {}) {
  const config = { ...DEFAULTS, ...options };
  if (!['next', 'close'].includes(config.authRejection)) {
    throw new Error(`authRejection must be 'next' or 'close', not ${config.authRejection}`);
  }

  const events = [];
  const emitter = new EventEmitter();
  const record = (event) => {
    events.push(event);
    emitter.emit('event', event);
  };

  let tick = 0;
  const transactions = [];
  const user = mockUser(transactions);
  const invoices = new InvoiceBook(config.intervalMs);
  const paymentStreams = new Set();
  const makePayment = (spec) => {
    const transaction = incomingTransaction({ ...spec, tick });
    transactions.push(transaction);
    return paymentUpdate(transaction);
  };

  const schema = buildMockSchema({
    intervalMs: config.intervalMs,
    record,
    nextTick: () => tick++,
    invoices,
    paymentStreams,
    initialPayments: config.payments,
    makePayment,
  });

  const server = config.tls
    ? https.createServer({ cert: pem(config.tls.cert), key: pem(config.tls.key) })
    : http.createServer();
  server.on('request', (_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain' });
    response.end(`blink mock: open a WebSocket on ${config.path}\n`);
  });

  const sockets = new Set();
  const connectionIds = new WeakMap();
  let connections = 0;
  const wss = new WebSocketServer({ server, path: config.path });

  // Registered before useServer's own handler, so every frame is recorded before graphql-ws acts.
  wss.on('connection', (socket, request) => {
    const connection = ++connections;
    connectionIds.set(socket, connection);
    sockets.add(socket);
    const requested = request.headers['sec-websocket-protocol'];
    record({
      type: 'open',
      connection,
      url: request.url,
      headers: request.headers,
      protocols: requested ? requested.split(',').map((p) => p.trim()) : [],
      protocol: socket.protocol,
    });

    // Every close frame the server sends, whether it starts the closing handshake (4403, 4500,
    // ...) or answers the client's close frame with the same code.
    const close = socket.close.bind(socket);
    socket.close = (code, reason) => {
      if (socket.readyState === socket.OPEN) {
        record({ type: 'close-sent', connection, code, reason: String(reason ?? '') });
      }
      close(code, reason);
    };

    socket.on('message', (data, isBinary) => {
      let message;
      try {
        message = JSON.parse(String(data));
      } catch {
        record({ type: 'invalid', connection, data: String(data), isBinary });
        return;
      }
      const { type, ...rest } = message ?? {};
      record({ ...rest, type: typeof type === 'string' ? type : 'invalid', connection, isBinary });
    });
    socket.on('ping', () => record({ type: 'ws-ping', connection }));
    socket.on('pong', () => record({ type: 'ws-pong', connection }));
    socket.on('close', (code, reason) => {
      sockets.delete(socket);
      record({ type: 'close', connection, code, reason: String(reason) });
    });
  });

  useServer(
    {
      schema,
      connectionInitWaitTimeout: config.connectionInitWaitTimeout,
      onConnect: (ctx) => {
        ctx.user = authenticate(ctx.connectionParams, config, user);
        return config.authRejection === 'close' ? ctx.user !== null : true;
      },
      onSubscribe: (ctx, message) => {
        const context = {
          connection: connectionIds.get(ctx.extra.socket),
          id: message.id,
          user: ctx.user,
        };
        return subscribeArgs(ctx, message, schema, context);
      },
    },
    wss,
    config.pingIntervalMs,
  );

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, HOST, resolve);
  });
  const { port } = server.address();
  const url = `${config.tls ? 'wss' : 'ws'}://${HOST}:${port}${config.path}`;

  // Pending waitFor() calls, ended by close() so that none keeps the process alive.
  const waiters = new Set();
  let closed = null;
  return {
    url,
    port,
    events,
    emitter,

    // The first event, past or future, that `predicate` accepts. Rejects after `timeoutMs`
    // with the events seen so far, so that a broken client fails a test instead of hanging it.
    waitFor(predicate, { timeoutMs = config.waitTimeoutMs } = {}) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const finish = (error, event) => {
          clearTimeout(timer);
          emitter.off('event', onEvent);
          waiters.delete(finish);
          if (error) {
            reject(new Error(`${error}; seen:\n  ${describeEvents(events)}`));
          } else {
            resolve(event);
          }
        };
        const onEvent = (event) => {
          if (predicate(event)) finish(null, event);
        };
        const timer = setTimeout(() => finish(`no matching event in ${timeoutMs} ms`), timeoutMs);
        emitter.on('event', onEvent);
        waiters.add(finish);
      });
    },

    // Announces an incoming payment to every authenticated myUpdates subscriber. `kind` is 'ln'
    // (an LnUpdate), 'onchain' or 'intraledger'. Returns how many subscribers were told.
    pay({ kind = 'ln', sats = 1000, memo = null } = {}) {
      const update = makePayment({ kind, sats, memo });
      for (const push of paymentStreams) push(update);
      return paymentStreams.size;
    },

    // Sets the status ('PENDING', 'PAID', 'EXPIRED') of the invoice named by a payment request
    // or hash; subscribers to it get the new status.
    settle(requestOrHash, status) {
      const { paymentHash, paymentRequest } = invoices.settle(requestOrHash, status);
      return { paymentHash, paymentRequest };
    },

    // Sends a text frame (an object is sent as JSON) on every open connection.
    broadcast(frame) {
      const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
      for (const socket of sockets) socket.send(text);
    },

    // Closes every open connection with a close frame carrying `code`.
    closeConnections(code, reason = '') {
      for (const socket of sockets) socket.close(code, reason);
    },

    // Drops every open connection without a close frame, as a network failure would.
    dropConnections() {
      for (const socket of sockets) socket.terminate();
    },

    close() {
      closed ??= new Promise((resolve) => {
        for (const finish of waiters) finish('the mock closed before a matching event');
        invoices.close();
        for (const socket of sockets) socket.terminate();
        wss.close(() => server.close(() => resolve()));
        server.closeAllConnections?.();
      });
      return closed;
    },
  };
}

// Blink's onSubscribe: a document that does not parse takes the whole connection down with
// 4500; one that parses but does not validate, or is not a subscription, gets an `error`
// message for its id only.
function subscribeArgs(ctx, message, schema, contextValue) {
  let document;
  try {
    document = parse(message.payload.query);
  } catch (error) {
    // graphql-ws would close with 4500 too when this throws, but would also print a stack
    // trace; Blink runs in production mode, so the reason is the generic one.
    ctx.extra.socket.close(CloseCode.InternalServerError, 'Internal server error');
    return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
  }
  const { operationName, variables } = message.payload;
  const operation = getOperationAST(document, operationName);
  if (!operation) return [new GraphQLError('Unable to identify operation')];
  if (operation.operation !== 'subscription') {
    return [new GraphQLError('Only subscription operations are supported')];
  }
  const errors = validate(schema, document);
  if (errors.length > 0) return errors;
  return {
    schema,
    document,
    operationName,
    variableValues: variables,
    contextValue,
  };
}

const USAGE = `usage: node blink-mock.mjs [options]

Runs the Blink mock on 127.0.0.1 and prints its WebSocket URL.

  --port N               port to listen on (default: any free port)
  --tls-cert FILE        serve wss:// with this PEM certificate ...
  --tls-key FILE         ... and this PEM private key
  --api-key KEY          a valid API key (repeatable; default blink_test_key)
  --auth-token TOKEN     a valid session token (repeatable; default blink_test_token)
  --auth-rejection WAY   'next' (Blink: ack, then NOT_AUTHENTICATED) or 'close' (4403)
  --interval-ms N        time between price ticks and invoice changes (default 30000)
  --ping-interval-ms N   time between WebSocket pings (default 12000)
  --verbose              print every event the server sees on stderr
  --help                 show this text
`;

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      'auth-token': { type: 'string', multiple: true },
      'auth-rejection': { type: 'string' },
      'interval-ms': { type: 'string' },
      'ping-interval-ms': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) {
    throw new Error('--tls-cert and --tls-key go together');
  }
  const number = (text, fallback) => (text === undefined ? fallback : Number(text));
  const mock = await startBlinkMock({
    port: number(values.port, 0),
    tls: values['tls-cert'] ? { cert: values['tls-cert'], key: values['tls-key'] } : null,
    apiKeys: values['api-key'] ?? DEFAULTS.apiKeys,
    authTokens: values['auth-token'] ?? DEFAULTS.authTokens,
    authRejection: values['auth-rejection'] ?? DEFAULTS.authRejection,
    intervalMs: number(values['interval-ms'], DEFAULTS.intervalMs),
    pingIntervalMs: number(values['ping-interval-ms'], DEFAULTS.pingIntervalMs),
  });
  if (values.verbose) {
    mock.emitter.on('event', (event) => process.stderr.write(`${JSON.stringify(event)}\n`));
  }
  process.stdout.write(`${mock.url}\n`);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => mock.close().then(() => process.exit(0)));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    process.stderr.write(`blink-mock: ${error.message}\n`);
    process.exit(2);
  });
}
