// The benchmark harness, started by bench/run. It starts the flood servers, runs blink-sub,
// the graphql-ws reference client and the C floor side by side in interleaved rounds, and
// prints the medians as a Markdown table, also written to bench/results/latest.md (to
// quick.md for a --quick run).
//
// Each measurement runs under bench/build/probe, which launches the client and reads its
// stdout; this process only schedules runs and does no timing of its own.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { startFloodServer } from './common.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const BUILD = join(BENCH, 'build');
const PROBE = join(BUILD, 'probe');
const FLOOR = join(BUILD, 'floor');
const TIME = '/usr/bin/time';

// The document every client subscribes with; floor.c sends the same text. The flood server
// ignores it, but it is what a user of Blink's realtimePrice would send.
const QUERY =
  'subscription { realtimePrice(input: {currency: "USD"}) { errors { message } realtimePrice ' +
  '{ id timestamp denominatorCurrency btcSatPrice { base offset } usdCentPrice { base offset } ' +
  '} } }';

const USAGE = `usage: bench/run [--rounds N] [--messages N] [--quick]

  --rounds N     interleaved rounds; each figure is the median over them (default 3)
  --messages N   messages in the throughput flood (default 200000)
  --quick        a smoke run: 1 round, 20000 messages, short latency and idle windows`;

const TARGETS = {
  throughputVsReference: 5,
  throughputVsFloor: 0.25,
  rssMb: 10,
  firstLineMs: 5,
  latencyP99Ms: 0.5,
  idleCpuMsPerS: 1,
};

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      binary: { type: 'string' },
      rounds: { type: 'string' },
      messages: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick;
  const settings = {
    binary: values.binary,
    quick,
    rounds: Number(values.rounds ?? (quick ? 1 : 3)),
    messages: Number(values.messages ?? (quick ? 20_000 : 200_000)),
    launches: quick ? 3 : 10,
    latency: { rate: 100, seconds: quick ? 2 : 10 },
    idle: { rate: 10, seconds: quick ? 3 : 10 },
  };
  for (const name of ['rounds', 'messages']) {
    if (!Number.isInteger(settings[name]) || settings[name] < 1) {
      throw new Error(`--${name} must be a positive integer`);
    }
  }
  if (!settings.binary) throw new Error('--binary is required (bench/run passes it)');
  return settings;
}

// The clients' environment, without anything that would send blink-sub elsewhere (a proxy
// for ws:// URLs) or change what it does (Blink endpoint and credentials).
function clientEnvironment() {
  const environment = { ...process.env };
  for (const name of Object.keys(environment)) {
    if (/^(https?|all|no)_proxy$/i.test(name) || name.startsWith('BLINK_')) {
      delete environment[name];
    }
  }
  return environment;
}

// The command line of each client for an endpoint; `lines` asks the floor to print payloads.
const CLIENTS = [
  {
    name: 'blink-sub',
    command: (settings, url) => [
      settings.binary,
      'subscribe',
      '--endpoint',
      url,
      '--query',
      QUERY,
      '--retries',
      '0',
    ],
  },
  {
    name: 'reference',
    command: (settings, url) => [
      process.execPath,
      join(BENCH, 'reference-client.mjs'),
      '--endpoint',
      url,
      '--query',
      QUERY,
    ],
  },
  {
    name: 'floor',
    command: (settings, url, { lines }) => (lines ? [FLOOR, '--lines', url] : [FLOOR, url]),
  },
];

// Runs a program to its end and collects its output; rejects if it cannot start.
function run(argv, { env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? 128,
        signal,
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString(),
      }),
    );
  });
}

// One probe run of one client. Throws, with the client's stderr, unless the probe and the
// client both succeeded and the expected number of lines arrived.
async function probe(mode, probeFlags, argv, expectedLines, label) {
  const result = await run([PROBE, mode, ...probeFlags, '--', ...argv], {
    env: clientEnvironment(),
  });
  const report = result.code === 0 ? JSON.parse(result.stdout) : null;
  const problem =
    report === null
      ? `probe exited ${result.code}`
      : report.exit !== 0
        ? `client exited ${report.exit}`
        : report.lines !== expectedLines
          ? `${report.lines} lines instead of ${expectedLines}`
          : null;
  if (problem) {
    throw new Error(`${label}: ${problem}\n${result.stderr.trim()}`);
  }
  return { report, stderr: result.stderr };
}

