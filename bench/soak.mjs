// The soak test, started by bench/soak. blink-sub reads a million `next` messages from the
// flood server twice, once as fast as they come and once at a steady rate, with its stdout on
// a pipe read here; its memory is read from /proc/PID/status throughout. The report, printed
// and written to bench/results/soak.md, shows whether memory stays flat once the stream is
// under way. Exits 1, with a one-line reason, when it does not or a line is missing.
import { parseArgs } from 'node:util';

import {
  format,
  launch,
  loadAverage,
  machineInfo,
  memoryOf,
  startFloodServer,
  writeReport,
} from './common.mjs';

// The document blink-sub subscribes with, as in harness.mjs; the flood server ignores it.
const QUERY =
  'subscription { realtimePrice(input: {currency: "USD"}) { errors { message } realtimePrice ' +
  '{ id timestamp denominatorCurrency btcSatPrice { base offset } usdCentPrice { base offset } ' +
  '} } }';

// Memory is flat when neither VmRSS nor RssAnon ends more than this above its value once the
// first 10% of the messages are in: a quarter of a byte per message over the other 90% of a
// million, far below the smallest allocation a leak per message could hold on to.
const GROWTH_LIMIT_KB = 256;

// The share of the messages after which the stream counts as under way: buffers have grown
// to their working size and the pages of the code that handles a message are resident.
const WARM_SHARE = 0.1;

const USAGE = `usage: bench/soak [--messages N] [--rate R] [--sample-ms MS]

  --messages N    messages in each of the two runs (default 1000000)
  --rate R        messages a second in the steady run (default 20000)
  --sample-ms MS  time between memory samples (default 100); one is also taken at every
                  1% of the messages`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      binary: { type: 'string' },
      messages: { type: 'string', default: '1000000' },
      rate: { type: 'string', default: '20000' },
      'sample-ms': { type: 'string', default: '100' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const settings = {
    binary: values.binary,
    messages: Number(values.messages),
    rate: Number(values.rate),
    sampleMs: Number(values['sample-ms']),
  };
  for (const [name, value] of [
    ['messages', settings.messages],
    ['rate', settings.rate],
    ['sample-ms', settings.sampleMs],
  ]) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`--${name} must be a positive integer`);
    }
  }
  if (settings.messages < 100) throw new Error('--messages must be at least 100');
  if (!settings.binary) throw new Error('--binary is required (bench/soak passes it)');
  return settings;
}

// Rejects after `ms` unless `promise` settles first; the bound on a run that hangs.
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// One run: blink-sub subscribes, reads `messages` messages and exits at `complete`. Memory is
// sampled every sampleMs, and whenever the count of lines read passes another 1% of them.
async function soak(settings, run) {
  const server = await startFloodServer(run.serverArgs);
  try {
    const started = performance.now();
    const samples = [];
    let client = null;
    const sample = () => {
      const memory = memoryOf(client.pid);
      if (memory) {
        const seconds = (performance.now() - started) / 1000;
        samples.push({ seconds, lines: client.lines, ...memory });
      }
    };
    const step = settings.messages / 100;
    let mark = step;
    client = launch(
      settings.binary,
      ['subscribe', '--endpoint', server.url, '--query', QUERY, '--retries', '0'],
      {
        onChunk: (lines) => {
          if (lines < mark) return;
          sample();
          mark = (Math.floor(lines / step) + 1) * step;
        },
      },
    );
    const sampler = setInterval(sample, settings.sampleMs);
    let exit;
    try {
      exit = await within(client.exited, run.boundMs, `the ${run.name} run`);
    } finally {
      clearInterval(sampler);
      client.child.kill('SIGKILL');
    }
    const seconds = (performance.now() - started) / 1000;
    return { ...run, seconds, exit, lines: client.lines, client, samples };
  } finally {
    server.stop();
  }
}

// The first sample of the last stretch over which `key` did not change.
function lastChange(samples, key) {
  let index = samples.length - 1;
  while (index > 0 && samples[index - 1][key] === samples[index][key]) index -= 1;
  return samples[index];
}

