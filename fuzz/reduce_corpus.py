#!/usr/bin/env python3
# Copyright 2026 The pidlock Authors. MIT License.
"""Picks a small corpus that covers every edge a larger one covers.

libFuzzer's -merge=1 keeps every input that adds a feature in the order it
meets them, which leaves hundreds of inputs. This script asks the fuzzer for
the edges of each input alone (one -merge=1 -use_counters=0 run per input,
read from -merge_control_file), then picks inputs greedily, the one that
adds the most uncovered edges first (the smaller on a tie). Inputs named
regression-* are always kept.

Usage: fuzz/reduce_corpus.py FUZZER_BINARY OUT_DIR IN_DIR...
  e.g. fuzz/reduce_corpus.py bazel-bin/fuzz/liveness_fuzzer /tmp/reduced \
           /tmp/liveness-work fuzz/corpus/liveness
Copies the chosen inputs (except the regression-* ones) into OUT_DIR.
"""

import os
import shutil
import subprocess
import sys
import tempfile


def edges_of(fuzzer, path):
    """Returns the set of edges `path` alone covers in `fuzzer`."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs, output = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        os.mkdir(inputs)
        os.mkdir(output)
        shutil.copy(path, os.path.join(inputs, "input"))
        control = os.path.join(tmp, "control")
        subprocess.run([fuzzer, "-merge=1", "-use_counters=0",
                        "-merge_control_file=" + control, output, inputs],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        edges = set()
        with open(control) as lines:
            for line in lines:
                words = line.split()
                if words and words[0] == "COV":
                    edges.update(words[2:])
        return edges


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    fuzzer, out, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = sorted(os.path.join(d, name) for d in dirs
                   for name in os.listdir(d)
                   if os.path.isfile(os.path.join(d, name)))
    edges = {path: edges_of(fuzzer, path) for path in files}
    everything = set().union(*edges.values())
    chosen = [p for p in files if os.path.basename(p).startswith("regression-")]
    covered = set().union(set(), *(edges[p] for p in chosen))
    while covered != everything:
        best = max(files, key=lambda p: (len(edges[p] - covered),
                                         -os.path.getsize(p)))
        chosen.append(best)
        covered |= edges[best]
    os.makedirs(out, exist_ok=True)
    for path in chosen:
        if not os.path.basename(path).startswith("regression-"):
            shutil.copy(path, os.path.join(out, os.path.basename(path)))
    print(f"{len(everything)} edges covered by {len(chosen)} of "
          f"{len(files)} inputs")


if __name__ == "__main__":
    main()
