// `cmake --install` into a temporary prefix, then each shell loads the installed completion
// script the way it finds one on a real system, and completes command lines with it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

import { blinkSubBinary, integrationTest } from './harness.mjs';

const ZSH_DRIVER = fileURLToPath(new URL('zsh_complete.zsh', import.meta.url));
const COMMAND_TIMEOUT_MS = 20_000;

let root;
let prefix;
let home;

// The standard places, relative to the prefix.
const INSTALLED = {
  binary: 'bin/blink-sub',
  manPage: 'share/man/man1/blink-sub.1',
  bash: 'share/bash-completion/completions/blink-sub',
  zsh: 'share/zsh/vendor-completions/_blink-sub',
  fish: 'share/fish/vendor_completions.d/blink-sub.fish',
};

function run(command, args, { env = {} } = {}) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: COMMAND_TIMEOUT_MS,
    cwd: root,
    // A home of its own: no user's shell configuration, and nothing written to the real one.
    env: {
      PATH: `${prefix}/bin:${process.env.PATH}`,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local/share'),
      ...env,
    },
  });
  if (result.error) throw result.error;
  return result;
}

function runOk(command, args, options) {
  const result = run(command, args, options);
  assert.equal(result.status, 0, `${command} ${args.join(' ')}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'blink-sub-install-'));
  prefix = path.join(root, 'usr');
  home = path.join(root, 'home');
  mkdirSync(home);
  const buildDir = path.dirname(blinkSubBinary());
  runOk(process.env.CMAKE_COMMAND || 'cmake', ['--install', buildDir, '--prefix', prefix]);
});

after(() => rmSync(root, { recursive: true, force: true }));

integrationTest('cmake --install puts the binary, man page and completions in place', () => {
  for (const file of Object.values(INSTALLED)) {
    assert.ok(statSync(path.join(prefix, file)).size > 0, `${file} is empty`);
  }
  assert.ok(statSync(path.join(prefix, INSTALLED.binary)).mode & 0o111, 'binary not executable');
  assert.match(runOk(path.join(prefix, INSTALLED.binary), ['--version']), /^blink-sub \d/);
});

integrationTest('the installed scripts are what `blink-sub completion SHELL` prints', () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const printed = runOk(blinkSubBinary(), ['completion', shell]);
    assert.equal(readFileSync(path.join(prefix, INSTALLED[shell]), 'utf8'), printed, shell);
  }
});

// Each case: the words of the command line as bash splits them (the last one is being
// completed), and the candidates expected.
const BASH_CASES = [
  [['blink-sub', 'pr'], ['price']],
  [['blink-sub', 'price', '--am'], ['--amount', '--amount-unit']],
  [['blink-sub', 'price', '--amount-unit', ''], ['BTCSAT', 'USDCENT']],
  [['blink-sub', 'price', '--amount-unit', '=', 'U'], ['USDCENT']],
  [['blink-sub', 'price', '--payment-'], []],
  [['blink-sub', 'invoice-status', '--payment-'], ['--payment-request', '--payment-hash']],
  [['blink-sub', '--count', '3', 'realt'], ['realtime-price']],
  [['blink-sub', '-e', 'price', 'pr'], ['price']],
  [['blink-sub', 'completion', ''], ['bash', 'zsh', 'fish']],
  [['blink-sub', 'my-updates', '--api'], ['--api-key']],
];

// A bash script that calls the completion function registered for blink-sub as bash would,
// once per case, and prints the candidates of each on one line.
function bashSimulation(load) {
  const calls = BASH_CASES.map(
    ([words]) => `complete_words ${words.map((word) => JSON.stringify(word)).join(' ')}`,
  );
  return `${load}
complete -p blink-sub || exit 1
function=$(complete -p blink-sub | sed -E 's/.*-F ([^ ]+).*/\\1/')
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=\${#COMP_LINE}
    COMPREPLY=()
    "$function" blink-sub "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
    echo "\${COMPREPLY[*]}"
}
${calls.join('\n')}
`;
}

function assertBashCases(stdout) {
  const lines = stdout.split('\n');
  assert.match(lines[0], /^complete -F \S+ blink-sub$/);
  BASH_CASES.forEach(([words, expected], index) => {
    const got = lines[index + 1].split(' ').filter(Boolean);
    assert.deepEqual(got, expected, `bash completing "${words.join(' ')}"`);
  });
}

integrationTest('bash-completion finds the installed script and bash completes with it', () => {
  const load = 'source /usr/share/bash-completion/bash_completion && _completion_loader blink-sub';
  const stdout = runOk('bash', ['--norc', '--noprofile', '-c', bashSimulation(load)], {
    env: { XDG_DATA_DIRS: `${prefix}/share:/usr/share` },
  });
  assertBashCases(stdout);
});

integrationTest('bash completes with the script sourced by hand, without bash-completion', () => {
  const load = 'source <(blink-sub completion bash)';
  assertBashCases(runOk('bash', ['--norc', '--noprofile', '-c', bashSimulation(load)]));
});

integrationTest('zsh autoloads _blink-sub from vendor-completions and completes with it', () => {
  const fpathDir = path.join(prefix, path.dirname(INSTALLED.zsh));
  const registered = runOk('zsh', ['-f', '-c', `fpath=(${fpathDir} $fpath)
autoload -Uz compinit && compinit -u -D
print -r -- $_comps[blink-sub]`]);
  assert.equal(registered, '_blink-sub\n');

  // Lines with one completion only, so that the edit buffer shows the result.
  const cases = [
    ['blink-sub pr', 'blink-sub price '],
    ['blink-sub price --amount-u', 'blink-sub price --amount-unit='],
    ['blink-sub price --amount-unit U', 'blink-sub price --amount-unit USDCENT '],
    ['blink-sub --count 3 realt', 'blink-sub --count 3 realtime-price '],
    ['blink-sub invoice-status --payment-r', 'blink-sub invoice-status --payment-request='],
    ['blink-sub completion z', 'blink-sub completion zsh '],
  ];
  const stdout = runOk('zsh', ['-f', ZSH_DRIVER, fpathDir, ...cases.map(([line]) => line)]);
  assert.deepEqual(stdout.split('\n').slice(0, -1), cases.map(([, completed]) => completed));
});

integrationTest('zsh registers the script sourced by hand after compinit', () => {
  const stdout = runOk('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D
source <(blink-sub completion zsh)
print -r -- $_comps[blink-sub] $+functions[_blink-sub]`]);
  assert.equal(stdout, '_blink-sub 1\n');
});

integrationTest('fish loads the script from vendor_completions.d and completes with it', () => {
  const cases = [
    ['blink-sub pr', ['price']],
    ['blink-sub price --am', ['--amount', '--amount-unit']],
    ['blink-sub price --amount-unit ', ['BTCSAT', 'USDCENT']],
    ['blink-sub price --payment-', []],
    ['blink-sub --count 3 realt', ['realtime-price']],
    ['blink-sub -e price pr', ['price']],
    ['blink-sub completion ', ['bash', 'fish', 'zsh']],
  ];
  const script = 'for line in $argv; complete -C"$line"; echo "<end>"; end';
  const stdout = runOk('fish', ['-c', script, ...cases.map(([line]) => line)], {
    env: { XDG_DATA_DIRS: `${prefix}/share` },
  });
  const answers = stdout.split('<end>\n').slice(0, -1);
  cases.forEach(([line, expected], index) => {
    const words = answers[index].split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
    assert.deepEqual(words.sort(), expected, `fish completing "${line}"`);
  });
});
