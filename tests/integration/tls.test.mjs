import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';

import { makeCertificates } from '../server/certs.mjs';
import { integrationTest, runBlinkSub, startMock } from './harness.mjs';

// One set of certificates for the whole file, removed when the process ends.
let made = null;
function certificates() {
  made ??= makeCertificates().then((certs) => {
    process.once('exit', () => rmSync(certs.dir, { recursive: true, force: true }));
    return certs;
  });
  return made;
}

async function tlsMock(pair) {
  const mock = await startMock({ intervalMs: 20, tls: { cert: pair.cert, key: pair.key } });
  return { mock, url: `wss://localhost:${mock.port}/graphql` };
}

const ONE_PRICE = ['price', '--count', '1', '--retries', '0'];

integrationTest('a certificate signed by the --cacert authority is trusted', async () => {
  const certs = await certificates();
  const { mock, url } = await tlsMock(certs.server);
  const run = runBlinkSub([...ONE_PRICE, '--endpoint', url, '--cacert', certs.ca.certPath]);

  const { code, json, stderr } = await run.result();
  assert.equal(code, 0, stderr);
  assert.equal(json[0].data.price.price.offset, 12);
  assert.equal((await mock.waitFor((e) => e.type === 'close')).code, 1000);
});

integrationTest('an IP address endpoint is checked against the IP in the certificate', async () => {
  const certs = await certificates();
  const { mock } = await tlsMock(certs.server);
  const run = runBlinkSub([...ONE_PRICE, '--endpoint', mock.url, '--cacert', certs.ca.certPath]);

  const { code, stderr } = await run.result();
  assert.equal(code, 0, stderr);
});

integrationTest('a self-signed certificate is refused: exit 1, naming the certificate',
  async () => {
    const certs = await certificates();
    const { mock, url } = await tlsMock(certs.selfSigned);
    const run = runBlinkSub([...ONE_PRICE, '--endpoint', url]);

    const { code, lines, stderr } = await run.result();
    assert.equal(code, 1);
    assert.deepEqual(lines, []);
    assert.match(stderr, /certificate/i);
    assert.equal(mock.events.length, 0, 'no WebSocket upgrade over an untrusted connection');
  });

integrationTest('a certificate for another host name is refused even from a trusted CA',
  async () => {
    const certs = await certificates();
    const { mock, url } = await tlsMock(certs.otherHost);
    const run = runBlinkSub([...ONE_PRICE, '--endpoint', url, '--cacert', certs.ca.certPath]);

    const { code, lines, stderr } = await run.result();
    assert.equal(code, 1);
    assert.deepEqual(lines, []);
    assert.match(stderr, /host/i);
    assert.equal(mock.events.length, 0);
  });

integrationTest('--insecure connects despite a self-signed certificate, with a warning',
  async () => {
    const certs = await certificates();
    const { url } = await tlsMock(certs.selfSigned);
    const run = runBlinkSub([...ONE_PRICE, '--endpoint', url, '--insecure']);

    const { code, json, stderr } = await run.result();
    assert.equal(code, 0);
    assert.equal(json.length, 1);
    assert.match(stderr, /insecure|not (checked|verified)/i);
  });

integrationTest('--insecure also accepts a certificate for another host name', async () => {
  const certs = await certificates();
  const { url } = await tlsMock(certs.otherHost);
  const run = runBlinkSub([...ONE_PRICE, '--endpoint', url, '--insecure']);

  assert.equal((await run.result()).code, 0);
});

integrationTest('a wss:// endpoint that speaks plain WebSocket fails: exit 1', async () => {
  const mock = await startMock({ intervalMs: 20 });
  const run = runBlinkSub([...ONE_PRICE, '--endpoint', `wss://localhost:${mock.port}/graphql`]);

  const { code, lines } = await run.result();
  assert.equal(code, 1);
  assert.deepEqual(lines, []);
});
