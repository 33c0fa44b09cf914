#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 13: a qemu that stops answering its monitor (SIGSTOP), under
pressure.

libvirt waits for a QEMU monitor reply without a timeout: a balloon
command to a hung qemu does not return until the process runs again.
Guest a's qemu is stopped with SIGSTOP and pressure injected on it, so
the daemon sends it a target that cannot be answered. Guest b must still
be managed within 2 ticks while a hangs, and SIGTERM must still stop the
daemon. After SIGCONT, a is managed again with a truthful status.
"""

import os
import signal
import sys
import time

import harness
import abtest
import fault

PLAN = 6
HUNG_TICKS = 4            # ticks of b while a's qemu is stopped
STOP_S = 5                # SIGTERM: the daemon has exited within this


def hang(d, g, pid):
    """Stop @g's qemu (@pid) and inject medium on it: returns once the
    daemon's command to it is on its way (and cannot be answered)."""
    os.kill(pid, signal.SIGSTOP)
    mark = d.mark()
    abtest.vab("balloon-inject-pressure", g.name, "medium")
    d.wait_log(r"%s: target \d+ KiB -> \d+ KiB" % g.name, 20, mark)


def run(s, tap, fig):
    w = fault.World(s, tap, fig, n=2)
    a, b = w.guests
    d = w.daemon
    w.boot()
    w.wait_libvirt_current(a)

    pid = w.pids[a.name]
    try:
        hang(d, a, pid)
        ok, old, new, ticks = w.managing(b, clear=False)
        tap.ok(ok, "with %s's qemu stopped: injected medium on %s moves its target "
               "%d -> %d KiB after %d tick(s)" % (a.name, b.name, old, new, ticks))
        since = d.mark()
        try:
            w.wait_ticks(b, HUNG_TICKS, since, timeout=HUNG_TICKS * 3 + 10)
            went_on = True
        except TimeoutError:
            went_on = False
        tap.ok(went_on, "the daemon keeps ticking for %s: %d ticks while %s hangs"
               % (b.name, w.ticks(b, since), a.name))
        abtest.vab("balloon-inject-pressure", b.name, "none")
    finally:
        os.kill(pid, signal.SIGCONT)
    abtest.vab("balloon-inject-pressure", a.name, "none")
    wall = fault.wall()
    w.check_managing(a, "after SIGCONT", key="cont")
    w.check_truthful(a, wall)
    w.invariants()

    # SIGTERM while a's qemu hangs again
    try:
        hang(d, a, pid)
        t0 = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        try:
            d.proc.wait(STOP_S)
        except Exception:
            pass
        fig["sigterm_to_exit_s"] = time.monotonic() - t0
        tap.ok(d.proc.poll() is not None,
               "SIGTERM while %s's qemu hangs: the daemon exits in %.1f s (bound %d s)"
               % (a.name, fig["sigterm_to_exit_s"], STOP_S))
    finally:
        os.kill(pid, signal.SIGCONT)


if __name__ == "__main__":
    sys.exit(abtest.main("fault-hung-qemu", PLAN, run))
