#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 4: the balloon driver removed inside a running guest
(`rmmod virtio_balloon`) and loaded again.

The daemon has shrunk the guest. Unloading the driver gives the guest all
its memory back and stops its stats: the daemon takes the size as a fact,
sends no command while nothing in the guest answers (even under injected
pressure), and says why in the status. Loaded again, the driver goes back
to the target QEMU still holds; once its stats flow, the daemon manages
the guest again within 2 ticks.
"""

import sys

import abtest
import fault

PLAN = 7
TICKS = 4


def run(s, tap, fig):
    w = fault.World(s, tap, fig)
    g, d, size = w.shrunk()

    mark = d.mark()
    rc, out = g.run("rmmod virtio_balloon", timeout=30)
    _, t = g.wait_memstat(lambda st: abtest.near(st["actual"], w.mem), 20,
                          what="the balloon deflated by the driver's removal")
    fig["rmmod_to_deflated_s"] = t
    st, t = abtest.wait_status(g, lambda st: abtest.near(st.get("actual", 0), w.mem) and
                               st.get("reason") in ("stale-stats", "unresponsive"), 20,
                               "the status says why nothing moves")
    tap.ok(rc == 0, "rmmod virtio_balloon: the guest has all %d MiB back; status %s/%s "
           "target %s KiB" % (w.mem, st.get("reason"), st.get("action"), st.get("target")),
           out)
    abtest.vab("balloon-inject-pressure", g.name, "medium")
    since = d.mark()
    w.wait_ticks(g, TICKS, since)
    sent = d.setmem_lines(g.name, mark)
    tap.ok(not sent, "no driver: no command over %d ticks, under medium pressure too"
           % TICKS, "targets: %s" % sent)
    abtest.vab("balloon-inject-pressure", g.name, "none")

    rc, out = g.run("insmod /lib/modules/virtio_balloon.ko", timeout=30)
    st, t = abtest.wait_status(g, lambda st: st.get("usable", 0) > 0 and
                               st.get("reason") not in ("stale-stats", "unresponsive"), 30,
                               "fresh stats again")
    fig["insmod_to_stats_s"] = t
    tap.ok(rc == 0, "insmod virtio_balloon: stats flow again (%.1f s), balloon at %d KiB"
           % (t, g.dommemstat()["actual"]), out)
    wall = fault.wall()
    w.recovers(g, "with the driver back", "insmod", wall)


if __name__ == "__main__":
    sys.exit(abtest.main("fault-rmmod", PLAN, run))
