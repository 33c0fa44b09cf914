# SPDX-License-Identifier: LGPL-2.1-or-later
"""The fault matrix's common checks (docs/reliability.md).

Every fault program boots one or two tiny guests with the DEFAULT policy
(`<autoballoon/>` with no children: floor 25 % of <memory> but at least
128 MiB, ceiling <memory>, medium step 64 MiB), starts autoballoond with
the e2e test config and the machine cgroup's headroom as its host
pressure source (abtest.HOST_SOURCES), breaks something, and then asks
what a user asks:

    w = fault.World(s, tap, fig)             # daemon + guests, not started
    g, d = w.boot()                           # guests ready, daemon connected
    g, d, size = w.shrunk(what)               # or: boot, and the daemon shrinks
                                              # the first guest (a TAP check)
    ... the fault ...
    w.managing(g, host=True)                  # host pressure -> a lower target,
                                              # host-pressure, within 2 ticks
    w.managing(g)                             # injected pressure, the same
    with w.host_pressure() as hp: ...         # the host under pressure for a block
    w.invariants()                            # no qemu killed, no guest OOM,
                                              # every target within the bounds,
                                              # the daemon alive
    w.truthful(g)                             # status = what the balloon is at
    w.recovers(g, what, key, wall)            # managing (host), truthful,
                                              # invariants: three TAP checks

Host pressure is real: the machine cgroup gets a limit that a host
process (memload, below machine) takes past the low mark of the daemon's
headroom source (abtest.host_pressure). Until then the machine cgroup
has no limit and the source reports nothing. The guests do not report
their free pages to QEMU (freePageReporting='off') and each touches and
frees TOUCH_MIB after boot, as a guest that has run something: their
qemu holds memory that only the daemon's balloon gives back, so a host
deficit has something to take (a balloon over memory the qemu does not
hold frees nothing on the host, and the engine does not ask for it).
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
# what each guest touches and frees after boot (its qemu keeps it)
TOUCH_MIB = 256


def default_floor_mib(mem_mib):
    return min(mem_mib, max(mem_mib // 4, 128))


class World:
    def __init__(self, s, tap, fig, n=1, mem=MEM, config=None, names="ab", touch_mib=TOUCH_MIB,
                 **guest_kw):
        self.s = s
        self.tap = tap
        self.fig = fig
        cfg = {"pressure": dict(abtest.HOST_SOURCES)}
        for sec, keys in (config or {}).items():
            cfg.setdefault(sec, {}).update(keys)
        self.daemon = abtest.Daemon(s, tap, config=cfg)
        guest_kw.setdefault("free_page_reporting", False)
        self.guest_kw = guest_kw
        self.mem = mem
        self.guests = [self.new_guest(names[i]) for i in range(n)]
        self.touch_mib = touch_mib
        self.pids = {}
        self.last = {}           # what the last managing() saw
        for g in self.guests:
            tap.attach(g.name + " console", g.console_log, lines=15)

    # --- setup -----------------------------------------------------------

    def new_guest(self, short):
        """A guest defined as the World's are (not started, not in
        self.guests)."""
        return abtest.guest(self.s, short, self.mem, **self.guest_kw)

    def start_guests(self, guests=None):
        guests = guests if guests is not None else self.guests
        for g in guests:
            g.start()
        for g in guests:
            g.wait_ready()
            self.pids[g.name] = g.qemu_pid()
        for g in guests:
            if self.touch_mib:
                rc, out = g.run("memload %d" % self.touch_mib, timeout=120)
                if rc != 0:
                    raise RuntimeError("%s: memload %d failed: %s"
                                       % (g.name, self.touch_mib, out[-400:]))
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
        """Until @n clock ticks of the daemon for @g after @since (rounds
        that events start in between come on top)."""
        abtest.TickCounter(self.daemon, g.name, clock=True).wait(n, timeout, since)

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

    def host_pressure(self, g=None, **kw):
        """The host under real memory pressure for a block
        (abtest.host_pressure: the machine cgroup past its low mark,
        64 MiB short by default); @g (default: the first guest) is the
        guest whose tick says the daemon has read the limit."""
        return abtest.host_pressure(self.s, self.daemon, (g or self.guests[0]).name, **kw)

    def managing(self, g, level="medium", clear=True, timeout=20, host=False, **host_kw):
        """Inject @level on @g (host: put the host under pressure,
        host_pressure()) and wait for the daemon's next target for it:
        (ok, old KiB, new KiB, ticks it took). ok: the target is lower
        and came within MANAGE_TICKS ticks of the guest (host: of the
        host load's start; the reason is host-pressure, and the machine
        cgroup was past its low mark; @host_kw go to host_pressure()).
        With @clear the pressure ends and the balloon gets to the last
        target."""
        # libvirt's size (the daemon's) lags QEMU's by up to a second of
        # rate-limited balloon-change events: start from a settled view,
        # or the first decisions wait for a move that is already over
        self.wait_libvirt_current(g)
        if host:
            return self._managing_host(g, clear, timeout, **host_kw)
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
        self.last = {"reason": self.daemon.setmem_lines(g.name, mark)[0][2]}
        return (new < old and ticks_before <= MANAGE_TICKS), old, new, ticks_before

    def _managing_host(self, g, clear, timeout, **host_kw):
        d = self.daemon
        rx = re.compile(r"%s: target (\d+) KiB -> (\d+) KiB \((\S+?), level (\S+) from (\S+)\)"
                        % re.escape(g.name))
        m = None
        with self.host_pressure(g, **host_kw) as hp:
            try:
                m, _ = harness.wait_until(lambda: rx.search(d.text(), hp.mark), timeout,
                                          interval=0.05,
                                          what="a target for %s under host pressure" % g.name)
                seen = time.monotonic() - hp.t0
            except TimeoutError:
                seen = None
            hp.sample()
            text = d.text()
        end = d.mark()
        self.last = {"hp": hp, "seen_s": seen, "line": m.group(0) if m else None,
                     "reason": m.group(3) if m else None}
        if m is None:
            size = g.dommemstat()["actual"]
            return False, size, size, abtest.TickCounter(d, g.name, True).count(hp.mark)
        old, new = int(m.group(1)), int(m.group(2))
        ticks = len(abtest.TickCounter(d, g.name, True).rx.findall(text[:m.start()], hp.mark))
        if clear:
            # a round at level none: the pressure is over, the last target stands
            rx_none = re.compile(r"%s: [a-z-]+, target \d+ KiB, actual \d+ KiB, level none, on "
                                 % re.escape(g.name))
            harness.wait_until(lambda: rx_none.search(d.text(), end), 20, interval=0.05,
                               what="%s: a round at level none after the host load" % g.name)
            last = d.setmem_lines(g.name, hp.mark)[-1][1]
            g.wait_memstat(lambda st: abs(st["actual"] - last) <= MARGIN_KIB, 20,
                           what="actual at %d KiB" % last)
        ok = (new < old and m.group(3) == "host-pressure" and ticks <= MANAGE_TICKS and
              hp.min_free() < abtest.LOW_MARK and hp.rc == 0)
        return ok, old, new, ticks

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

    def check_managing(self, g, what="", level="medium", key="manage", host=False, **host_kw):
        t0 = time.monotonic()
        ok, old, new, ticks = self.managing(g, level, host=host, **host_kw)
        what = " " + what if what else ""
        self.fig[key + "_ticks"] = ticks
        if not host:
            self.fig[key + "_inject_to_target_s"] = time.monotonic() - t0
            return self.tap.ok(ok, "managing%s: injected %s pressure moves the target %d -> %d "
                               "KiB after %d tick(s)" % (what, level, old, new, ticks),
                               "expected a lower target within %d ticks" % MANAGE_TICKS)
        hp = self.last["hp"]
        if self.last["seen_s"] is not None:
            self.fig[key + "_load_to_target_s"] = self.last["seen_s"]
        self.fig[key + "_min_free_pct"] = 100 * hp.min_free()
        return self.tap.ok(ok, "managing%s: host pressure (%s) moves the target %d -> %d KiB "
                           "after %d tick(s): %s"
                           % (what, hp.describe(), old, new, ticks,
                              self.last["line"].split(": ", 1)[1] if self.last["line"]
                              else "no target"),
                           "expected a lower target, reason host-pressure, within %d ticks of "
                           "the load's start, with the cgroup below its low mark; load exit %s, "
                           "free shares %s" % (MANAGE_TICKS, hp.rc,
                                               ["%.3f" % f for f in hp.free[-5:]]))

    def recovers(self, g, what, key, wall_since, host=True):
        """After the fault: host pressure (host=False: injected) moves @g
        again within 2 ticks, its status is truthful from @wall_since
        on, the invariants hold (three TAP checks)."""
        self.check_managing(g, what, key=key, host=host)
        self.check_truthful(g, wall_since)
        self.invariants()


def wall():
    return int(time.time())
