#!/usr/bin/env python3
"""Reads, checks and applies the protocol mutants of tools/mutants/*.mutant.

A .mutant file is a few header lines, then one or more hunks:

    # What the mutant breaks, and why a test must notice (free text).
    rule: S7 T11 I1
    killer: //tests:interleaving_test
    filter: TakeoverTest.*        (optional: a gtest filter for the killer)
    file: src/acquire.cc
    <<<<
    exact lines of the current code (must occur exactly once in the file)
    ====
    their replacement
    >>>>
    file: ...                     (more hunks, each with its own file: line)

The snippet is matched byte for byte, whole lines, so an unrelated edit of
src/ leaves every mutant applicable, and an edit of the mutated code makes
the mutant fail loudly (`check`) instead of silently mutating something else.

    mutant.py list DIR                 name, rule, killer, filter (tab-separated)
    mutant.py check DIR TREE           every snippet occurs exactly once in TREE
    mutant.py apply DIR NAME TREE      applies NAME to TREE, saving originals
    mutant.py restore TREE             puts the saved originals back
"""

import os
import shutil
import sys

BACKUP_SUFFIX = ".mutant-original"
HEADER_KEYS = ("rule", "killer", "filter")


class MutantError(Exception):
    pass


class Hunk:
    def __init__(self, path, find, replace):
        self.path = path
        self.find = find
        self.replace = replace


class Mutant:
    def __init__(self, name):
        self.name = name
        self.rule = ""
        self.killer = ""
        self.filter = ""
        self.hunks = []


def parse(path):
    name = os.path.basename(path)[: -len(".mutant")]
    mutant = Mutant(name)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    current_file = None

    def fail(message):
        raise MutantError(f"{path}:{i + 1}: {message}")

    while i < len(lines):
        line = lines[i]
        if line.startswith("#") or not line.strip():
            i += 1
            continue
        if line == "<<<<":
            if current_file is None:
                fail("a hunk before any 'file:' line")
            find, replace, i = [], [], i + 1
            while i < len(lines) and lines[i] != "====":
                find.append(lines[i])
                i += 1
            if i == len(lines):
                fail("'<<<<' without '===='")
            i += 1
            while i < len(lines) and lines[i] != ">>>>":
                replace.append(lines[i])
                i += 1
            if i == len(lines):
                fail("'====' without '>>>>'")
            i += 1
            if not find:
                fail("an empty snippet")
            mutant.hunks.append(
                Hunk(
                    current_file,
                    "".join(l + "\n" for l in find),
                    "".join(l + "\n" for l in replace),
                )
            )
            current_file = None
            continue
        key, sep, value = line.partition(":")
        if not sep:
            fail(f"not 'key: value': {line!r}")
        key, value = key.strip(), value.strip()
        if key == "file":
            # Only src/ is mutated (and restored: see restore()).
            if not value.startswith("src/") or ".." in value.split("/"):
                fail(f"not a file of src/: {value!r}")
            current_file = value
        elif key in HEADER_KEYS:
            setattr(mutant, key, value)
        else:
            fail(f"unknown key {key!r}")
        i += 1
    if not mutant.hunks:
        raise MutantError(f"{path}: no hunk")
    if not mutant.killer.startswith("//"):
        raise MutantError(f"{path}: no 'killer: //package:target' line")
    if not mutant.rule:
        raise MutantError(f"{path}: no 'rule:' line")
    return mutant


def load_all(directory):
    names = sorted(n for n in os.listdir(directory) if n.endswith(".mutant"))
    if not names:
        raise MutantError(f"{directory}: no .mutant files")
    return [parse(os.path.join(directory, n)) for n in names]


def read(tree, path):
    full = os.path.join(tree, path)
    try:
        with open(full, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise MutantError(f"{full}: {e.strerror}")


def check(mutant, tree):
    """Every snippet must occur exactly once, in the unmutated files."""
    problems = []
    for n, hunk in enumerate(mutant.hunks, 1):
        count = read(tree, hunk.path).count(hunk.find)
        if count != 1:
            first = hunk.find.split("\n", 1)[0].strip()
            problems.append(
                f"{mutant.name}: hunk {n}: the snippet occurs {count} times "
                f"in {hunk.path} (must be exactly once), starting: {first!r}"
            )
    return problems


def apply(mutant, tree):
    problems = check(mutant, tree)
    if problems:
        raise MutantError("\n".join(problems))
    texts = {}
    for hunk in mutant.hunks:
        if hunk.path not in texts:
            texts[hunk.path] = read(tree, hunk.path)
        text = texts[hunk.path]
        if text.count(hunk.find) != 1:
            raise MutantError(
                f"{mutant.name}: an earlier hunk changed the snippet of "
                f"{hunk.path}"
            )
        texts[hunk.path] = text.replace(hunk.find, hunk.replace)
    for path, text in texts.items():
        full = os.path.join(tree, path)
        backup = full + BACKUP_SUFFIX
        if os.path.exists(backup):
            raise MutantError(f"{backup} exists: run 'restore' first")
        shutil.copy2(full, backup)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)


def restore(tree):
    restored = 0
    for root, _, files in os.walk(os.path.join(tree, "src")):
        for name in files:
            if name.endswith(BACKUP_SUFFIX):
                backup = os.path.join(root, name)
                os.replace(backup, backup[: -len(BACKUP_SUFFIX)])
                restored += 1
    return restored


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    command, args = argv[1], argv[2:]
    try:
        if command == "list" and len(args) == 1:
            for m in load_all(args[0]):
                print(f"{m.name}\t{m.rule}\t{m.killer}\t{m.filter}")
        elif command == "check" and len(args) == 2:
            problems = []
            mutants = load_all(args[0])
            for m in mutants:
                problems += check(m, args[1])
            for p in problems:
                print(f"mutant.py: {p}", file=sys.stderr)
            if problems:
                return 1
            print(f"mutant.py: {len(mutants)} mutants, every snippet found once")
        elif command == "apply" and len(args) == 3:
            path = os.path.join(args[0], args[1] + ".mutant")
            if not os.path.exists(path):
                raise MutantError(f"no mutant {args[1]!r} ({path})")
            apply(parse(path), args[2])
        elif command == "restore" and len(args) == 1:
            restore(args[0])
        else:
            print(__doc__, file=sys.stderr)
            return 64
    except MutantError as e:
        print(f"mutant.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
