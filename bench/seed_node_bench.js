#!/usr/bin/env node
// Copyright 2026 The pidlock Authors. MIT License.
//
// The original npm package pidlock 0.1.0, measured in node: the rows
// cycle/seed_node, refused/seed_node and takeover/seed_node, timed and
// reported like bench/cycle_benchmark.cc's (each step timed on its own with
// process.hrtime; p50/p90/p99), written as JSON for bench/report.
//
//   node bench/seed_node_bench.js --dir /dev/shm --cycles 20000 \
//       --out results/tmpfs/seed_node.json [--only cycle] [--row_seconds 10]
//
// A row takes --cycles steps, or fewer (at least 200) when its warm-up says
// they would take longer than --row_seconds.
//
// The package is installed with npm into $PIDLOCK_SEED_NODE_MODULES
// (default <tmpdir>/pidlock_seed_node) when it is not there yet. Exit status
// 77: it is missing and cannot be installed (offline).
//
//   cycle     guard() acquires a free lock, then its cleanup() releases it
//   refused   guard() while a child with the same command line holds it
//             (the original's CONFIRMED_TO_NOT_START)
//   takeover  guard() against the symlink a SIGKILLed holder left behind
//             (OK_STALE_LOCK_REMOVED); timed: guard() only

'use strict';

const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const KEY = 'app';
const WARMUP = 200;  // steps before timing starts (JIT, caches)

function parseArgs(argv) {
  const args =
      {dir: '/dev/shm', cycles: 20000, out: '', only: '', row_seconds: 10};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in args) || i + 1 >= argv.length) {
      console.error('usage: seed_node_bench.js [--dir DIR] [--cycles N] ' +
                    '[--out FILE] [--only cycle|refused|takeover] ' +
                    '[--row_seconds S]');
      process.exit(2);
    }
    const numeric = name === 'cycles' || name === 'row_seconds';
    args[name] = numeric ? Number(argv[i + 1]) : argv[i + 1];
  }
  return args;
}

// require('pidlock') 0.1.0, installing it first if needed.
function loadSeed() {
  const prefix = process.env.PIDLOCK_SEED_NODE_MODULES ||
                 path.join(os.tmpdir(), 'pidlock_seed_node');
  const packageDir = path.join(prefix, 'node_modules', 'pidlock');
  const installed = () => {
    try {
      return JSON.parse(fs.readFileSync(
                 path.join(packageDir, 'package.json'))).version === '0.1.0';
    } catch (e) {
      return false;
    }
  };
  if (!installed()) {
    fs.mkdirSync(prefix, {recursive: true});
    try {
      childProcess.execFileSync(
          'npm',
          ['install', '--prefix', prefix, '--no-audit', '--no-fund',
           '--no-save', '--no-package-lock', 'pidlock@0.1.0'],
          {stdio: ['ignore', 'ignore', 'inherit']});
    } catch (e) {
      console.error('seed_node_bench: cannot install pidlock@0.1.0: ' +
                    e.message);
      process.exit(77);
    }
    if (!installed()) {
      console.error('seed_node_bench: pidlock@0.1.0 not found after install');
      process.exit(77);
    }
  }
  return {module: require(packageDir), packageDir: packageDir};
}

// guard() calls back synchronously; returns what it passed.
function guard(seed, dir) {
  let result = null;
  seed.guard(dir, KEY, (error, data, cleanup) => {
    result = {error: error, data: data, cleanup: cleanup};
  });
  return result;
}

// Each acquisition adds a process.on('exit') hook; drop them between steps
// (outside the timed part), as 20000 hooks would slow down the run.
function dropExitHooks() {
  process.removeAllListeners('exit');
}

function summarize(name, label, samplesNs) {
  const s = Float64Array.from(samplesNs).sort();
  const rank = (p) => s[Math.max(0, Math.ceil(p * s.length) - 1)] / 1e3;
  const mean = s.reduce((a, b) => a + b, 0) / s.length / 1e3;
  return {
    name: name, run_name: name, run_type: 'iteration', label: label,
    iterations: s.length, real_time: mean, time_unit: 'us',
    p50_us: rank(0.5), p90_us: rank(0.9), p99_us: rank(0.99),
    min_us: s[0] / 1e3, max_us: s[s.length - 1] / 1e3, mean_us: mean,
    samples: s.length,
  };
}

let rowSeconds = 10;

// Runs `steps` timed steps (fewer if they would take longer than
// rowSeconds, but at least 200) after WARMUP untimed ones. `step` returns
// the elapsed nanoseconds (a Number) or throws.
function timeSteps(steps, step) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < WARMUP; ++i) step();
  if (steps > 0) {
    const stepSeconds = Number(process.hrtime.bigint() - t0) * 1e-9 / WARMUP;
    const budget = Math.floor(rowSeconds / stepSeconds);
    if (budget < steps) steps = Math.max(200, budget);
  }
  const samples = new Array(steps);
  for (let i = 0; i < steps; ++i) samples[i] = step();
  return samples;
}

