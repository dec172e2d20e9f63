// Copyright 2026 The pidlock Authors. MIT License.
//
// A racer for the real original: npm pidlock 0.1.0, run by node.
//
//   node subject_node.js DIR KEY
//
// RACE_NODE_PREFIX is the directory where the harness ran
// `npm install pidlock@0.1.0` (so it holds node_modules/pidlock);
// RACE_WITNESS_BIN is the race_witness program. The rest of the contract is
// witness.h's: write one byte to RACE_READY_FD, block reading RACE_BARRIER_FD
// until EOF, wait RACE_SKEW_US, call guard() once. While holding, run
// race_witness (it proves exclusivity in the shared region and, with
// RACE_CRASH=1, kills this process). Exit status: 0 acquired, 75
// CONFIRMED_TO_NOT_START, 76 guard() failed in some state, 77 the lock no
// longer pointed at this process when it was about to clean up (displaced).
// Every racer runs with the same argv: the original compares command lines.
'use strict';

const fs = require('fs');
const path = require('path');
const childProcess = require('child_process');

const pidlock = require(path.join(process.env.RACE_NODE_PREFIX, 'node_modules',
                                  'pidlock'));
const dir = process.argv[2];
const key = process.argv[3];

function envInt(name, fallback) {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
}

const readyFd = envInt('RACE_READY_FD', -1);
const barrierFd = envInt('RACE_BARRIER_FD', -1);
if (readyFd >= 0) {
  fs.writeSync(readyFd, 'r');
  fs.closeSync(readyFd);
}
if (barrierFd >= 0) {
  const b = Buffer.alloc(1);
  for (;;) {
    let n;
    try {
      n = fs.readSync(barrierFd, b, 0, 1, null);
    } catch (e) {
      if (e.code === 'EAGAIN' || e.code === 'EINTR') continue;
      break;
    }
    if (n === 0) break;
  }
  fs.closeSync(barrierFd);
}
const skewNs = BigInt(envInt('RACE_SKEW_US', 0)) * 1000n;
if (skewNs > 0n) {
  const until = process.hrtime.bigint() + skewNs;
  while (process.hrtime.bigint() < until) {
  }
}

pidlock.guard(dir, key, function(error, data, cleanup) {
  if (!error) {
    if (process.env.PIDLOCK_RACE_DEBUG) {
      process.stderr.write('subject_node ' + process.pid + ': ' + data.state +
                           '\n');
    }
    childProcess.spawnSync(process.env.RACE_WITNESS_BIN, [],
                           {stdio: 'inherit'});
    let mine = false;
    try {
      mine = fs.readlinkSync(data.lock_dir) === data.me_dir;
    } catch (e) {
    }
    cleanup();
    if (!mine) {
      process.stderr.write('subject_node: lock displaced while held\n');
      process.exit(77);
    }
    process.exit(0);
  }
  if (data && data.state === 'CONFIRMED_TO_NOT_START') process.exit(75);
  process.stderr.write('subject_node: guard failed in ' +
                       (error && error.state) + '\n');
  process.exit(76);
});
