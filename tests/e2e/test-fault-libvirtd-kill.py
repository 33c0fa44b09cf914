#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 2: libvirtd killed with SIGKILL under the daemon, back 10 s later.

The daemon has just set a target (it talks to libvirtd every tick) when
libvirtd dies without a word. For the 10 s it is away the daemon stays up
and retries; the guest keeps running at its size. Once a new libvirtd
answers, the daemon reconnects, resyncs without moving the balloon, and
host pressure (the machine cgroup past its low mark) moves it again
within 2 ticks.
"""

import os
import sys
import time

import harness
import abtest
import fault

PLAN = 6
OUTAGE_S = 10
TICKS = 2


def run(s, tap, fig):
    w = fault.World(s, tap, fig)
    tap.attach("libvirtd output", os.path.join(s.workdir, "libvirtd.out"), lines=20)
    if not s.libvirt.started_libvirtd():
        tap.skip_rest("the libvirtd in use was not started by this test; not killing it")
        return
    g, d, size = w.shrunk("before the fault the daemon manages the guest:")

    mark = d.mark()
    t_kill = time.monotonic()
    s.libvirt.kill_libvirtd()
    d.wait_log(r"connection to \S+ closed", 15, mark)
    fig["kill_to_close_seen_s"] = time.monotonic() - t_kill
    # The outage itself lasts OUTAGE_S; meanwhile the daemon and the guest
    # must both stay up.
    harness.wait_until(lambda: (not d.alive() or w.qemus_killed() or
                                time.monotonic() - t_kill >= OUTAGE_S), OUTAGE_S + 5,
                       interval=0.2, what="the end of the outage")
    tap.ok(d.alive() and not w.qemus_killed(),
           "%d s without libvirtd: the daemon and the guest's qemu are still up"
           % OUTAGE_S, "daemon alive %s, killed: %s" % (d.alive(), w.qemus_killed()))

    t_back = time.monotonic()
    s.libvirt.start()
    m = d.wait_log(r"connected to ", 60, mark)
    fig["libvirtd_back_to_reconnect_s"] = time.monotonic() - t_back
    fig["kill_to_reconnect_s"] = time.monotonic() - t_kill
    w.wait_ticks(g, TICKS, m.end())
    sent = d.setmem_lines(g.name, mark)
    actual = g.dommemstat()["actual"]
    tap.ok(not sent and abs(actual - size) <= fault.MARGIN_KIB,
           "reconnected %.1f s after libvirtd came back; the resync keeps the guest at "
           "%d KiB over %d ticks" % (fig["libvirtd_back_to_reconnect_s"], actual, TICKS),
           "targets: %s" % sent)
    w.recovers(g, "after the reconnect", "reconnect", 0)


if __name__ == "__main__":
    sys.exit(abtest.main("fault-libvirtd-kill", PLAN, run))
