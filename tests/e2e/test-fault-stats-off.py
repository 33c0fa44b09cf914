#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 7: a user switches balloon stats polling off on a managed guest
(`virsh dommemstat --period 0 --live`).

Without fresh stats the daemon must not inflate: its status says
stale-stats and injected pressure sets no target. It does not fight the
user by switching polling back on. When the user turns polling on
again, host pressure (the machine cgroup past its low mark) moves the
balloon within 2 ticks.
"""

import re
import sys

import harness
import abtest
import fault

PLAN = 7
TICKS = 4


def run(s, tap, fig):
    w = fault.World(s, tap, fig)
    g, d, size = w.shrunk("with stats the daemon shrinks the guest")

    mark = d.mark()
    harness.virsh("dommemstat", g.name, "--period", "0", "--live")
    st, t = abtest.wait_status(g, lambda st: st.get("reason") == "stale-stats", 20,
                               "reason stale-stats")
    fig["period0_to_stale_s"] = t
    # the stats are stale now; until then the daemon may rightly act
    since = d.mark()
    abtest.vab("balloon-inject-pressure", g.name, "medium")
    st, _ = abtest.wait_status(g, lambda st: st.get("level") == "medium", 10,
                               "level medium")
    tap.ok(st.get("reason") == "stale-stats",
           "polling off: %.1f s later the status says reason stale-stats, at level %s too"
           % (t, st.get("level")), st)
    w.wait_ticks(g, TICKS, since)
    sent = d.setmem_lines(g.name, since)
    tap.ok(not sent, "under medium pressure no target over %d ticks without fresh stats"
           % TICKS, "targets: %s" % sent)
    tap.ok(not re.search(r"%s: balloon stats enabled" % re.escape(g.name), d.text()[mark:]),
           "the daemon leaves polling off, as the user set it")

    # the injection ends while the stats are off: what moves the guest
    # once they flow again is the host's pressure
    mark = d.mark()
    abtest.vab("balloon-inject-pressure", g.name, "none")
    d.wait_log(r"%s: injected pressure removed" % re.escape(g.name), 10, mark)
    harness.virsh("dommemstat", g.name, "--period", "1", "--live")
    wall = fault.wall()
    w.recovers(g, "once polling is back on", "period1", wall)


if __name__ == "__main__":
    sys.exit(abtest.main("fault-stats-off", PLAN, run))
