// A real HTTP CONNECT proxy for tests: Debian's tinyproxy, run in the foreground on 127.0.0.1
// with a configuration written to a fresh temporary folder. Its log (stdout) is kept, so that a
// test can check which tunnels it opened.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const START_TIMEOUT_MS = 10_000;

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// Starts tinyproxy on 127.0.0.1:`port`. Options: connectPorts (the only ports CONNECT may
// reach; tinyproxy allows every port when the list is empty), basicAuth ({user, password}:
// required credentials). Returns { port, url, log(), tunnelsTo(hostAndPort), close() }.
export async function startTinyproxy({ port, connectPorts = [], basicAuth = null }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'blink-sub-proxy-'));
  const config = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Allow 127.0.0.1',
    // Info is the level that reports both each request line and readiness.
    'LogLevel Info',
    'MaxClients 20',
    ...connectPorts.map((allowed) => `ConnectPort ${allowed}`),
  ];
  if (basicAuth) config.push(`BasicAuth ${basicAuth.user} ${basicAuth.password}`);
  const configPath = path.join(dir, 'tinyproxy.conf');
  await writeFile(configPath, `${config.join('\n')}\n`);

  // -d keeps it in the foreground, logging to stdout; without a User line it stays the user
  // that started it (root only gets a warning), and without PidFile it writes no pid file.
  const child = spawn('tinyproxy', ['-d', '-c', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise((resolve) => {
    child.once('close', resolve);
    child.once('error', (error) => {
      const hint = error.code === 'ENOENT' ? '; install it with scripts/setup.sh --tests' : '';
      output += `cannot start tinyproxy: ${error.message}${hint}\n`;
      resolve();
    });
  });

  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    running.delete(child);
    await rm(dir, { recursive: true, force: true });
  };

  // tinyproxy logs this line once it listens; a connection then confirms it.
  const ready = await new Promise((resolve) => {
    const timer = setTimeout(() => done(false), START_TIMEOUT_MS);
    const check = () => {
      if (output.includes('Accepting connections')) done(true);
    };
    const done = (value) => {
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve(value);
    };
    child.stdout.on('data', check);
    exited.then(() => done(false));
    check();
  });
  if (!ready || !(await canConnect(port))) {
    await close();
    throw new Error(`tinyproxy did not start on 127.0.0.1:${port}:\n${output}`);
  }

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    log: () => output,
    // Whether tinyproxy received a CONNECT request for `hostAndPort`.
    tunnelsTo: (hostAndPort) => output.includes(`CONNECT ${hostAndPort} HTTP/1.1`),
    close,
  };
}
