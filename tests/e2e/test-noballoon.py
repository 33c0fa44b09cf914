#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e scenario 6: a guest whose balloon driver is not loaded.

The guest boots with ab.noballoon=1, so its init skips `insmod
virtio_balloon`: QEMU has the device, nothing in the guest answers it, no
stats arrive and the balloon never moves. Injected pressure must not make
the daemon send it commands (its stats are missing). A ceiling lowered
below its size is a user command the daemon does send (once); the balloon
does not move, so after [daemon] unresponsive-timeout (5 s in the test
config) the status says unresponsive, and no further command follows over
several ticks, counted in the daemon's log.
"""

import sys
import time

import harness
import abtest

MEM = 512
CEILING = 384
PLAN = 6
TICKS = 5


def run(s, tap, fig):
    daemon = abtest.Daemon(s, tap)
    # the default policy: the ceiling lowered below is the one knob set
    g = abtest.guest(s, "n", MEM, cmdline_extra="ab.noballoon=1")
    tap.attach("guest console", g.console_log, lines=20)
    g.start()
    g.wait_ready()
    text = g.console_text()
    tap.ok("virtio_balloon not loaded" in text and "insmod virtio_balloon" not in text,
           "the guest booted without its balloon driver (ab.noballoon=1)", text[-800:])

    daemon.start()
    st, _ = abtest.wait_status(g, lambda st: True, 15, "a status")
    tap.ok(st.get("usable", 0) == 0 and abtest.near(st["actual"], MEM),
           "managed, with no guest stats: %s" % st, st)

    # Pressure on a guest without stats: the daemon holds.
    log_mark = daemon.mark()
    abtest.vab("balloon-inject-pressure", g.name, "medium")
    ticks = abtest.TickCounter(daemon, g.name)
    ticks.wait(3, 15, log_mark)
    st = abtest.status(g) or {}
    sent = daemon.setmem_lines(g.name)
    tap.ok(not sent and st.get("level") == "medium",
           "injected medium pressure: no command over 3 ticks (status reason %s)"
           % st.get("reason"), "targets: %s; status: %s" % (sent, st))

    # A lowered ceiling is a command the daemon sends even without stats.
    log_mark = daemon.mark()
    t0 = time.monotonic()
    abtest.vab("balloon-policy", g.name, "--ceiling", "%dM" % CEILING, "--live")
    harness.wait_until(lambda: daemon.setmem_lines(g.name, log_mark), 15, interval=0.05,
                       what="the clamp to the new ceiling")
    old, new, reason = daemon.setmem_lines(g.name, log_mark)[0]
    tap.ok(new == CEILING * 1024 and reason == "clamped",
           "ceiling lowered live: target %d -> %d KiB (%s)" % (old, new, reason))

    st, t = abtest.wait_status(g, lambda st: st.get("unresponsive") == "yes", 30,
                               "status unresponsive='yes'")
    fig["command_to_unresponsive_s"] = time.monotonic() - t0
    tap.ok(abtest.near(g.dommemstat()["actual"], MEM),
           "marked unresponsive %.1f s after the command, balloon still at %d MiB: %s"
           % (fig["command_to_unresponsive_s"], MEM, st), st)

    log_mark2 = daemon.mark()
    ticks.wait(TICKS, 30, log_mark2)
    sent = daemon.setmem_lines(g.name, log_mark)
    st = abtest.status(g) or {}
    fig["commands_sent"] = len(sent)
    tap.ok(len(sent) == 1 and st.get("unresponsive") == "yes",
           "no repeated command: %d target(s) sent in all, %d more ticks, still unresponsive"
           % (len(sent), TICKS), "targets: %s; status: %s" % (sent, st))


if __name__ == "__main__":
    sys.exit(abtest.main("noballoon", PLAN, run))
