#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 9: the daemon's own memory, in a memory cgroup of its own.

autoballoond starts inside a cgroup v1 memory cgroup limited to 32 MiB
(created for the test and removed afterwards; ASan's quarantine of freed
blocks off, or it alone would fill the limit). Two guests, both managed:
a round of host pressure (the machine cgroup past its low mark) for
each, then 1000 injections from two clients. The daemon is never
OOM-killed in its cgroup, manages again within 2 ticks under host
pressure after the storm (medium: the storm left both guests at their
reserve, they grew and hold their cool-down at low), and its RSS after the storm is what it was
after the first rounds. Its peak usage in the cgroup is reported. (Tables
keyed by domain pruned when domains go: tests/test-daemon-churn.c.)
"""

import os
import re
import subprocess
import sys

import harness
import abtest
import fault

PLAN = 7
LIMIT = 32 * 1024 * 1024
PER_CLIENT = 500
RSS_GROWTH_KIB = 4096
# host pressure at medium (free 96 / 5 x 224 = 8.6 % < 10 %): past the
# guests' cool-down, which holds at low
MEDIUM_DEFICIT_MIB = 128
MEDIUM_MARGIN_MIB = 96


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M).group(1))


def read(path):
    with open(path) as f:
        return f.read()


def run(s, tap, fig):
    w = fault.World(s, tap, fig, n=2)
    a, b = w.guests
    d = w.daemon
    d.env = {"ASAN_OPTIONS": "detect_leaks=0:quarantine_size_mb=0"}
    with harness.own_memory_cgroup("ab-e2e-fault-cgroup-%d" % os.getpid(), LIMIT) as cg:
        d.cgroup = cg
        w.boot()
        pid = d.proc.pid
        tap.ok(str(pid) in read(os.path.join(cg, "cgroup.procs")).split(),
               "autoballoond (pid %d) runs in %s, limit %d MiB" % (pid, cg, LIMIT >> 20))
        for short, g in (("a", a), ("b", b)):
            w.check_managing(g, "in 32 MiB (guest %s)" % short, key="first_" + short,
                             host=True)
        rss0 = rss_kib(pid)

        clients = []
        for c, g in enumerate((a, b)):
            cmds = ["balloon-inject-pressure %s %s" % (g.name, ("low", "none")[i % 2])
                    for i in range(PER_CLIENT)]
            p = subprocess.Popen(abtest.vab_cmd(), stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
            p.stdin.write("\n".join(cmds) + "\n")
            p.stdin.close()
            clients.append(p)
        codes = [p.wait(300) for p in clients]
        w.wait_ticks(a, 2, d.mark())
        rss1 = rss_kib(pid)
        fig["rss_after_rounds_kib"] = rss0
        fig["rss_after_storm_kib"] = rss1
        fig["cgroup_max_usage_kib"] = int(read(os.path.join(cg, "memory.max_usage_in_bytes"))) // 1024
        fig["cgroup_failcnt"] = int(read(os.path.join(cg, "memory.failcnt")))
        oom = dict(line.split() for line in read(os.path.join(cg, "memory.oom_control")).splitlines())
        tap.ok(codes == [0, 0] and d.alive() and oom.get("oom_kill") == "0",
               "%d injections from 2 clients: the daemon is up, no OOM kill in its cgroup "
               "(peak usage %d KiB of %d)" % (2 * PER_CLIENT, fig["cgroup_max_usage_kib"],
                                               LIMIT >> 10),
               "client exits %s, oom_control %s" % (codes, oom))
        tap.ok(rss1 - rss0 < RSS_GROWTH_KIB,
               "RSS %d KiB after the first rounds, %d KiB after the storm (bound +%d KiB)"
               % (rss0, rss1, RSS_GROWTH_KIB))
        w.check_managing(b, "after the storm", key="after_storm", host=True,
                         deficit_mib=MEDIUM_DEFICIT_MIB, margin_mib=MEDIUM_MARGIN_MIB)
        w.invariants()
        d.stop()


if __name__ == "__main__":
    sys.exit(abtest.main("fault-cgroup", PLAN, run))
