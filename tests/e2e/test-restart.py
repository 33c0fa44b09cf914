#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e scenario 5: restarts on either side of the daemon.

libvirtd restarted under a running autoballoond: the daemon sees the
connection close, reconnects, resyncs without touching the guest's size,
and injected pressure after the restart still moves the target.
autoballoond restarted: the guest keeps its size while the daemon is down
and after it comes back (it adopts the size instead of imposing one), and
management resumes. Each phase shrinks the guest once through injected
pressure and clears it again, so every size is one the daemon chose.
"""

import os
import re
import sys
import time

import harness
import abtest

MEM = 768
PLAN = 8
TICKS = 3


def shrink_once(daemon, g, fig=None, key=None):
    """Inject medium pressure until the daemon sets a new target, clear it,
    wait for the balloon to reach the last target; return (old, new)."""
    log_mark = daemon.mark()
    t0 = time.monotonic()
    abtest.vab("balloon-inject-pressure", g.name, "medium")
    harness.wait_until(lambda: daemon.setmem_lines(g.name, log_mark), 20, interval=0.05,
                       what="a new target for %s" % g.name)
    t_target = time.monotonic() - t0
    abtest.vab("balloon-inject-pressure", g.name, "none")
    daemon.wait_log(r"%s: injected pressure removed" % re.escape(g.name), 10, log_mark)
    lines = daemon.setmem_lines(g.name, log_mark)
    old, new = lines[0][0], lines[-1][1]
    g.wait_memstat(lambda m: abs(m["actual"] - new) <= 4096, 20, interval=0.05,
                   what="actual at %d KiB" % new)
    t_actual = time.monotonic() - t0
    # Until libvirt has the balloon-change event at the new size, its size
    # is stale; the checks after the restart compare with it.
    abtest.wait_settled(g, kib=new)
    if fig is not None:
        fig[key + "_inject_to_target_s"] = t_target
        fig[key + "_inject_to_actual_s"] = t_actual
    return old, new


def steady(daemon, g, size_kib, since):
    """Over TICKS ticks after since: no target set and actual still size_kib."""
    abtest.TickCounter(daemon, g.name).wait(TICKS, 30, since)
    sent = daemon.setmem_lines(g.name, since)
    actual = g.dommemstat()["actual"]
    return not sent and abs(actual - size_kib) <= 4096, sent, actual


def run(s, tap, fig):
    daemon = abtest.Daemon(s, tap)
    g = abtest.guest(s, "r", MEM)
    tap.attach("libvirtd output", os.path.join(s.workdir, "libvirtd.out"), lines=20)
    g.start()
    g.wait_ready()
    abtest.wait_settled(g, MEM)
    daemon.start()
    old, size = shrink_once(daemon, g, fig, "before")
    tap.ok(size < old, "before the restarts: injected pressure shrinks %d -> %d KiB"
           % (old, size))

    # --- libvirtd restarted under the daemon -------------------------------
    if not s.libvirt.started_libvirtd():
        tap.skip_rest("the libvirtd in use was not started by this test; not restarting it")
        return
    log_mark = daemon.mark()
    t0 = time.monotonic()
    fig["libvirtd_restart_s"] = s.libvirt.restart_libvirtd()
    daemon.wait_log(r"connection to \S+ closed", 15, log_mark)
    m = daemon.wait_log(r"connected to ", 60, log_mark)
    fig["libvirtd_restart_to_reconnect_s"] = time.monotonic() - t0
    tap.ok(True, "libvirtd restarted (%.2f s); autoballoond saw the connection close and "
           "reconnected %.2f s after the restart began"
           % (fig["libvirtd_restart_s"], fig["libvirtd_restart_to_reconnect_s"]))
    ok, sent, actual = steady(daemon, g, size, m.end())
    tap.ok(ok, "after the resync the guest keeps its size (%d KiB) over %d ticks"
           % (actual, TICKS), "targets: %s" % sent)
    old, new = shrink_once(daemon, g, fig, "after_libvirtd_restart")
    tap.ok(abs(old - size) <= 4096 and new < old,
           "injected pressure after the libvirtd restart moves the target %d -> %d KiB"
           % (old, new))
    size = new

    # --- autoballoond restarted ------------------------------------------------
    rc = daemon.stop()
    actual = g.dommemstat()["actual"]
    tap.ok(rc == 0 and abs(actual - size) <= 4096,
           "autoballoond stopped (exit %s); the guest keeps %d KiB" % (rc, actual))
    log_mark = daemon.mark()
    wall = int(time.time())
    fig["daemon_restart_s"] = daemon.start()
    ok, sent, actual = steady(daemon, g, size, log_mark)
    st, _ = abtest.wait_status(g, lambda st: st.get("time", 0) >= wall, 10,
                               "a status from the new daemon")
    tap.ok(ok and abs(st["target"] - size) <= 4096,
           "restarted autoballoond adopts the guest's size: status target %d KiB, actual "
           "%d KiB, no target set over %d ticks" % (st["target"], actual, TICKS),
           "targets: %s; status: %s" % (sent, st))
    old, new = shrink_once(daemon, g, fig, "after_daemon_restart")
    tap.ok(abs(old - size) <= 4096 and new < old,
           "management resumes: injected pressure moves the target %d -> %d KiB"
           % (old, new))
    tap.ok(daemon.stop() == 0, "autoballoond exits 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(abtest.main("restart", PLAN, run))
