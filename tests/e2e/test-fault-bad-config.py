#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 10: the daemon's configuration replaced by a broken one, then SIGHUP.

A good reload first sets [policy] step-medium = 32MiB (the guest has the
default policy, so the daemon's [policy] applies): injected medium
pressure then shrinks it by exactly 32 MiB. Then two broken files, each
with step-medium = 128MiB as well: one that is not a key file, one with
an out-of-range tick. After each SIGHUP the daemon says why it keeps the
configuration it had, stays up, and the next medium step is still
32 MiB: the last good configuration, not the broken one, not the
built-in default.
"""

import os
import signal
import sys

import abtest
import fault

PLAN = 6
GOOD_STEP_MIB = 32
BROKEN = (
    ("not a key file", "[daemon\ntick = 1\n[policy]\nstep-medium = 128MiB\n",
     r"reload failed, keeping the current configuration: .+"),
    ("tick out of range", "[daemon]\ntick = 0\n[policy]\nstep-medium = 128MiB\n",
     r"reload failed, keeping the current configuration: .*(tick.*'0'|'0'.*tick).*"),
)


def write_config(d, extra):
    with open(d.conf_path) as f:
        text = f.read()
    with open(d.conf_path + ".new", "w") as f:
        f.write(text if extra is None else extra)
    os.rename(d.conf_path + ".new", d.conf_path)


def run(s, tap, fig):
    w = fault.World(s, tap, fig)
    g = w.guests[0]
    d = w.daemon
    w.boot()
    with open(d.conf_path) as f:
        good = f.read() + "[policy]\nstep-medium = %dMiB\n" % GOOD_STEP_MIB

    mark = d.mark()
    write_config(d, good)
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log(r"configuration reloaded", 10, mark)
    ok, old, new, ticks = w.managing(g)
    tap.ok(ok and old - new == GOOD_STEP_MIB * 1024,
           "a good reload: the medium step is now %d MiB (%d -> %d KiB)"
           % (GOOD_STEP_MIB, old, new))

    for what, text, rx in BROKEN:
        mark = d.mark()
        write_config(d, text)
        d.proc.send_signal(signal.SIGHUP)
        m = d.wait_log(rx, 10, mark)
        ok, old, new, ticks = w.managing(g)
        tap.ok(d.alive() and ok and old - new == GOOD_STEP_MIB * 1024 and
               "configuration reloaded" not in d.text()[mark:],
               "broken config (%s) + SIGHUP: \"%s\"; the next medium step is still %d MiB "
               "(%d -> %d KiB, %d tick(s))" % (what, m.group(0).split(": ", 1)[-1],
                                               GOOD_STEP_MIB, old, new, ticks))

    # the good file back: reloads work again
    mark = d.mark()
    write_config(d, good)
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log(r"configuration reloaded", 10, mark)
    tap.ok(d.alive(), "the good file back, SIGHUP reloads it")
    w.check_truthful(g, 0)
    w.invariants()


if __name__ == "__main__":
    sys.exit(abtest.main("fault-bad-config", PLAN, run))
