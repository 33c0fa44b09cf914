#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 3: a managed guest's qemu killed with SIGKILL under the daemon.

The daemon has shrunk the guest when its qemu is killed -9. The daemon
lets it go (no status, no command to a dead guest) and stays up. The
same definition started again brings a fresh balloon at <memory>: the
daemon adopts that size, not the dead guest's target. Killed once more,
then undefined and replaced by a new guest of the same name (a new
UUID): the daemon manages the new guest from its own size, and host
pressure (the machine cgroup past its low mark) moves it within 2 ticks.
"""

import os
import re
import signal
import sys

import harness
import abtest
import fault

PLAN = 7
TICKS = 3


def domstate(g):
    return harness.virsh("domstate", g.name, check=False).stdout.strip()


def kill_qemu(w, g):
    mark = w.daemon.mark()
    os.kill(g.qemu_pid(), signal.SIGKILL)
    harness.wait_until(lambda: domstate(g) == "shut off", 20, what="%s shut off" % g.name)
    w.daemon.wait_log(r"%s: no longer managed" % re.escape(g.name), 10, mark)
    g.destroy()              # closes the console socket
    return mark


def adopted(w, g, since, wall):
    """After a start: no target over TICKS ticks, status at <memory>."""
    w.wait_ticks(g, TICKS, since)
    sent = w.daemon.setmem_lines(g.name, since)
    st, _ = abtest.wait_status(g, lambda st: st.get("time", 0) >= wall, 10,
                               "a status for the new qemu")
    return (not sent and abtest.near(st["target"], w.mem) and abtest.near(st["actual"], w.mem),
            sent, st)


def run(s, tap, fig):
    w = fault.World(s, tap, fig)
    g, d, size = w.shrunk()

    mark = kill_qemu(w, g)
    tap.ok(d.alive() and abtest.status(g) is None and not d.setmem_lines(g.name, mark),
           "qemu killed -9: the daemon lets the guest go (no status, no command) and "
           "stays up")

    # the same definition, same UUID, started again
    mark = d.mark()
    wall = fault.wall()
    w.start_guests([g])
    ok, sent, st = adopted(w, g, mark, wall)
    tap.ok(ok, "started again (same UUID): the daemon adopts the fresh balloon at %d MiB, "
           "not the dead guest's %d KiB" % (w.mem, size), "targets %s; status %s" % (sent, st))

    # a new guest with the same name
    kill_qemu(w, g)
    g.undefine()
    g2 = w.new_guest("a")
    tap.attach(g2.name + " (new) console", g2.console_log, lines=15)
    mark = d.mark()
    wall = fault.wall()
    w.guests = [g2]
    w.start_guests()
    ok, sent, st = adopted(w, g2, mark, wall)
    tap.ok(ok and g2.name == g.name,
           "a new guest with the same name (new UUID) is managed from its own size: %s" % st,
           "targets %s; status %s" % (sent, st))
    w.recovers(g2, "the new guest", "new_guest", wall)


if __name__ == "__main__":
    sys.exit(abtest.main("fault-qemu-kill", PLAN, run))
