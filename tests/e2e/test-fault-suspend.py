#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 5: a guest frozen (`virsh suspend`) under host pressure, then resumed.

The host is put under memory pressure (the machine cgroup past its low
mark by more than the second guest, b, can give above its floor, so the
host stays short all along) and, as soon as the daemon has set a's
target, a is suspended: its balloon cannot move while its vCPU is
stopped. For longer than the unresponsive timeout (counted in the ticks
of b, which runs on and gives what it can) the daemon sends a no
command and does not call its balloon unresponsive; its status keeps its
target and says the host's level. The pressure ends; resumed, a is not
called stuck, and host pressure moves it again within 2 ticks.
"""

import re
import sys

import harness
import abtest
import fault

PLAN = 6
PAUSED_TICKS = 8          # > [daemon] unresponsive-timeout (5 s) at tick = 1 s
# more than b can give above its floor: the host stays short while a is paused
DEFICIT_MIB = fault.MEM - fault.default_floor_mib(fault.MEM) + 64
MARGIN_MIB = 160


def run(s, tap, fig):
    w = fault.World(s, tap, fig, n=2)
    a, b = w.guests
    d = w.daemon
    w.boot()

    with w.host_pressure(a, deficit_mib=DEFICIT_MIB, margin_mib=MARGIN_MIB) as hp:
        harness.wait_until(lambda: d.setmem_lines(a.name, hp.mark), 20, interval=0.02,
                           what="a target for %s" % a.name)
        harness.virsh("suspend", a.name)
        old, target, reason = d.setmem_lines(a.name, hp.mark)[-1]
        fig["actual_at_suspend_kib"] = a.dommemstat().get("actual", 0)
        tap.ok(target < old and reason == "host-pressure",
               "host pressure (%s): a's target %d -> %d KiB (%s), a suspended at once"
               % (hp.describe(), old, target, reason))
        paused = d.mark()
        w.wait_ticks(b, PAUSED_TICKS, paused)
        hp.sample()
        sent = d.setmem_lines(a.name, paused)
        b_sent = d.setmem_lines(b.name, hp.mark)
        st = abtest.status(a) or {}
        fig["paused_min_free_pct"] = 100 * hp.min_free()
        fig["paused_last_free_pct"] = 100 * hp.free[-1]
        tap.ok(not sent and st.get("unresponsive") != "yes" and st.get("target") == target and
               st.get("level") not in (None, "none") and hp.free[-1] < abtest.LOW_MARK,
               "suspended for %d ticks of b with the host short (%.1f %% free at the end; b "
               "given %d targets, last %s KiB): no command to a, not unresponsive, status "
               "kept (target %s KiB, level %s from %s)"
               % (PAUSED_TICKS, 100 * hp.free[-1], len(b_sent),
                  b_sent[-1][1] if b_sent else "-", st.get("target"), st.get("level"),
                  st.get("source")),
               "targets while paused: %s; status %s" % (sent, st))
    # (checked after the resume too: the first tick then must not count
    # the pause as time the balloon stood still)
    harness.virsh("resume", a.name)
    wall = fault.wall()
    w.wait_ticks(a, 2, d.mark())
    tap.ok(not re.search(r"%s: balloon (did not move|stuck)" % re.escape(a.name),
                         d.text()[paused:]),
           "the daemon does not count the pause against the balloon")

    w.check_managing(a, "after the resume", key="resume", host=True)
    w.check_truthful(a, wall)
    w.invariants()


if __name__ == "__main__":
    sys.exit(abtest.main("fault-suspend", PLAN, run))