function cycleRow(seed, dir, steps) {
  return timeSteps(steps, () => {
    const t0 = process.hrtime.bigint();
    const r = guard(seed, dir);
    if (r.error) throw new Error('cycle: not acquired: ' + JSON.stringify(r));
    r.cleanup();
    const ns = Number(process.hrtime.bigint() - t0);
    dropExitHooks();
    return ns;
  });
}

// This script again, with our exact command line (so that the original
// counts it as "the same app"), in the role `role`.
function spawnSelf(role, dir) {
  const argv = fs.readFileSync('/proc/self/cmdline', 'latin1')
                   .split('\0').filter((a) => a !== '');
  return childProcess.spawn(process.execPath, argv.slice(1), {
    argv0: argv[0],
    env: Object.assign({}, process.env,
                       {PIDLOCK_SEED_NODE_ROLE: role,
                        PIDLOCK_SEED_NODE_DIR: dir}),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

function waitForLine(child) {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      if (text.includes('\n')) resolve(text.trim());
    });
    child.on('exit', () => reject(new Error('child exited: ' + text)));
  });
}

async function refusedRow(seed, dir, steps) {
  const holder = spawnSelf('holder', dir);
  const line = await waitForLine(holder);
  if (line !== 'holding') throw new Error('holder: ' + line);
  try {
    return timeSteps(steps, () => {
      const t0 = process.hrtime.bigint();
      const r = guard(seed, dir);
      const ns = Number(process.hrtime.bigint() - t0);
      if (!r.error || !r.data || r.data.state !== 'CONFIRMED_TO_NOT_START') {
        throw new Error('refused: ' + JSON.stringify(r));
      }
      return ns;
    });
  } finally {
    holder.stdin.end();  // the holder cleans up and exits
    await new Promise((resolve) => holder.on('exit', resolve));
  }
}

async function takeoverRow(seed, dir, steps) {
  const dead = spawnSelf('stale', dir);
  await new Promise((resolve) => dead.on('exit', resolve));
  const lock = path.join(dir, KEY, 'lock');
  const target = fs.readlinkSync(lock);
  return timeSteps(steps, () => {
    try {
      fs.unlinkSync(lock);
    } catch (e) {
    }
    fs.symlinkSync(target, lock);
    const t0 = process.hrtime.bigint();
    const r = guard(seed, dir);
    const ns = Number(process.hrtime.bigint() - t0);
    if (r.error || r.data.state !== 'OK_STALE_LOCK_REMOVED') {
      throw new Error('takeover: ' + JSON.stringify(r));
    }
    r.cleanup();
    dropExitHooks();
    return ns;
  });
}

// The children's roles: hold until stdin closes, or die holding.
function runRole(seed, role, dir) {
  const r = guard(seed, dir);
  if (r.error) {
    process.stdout.write('not acquired: ' + JSON.stringify(r) + '\n');
    process.exit(3);
  }
  if (role === 'stale') process.kill(process.pid, 'SIGKILL');
  process.stdout.write('holding\n');
  process.stdin.on('end', () => {
    r.cleanup();
    process.exit(0);
  });
  process.stdin.resume();
}

async function main() {
  const seed = loadSeed();
  if (process.env.PIDLOCK_SEED_NODE_ROLE) {
    runRole(seed.module, process.env.PIDLOCK_SEED_NODE_ROLE,
            process.env.PIDLOCK_SEED_NODE_DIR);
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  rowSeconds = args.row_seconds;
  const scratch = fs.mkdtempSync(path.join(args.dir, 'pidlock_node_bench.'));
  const label = 'npm pidlock 0.1.0 guard() + cleanup() in node ' +
                process.version;
  const rows = [];
  try {
    const families = {cycle: cycleRow, refused: refusedRow,
                      takeover: takeoverRow};
    for (const family of Object.keys(families)) {
      if (args.only && args.only !== family) continue;
      const dir = path.join(scratch, family);
      fs.mkdirSync(dir);
      const samples = await families[family](seed.module, dir, args.cycles);
      if (samples.length > 0) {
        rows.push(summarize(family + '/seed_node', label, samples));
      }
    }
  } finally {
    fs.rmSync(scratch, {recursive: true, force: true});
  }
  const report = {
    context: {
      date: new Date().toISOString(),
      executable: process.execPath,
      node_version: process.version,
      package: 'pidlock@0.1.0 (' + seed.packageDir + ')',
      dir: args.dir,
      cycles: args.cycles,
    },
    benchmarks: rows,
  };
  for (const r of rows) {
    console.log(r.name.padEnd(22) + ' p50 ' + r.p50_us.toFixed(2) +
                ' us  p99 ' + r.p99_us.toFixed(2) + ' us  (' + r.samples +
                ' samples)');
  }
  if (args.out) fs.writeFileSync(args.out, JSON.stringify(report, null, 2));
}

main().catch((e) => {
  console.error('seed_node_bench: ' + (e.stack || e));
  process.exit(1);
});
