#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e scenario 2: a guest whose load outgrows it is grown before its OOM
killer acts.

The guest starts small (currentMemory 256 of 1024 MiB) with
autodeflate='off', so virtio deflate-on-oom cannot rescue it: only
autoballoond can give it memory. A stepwise memload grows past 256 MiB
(16 MiB every 0.75 s, slower than one stats period plus one tick).

The control comes first and makes the scenario mean something: with the
guest's policy disabled (`balloon-policy --disable --live`) the same load is
OOM-killed. Then `--enable --live`, the same load again: it completes, the
daemon's targets grow with reason guest-pressure, and the guest's console
shows no "Out of memory" / "oom-kill" / "Killed process".
"""

import sys
import time

import harness
import abtest

MEM = 1024
# the default floor of a 1024 MiB guest (25 %): it starts at its floor
CURRENT = 256
LOAD = 560
LOAD_CMD = "memload -s 16 -d 750 %d" % LOAD
PLAN = 7


def run(s, tap, fig):
    # the default policy: floor 256, reserve 128, low step 32 MiB
    daemon, g = abtest.grow_setup(s, tap, MEM, CURRENT)
    xml = harness.virsh("dumpxml", g.name, "--inactive").stdout
    tap.ok("autodeflate" not in xml or "autodeflate='off'" in xml.replace('"', "'"),
           "guest defined with autodeflate off: deflate-on-oom cannot do the daemon's job",
           xml)
    actual0 = abtest.grow_control(g, daemon, tap, fig, LOAD_CMD, LOAD, CURRENT, "")
    load = abtest.GrowLoad(g, daemon, LOAD_CMD)

    first, _ = harness.wait_until(lambda: daemon.setmem_lines(g.name, load.mark), 60,
                                  interval=0.05, what="the daemon's first grow")
    fig["load_to_first_grow_s"] = time.monotonic() - load.t0
    old, new, reason = first[0]
    g.wait_memstat(lambda m: m["actual"] >= new - 1024, 20, interval=0.05,
                   what="actual reaches %d KiB" % new)
    fig["load_to_first_grow_actual_s"] = time.monotonic() - load.t0
    tap.ok(new > old and reason == "guest-pressure",
           "first grow %d -> %d KiB (%s) %.2f s after the load started, actual there at "
           "%.2f s" % (old, new, reason, fig["load_to_first_grow_s"],
                       fig["load_to_first_grow_actual_s"]), first)

    rc, out = load.wait(fig, 180)
    tap.ok(rc == 0 and "memload: done" in out,
           "with autoballoond: memload %d MiB completes (exit %d) in %.1f s"
           % (LOAD, rc, fig["load_s"]), out[-600:])
    oom = abtest.oom_lines(out)
    tap.ok(not oom, "no OOM kill in the guest's console while it grew", "\n".join(oom))

    grows = [x for x in daemon.setmem_lines(g.name, load.mark) if x[2] == "guest-pressure"]
    actual = g.dommemstat()["actual"]
    fig["grow_steps"] = len(grows)
    fig["grown_to_mib"] = actual // 1024
    tap.ok(actual >= actual0 + (LOAD - 128) * 1024 and all(n > o for o, n, _ in grows),
           "the daemon grew the guest from %d to %d KiB in %d guest-pressure steps"
           % (actual0, actual, len(grows)), grows)


if __name__ == "__main__":
    sys.exit(abtest.main("grow", PLAN, run))
