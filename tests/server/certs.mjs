// Test certificates, made at run time with the openssl command in a fresh temporary folder:
// nothing secret is committed, and nothing outlives the test run that asked for it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const DAYS = '2';

async function openssl(dir, args) {
  try {
    await run('openssl', args, { cwd: dir });
  } catch (error) {
    throw new Error(`openssl ${args[0]} failed: ${error.stderr || error.message}`);
  }
}

// Arguments of `openssl req` that make a new unencrypted P-256 key in `keyFile`.
const newKeyArgs = (keyFile) => [
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:prime256v1',
  '-nodes',
  '-keyout',
  keyFile,
];

async function makeCa(dir) {
  await openssl(dir, [
    'req', '-x509', ...newKeyArgs('ca.key'), '-out', 'ca.pem', '-days', DAYS,
    '-subj', '/CN=blink-sub test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

// A leaf certificate `name`.pem (key `name`.key) for `altNames`, signed by the test CA.
async function makeSigned(dir, name, commonName, altNames) {
  const extensions = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${altNames}`,
  ];
  await writeFile(path.join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  await openssl(dir, [
    'req', '-new', ...newKeyArgs(`${name}.key`), '-out', `${name}.csr`,
    '-subj', `/CN=${commonName}`,
  ]);
  await openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-CAcreateserial', '-days', DAYS, '-extfile', `${name}.ext`, '-out', `${name}.pem`,
  ]);
}

async function makeSelfSigned(dir, name, commonName, altNames) {
  await openssl(dir, [
    'req', '-x509', ...newKeyArgs(`${name}.key`), '-out', `${name}.pem`, '-days', DAYS,
    '-subj', `/CN=${commonName}`,
    '-addext', `subjectAltName=${altNames}`,
  ]);
}

// Makes, in a new temporary folder:
//   ca          a certificate authority (certPath only is of use to clients)
//   server      localhost and IP 127.0.0.1, signed by ca
//   selfSigned  localhost and IP 127.0.0.1, signed by itself
//   otherHost   other.example only, signed by ca
// Each entry has certPath and keyPath, and cert and key as PEM text. remove() deletes it all.
export async function makeCertificates() {
  const dir = await mkdtemp(path.join(tmpdir(), 'blink-sub-certs-'));
  const local = 'DNS:localhost,IP:127.0.0.1';
  // One after another: signing updates the CA's serial number file.
  await makeCa(dir);
  await makeSigned(dir, 'server', 'localhost', local);
  await makeSigned(dir, 'other', 'other.example', 'DNS:other.example');
  await makeSelfSigned(dir, 'self-signed', 'localhost', local);

  const load = async (name) => {
    const certPath = path.join(dir, `${name}.pem`);
    const keyPath = path.join(dir, `${name}.key`);
    return {
      certPath,
      keyPath,
      cert: await readFile(certPath, 'utf8'),
      key: await readFile(keyPath, 'utf8'),
    };
  };
  return {
    dir,
    ca: await load('ca'),
    server: await load('server'),
    selfSigned: await load('self-signed'),
    otherHost: await load('other'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
