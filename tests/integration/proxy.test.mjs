import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import net from 'node:net';

import { makeCertificates } from '../server/certs.mjs';
import { startTinyproxy } from '../server/tinyproxy.mjs';
import { freePort, integrationTest, runBlinkSub, startMock } from './harness.mjs';

const USER = 'blink';
const PASSWORD = 'Pr0xyPassw0rd_5e2a';
const ONE_PRICE = ['price', '--count', '1', '--retries', '0'];

// One set of certificates for the whole file, removed when the process ends.
let made = null;
function certificates() {
  made ??= makeCertificates().then((certs) => {
    process.once('exit', () => rmSync(certs.dir, { recursive: true, force: true }));
    return certs;
  });
  return made;
}

// tinyproxy on a free port, allowed to tunnel to `mock` only, stopped when the test ends.
async function startProxy(t, mock, options = {}) {
  const port = await freePort();
  const proxy = await startTinyproxy({ port, connectPorts: [mock.port], ...options });
  t.after(() => proxy.close());
  return proxy;
}

// A URL with nothing listening behind it: a run that used it could not work.
const deadProxy = async () => `http://127.0.0.1:${await freePort()}`;

function assertHidden({ stdout, stderr }, ...secrets) {
  for (const secret of secrets) {
    assert.ok(!stdout.includes(secret), `stdout shows ${secret}`);
    assert.ok(!stderr.includes(secret), `stderr shows ${secret}:\n${stderr}`);
  }
}

async function assertOnePriceThrough(proxy, run, target) {
  const { code, json, stderr } = await run.result();
  assert.equal(code, 0, stderr);
  assert.equal(json[0].data.price.price.offset, 12);
  assert.ok(proxy.tunnelsTo(target), `no CONNECT ${target} in the proxy's log:\n${proxy.log()}`);
}

for (const variable of ['HTTP_PROXY', 'http_proxy']) {
  integrationTest(`ws:// goes through the proxy named by ${variable}`, async (t) => {
    const mock = await startMock({ intervalMs: 20 });
    const proxy = await startProxy(t, mock);
    const run = runBlinkSub([...ONE_PRICE, '-e', mock.url], { env: { [variable]: proxy.url } });

    await assertOnePriceThrough(proxy, run, `127.0.0.1:${mock.port}`);
  });
}

integrationTest('--proxy goes through the proxy it names, whatever the variables say',
  async (t) => {
    const mock = await startMock({ intervalMs: 20 });
    const proxy = await startProxy(t, mock);
    const dead = await deadProxy();
    const run = runBlinkSub([...ONE_PRICE, '-e', mock.url, '--proxy', proxy.url], {
      env: { HTTP_PROXY: dead, http_proxy: dead, ALL_PROXY: dead },
    });

    await assertOnePriceThrough(proxy, run, `127.0.0.1:${mock.port}`);
  });

integrationTest('wss:// goes through HTTPS_PROXY and checks the endpoint\'s certificate',
  async (t) => {
    const certs = await certificates();
    const mock = await startMock({
      intervalMs: 20,
      tls: { cert: certs.server.cert, key: certs.server.key },
    });
    const proxy = await startProxy(t, mock);
    const url = `wss://localhost:${mock.port}/graphql`;
    const run = runBlinkSub([...ONE_PRICE, '-e', url, '--cacert', certs.ca.certPath], {
      env: { HTTPS_PROXY: proxy.url },
    });

    await assertOnePriceThrough(proxy, run, `localhost:${mock.port}`);
  });

integrationTest('through the proxy, a certificate for another host is still refused',
  async (t) => {
    const certs = await certificates();
    const mock = await startMock({
      intervalMs: 20,
      tls: { cert: certs.otherHost.cert, key: certs.otherHost.key },
    });
    const proxy = await startProxy(t, mock);
    const url = `wss://localhost:${mock.port}/graphql`;
    const run = runBlinkSub([...ONE_PRICE, '-e', url, '--cacert', certs.ca.certPath], {
      env: { HTTPS_PROXY: proxy.url },
    });

    const { code, stderr } = await run.result();
    assert.equal(code, 1);
    assert.match(stderr, /certificate verify failed/);
    assert.ok(proxy.tunnelsTo(`localhost:${mock.port}`), proxy.log());
    assert.equal(mock.events.length, 0, 'no WebSocket upgrade over an untrusted connection');
  });

