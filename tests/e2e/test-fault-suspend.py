#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 5: a guest frozen (`virsh suspend`) under pressure, then resumed.

Pressure is injected on guest a and, as soon as the daemon has set its
target, a is suspended: its balloon cannot move while its vCPU is
stopped. The pressure stays. For longer than the unresponsive timeout
(counted in the ticks of guest b, which runs on) the daemon sends a no
command and does not call its balloon unresponsive; its status stays.
Resumed, a is managed again within 2 ticks.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import abtest  # noqa: E402
import fault  # noqa: E402

PLAN = 5
PAUSED_TICKS = 8          # > [daemon] unresponsive-timeout (5 s) at tick = 1 s


def run(s, tap, fig):
    w = fault.World(s, tap, fig, n=2)
    a, b = w.guests
    d = w.daemon
    w.boot()

    mark = d.mark()
    abtest.vab("balloon-inject-pressure", a.name, "medium")
    harness.wait_until(lambda: d.setmem_lines(a.name, mark), 20, interval=0.02,
                       what="a target for %s" % a.name)
    harness.virsh("suspend", a.name)
    old, target, _ = d.setmem_lines(a.name, mark)[-1]
    fig["actual_at_suspend_kib"] = a.dommemstat().get("actual", 0)
    paused = d.mark()
    w.wait_ticks(b, PAUSED_TICKS, paused)
    sent = d.setmem_lines(a.name, paused)
    st = abtest.status(a) or {}
    tap.ok(not sent and st.get("unresponsive") != "yes" and st.get("level") == "medium",
           "suspended under medium pressure for %d ticks: no command, not unresponsive, "
           "status kept (target %s KiB, level %s)" % (PAUSED_TICKS, st.get("target"),
                                                      st.get("level")),
           "targets while paused: %s; status %s" % (sent, st))
    # (checked after the resume too: the first tick then must not count
    # the pause as time the balloon stood still)
    harness.virsh("resume", a.name)
    wall = fault.wall()
    abtest.vab("balloon-inject-pressure", a.name, "none")
    w.wait_ticks(a, 2, d.mark())
    tap.ok(not re.search(r"%s: balloon (did not move|stuck)" % re.escape(a.name),
                         d.text()[paused:]),
           "the daemon does not count the pause against the balloon")

    w.check_managing(a, "after the resume", key="resume")
    w.check_truthful(a, wall)
    w.invariants()


if __name__ == "__main__":
    sys.exit(abtest.main("fault-suspend", PLAN, run))
