#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run every libFuzzer target of tests/fuzz (make fuzz; docs/fuzzing.md).

Usage: bench/fuzz.py BUILDDIR SECONDS [TARGET...]

BUILDDIR is a clang build configured with -Dfuzz=true. Each target runs
alone (the machine's cores are shared) for SECONDS, on its corpus
tests/fuzz/corpus/NAME/ and the golden files it is seeded from (the
arguments meson's test fuzz-NAME replays them with). New inputs go to
BUILDDIR/fuzz-corpus/NAME/, crashes to BUILDDIR/fuzz-crashes/NAME/. The
executions and crashes of each target are written to
bench/results/DATE-COMMIT-fuzz.json. Exit 1 if any target crashed.
"""
import datetime
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def targets(builddir):
    """name -> (binary, seed paths), from meson's test definitions."""
    out = subprocess.run(["meson", "introspect", "--tests", builddir],
                         check=True, capture_output=True, text=True).stdout
    found = {}
    for t in json.loads(out):
        m = re.fullmatch(r"fuzz-(.+)", t["name"])
        if not m:
            continue
        name = m.group(1)
        binary = os.path.join(builddir, "tests", "fuzz", "fuzz-" + name)
        if os.path.exists(binary):
            found[name] = (binary, t["cmd"][1:])
    return found


def run(name, binary, seeds, seconds, builddir):
    corpus = os.path.join(builddir, "fuzz-corpus", name)
    crashes = os.path.join(builddir, "fuzz-crashes", name)
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    before = set(os.listdir(crashes))
    cmd = [binary, "-max_total_time=%d" % seconds, "-print_final_stats=1",
           "-timeout=10", "-rss_limit_mb=2048", "-close_fd_mask=1",
           "-artifact_prefix=" + crashes + "/", corpus]
    # libFuzzer reads directories only: seed files go into one of ours
    files = os.path.join(builddir, "fuzz-seeds", name)
    os.makedirs(files, exist_ok=True)
    for s in seeds:
        if os.path.isdir(s):
            cmd.append(s)
        elif os.path.isfile(s):
            link = os.path.join(files, os.path.basename(s))
            if not os.path.lexists(link):
                os.symlink(os.path.abspath(s), link)
    cmd.append(files)
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    env.setdefault("LSAN_OPTIONS", "suppressions=%s/tests/lsan.supp:print_suppressions=0" % ROOT)
    log = os.path.join(builddir, "fuzz-%s.log" % name)
    with open(log, "w") as f:
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
    with open(log, errors="replace") as f:
        text = f.read()
    execs = sum(int(x) for x in re.findall(r"stat::number_of_executed_units:\s*(\d+)", text))
    new = sorted(set(os.listdir(crashes)) - before)
    return {
        "executions": execs,
        "seconds": seconds,
        "crashes": len(new),
        "crash_files": [os.path.join(crashes, c) for c in new],
        "corpus_size": len(os.listdir(corpus)),
        "exit_status": proc.returncode,
        "log": log,
    }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    builddir, seconds = sys.argv[1], int(sys.argv[2])
    only = sys.argv[3:]
    # the commit the targets were built from: taken now, not after the run
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=10", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD", "--", "src",
                            "tools", "tests/fuzz"]).returncode != 0
    found = targets(builddir)
    if not found:
        sys.exit("no fuzz target in %s (configure it with -Dfuzz=true, CC=clang)" % builddir)
    results = {}
    for name in sorted(found):
        if only and name not in only:
            continue
        binary, seeds = found[name]
        print("fuzz-%s: %d s" % (name, seconds), flush=True)
        r = run(name, binary, seeds, seconds, builddir)
        results[name] = r
        print("fuzz-%s: %d executions, %d crashes%s" % (
            name, r["executions"], r["crashes"],
            "".join("\n  " + c for c in r["crash_files"])), flush=True)

    now = datetime.datetime.now(datetime.timezone.utc)
    clang = subprocess.run(["clang", "--version"], capture_output=True,
                           text=True).stdout.splitlines()[:1]
    doc = {
        "kind": "fuzz",
        "date": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit,
        "uncommitted_changes": dirty,
        "compiler": clang[0] if clang else "clang",
        "sanitizers": "fuzzer,address,undefined",
        "targets": {n: {k: v for k, v in r.items() if k not in ("log", "crash_files")}
                    for n, r in results.items()},
        "total_executions": sum(r["executions"] for r in results.values()),
        "total_crashes": sum(r["crashes"] for r in results.values()),
    }
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results",
                        "%s-%s-fuzz.json" % (now.strftime("%Y-%m-%d-%H%M"), commit))
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("%d executions, %d crashes: %s" % (doc["total_executions"],
                                            doc["total_crashes"], path))
    sys.exit(1 if doc["total_crashes"] else 0)


if __name__ == "__main__":
    main()
