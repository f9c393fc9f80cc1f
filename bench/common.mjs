// What the soak test (soak.mjs) and the drop drill (drill.mjs) share: blink-sub launched with
// its stdout on a pipe that is read line by line, its memory read from /proc, and the
// report's machine lines.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH = dirname(fileURLToPath(import.meta.url));

// blink-sub's environment, without anything that would send it elsewhere (a proxy for ws://
// URLs) or change what it does (Blink endpoint and credentials).
export function clientEnvironment() {
  const environment = { ...process.env };
  for (const name of Object.keys(environment)) {
    if (/^(https?|all|no)_proxy$/i.test(name) || name.startsWith('BLINK_')) {
      delete environment[name];
    }
  }
  return environment;
}

// Every child started here, so that no exit path, a failed check or a signal included,
// leaves one running.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => process.exit(code));
}

export function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

// The flood server in its own process, so that its CPU is not charged to anything measured; it
// exits when its stdin ends. Resolves once it listens, with its URL and a way to stop it.
export async function startFloodServer(args) {
  const child = track(
    spawn(process.execPath, [join(BENCH, 'flood-server.mjs'), ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const url = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.trim());
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`flood server exited ${code} before listening`)));
  });
  return {
    url,
    stop() {
      child.stdin.end();
      child.kill();
    },
  };
}

// blink-sub with its stdout on a pipe read here. Lines are counted as they arrive (a count of
// newline bytes, so that a flood of a million is read faster than it is written); `onLine`,
// when given, also receives each line's text. `exited` resolves with { code, signal }.
export function launch(binary, args, { onLine = null, onChunk = null } = {}) {
  const child = track(
    spawn(binary, args, { env: clientEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const client = {
    pid: child.pid,
    child,
    lines: 0,
    firstLine: null,
    lastLine: null,
    stderr: '',
    exited: null,
  };
  // The start of a line that the last chunk did not finish.
  let pending = Buffer.alloc(0);
  child.stdout.on('data', (chunk) => {
    const head = pending;
    const text = (from, to) =>
      from === 0 && head.length > 0
        ? Buffer.concat([head, chunk.subarray(0, to)]).toString()
        : chunk.toString('utf8', from, to);
    let start = 0;
    let last = null;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      client.lines += 1;
      // Only the first and last lines are turned into text, unless every line is asked for.
      if (client.firstLine === null) client.firstLine = text(start, end);
      onLine?.(text(start, end), client.lines);
      last = [start, end];
      start = end + 1;
    }
    if (last) {
      client.lastLine = text(...last);
      pending = chunk.subarray(start);
    } else {
      pending = Buffer.concat([head, chunk]);
    }
    onChunk?.(client.lines);
  });
  child.stderr.on('data', (chunk) => {
    client.stderr += chunk;
  });
  client.exited = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return client;
}

// The memory lines of /proc/PID/status, in kB (KiB) as the kernel reports them, or null once
// the process has exited (a zombie's status has no Vm lines).
export function memoryOf(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const field = (name) => {
    const match = text.match(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm'));
    return match ? Number(match[1]) : null;
  };
  const rss = field('VmRSS');
  if (rss === null) return null;
  return {
    rss,
    anon: field('RssAnon'),
    file: field('RssFile'),
    shmem: field('RssShmem'),
    hwm: field('VmHWM'),
  };
}

async function firstLine(argv) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk) => {
      text += chunk;
    });
    child.on('error', () => resolve('unknown'));
    child.on('close', () => resolve(text.split('\n')[0].trim() || 'unknown'));
  });
}

export const loadAverage = () =>
  readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

export async function machineInfo(binary) {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    nproc: cpus().length,
    kernel: await firstLine(['uname', '-sr']),
    blinkSub: await firstLine([binary, '--version']),
    node: process.version,
    loadBefore: loadAverage(),
  };
}

// Prints the report and keeps it as bench/results/NAME.md.
export function writeReport(name, markdown) {
  mkdirSync(join(BENCH, 'results'), { recursive: true });
  writeFileSync(join(BENCH, 'results', `${name}.md`), markdown);
  process.stdout.write(markdown);
  console.error(`written to bench/results/${name}.md`);
}

export function format(value, digits = 0) {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