integrationTest('credentials in the proxy URL open a proxy that requires them, unseen',
  async (t) => {
    const mock = await startMock({ intervalMs: 20 });
    const proxy = await startProxy(t, mock, { basicAuth: { user: USER, password: PASSWORD } });
    const withCredentials = `http://${USER}:${PASSWORD}@127.0.0.1:${proxy.port}`;
    const run = runBlinkSub(['-vvv', ...ONE_PRICE, '-e', mock.url], {
      env: { HTTP_PROXY: withCredentials },
    });

    const result = await run.result();
    assert.equal(result.code, 0, result.stderr);
    assert.ok(proxy.tunnelsTo(`127.0.0.1:${mock.port}`), proxy.log());
    assertHidden(result, PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
  });

integrationTest('wrong proxy credentials: exit 1 with the status line, password unseen',
  async (t) => {
    const mock = await startMock({ intervalMs: 20 });
    const proxy = await startProxy(t, mock, { basicAuth: { user: USER, password: PASSWORD } });
    const wrong = 'WrongPassw0rd_c41d';
    const run = runBlinkSub([
      '-vvv', ...ONE_PRICE, '-e', mock.url,
      '--proxy', `http://${USER}:${wrong}@127.0.0.1:${proxy.port}`,
    ]);

    const result = await run.result();
    assert.equal(result.code, 1);
    // tinyproxy answers missing credentials with 407 but wrong ones with 401.
    assert.match(result.stderr,
      /proxy 127\.0\.0\.1:\d+ refused the tunnel to 127\.0\.0\.1:\d+: 401 Unauthorized;/);
    assert.match(result.stderr, /; check the user name and password in the proxy URL\n/);
    assert.deepEqual(result.lines, []);
    assertHidden(result, wrong, Buffer.from(`${USER}:${wrong}`).toString('base64'));
    assert.equal(mock.events.length, 0);
  });

integrationTest('a proxy that requires credentials and gets none: exit 1 saying what to add',
  async (t) => {
    const mock = await startMock({ intervalMs: 20 });
    const proxy = await startProxy(t, mock, { basicAuth: { user: USER, password: PASSWORD } });
    const run = runBlinkSub([...ONE_PRICE, '-e', mock.url, '--proxy', proxy.url]);

    const { code, stderr } = await run.result();
    assert.equal(code, 1);
    assert.match(stderr, /407 Proxy Authentication Required; put user:password@ in the proxy URL/);
  });

integrationTest('a proxy that refuses the tunnel: exit 1 with its status line', async (t) => {
  const mock = await startMock({ intervalMs: 20 });
  // The mock's port is not among those the proxy lets CONNECT reach.
  const proxy = await startTinyproxy({ port: await freePort(), connectPorts: [await freePort()] });
  t.after(() => proxy.close());
  const run = runBlinkSub([...ONE_PRICE, '-e', mock.url, '--proxy', proxy.url]);

  const { code, stderr } = await run.result();
  assert.equal(code, 1);
  assert.match(stderr, /proxy 127\.0\.0\.1:\d+ refused the tunnel to 127\.0\.0\.1:\d+: 403 /);
  assert.equal(mock.events.length, 0);
});

for (const variable of ['NO_PROXY', 'no_proxy']) {
  integrationTest(`${variable} lets a listed host bypass the proxy`, async () => {
    const mock = await startMock({ intervalMs: 20 });
    const dead = await deadProxy();
    const run = runBlinkSub([...ONE_PRICE, '-e', mock.url], {
      env: { HTTP_PROXY: dead, ALL_PROXY: dead, [variable]: 'localhost,127.0.0.1' },
    });

    const { code, json, stderr } = await run.result();
    assert.equal(code, 0, stderr);
    assert.equal(json.length, 1);
  });
}

integrationTest('a dead proxy is a connection failure naming the proxy', async () => {
  const mock = await startMock({ intervalMs: 20 });
  const dead = await deadProxy();
  const run = runBlinkSub([...ONE_PRICE, '-e', mock.url], { env: { HTTP_PROXY: dead } });

  const { code, stderr } = await run.result();
  assert.equal(code, 1);
  assert.match(stderr, /cannot connect to proxy 127\.0\.0\.1:\d+/);
  assert.equal(mock.events.length, 0);
});

integrationTest('a proxy that never answers CONNECT times out within --connect-timeout',
  async (t) => {
    const mock = await startMock({ intervalMs: 20 });
    const sockets = new Set();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const proxy = `http://127.0.0.1:${silent.address().port}`;
    const run = runBlinkSub([...ONE_PRICE, '-e', mock.url, '--proxy', proxy,
      '--connect-timeout', '0.5']);

    const { code, stderr } = await run.result();
    assert.equal(code, 1);
    assert.match(stderr,
      /opening a tunnel through proxy 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+ timed out/);
    assert.equal(sockets.size, 1, 'the proxy got the connection');
    assert.equal(mock.events.length, 0);
  });