// What the samples of one run say, and the first problem found with the run, if any.
function analyse(settings, result) {
  const { samples } = result;
  const warm = samples.find((s) => s.lines >= WARM_SHARE * settings.messages);
  const end = samples.at(-1);
  const problems = [];
  if (result.exit.code !== 0) {
    problems.push(`blink-sub exited ${result.exit.code ?? result.exit.signal}`);
  }
  if (result.lines !== settings.messages) {
    problems.push(`${result.lines} lines on stdout instead of ${settings.messages}`);
  }
  for (const [which, line] of [
    ['first', result.client.firstLine],
    ['last', result.client.lastLine],
  ]) {
    let payload = null;
    try {
      payload = JSON.parse(line);
    } catch {
      // reported below
    }
    if (!payload?.data?.realtimePrice?.realtimePrice) {
      const start = String(line).slice(0, 80);
      problems.push(`the ${which} line is not a realtimePrice payload: ${start}`);
    }
  }
  if (!warm || warm === end) {
    problems.push('no memory sample after the first 10% of the messages');
    return { problems };
  }
  const after = samples.slice(samples.indexOf(warm));
  const spread = (key) =>
    Math.max(...after.map((s) => s[key])) - Math.min(...after.map((s) => s[key]));
  const figures = {
    warm,
    end,
    rssGrowth: end.rss - warm.rss,
    anonGrowth: end.anon - warm.anon,
    rssSpread: spread('rss'),
    anonSpread: spread('anon'),
    peak: Math.max(...samples.map((s) => s.hwm)),
    rssSettled: lastChange(samples, 'rss'),
    anonSettled: lastChange(samples, 'anon'),
  };
  for (const [label, growth] of [
    ['VmRSS', figures.rssGrowth],
    ['RssAnon', figures.anonGrowth],
  ]) {
    if (growth > GROWTH_LIMIT_KB) {
      problems.push(
        `${label} grew ${growth} KiB from ${format(warm.lines)} to ${format(end.lines)} messages ` +
          `(limit ${GROWTH_LIMIT_KB} KiB)`,
      );
    }
  }
  return { problems, ...figures };
}

