#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 8: a user sets a managed guest's memory by hand (`virsh setmem`).

The daemon has set a target of its own when the user sets a smaller one.
The daemon takes the user's size as a new fact: no command back to its
own target, no "unresponsive" balloon (it moved, just not where the
daemon had asked), a status that says the user's size, and host
pressure (the machine cgroup past its low mark) then shrinks the guest
from there. A user who gives memory back (setmem
above the target) is not fought either: the daemon follows, under its
cool-down.
"""

import sys

import harness
import abtest
import fault

PLAN = 6
TICKS = 7                 # > [daemon] unresponsive-timeout (5 s) at tick = 1 s
USER_MIB = 256
USER_UP_MIB = 352


def quiet(w, g, since):
    """Over TICKS ticks: the targets set, and the status at the end."""
    w.wait_ticks(g, TICKS, since)
    return w.daemon.setmem_lines(g.name, since), abtest.status(g) or {}


def run(s, tap, fig):
    w = fault.World(s, tap, fig)
    g, d, _ = w.shrunk("the daemon set a target of its own:", above_kib=USER_MIB * 1024)

    mark = d.mark()
    g.setmem(USER_MIB)
    g.wait_memstat(lambda st: abtest.near(st["actual"], USER_MIB), 20,
                   what="actual at %d MiB" % USER_MIB)
    sent, st = quiet(w, g, mark)
    tap.ok(not sent and st.get("unresponsive") != "yes",
           "`virsh setmem %dM` by hand: no command back over %d ticks, balloon not called "
           "unresponsive" % (USER_MIB, TICKS), "targets: %s; status %s" % (sent, st))
    tap.ok(abtest.near(st.get("target", 0), USER_MIB, fault.MARGIN_KIB),
           "the status takes the user's size as the target: %s KiB" % st.get("target"), st)
    ok, old, new, ticks = w.managing(g, host=True)
    fig["host_ticks"] = ticks
    tap.ok(ok and abtest.near(old, USER_MIB, fault.MARGIN_KIB),
           "host pressure (%s) shrinks the guest from the user's size: %d -> %d KiB (%s) "
           "in %d tick(s)" % (w.last["hp"].describe(), old, new, w.last["reason"], ticks))

    mark = d.mark()
    g.setmem(USER_UP_MIB)
    g.wait_memstat(lambda st: abtest.near(st["actual"], USER_UP_MIB), 20,
                   what="actual at %d MiB" % USER_UP_MIB)
    sent, st = quiet(w, g, mark)
    tap.ok(all(abtest.near(new, USER_UP_MIB, fault.MARGIN_KIB) for _, new, _ in sent) and
           len(sent) <= 1 and abtest.near(g.dommemstat()["actual"], USER_UP_MIB) and
           abtest.near(st.get("target", 0), USER_UP_MIB, fault.MARGIN_KIB) and
           st.get("unresponsive") != "yes",
           "`virsh setmem %dM` (memory given back): the daemon follows (%d target(s), all "
           "at the user's size; status target %s KiB) and the balloon stays there"
           % (USER_UP_MIB, len(sent), st.get("target")),
           "targets: %s; status %s" % (sent, st))
    w.invariants()


if __name__ == "__main__":
    sys.exit(abtest.main("fault-setmem", PLAN, run))
