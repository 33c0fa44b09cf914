#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fault 11: the daemon's wall clock stepped while it runs.

autoballoond runs under libfaketime (Debian's faketime) with its own
monotonic clock left alone and its wall clock read from a file that the
test rewrites: the machine's clock is never touched. Low pressure injected
with a 4 s duration (an expiry in the client's wall clock) and then the
daemon's clock set back an hour: the pressure still ends about 4 s after
it began, not an hour later. Then an hour ahead of the real clock: every
stats stamp QEMU writes now looks an hour old to the daemon, which must
still take them as fresh and manage the guest within 2 ticks. The status
times follow the daemon's own clock, whole and consistent. Last, a load
makes the daemon grow the guest, which starts its cool-down; the clock
jumps another hour ahead in it, and the cool-down still ends 60 ticks of
the monotonic clock after the grow.
"""

import glob
import os
import re
import sys
import time

import harness
import abtest
import fault

PLAN = 7
# low pressure (32 MiB a tick) for a few seconds: the guest stays above its
# reserve, so no grow (and no cool-down) follows
DURATION_S = 4
HOUR = 3600
KIB = 1024
# the default cool-down (docs/policy.md) and the tick of the test config
COOLDOWN_S = 60


def GROW_RX(g):
    return re.compile(r"%s: target \d+ KiB -> \d+ KiB \(guest-pressure" % re.escape(g.name))


def libfaketime():
    found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    return found[0] if found else None


def set_offset(path, seconds):
    with open(path + ".new", "w") as f:
        f.write("%+d\n" % seconds)
    os.rename(path + ".new", path)


def run(s, tap, fig):
    lib = libfaketime()
    if lib is None:
        tap.bail("libfaketime is not installed (apt-get install faketime)")
        return
    w = fault.World(s, tap, fig)
    g = w.guests[0]
    d = w.daemon
    offset_file = os.path.join(s.workdir, "faketime")
    set_offset(offset_file, 0)
    d.env = {"LD_PRELOAD": lib, "FAKETIME_TIMESTAMP_FILE": offset_file,
             "FAKETIME_NO_CACHE": "1", "DONT_FAKE_MONOTONIC": "1",
             "ASAN_OPTIONS": "detect_leaks=0:verify_asan_link_order=0"}
    w.boot()

    mark = d.mark()
    t0 = time.monotonic()
    abtest.vab("balloon-inject-pressure", g.name, "low", "--duration", str(DURATION_S))
    harness.wait_until(lambda: d.setmem_lines(g.name, mark), 20, interval=0.05,
                       what="a target under the injected pressure")
    set_offset(offset_file, -HOUR)
    d.wait_log(r"%s: injected pressure low expired" % re.escape(g.name), 30, mark)
    fig["inject_to_expiry_s"] = time.monotonic() - t0
    # on a wall clock it would end an hour late (the wait above fails);
    # not before its duration either
    tap.ok(fig["inject_to_expiry_s"] >= DURATION_S - 0.5,
           "clock set back an hour: the %d s injection expired %.1f s after it began"
           % (DURATION_S, fig["inject_to_expiry_s"]))

    real = fault.wall()
    st, _ = abtest.wait_status(g, lambda st: st.get("level") == "none", 15, "level none")
    tap.ok(abs(st["time"] - (real - HOUR)) <= 10,
           "status time %d is the daemon's clock (the real one minus an hour, %d)"
           % (st["time"], real - HOUR), st)
    abtest.wait_settled(g, kib=g.dommemstat()["actual"])

    set_offset(offset_file, HOUR)
    mark = d.mark()
    w.wait_ticks(g, 2, mark)
    w.check_managing(g, "with the clock an hour ahead (stats stamps an hour old)",
                     key="ahead")
    real = fault.wall()
    ok, st, actual = w.truthful(g, real + HOUR - 10)
    tap.ok(ok and abs(st["time"] - (real + HOUR)) <= 10,
           "status truthful, its time %s the daemon's clock (real plus an hour, %d)"
           % (st.get("time") if st else None, real + HOUR), st)
    cooldown(w, g, d, offset_file, tap, fig)
    w.invariants()


def cooldown(w, g, d, offset_file, tap, fig):
    """A grow starts the guest's cool-down (60 s by default); the clock
    jumps another hour ahead in it. Under injected low pressure the guest
    still keeps its cool-down's two reserves, and gives the rest only
    when the cool-down is over: COOLDOWN_S ticks of the daemon's clock
    after the grow, not at the jump."""
    abtest.wait_settled(g, kib=g.dommemstat()["actual"])
    st, _ = abtest.wait_status(g, lambda st: st.get("usable", 0) > 0, 15, "guest stats")
    # a stepwise load that takes the guest's usable memory under its
    # reserve: the daemon grows it (guest pressure)
    load_mib = max(st["usable"] // KIB - 64, 32)
    load = abtest.GrowLoad(g, d, "memload -s 16 -d 500 -t 2 %d" % load_mib)
    rc, out = load.wait(fig, 120)
    grows = [m for m in GROW_RX(g).finditer(d.text(), load.mark)]
    tap.ok(rc == 0 and grows,
           "a %d MiB load in the guest: grown %d time(s) (guest pressure), load exit %d"
           % (load_mib, len(grows), rc), out[-400:])
    if not grows:
        return
    grown_at = grows[-1].end()
    set_offset(offset_file, 2 * HOUR)
    mark = d.mark()
    abtest.vab("balloon-inject-pressure", g.name, "low")
    # the cool-down holds: rounds say so after the jump, and go on until
    # it ends (memory the guest freed may still be given in between)
    d.wait_log(r"%s: cooldown, target" % re.escape(g.name), 30, mark)
    held = w.ticks(g, grown_at)
    w.wait_ticks(g, COOLDOWN_S + 5, grown_at, timeout=COOLDOWN_S + 40)
    text = d.text()
    counter = abtest.TickCounter(d, g.name, clock=True)
    rx = re.compile(r"%s: cooldown, target" % re.escape(g.name))
    last = [m.start() for m in rx.finditer(text, grown_at)]
    after = len(counter.rx.findall(text, grown_at, last[-1])) if last else 0
    fig["cooldown_held_ticks"] = after
    tap.ok(held < COOLDOWN_S - 2 and COOLDOWN_S - 3 <= after <= COOLDOWN_S + 2,
           "clock an hour ahead in the cool-down: held from %d tick(s) after the grow; "
           "the last cool-down round %d ticks after it (cool-down %d s, 1 s ticks)"
           % (held, after, COOLDOWN_S))
    abtest.vab("balloon-inject-pressure", g.name, "none")


if __name__ == "__main__":
    sys.exit(abtest.main("fault-clock", PLAN, run))
