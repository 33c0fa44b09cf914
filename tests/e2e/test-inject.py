#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e scenario 1: injected pressure shrinks a guest by its medium step.

A guest defined from extended XML through `virsh-autoballoon define` with
the DEFAULT policy, autoballoond running with the test config, then
`virsh-autoballoon balloon-inject-pressure DOM medium`: the daemon's first
new target is exactly the medium step below the old one (the step
`balloon-policy DOM` resolves: 64 MiB by default), the balloon gets there, and
a separate `virsh event` process sees a balloon-change event and a
metadata-change event for our status namespace. Reaction times are printed
as figures.
"""

import re
import sys
import time

import harness
import abtest

MEM = 512
PLAN = 10


def run(s, tap, fig):
    daemon = abtest.Daemon(s, tap)
    watcher = s.event_watcher()
    g = abtest.guest(s, "a", MEM)
    xml = abtest.vab("dumpxml", g.name, "--autoballoon", "--inactive").stdout
    pol = abtest.policy(g)
    step = fig["medium_step_kib"] = pol["step medium"]
    tap.ok("autoballoon='on'" in xml.replace('"', "'") and
           re.search(r"(?m)^Autoballoon:\s+on$", pol["text"]) and
           pol["defaults"] == {"floor", "ceiling", "reserve", "step low", "step medium",
                               "step critical"},
           "defined from extended XML by virsh-autoballoon; dumpxml --autoballoon gives "
           "the policy back", xml + pol["text"])

    watcher.sync(g.name)
    g.start()
    g.wait_ready()
    fig["daemon_start_s"] = daemon.start()
    st, t = abtest.wait_status(g, lambda st: st.get("usable", 0) > 0, 30,
                               "status with the guest's usable memory")
    tap.ok(abtest.near(st["target"], MEM) and st.get("level") == "none",
           "autoballoond manages the guest: status target=%d KiB usable=%d KiB level=%s "
           "(%.2f s after start)" % (st["target"], st["usable"], st.get("level"), t), st)

    mark = watcher.mark()
    log_mark = daemon.mark()
    t0 = time.monotonic()
    abtest.vab("balloon-inject-pressure", g.name, "medium")
    harness.wait_until(lambda: daemon.setmem_lines(g.name, log_mark), 15, interval=0.05,
                       what="a new balloon target in the daemon log")
    fig["inject_to_target_s"] = time.monotonic() - t0
    old, new, reason = daemon.setmem_lines(g.name, log_mark)[0]
    tap.ok(old - new == step and reason == "injected",
           "first new target %d -> %d KiB (%s) %.2f s after the injection: exactly the "
           "medium step" % (old, new, reason, fig["inject_to_target_s"]),
           "expected a %d KiB step (balloon-policy's) for reason injected" % step)

    _, t = g.wait_memstat(lambda m: abs(m["actual"] - new) <= 1024, 20,
                          what="actual = %d KiB" % new)
    fig["inject_to_actual_s"] = time.monotonic() - t0
    tap.ok(True, "the balloon reached the target %.2f s after the injection"
           % fig["inject_to_actual_s"])

    _, te, line, _ = watcher.wait_for(
        r"'balloon-change' for domain '?%s'?: %d" % (re.escape(g.name), new), 15, mark)
    fig["inject_to_balloon_event_s"] = te - t0
    tap.ok(True, "balloon-change event at the new target seen by virsh event %.2f s after "
           "the injection: %s" % (te - t0, line.strip()))

    _, te, line, _ = watcher.wait_for(
        r"'metadata-change' for domain '?%s'?: .*%s" % (re.escape(g.name),
                                                       re.escape(abtest.STATUS_URI)), 15, mark)
    fig["inject_to_status_event_s"] = te - t0
    tap.ok(True, "metadata-change event for the status namespace seen %.2f s after the "
           "injection: %s" % (te - t0, line.strip()))

    # The status is rewritten every tick; by now it may already say the
    # balloon is on its way (pending) or that the next step was taken.
    st, _ = abtest.wait_status(g, lambda st: st.get("level") == "medium", 10,
                               "status level medium")
    tap.ok(st.get("source") == "injected" and st.get("target", 0) <= new and
           st.get("reason") in ("injected", "pending"),
           "status says level=medium source=%s target=%s KiB reason=%s"
           % (st.get("source"), st.get("target"), st.get("reason")), st)

    # Cleared pressure: the status drops to none and the daemon stops
    # shrinking (three ticks without a new target).
    abtest.vab("balloon-inject-pressure", g.name, "none")
    st, _ = abtest.wait_status(g, lambda st: st.get("level") == "none", 15,
                               "status level none after clearing")
    log_mark = daemon.mark()
    ticks = abtest.TickCounter(daemon, g.name)
    ticks.wait(3, 15, log_mark)
    later = daemon.setmem_lines(g.name, log_mark)
    tap.ok(not later, "after `balloon-inject-pressure DOM none` the status level is none and "
           "no new target follows over 3 ticks", later)

    # The view the plugin gives users of the same status.
    out = abtest.vab("balloon-status", g.name).stdout
    tap.ok(g.name in out or "none" in out, "balloon-status shows the guest:\n" + out.strip(), out)

    tap.ok(daemon.stop() == 0, "autoballoond exits 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(abtest.main("inject", PLAN, run))
