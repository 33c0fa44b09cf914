#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e scenario 4: `balloon-policy DOM --disable --live` stops the daemon
touching a guest while pressure continues; `--enable --live` resumes.

Two guests under injected medium pressure (no duration): "d" is the one
disabled and enabled again, "w" a witness that stays managed, so the daemon
demonstrably keeps ticking and shrinking (the witness's targets move) while
"d"'s target stays put over several ticks with its injected pressure still
set. The status of a disabled guest must say so. Both have the DEFAULT
policy; the witness is as large as "d" so that its medium steps last
through the checks (it must still be shrinking while "d" is disabled).
"""

import re
import sys
import time

import harness
import abtest

PLAN = 7
TICKS = 4


def run(s, tap, fig):
    daemon = abtest.Daemon(s, tap)
    d = abtest.guest(s, "d", 1024)
    w = abtest.guest(s, "w", 1024)
    for g in (d, w):
        g.start()
    for g in (d, w):
        g.wait_ready()
        abtest.wait_settled(g, g.memory_mib)
    daemon.start()
    abtest.vab("balloon-inject-pressure", d.name, "medium")
    abtest.vab("balloon-inject-pressure", w.name, "medium")
    harness.wait_until(lambda: len(daemon.setmem_lines(d.name)) >= 2 and
                       daemon.setmem_lines(w.name), 20,
                       what="two shrink steps of %s, one of %s" % (d.name, w.name))
    shrunk = daemon.setmem_lines(d.name) + daemon.setmem_lines(w.name)
    tap.ok(all(r == "injected" and n < o for o, n, r in shrunk),
           "both guests shrink under injected medium pressure", shrunk)

    log_mark = daemon.mark()
    t0 = time.monotonic()
    abtest.vab("balloon-policy", d.name, "--disable", "--live")
    daemon.wait_log(r"%s: no longer managed" % re.escape(d.name), 15, log_mark)
    fig["disable_to_unmanaged_s"] = time.monotonic() - t0
    # The target it had when let go; the balloon finishes that last move.
    target = daemon.setmem_lines(d.name)[-1][1]
    st, _ = d.wait_memstat(lambda m: abs(m["actual"] - target) <= 4096, 20,
                           what="last target %d KiB reached" % target)
    held = st["actual"]
    log_mark = daemon.mark()
    ticks = abtest.TickCounter(daemon, w.name)
    ticks.wait(TICKS, 30, log_mark)
    inj = harness.virsh("metadata", d.name, abtest.PRESSURE_URI, "--live", check=False).stdout
    moved = daemon.setmem_lines(d.name, log_mark)
    now = d.dommemstat()["actual"]
    tap.ok(not moved and abs(now - held) <= 4096 and "medium" in inj and
           daemon.setmem_lines(w.name, log_mark),
           "disabled: over %d ticks (the witness kept shrinking) no target for it, actual "
           "%d -> %d KiB, injected pressure still set" % (TICKS, held, now),
           "targets: %s; injected: %s" % (moved, inj.strip()))

    st = abtest.status(d)
    out = abtest.vab("balloon-status", check=False).stdout
    row = [line for line in out.splitlines() if d.name in line]
    tap.ok((st is not None and "disabled" in (st.get("reason"), st.get("action"),
                                             st.get("state"))) or
           (row and "disabled" in row[0]),
           "its status says disabled (status metadata: %s; balloon-status: %s)"
           % (st, row[0].strip() if row else "no row"),
           "daemon removes the status element of a disabled guest and balloon-status shows "
           "'-' for it; nothing tells a user the guest is disabled\n" + out)

    pol = abtest.vab("balloon-policy", d.name).stdout
    tap.ok(re.search(r"(?m)^Autoballoon:\s+off$", pol) is not None,
           "balloon-policy shows the policy as off", pol)

    log_mark = daemon.mark()
    t0 = time.monotonic()
    abtest.vab("balloon-policy", d.name, "--enable", "--live")
    daemon.wait_log(r"%s: managed" % re.escape(d.name), 15, log_mark)
    harness.wait_until(lambda: daemon.setmem_lines(d.name, log_mark), 20, interval=0.05,
                       what="a new target for %s after --enable" % d.name)
    fig["enable_to_target_s"] = time.monotonic() - t0
    old, new, reason = daemon.setmem_lines(d.name, log_mark)[0]
    tap.ok(new < old and reason == "injected",
           "--enable --live resumes: target %d -> %d KiB (%s) %.2f s later"
           % (old, new, reason, fig["enable_to_target_s"]))
    st, _ = abtest.wait_status(d, lambda st: st.get("level") == "medium", 10,
                               "status level medium again")
    tap.ok(st.get("source") == "injected", "its status is back: %s" % st, st)
    tap.ok(old <= held + 4096,
           "the daemon resumed from where the guest was held (%d KiB), not from a stale "
           "target" % held, (old, held))


if __name__ == "__main__":
    sys.exit(abtest.main("disable", PLAN, run))
