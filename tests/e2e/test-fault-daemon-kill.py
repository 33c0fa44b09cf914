#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 1: autoballoond killed with SIGKILL while a balloon is moving.

Medium pressure is injected, and the moment the daemon logs its target
(the balloon starts to inflate by the 64 MiB step) it is killed -9 and
the pressure is cleared. The balloon finishes the half-done command inside QEMU; the
daemon, started again at once, adopts the balloon as it really is and
neither repeats nor undoes the command (no target over 3 ticks), its
status then says where the balloon stopped, and host pressure (the
machine cgroup past its low mark) moves the balloon again within 2
ticks.
"""

import re
import sys
import time

import harness
import abtest
import fault

PLAN = 5
TICKS = 3


def run(s, tap, fig):
    w = fault.World(s, tap, fig)
    g, d = w.boot()

    mark = d.mark()
    abtest.vab("balloon-inject-pressure", g.name, "medium")
    harness.wait_until(lambda: d.setmem_lines(g.name, mark), 20, interval=0.02,
                       what="the medium target")
    d.proc.kill()
    d.proc.wait()
    old, target, _ = d.setmem_lines(g.name, mark)[-1]
    at_kill = g.dommemstat()["actual"]
    fig["actual_at_kill_kib"] = at_kill
    abtest.vab("balloon-inject-pressure", g.name, "none")
    tap.ok(d.proc.returncode == -9 and target < old,
           "autoballoond killed -9 right after setting %d -> %d KiB; the balloon was at "
           "%d KiB (%s)" % (old, target, at_kill,
                            "moving" if abs(at_kill - target) > fault.MARGIN_KIB
                            else "already there"))

    restart_mark = d.mark()
    wall = fault.wall()
    fig["restart_s"] = d.start()
    d.wait_log(r"resync: ", 10, restart_mark)
    w.wait_ticks(g, TICKS, restart_mark)
    sent = d.setmem_lines(g.name, restart_mark)
    _, fig["kill_to_settled_s"] = g.wait_memstat(
        lambda st: abs(st["actual"] - target) <= fault.MARGIN_KIB, 20,
        what="the balloon at the half-done target %d KiB" % target)
    tap.ok(not sent, "restarted, the daemon neither repeats nor undoes the half-done "
           "command over %d ticks; the balloon finished it on its own" % TICKS,
           "targets after the restart: %s" % sent)
    w.check_truthful(g, wall)
    w.check_managing(g, "after the restart", key="restart", host=True)
    w.invariants()


if __name__ == "__main__":
    sys.exit(abtest.main("fault-daemon-kill", PLAN, run))
