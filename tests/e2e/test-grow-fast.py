#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e: a guest whose working set grows at 128 MiB/s is grown at that rate.

The guest starts at 512 of 1024 MiB with autodeflate='off' (so virtio
deflate-on-oom cannot rescue it) and the DEFAULT policy. memload grows a
working set of LOAD_MIB in 32 MiB steps every 250 ms (128 MiB/s): it runs
out of its own free memory about two seconds in. The second grow comes on
the guest's next stats, not the next tick. (At 256 MiB/s it passed 4 of 5
runs here with the test daemon's 1 s stats: the stats period bounds how
fast a guest can be grown; docs/e2e.md.) One low step (32 MiB) per
decision, as the first engine grew, would OOM it; the engine grows a guest
under pressure by its deficit plus its growth rate over two stats periods.

The control comes first: with the policy disabled live the same load is
OOM-killed. Then --enable --live: it completes, no OOM in the console.
"""

import sys

import abtest

MEM = 1024
CURRENT = 512
LOAD = 800
LOAD_CMD = "memload -s 32 -d 250 -t 1 %d" % LOAD
PLAN = 6


def run(s, tap, fig):
    daemon, g = abtest.grow_setup(s, tap, MEM, CURRENT)
    actual0 = abtest.grow_control(g, daemon, tap, fig, LOAD_CMD, LOAD, CURRENT, "at 128 MiB/s ")
    tap.ok(actual0 < (CURRENT + 128) * 1024,
           "the guest starts the load small (%d KiB)" % actual0)
    load = abtest.GrowLoad(g, daemon, LOAD_CMD)
    rc, out = load.wait(fig, 120)
    grows = [x for x in daemon.setmem_lines(g.name, load.mark) if x[2] == "guest-pressure"]
    fig["grow_steps"] = len(grows)
    fig["largest_grow_mib"] = max([(n - o) // 1024 for o, n, _ in grows] or [0])
    tap.ok(rc == 0 and "memload: done" in out,
           "with autoballoond: memload %d MiB at 128 MiB/s completes (exit %d) in %.1f s, "
           "%d grows, the largest %d MiB" % (LOAD, rc, fig["load_s"], len(grows),
                                             fig["largest_grow_mib"]), out[-600:])
    oom = abtest.oom_lines(out)
    tap.ok(not oom, "no OOM kill in the guest's console while it grew", "\n".join(oom))
    tap.ok(any((n - o) > 32 * 1024 for o, n, _ in grows),
           "a grow larger than one low step (32 MiB): growth follows the guest's rate",
           grows)


if __name__ == "__main__":
    sys.exit(abtest.main("grow-fast", PLAN, run))