// The first sample, the first at or past every tenth of the messages, and the last one.
function samplesTable(settings, samples) {
  if (samples.length === 0) return 'No samples: blink-sub exited before the first.';
  const rows = [
    '| time since launch, s | messages read | VmRSS, KiB | RssAnon, KiB | RssFile, KiB |',
    '| ---: | ---: | ---: | ---: | ---: |',
  ];
  const picked = [samples[0]];
  for (let tenth = 1; tenth <= 10; tenth += 1) {
    const found = samples.find((s) => s.lines >= (tenth / 10) * settings.messages);
    picked.push(found ?? samples.at(-1));
  }
  picked.push(samples.at(-1));
  for (const s of picked.filter((s, i) => picked.indexOf(s) === i)) {
    const cells = [s.seconds, s.lines, s.rss, s.anon, s.file].map((value, i) =>
      format(value, i === 0 ? 2 : 0),
    );
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

// One column per run, one row per figure.
function summaryTable(runs) {
  const signed = (value) => `${value > 0 ? '+' : ''}${format(value)}`;
  const settled = (sample) =>
    sample ? `${format(sample.lines)} (${format(sample.seconds, 1)} s)` : 'n/a';
  const figures = [
    ['lines on stdout', ({ result }) => format(result.lines)],
    ['time, s', ({ result }) => format(result.seconds, 1)],
    ['memory samples', ({ result }) => format(result.samples.length)],
    ['VmRSS after 10% of the messages, KiB', ({ analysis }) => format(analysis.warm?.rss)],
    ['VmRSS at the end, KiB', ({ analysis }) => format(analysis.end?.rss)],
    ['VmRSS growth from 10% to the end, KiB', ({ analysis }) => signed(analysis.rssGrowth)],
    ['VmRSS spread from 10% to the end, KiB', ({ analysis }) => format(analysis.rssSpread)],
    ['RssAnon after 10% of the messages, KiB', ({ analysis }) => format(analysis.warm?.anon)],
    ['RssAnon at the end, KiB', ({ analysis }) => format(analysis.end?.anon)],
    ['RssAnon growth from 10% to the end, KiB', ({ analysis }) => signed(analysis.anonGrowth)],
    ['RssAnon spread from 10% to the end, KiB', ({ analysis }) => format(analysis.anonSpread)],
    ['VmRSS unchanged from, messages read', ({ analysis }) => settled(analysis.rssSettled)],
    ['RssAnon unchanged from, messages read', ({ analysis }) => settled(analysis.anonSettled)],
    ['peak (VmHWM), KiB', ({ analysis }) => format(analysis.peak)],
    ['result', ({ analysis }) => (analysis.problems.length === 0 ? 'flat' : 'FAILED')],
  ];
  const rows = [
    `| figure | ${runs.map(({ result }) => result.name).join(' | ')} |`,
    `| --- | ${runs.map(() => '---:').join(' | ')} |`,
  ];
  for (const [label, cell] of figures) {
    rows.push(`| ${label} | ${runs.map((run) => cell(run)).join(' | ')} |`);
  }
  return rows.join('\n');
}

function report(settings, machine, runs) {
  const sections = runs.map(
    ({ result, analysis }) => `## ${result.name}: ${result.description}

${format(result.samples.length)} samples; the table shows the first, the first at or past each
tenth of the messages, and the last, taken before blink-sub exited.

${samplesTable(settings, result.samples)}
${analysis.problems.length ? `\nProblems: ${analysis.problems.join('; ')}.\n` : ''}`,
  );
  return `# blink-sub soak test

blink-sub reads ${format(settings.messages)} \`next\` messages from the flood server in each run,
stdout on a pipe whose lines are counted; its memory is read from \`/proc/PID/status\` every
${settings.sampleMs} ms and at every 1% of the messages. KiB are the kernel's kB (1,024 bytes).

${summaryTable(runs)}

Criterion: memory is flat when neither VmRSS nor RssAnon ends more than ${GROWTH_LIMIT_KB} KiB above
its sample after the first 10% of the messages, every message arrived, and blink-sub exited 0.
Spread is the largest minus the smallest sample from 10% to the end; "unchanged from" is the
first sample of the last stretch of equal samples, up to the end; peak is VmHWM.

${sections.join('\n')}
Run:

- command: \`bench/soak --messages ${settings.messages} --rate ${settings.rate} \
--sample-ms ${settings.sampleMs}\`
- blink-sub: \`subscribe --retries 0\`, default keepalive (30 s), over \`ws://\` on loopback

Machine:

- CPU: ${machine.cpu}, ${machine.nproc} CPUs; kernel: ${machine.kernel}
- ${machine.blinkSub}; Node ${machine.node} for the server and the reader
- date: ${machine.date}; load average ${machine.loadBefore} before the run, ${loadAverage()} after
`;
}

async function main() {
  let settings;
  try {
    settings = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`soak: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  const machine = await machineInfo(settings.binary);
  const steadySeconds = settings.messages / settings.rate;
  const plan = [
    {
      name: 'flood',
      description: 'the messages back to back, as fast as the socket takes them',
      serverArgs: ['--mode', 'flood', '--messages', String(settings.messages)],
      boundMs: 300_000,
    },
    {
      name: 'steady',
      description: `${format(settings.rate)} messages a second, about ${format(steadySeconds)} s`,
      serverArgs: [
        '--mode',
        'steady',
        '--messages',
        String(settings.messages),
        '--rate',
        String(settings.rate),
      ],
      boundMs: (steadySeconds + 120) * 1000,
    },
  ];
  const runs = [];
  for (const run of plan) {
    console.error(`soak: ${run.name}: ${format(settings.messages)} messages, ${run.description}`);
    const result = await soak(settings, run);
    runs.push({ result, analysis: analyse(settings, result) });
  }
  writeReport('soak', report(settings, machine, runs));
  const failed = runs.find(({ analysis }) => analysis.problems.length > 0);
  if (failed) {
    const { result, analysis } = failed;
    const stderr = result.client.stderr.trim();
    console.error(`soak: ${result.name}: ${analysis.problems[0]}${stderr ? `\n${stderr}` : ''}`);
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(`soak: ${error.message}`);
  process.exit(1);
});