function parseTimeReport(text) {
  const field = (label) => {
    const match = text.match(new RegExp(`${label}: ([0-9.]+)`));
    if (!match) throw new Error(`no "${label}" in the output of ${TIME} -v`);
    return Number(match[1]);
  };
  return {
    cpuS: field('User time \\(seconds\\)') + field('System time \\(seconds\\)'),
    rssMb: (field('Maximum resident set size \\(kbytes\\)') * 1024) / 1e6,
  };
}

// Throughput, CPU and peak RSS of one flood: the probe times launch to exit, /usr/bin/time
// reports the client's CPU and peak RSS.
async function measureFlood(client, settings, servers, scratch) {
  const timeFile = join(scratch, 'time.txt');
  const argv = [TIME, '-v', '-o', timeFile, ...client.command(settings, servers.flood, {})];
  const lines = client.name === 'floor' ? 0 : settings.messages;
  const { report, stderr } = await probe('drain', ['--timeout', '300'], argv, lines, client.name);
  if (client.name === 'floor' && !stderr.includes(`floor: ${settings.messages} next messages`)) {
    throw new Error(`floor: did not read ${settings.messages} messages\n${stderr.trim()}`);
  }
  const time = parseTimeReport(readFileSync(timeFile, 'utf8'));
  return { messagesPerS: settings.messages / report.seconds, ...time };
}

async function measureFirstLine(client, settings, servers) {
  const argv = client.command(settings, servers.first, { lines: true });
  const { report } = await probe('first', ['--timeout', '30'], argv, 1, client.name);
  return report.first_us / 1000;
}

