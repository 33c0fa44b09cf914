# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fault matrix's common checks (docs/reliability.md).

Every fault program boots one or two tiny guests with the DEFAULT policy
(`<autoballoon/>` with no children: floor 25 % of <memory> but at least
128 MiB, ceiling <memory>, medium step 64 MiB), starts autoballoond with
the e2e test config, makes it act with injected pressure, breaks
something, and then asks what a user asks:

    w = fault.World(s, tap, fig)             # daemon + guests, not started
    g, d = w.boot()                           # guests ready, daemon connected
    g, d, size = w.shrunk(what)               # or: boot, and the daemon shrinks
                                              # the first guest (a TAP check)
    ... the fault ...
    w.managing(g)                             # pressure -> a target within 2 ticks
    w.invariants()                            # no qemu killed, no guest OOM,
                                              # every target within the bounds,
                                              # the daemon alive
    w.truthful(g)                             # status = what the balloon is at
    w.recovers(g, what, key, wall)            # managing, truthful, invariants:
                                              # three TAP checks
"""

import re
import time

import harness
import abtest

KIB = 1024
MEM = 384                  # MiB: default floor 128, ceiling 384
MARGIN_KIB = 4096          # the engine's "reached" margin (AB_POLICY_MOVE_MARGIN_KIB)
# "managing again within 2 ticks": the new target comes in at most this
# many of the daemon's clock ticks for the guest after the pressure is
# injected (rounds that events start in between do not count: they only
# come sooner).
MANAGE_TICKS = 2


def default_floor_mib(mem_mib):
    return min(mem_mib, max(mem_mib // 4, 128))


class World:
    def __init__(self, s, tap, fig, n=1, mem=MEM, config=None, names="ab", **guest_kw):
        self.s = s
        self.tap = tap
        self.fig = fig
        self.daemon = abtest.Daemon(s, tap, config=config)
        self.guests = [abtest.guest(s, names[i], mem, **guest_kw) for i in range(n)]
        self.mem = mem
        self.pids = {}
        for g in self.guests:
            tap.attach(g.name + " console", g.console_log, lines=15)

    # --- setup -----------------------------------------------------------

    def start_guests(self, guests=None):
        guests = guests if guests is not None else self.guests
        for g in guests:
            g.start()
        for g in guests:
            g.wait_ready()
            self.pids[g.name] = g.qemu_pid()
        for g in guests:
            abtest.wait_settled(g, self.mem)

    def boot(self):
        """Guests up and settled at <memory>, the daemon connected and
        publishing a status for each. Returns the first guest and the
        daemon."""
        self.start_guests()
        self.fig["daemon_start_s"] = self.daemon.start()
        for g in self.guests:
            abtest.wait_status(g, lambda st: st.get("usable", 0) > 0, 20,
                               "a status with guest stats")
        return self.guests[0], self.daemon

    def shrunk(self, what="the daemon shrinks the guest", above_kib=0):
        """boot(), then injected pressure shrinks the first guest to a
        target above @above_kib: one TAP check, "@what old -> new KiB".
        Returns the guest, the daemon and the target (KiB)."""
        g, d = self.boot()
        ok, old, size, _ = self.managing(g)
        self.tap.ok(ok and size > above_kib, "%s %d -> %d KiB" % (what, old, size))
        return g, d, size

    # --- what the user cares about -----------------------------------------

    def ticks(self, g, since, clock=True):
        """The daemon's clock ticks for @g since log offset @since (with
        clock=False: every decision round, events' too)."""
        return abtest.TickCounter(self.daemon, g.name, clock).count(since)

    def wait_ticks(self, g, n, since, timeout=30):
        abtest.TickCounter(self.daemon, g.name).wait(n, timeout, since)

    def quiet(self, g, ticks=2, timeout=60):
        """Until the daemon has set no target for @g for @ticks clock
        ticks in a row (a guest it is still growing for its own pressure
        would answer an injection with a grow)."""
        counter = abtest.TickCounter(self.daemon, g.name, clock=True)
        rx = re.compile(r"%s: target \d+ KiB -> " % re.escape(g.name))

        def still():
            text = self.daemon.text()
            last = [m.end() for m in rx.finditer(text)]
            return len(counter.rx.findall(text, last[-1] if last else 0)) >= ticks
        harness.wait_until(still, timeout, interval=0.1,
                           what="%s: %d ticks without a new target" % (g.name, ticks))

    def managing(self, g, level="medium", clear=True, timeout=20):
        """Inject @level on @g and wait for the daemon's next target for
        it: (ok, old KiB, new KiB, ticks it took). ok: the target is lower
        and came within MANAGE_TICKS ticks of the guest."""
        # libvirt's size (the daemon's) lags QEMU's by up to a second of
        # rate-limited balloon-change events: start from a settled view,
        # or the first decisions wait for a move that is already over
        self.wait_libvirt_current(g)
        mark = self.daemon.mark()
        abtest.vab("balloon-inject-pressure", g.name, level)
        harness.wait_until(lambda: self.daemon.setmem_lines(g.name, mark), timeout,
                           interval=0.05, what="a new target for %s" % g.name)
        text = self.daemon.text()
        m = re.compile(r"%s: target \d+ KiB -> \d+ KiB" % re.escape(g.name)).search(text, mark)
        ticks_before = len(abtest.TickCounter(self.daemon, g.name, clock=True)
                           .rx.findall(text[:m.start()], mark))
        old, new, _ = self.daemon.setmem_lines(g.name, mark)[0]
        if clear:
            abtest.vab("balloon-inject-pressure", g.name, "none")
            self.daemon.wait_log(r"%s: injected pressure removed" % re.escape(g.name), 10, mark)
            # every target of this round, the balloon at the last one
            last = self.daemon.setmem_lines(g.name, mark)[-1][1]
            g.wait_memstat(lambda st: abs(st["actual"] - last) <= MARGIN_KIB, 20,
                           what="actual at %d KiB" % last)
        return (new < old and ticks_before <= MANAGE_TICKS), old, new, ticks_before

    def wait_libvirt_current(self, g, timeout=20):
        """Until libvirt's size of the balloon is QEMU's."""
        def current():
            used = abtest.used_memory_kib(g)
            return used is not None and abs(used - g.dommemstat()["actual"]) <= KIB
        harness.wait_until(current, timeout, interval=0.1,
                           what="%s: libvirt's balloon size current" % g.name)

    def bounds_kib(self):
        return default_floor_mib(self.mem) * KIB, self.mem * KIB

    def targets_out_of_bounds(self, guests=None):
        lo, hi = self.bounds_kib()
        bad = []
        for g in guests if guests is not None else self.guests:
            bad += [(g.name, new) for _, new, _ in self.daemon.setmem_lines(g.name)
                    if not lo <= new <= hi]
        return bad

    def oom(self, guests=None):
        return {g.name: abtest.oom_lines(g.console_text())
                for g in (guests if guests is not None else self.guests)
                if abtest.oom_lines(g.console_text())}

    def qemus_killed(self, guests=None):
        """Guests whose qemu is not the one started (dead or replaced)."""
        dead = []
        for g in guests if guests is not None else self.guests:
            pid = self.pids.get(g.name)
            try:
                now = g.qemu_pid()
            except OSError:
                now = None
            if pid is None or now != pid or not abtest.pid_alive(pid):
                dead.append(g.name)
        return dead

    def invariants(self, guests=None, daemon_alive=True):
        """One TAP check for all of it; False when any part fails."""
        killed = self.qemus_killed(guests)
        oom = self.oom(guests)
        bad = self.targets_out_of_bounds(guests)
        alive = self.daemon.alive()
        lo, hi = self.bounds_kib()
        return self.tap.ok(
            not killed and not oom and not bad and alive == daemon_alive,
            "no qemu killed, no guest OOM kill, all %d targets within [%d, %d] KiB, "
            "daemon %s" % (sum(len(self.daemon.setmem_lines(g.name))
                               for g in (guests or self.guests)), lo, hi,
                           "alive" if alive else "not running"),
            "killed: %s; oom: %s; out of bounds: %s; daemon alive: %s"
            % (killed, oom, bad, alive))

    def truthful(self, g, wall_since, timeout=20):
        """Once the balloon has settled, the status the daemon publishes
        (written at or after @wall_since) says where it is: its target and
        actual are the balloon's size as QEMU reports it. Returns
        (ok, status, actual KiB)."""
        def settled():
            a = g.dommemstat()["actual"]
            st = abtest.status(g)
            if (st and st.get("time", 0) >= wall_since and
                    abs(st.get("actual", 0) - a) <= MARGIN_KIB and
                    abs(st.get("target", 0) - a) <= MARGIN_KIB):
                return st, a
            return None
        try:
            (st, a), _ = harness.wait_until(settled, timeout, interval=0.1,
                                            what="%s: a truthful status" % g.name)
            return True, st, a
        except TimeoutError:
            return False, abtest.status(g), g.dommemstat()["actual"]

    def check_truthful(self, g, wall_since, timeout=20):
        ok, st, actual = self.truthful(g, wall_since, timeout)
        return self.tap.ok(ok, "status truthful afterwards: target %s, actual %s KiB, "
                           "balloon at %d KiB" % (st.get("target") if st else None,
                                                  st.get("actual") if st else None, actual),
                           "status: %s" % st)

    def check_managing(self, g, what="", level="medium", key="manage"):
        t0 = time.monotonic()
        ok, old, new, ticks = self.managing(g, level)
        self.fig[key + "_inject_to_target_s"] = time.monotonic() - t0
        return self.tap.ok(ok, "managing%s: injected %s pressure moves the target %d -> %d "
                           "KiB after %d tick(s)" % (" " + what if what else "", level,
                                                     old, new, ticks),
                           "expected a lower target within %d ticks" % MANAGE_TICKS)

    def recovers(self, g, what, key, wall_since):
        """After the fault: pressure moves @g again within 2 ticks, its
        status is truthful from @wall_since on, the invariants hold
        (three TAP checks)."""
        self.check_managing(g, what, key=key)
        self.check_truthful(g, wall_since)
        self.invariants()


def wall():
    return int(time.time())
