// docs/blink-sub.1 against what the binary says about itself in --help: every subcommand,
// option, environment variable and exit code listed there has an entry in the man page, and
// the page renders without a warning.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { integrationTest, runBlinkSub } from './harness.mjs';

const MAN_PAGE = fileURLToPath(new URL('../../docs/blink-sub.1', import.meta.url));
const MAN_WIDTH = 80;

async function help(args) {
  const { code, stdout, stderr } = await runBlinkSub([...args, '--help'], { json: false }).result();
  assert.equal(code, 0, stderr);
  return stdout;
}

// What --help lists, read from the text itself.
async function helpListing() {
  const main = await help([]);
  const subcommandSection = main.split('\nSubcommands:\n')[1].split('\n\n');
  const subcommands = subcommandSection.map((entry) => entry.split('\n')[0]).filter(
    (line) => /^[a-z][a-z-]*$/.test(line),
  );
  assert.ok(subcommands.length >= 6, `no subcommands found in --help:\n${main}`);

  let everything = main;
  for (const subcommand of subcommands) everything += await help([subcommand]);
  const options = new Set(everything.match(/(?<=^|[ ,])--?[a-z][a-z-]*/gm));

  const exitCodes = main.split('\nExit codes:\n')[1].split('\n')
    .map((line) => line.match(/^\s+(\d+)\s{2}/)?.[1]).filter(Boolean);
  const variables = new Set(everything.match(/\b[A-Z][A-Z_]*_(?:ENDPOINT|KEY|TOKEN|PROXY)\b/g));
  return { subcommands, options: [...options], exitCodes, variables: [...variables] };
}

// The plain text of a roff line: macro name, font changes and escapes removed. Alternating-font
// macros (.BR, .BI, ...) join their arguments without spaces, as troff does.
function plain(line) {
  const unescape = (text) => text
    .replace(/\\f(?:\[[^\]]*\]|.)/g, '')
    .replace(/\\\(aq/g, "'")
    .replace(/\\-/g, '-')
    .replace(/\\e/g, '\\')
    .replace(/\\ /g, ' ');
  const macro = line.match(/^\.([A-Z]{1,2})\s*(.*)$/);
  if (!macro) return unescape(line);
  const args = [...macro[2].matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
  return unescape(args.join(/^[BIR]{2}$/.test(macro[1]) ? '' : ' '));
}

// The tag of every .TP / .TQ entry, by section (.SH) name.
function manEntries() {
  const lines = readFileSync(MAN_PAGE, 'utf8').split('\n');
  const entries = {};
  let section = '';
  lines.forEach((line, index) => {
    if (line.startsWith('.SH ')) {
      section = plain(line);
      entries[section] = [];
    } else if (/^\.(TP|TQ)\b/.test(line)) {
      entries[section].push(plain(lines[index + 1]));
    }
  });
  return entries;
}

const words = (tag) => tag.split(/[\s,|]+/);

integrationTest('the man page has an entry for every subcommand and option in --help', async () => {
  const { subcommands, options } = await helpListing();
  const entries = manEntries();

  for (const subcommand of subcommands) {
    assert.ok(entries.SUBCOMMANDS.some((tag) => words(tag)[0] === subcommand),
      `no entry for subcommand ${subcommand} under SUBCOMMANDS`);
  }
  const allTags = Object.values(entries).flat();
  for (const option of options) {
    assert.ok(allTags.some((tag) => words(tag).includes(option)), `no entry for ${option}`);
  }
});

integrationTest('the man page has an entry for each exit code and variable in --help', async () => {
  const { exitCodes, variables } = await helpListing();
  const entries = manEntries();

  assert.deepEqual(exitCodes, ['0', '1', '2', '3', '4', '5', '130', '143']);
  assert.deepEqual(entries['EXIT STATUS'], exitCodes);
  assert.ok(variables.length >= 7, `variables found in --help: ${variables}`);
  for (const variable of variables) {
    assert.ok(entries.ENVIRONMENT.some((tag) => words(tag).includes(variable)),
      `no entry for ${variable} under ENVIRONMENT`);
  }
});

integrationTest('the man page names the version that --version prints', async () => {
  const { stdout } = await runBlinkSub(['--version'], { json: false }).result();
  const title = readFileSync(MAN_PAGE, 'utf8').split('\n').find((line) => line.startsWith('.TH '));
  assert.ok(title.includes(`"${stdout.trim()}"`), `${title} vs ${stdout}`);
});

integrationTest('groff renders the man page without a single warning', () => {
  const result = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', MAN_PAGE], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
});

integrationTest('man -l renders every section within the terminal width', () => {
  const result = spawnSync('man', ['--warnings', '-l', MAN_PAGE], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, MANWIDTH: String(MAN_WIDTH), MANPAGER: 'cat', LANG: 'C.UTF-8' },
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  for (const section of ['NAME', 'SYNOPSIS', 'SUBCOMMANDS', 'GLOBAL OPTIONS', 'EXIT STATUS',
    'ENVIRONMENT', 'EXAMPLES']) {
    assert.match(result.stdout, new RegExp(`^${section}$`, 'm'));
  }
  const long = result.stdout.split('\n').filter((line) => [...line].length > MAN_WIDTH);
  assert.deepEqual(long, [], 'lines wider than the page');
});