async function measureStamped(client, settings, url, { rate, seconds }, flags) {
  const argv = client.command(settings, url, { lines: true });
  const timeout = ['--timeout', String(seconds + 60)];
  const expected = Math.round(rate * seconds);
  const { report } = await probe('stamp', [...timeout, ...flags], argv, expected, client.name);
  if (report.unstamped !== 0) throw new Error(`${client.name}: lines without sentAt`);
  return report;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// Round r runs the clients starting from the r-th, so none always goes first or last.
const rotated = (list, round) => list.map((_, i) => list[(i + round) % list.length]);

const FIGURES = [
  { key: 'messagesPerS', label: 'throughput, messages/s', digits: 0 },
  { key: 'cpuS', label: 'CPU for the flood, s (user+sys)', digits: 2 },
  { key: 'rssMb', label: 'peak RSS in the flood, MB', digits: 1 },
  { key: 'firstLineMs', label: 'launch to first line, ms', digits: 1 },
  { key: 'latencyP50Ms', label: 'latency p50 at 100 msg/s, ms', digits: 3 },
  { key: 'latencyP99Ms', label: 'latency p99 at 100 msg/s, ms', digits: 3 },
  { key: 'idleCpuMsPerS', label: 'CPU at 10 msg/s, ms per s', digits: 3 },
];

async function benchmark(settings, servers, scratch) {
  const samples = Object.fromEntries(
    CLIENTS.map((client) => [client.name, Object.fromEntries(FIGURES.map((f) => [f.key, []]))]),
  );
  const record = (client, key, value) => samples[client.name][key].push(value);
  for (let round = 0; round < settings.rounds; round += 1) {
    const clients = rotated(CLIENTS, round);
    const step = (what) => console.error(`round ${round + 1}/${settings.rounds}: ${what}`);

    step(`flood of ${settings.messages} messages`);
    for (const client of clients) {
      const flood = await measureFlood(client, settings, servers, scratch);
      for (const key of ['messagesPerS', 'cpuS', 'rssMb']) record(client, key, flood[key]);
    }

    step(`launch to first line, ${settings.launches} launches each`);
    const launches = Object.fromEntries(CLIENTS.map((client) => [client.name, []]));
    for (let launch = 0; launch < settings.launches; launch += 1) {
      for (const client of clients) {
        launches[client.name].push(await measureFirstLine(client, settings, servers));
      }
    }
    for (const client of clients) record(client, 'firstLineMs', median(launches[client.name]));

    const { latency, idle } = settings;
    step(`latency at ${latency.rate} msg/s for ${latency.seconds} s each`);
    for (const client of clients) {
      const report = await measureStamped(client, settings, servers.latency, latency, []);
      record(client, 'latencyP50Ms', report.p50_us / 1000);
      record(client, 'latencyP99Ms', report.p99_us / 1000);
    }

    step(`CPU at ${idle.rate} msg/s for ${idle.seconds} s each`);
    for (const client of clients) {
      const report = await measureStamped(client, settings, servers.idle, idle, ['--cpu']);
      record(client, 'idleCpuMsPerS', report.cpu_ms_per_s ?? Number.NaN);
    }
  }
  return samples;
}

function format(value, digits) {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

const ratio = (value, reference) =>
  Number.isFinite(value) && Number.isFinite(reference) && reference !== 0
    ? `${(value / reference).toFixed(value / reference < 0.1 ? 3 : 2)}x`
    : 'n/a';

function resultsTable(medians) {
  const rows = [
    '| figure | blink-sub | reference | floor | blink-sub / reference | floor / reference |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { key, label, digits } of FIGURES) {
    const [blink, reference, floor] = ['blink-sub', 'reference', 'floor'].map(
      (name) => medians[name][key],
    );
    const cells = [blink, reference, floor].map((value) => format(value, digits));
    const ratios = [ratio(blink, reference), ratio(floor, reference)];
    rows.push(`| ${label} | ${[...cells, ...ratios].join(' | ')} |`);
  }
  return rows.join('\n');
}

function targetLines(medians) {
  const blink = medians['blink-sub'];
  const versusReference = blink.messagesPerS / medians.reference.messagesPerS;
  const versusFloor = blink.messagesPerS / medians.floor.messagesPerS;
  const checks = [
    {
      target: `throughput >= ${TARGETS.throughputVsReference}x reference`,
      value: `${versusReference.toFixed(2)}x`,
      met: versusReference >= TARGETS.throughputVsReference,
    },
    {
      target: `throughput >= ${TARGETS.throughputVsFloor * 100}% of floor`,
      value: `${(versusFloor * 100).toFixed(1)}%`,
      met: versusFloor >= TARGETS.throughputVsFloor,
    },
    {
      target: `peak RSS <= ${TARGETS.rssMb} MB`,
      value: `${format(blink.rssMb, 1)} MB`,
      met: blink.rssMb <= TARGETS.rssMb,
    },
    {
      target: `first line <= ${TARGETS.firstLineMs} ms`,
      value: `${format(blink.firstLineMs, 1)} ms`,
      met: blink.firstLineMs <= TARGETS.firstLineMs,
    },
    {
      target: `latency p99 <= ${TARGETS.latencyP99Ms} ms`,
      value: `${format(blink.latencyP99Ms, 3)} ms`,
      met: blink.latencyP99Ms <= TARGETS.latencyP99Ms,
    },
    {
      target: `CPU at 10 msg/s < ${TARGETS.idleCpuMsPerS} ms per s`,
      value: `${format(blink.idleCpuMsPerS, 3)} ms per s`,
      met: blink.idleCpuMsPerS < TARGETS.idleCpuMsPerS,
    },
  ];
  return checks
    .map(({ target, value, met }) => `- ${target}: ${value}, ${met ? 'met' : 'missed'}`)
    .join('\n');
}

// Every measured value, round by round, so that a median can be checked against its inputs.
function roundsTable(samples, rounds) {
  const header = Array.from({ length: rounds }, (_, i) => `round ${i + 1}`);
  const rows = [
    `| client | figure | ${header.join(' | ')} |`,
    `| --- | --- | ${header.map(() => '---:').join(' | ')} |`,
  ];
  for (const client of CLIENTS) {
    for (const { key, label, digits } of FIGURES) {
      const values = samples[client.name][key].map((value) => format(value, digits));
      rows.push(`| ${client.name} | ${label} | ${values.join(' | ')} |`);
    }
  }
  return rows.join('\n');
}

async function firstLine(argv) {
  try {
    const result = await run(argv);
    return (result.stdout || result.stderr).split('\n')[0].trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

// The compiler blink-sub was built with, from its CMake cache when there is one.
function cxxCompiler(binary) {
  try {
    const cache = readFileSync(join(dirname(binary), 'CMakeCache.txt'), 'utf8');
    return cache.match(/^CMAKE_CXX_COMPILER:[A-Z]+=(.+)$/m)?.[1] ?? 'c++';
  } catch {
    return 'c++';
  }
}

async function machineInfo(settings) {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    nproc: (await firstLine(['nproc'])) || String(cpus().length),
    kernel: await firstLine(['uname', '-sr']),
    compiler: await firstLine([cxxCompiler(settings.binary), '--version']),
    blinkSub: await firstLine([settings.binary, '--version']),
    node: process.version,
    graphqlWs: JSON.parse(
      readFileSync(join(BENCH, 'node_modules', 'graphql-ws', 'package.json'), 'utf8'),
    ).version,
    loadBefore: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

function report(settings, machine, samples) {
  const medians = Object.fromEntries(
    Object.entries(samples).map(([name, figures]) => [
      name,
      Object.fromEntries(Object.entries(figures).map(([key, values]) => [key, median(values)])),
    ]),
  );
  const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const command = ['bench/run', settings.quick ? '--quick' : null]
    .concat(`--rounds ${settings.rounds}`, `--messages ${settings.messages}`)
    .filter(Boolean)
    .join(' ');
  return `# blink-sub benchmark

Medians over ${settings.rounds} interleaved round(s); ratios are to the reference client
(graphql-ws ${machine.graphqlWs} on Node ${machine.node}) in the same run.

${resultsTable(medians)}

Targets for blink-sub:

${targetLines(medians)}

Run:

- command: \`${command}\`
- flood: ${settings.messages} messages, stdout on a pipe; CPU and peak RSS from ${TIME} -v
- first line: ${settings.launches} launches per client and round, median per round
- latency: ${settings.latency.rate} msg/s for ${settings.latency.seconds} s per client and round
- CPU at ${settings.idle.rate} msg/s: between the first and last line of ${settings.idle.seconds} s

Machine:

- CPU: ${machine.cpu}, ${machine.nproc} CPUs; kernel: ${machine.kernel}
- ${machine.blinkSub}, compiled with ${machine.compiler}
- date: ${machine.date}; load average ${machine.loadBefore} before the run, ${loadAfter} after

## Every round

${roundsTable(samples, settings.rounds)}
`;
}

const pacedArgs = ({ rate, seconds }) => [
  '--mode',
  'paced',
  '--rate',
  String(rate),
  '--seconds',
  String(seconds),
];

async function main() {
  let settings;
  try {
    settings = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  const machine = await machineInfo(settings);
  const scratch = mkdtempSync(join(tmpdir(), 'blink-sub-bench-'));
  const started = [];
  const stopAll = () => {
    for (const server of started.splice(0)) server.stop();
    rmSync(scratch, { recursive: true, force: true });
  };
  process.on('exit', stopAll);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.once(signal, () => process.exit(code));
  }
  const serverArgs = {
    flood: ['--mode', 'flood', '--messages', String(settings.messages)],
    first: ['--mode', 'first'],
    latency: pacedArgs(settings.latency),
    idle: pacedArgs(settings.idle),
  };
  const servers = {};
  for (const [name, args] of Object.entries(serverArgs)) {
    const server = await startFloodServer(args);
    started.push(server);
    servers[name] = server.url;
  }

  const samples = await benchmark(settings, servers, scratch);
  const markdown = report(settings, machine, samples);
  // A smoke run does not replace the figures of the last full one.
  const file = join('results', settings.quick ? 'quick.md' : 'latest.md');
  mkdirSync(join(BENCH, 'results'), { recursive: true });
  writeFileSync(join(BENCH, file), markdown);
  process.stdout.write(markdown);
  console.error(`written to bench/${file}`);
  stopAll();
}

main().catch((error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
