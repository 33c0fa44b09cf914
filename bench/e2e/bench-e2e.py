#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reaction time and reclaim rate of autoballoond on a real TCG guest.

    bench-e2e.py --daemon AUTOBALLOOND --plugin VIRSH_AUTOBALLOON --out DIR
                 [--trials 10] [--reclaim-trials 3] [--tick 2]

Writes DIR/e2e.json (every trial, and the summaries) and
DIR/series-*.tsv (one trial's target, actual and qemu RSS over time).

Paths measured (docs in bench/README.md):
  injected   `virsh-autoballoon balloon-inject-pressure DOM medium`
  host       a load started in libvirt's `machine` memory cgroup, under a
             limit set for the run, to 7 % free (headroom: medium)
  setmem     a raw `virsh setmem` of the same size (the balloon's speed)
and the reclaim rate under critical pressure (injected critical, and a
load to 3 % free of the machine cgroup, its inactive file pages counted
free as the daemon counts them) against a raw setmem of the same
size (one to the injected trials' final size, one to the host trials'),
on a guest whose page cache was filled from its disk first.

Each reaction trial starts a fresh daemon (a guest the daemon saw grow is
in its cool-down for 60 s, and resetting the guest between trials is a
grow), waits for its first status, then waits a random fraction of a tick
so the onset falls anywhere in the tick. Timings are taken from one
libvirt connection: memory stats polled every 25 ms, events from libvirt's
event loop, and the daemon's log lines stamped as they arrive.
"""

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402
import libvirt  # noqa: E402  (Debian's python3-libvirt)

harness.NAME_PREFIX = "ab-bench-"
STATUS_NS = "https://autoballoon.org/xmlns/status/1"
KIB = 1024
MIB_KIB = 1024
# the default headroom low mark (abHeadroomConfigDefaults: 20 % free)
LOW_MARK_USED = 0.80
GUEST_MIB = 1024
DISK_MIB = 768
STEP_MEDIUM_MIB = 64          # the policy's default medium step
POLL_S = 0.025
MACHINE = harness.MACHINE_CGROUP


def log(msg):
    print("bench-e2e: " + msg, file=sys.stderr, flush=True)


def pct(values, p):
    """Percentile by linear interpolation between closest ranks."""
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary(values):
    v = [x for x in values if x is not None]
    if not v:
        return {"n": 0}
    return {"n": len(v), "p50": round(pct(v, 50), 3), "p95": round(pct(v, 95), 3),
            "min": round(min(v), 3), "max": round(max(v), 3)}


class Disturbed(Exception):
    """Someone else's guest ran during a trial: the daemon would manage it
    too (and the host paths share its cgroup). The trial is run again."""


def foreign_domains():
    out = harness.virsh("list", "--name", check=False).stdout.split()
    return [n for n in out if not n.startswith(harness.NAME_PREFIX)]


def psi_total():
    with open("/proc/pressure/memory") as f:
        return int(f.readline().split("total=")[1])


PSI_HIST = []                 # (t, /proc/pressure/memory some total), from the poller


def wait_psi_quiet(quiet_s=3.0, timeout=30):
    """Until host memory PSI stalled less than 20 ms over the last quiet_s:
    what a setup step stalled (the guest filling its cache makes QEMU fault
    in and compact huge pages) must not reach the daemon's 2 s PSI window."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = time.monotonic()
        hist = list(PSI_HIST[-400:])
        old = [x for x in hist if x[0] <= now - quiet_s]
        if old and hist and hist[-1][1] - old[-1][1] < 20000:
            return True
        time.sleep(0.1)
    log("host memory PSI did not settle within %d s" % timeout)
    return False


def wait_no_foreign(limit_s):
    """Others' guests share the machine cgroup: wait for them to go."""
    t0 = time.monotonic()
    while True:
        f = foreign_domains()
        if not f:
            return True
        if time.monotonic() - t0 > limit_s:
            log("other guests still running after %d s: %s" % (limit_s, " ".join(f)))
            return False
        log("waiting for other guests to finish: %s" % " ".join(f))
        time.sleep(5)


def cg_read(name):
    with open(os.path.join(MACHINE, name)) as f:
        return int(f.read().split()[0])


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class MachineLimit:
    """A memory limit on libvirt's machine cgroup, lifted as soon as someone
    else's guest runs (it would share the limit)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.old = None

    def set(self, limit_kib):
        with self.lock:
            path = os.path.join(MACHINE, "memory.limit_in_bytes")
            with open(path) as f:
                old = f.read().strip()
            with open(path, "w") as f:
                f.write(str(limit_kib * KIB))
            if self.old is None:
                self.old = old

    def lift(self):
        with self.lock:
            if self.old is not None:
                with open(os.path.join(MACHINE, "memory.limit_in_bytes"), "w") as f:
                    f.write(self.old)
                self.old = None


class Probe:
    """One libvirt connection: events on its own loop thread, a 25 ms
    poller of the balloon's actual, the daemon's status target and
    qemu's RSS. Everything is stamped with time.monotonic()."""

    def __init__(self, dom_name):
        self.conn = libvirt.open(harness.URI)
        self.foreign = []        # names of others' running guests, last check
        self.daemon = None       # the running autoballoond, stopped if others appear
        self.limit = MachineLimit()
        self.dom = self.conn.lookupByName(dom_name)
        self.lock = threading.Lock()
        # (t, actual_kib, rss_kib, target_kib, machine_usage_kib, machine_used_kib):
        # used is usage less inactive file pages, the daemon's count
        self.samples = []
        self.status_events = []  # t of metadata-change events for the status namespace
        self.pid = None
        self.stop = False
        self.conn.domainEventRegisterAny(self.dom, libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                         self._on_meta, None)
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _on_meta(self, conn, dom, mtype, nsuri, opaque):
        if nsuri == STATUS_NS:
            with self.lock:
                self.status_events.append(time.monotonic())

    def status(self):
        try:
            xml = self.dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, STATUS_NS,
                                    libvirt.VIR_DOMAIN_AFFECT_LIVE)
        except libvirt.libvirtError:
            return None
        return dict(re.findall(r'(\w+)=["\']([^"\']*)["\']', xml))

    def target(self):
        st = self.status()
        return int(st["target"]) if st and "target" in st else None

    def actual(self):
        return self.dom.memoryStats().get("actual")

    def _poll(self):
        n = 0
        while not self.stop:
            t = time.monotonic()
            n += 1
            if n % 20 == 0:
                try:
                    self.foreign = [d.name() for d in self.conn.listAllDomains(
                        libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)
                        if not d.name().startswith(harness.NAME_PREFIX)]
                except libvirt.libvirtError:
                    pass
                d = self.daemon
                if self.foreign and d and d.proc.poll() is None:
                    d.proc.send_signal(signal.SIGTERM)
                    d.disturbed = True
                if self.foreign:
                    self.limit.lift()
            try:
                act = self.dom.memoryStats().get("actual")
            except libvirt.libvirtError:
                act = None
            tgt = self.target()
            rss = rss_kib(self.pid) if self.pid else None
            try:
                use = cg_read("memory.usage_in_bytes") // KIB
                used = harness.machine_used() // KIB
            except OSError:
                use = used = None
            with self.lock:
                self.samples.append((t, act, rss, tgt, use, used))
            PSI_HIST.append((t, psi_total()))
            if len(PSI_HIST) > 2000:
                del PSI_HIST[:1000]
            time.sleep(max(0.0, POLL_S - (time.monotonic() - t)))

    def start(self, pid):
        self.pid = pid
        self.thread.start()

    def mark(self):
        with self.lock:
            return len(self.samples), len(self.status_events)

    def since(self, mark):
        with self.lock:
            return list(self.samples[mark[0]:]), list(self.status_events[mark[1]:])

    def wait(self, pred, timeout, what, since=None):
        """Poll the poller's samples (from index since, else from now) until
        pred(sample) holds: that sample."""
        deadline = time.monotonic() + timeout
        with self.lock:
            i = len(self.samples) if since is None else since
        while True:
            with self.lock:
                new = self.samples[i:]
            for s in new:
                i += 1
                if pred(s):
                    return s
            if time.monotonic() > deadline:
                raise TimeoutError("%s not reached within %.0f s" % (what, timeout))
            time.sleep(POLL_S)


def event_loop():
    while True:
        libvirt.virEventRunDefaultImpl()


class Daemon:
    """autoballoond with the built-in defaults (an empty config file), its
    log lines stamped as they arrive."""

    def __init__(self, path, conf, tick, session, logpath):
        # --verbose: its decision rounds in the run's log, to see why a
        # trial was slow
        argv = [path, "--verbose", "--connect", harness.URI, "--config", conf]
        if tick is not None:
            argv += ["--tick", str(tick)]
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, bufsize=1, env=env,
                                     start_new_session=True)
        session.procs.append(("autoballoond", self.proc))
        self.lines = []
        self.disturbed = False
        self.lock = threading.Lock()
        self.logf = open(logpath, "a")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            t = time.monotonic()
            with self.lock:
                self.lines.append((t, line.rstrip("\n")))
            self.logf.write("%.3f %s" % (t, line))
            self.logf.flush()

    def first(self, regex, since_t):
        rx = re.compile(regex)
        with self.lock:
            for t, line in self.lines:
                if t >= since_t and rx.search(line):
                    return t, line
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(2)
        self.logf.close()


class Bench:
    def __init__(self, args, session):
        self.args = args
        self.s = session
        self.conf = os.path.join(session.workdir, "autoballoond.conf")
        with open(self.conf, "w") as f:
            f.write("# the built-in defaults\n")
        self.memload = harness.load_image_builder().build_memload(
            os.environ.get("AB_E2E_CACHE") or "/var/cache/autoballoon-e2e")
        self.loads = []
        self.stale = None
        self.daemon_log = os.path.join(session.workdir, "autoballoond.log")

    # --- guest --------------------------------------------------------------

    def boot(self):
        plugin = [self.args.plugin, "-c", harness.URI, "define"]
        disk = self.s.disk("cache", DISK_MIB)
        # Non-zero data: page cache of zeros could be told apart by the host
        # (zero pages) and is not what a guest caches.
        block = bytes(range(1, 256)) * (1024 * 1024 // 255 + 1)
        with open(disk, "r+b") as f:
            for i in range(DISK_MIB):
                f.write(block[i % 255:i % 255 + 1024 * 1024])
        self.g = self.s.guest("g", GUEST_MIB, define=False, define_cmd=plugin,
                              stats_period=0, balloon_attrs="autoballoon='on'", disk=disk)
        # O_DIRECT: the disk's data must not sit in the host's page cache,
        # which counts in the machine cgroup the host paths put a limit on.
        self.g.xml = self.g.xml.replace("<driver name='qemu' type='raw'/>",
                                        "<driver name='qemu' type='raw' cache='none' io='native'/>")
        self.g.define()
        self.g.start()
        boot_s = self.g.wait_ready(timeout=90)
        # Linux drops a block device's page cache when its last opener
        # closes it: the shell keeps /dev/vda open, so what memload -c
        # reads stays cached.
        self.g.run("exec 3</dev/vda", timeout=30)
        log("guest %s ready in %.1f s" % (self.g.name, boot_s))
        self.p = Probe(self.g.name)
        threading.Thread(target=event_loop, daemon=True).start()
        self.p.start(self.g.qemu_pid())
        self.p.wait(lambda s: s[1] == GUEST_MIB * MIB_KIB, 30, "balloon at full size")
        return boot_s

    def reset(self):
        """Deflate to the full size (no daemon running) and wait for it.

        libvirt's own idea of the size (virDomainGetInfo, `virsh dominfo`
        "Used memory", which a starting daemon adopts as its target) lags
        the balloon and can stay at the old size: wait a little for it and
        record when it did not follow (self.stale)."""
        harness.virsh("setmem", self.g.name, "%dM" % GUEST_MIB, "--live")
        self.p.wait(lambda s: s[1] is not None and s[1] >= GUEST_MIB * MIB_KIB - MIB_KIB,
                    30, "deflated to %d MiB" % GUEST_MIB)
        try:
            harness.wait_until(lambda: self.p.dom.info()[2] >= GUEST_MIB * MIB_KIB - MIB_KIB,
                               3, interval=0.1, what="libvirt's size")
            self.stale = None
        except TimeoutError:
            self.stale = self.p.dom.info()[2]

    def fill_cache(self):
        """Touch guest memory the balloon can take: page cache from the disk
        (free page reporting would hand freed anonymous memory back by
        itself, before any balloon)."""
        self.g.run("echo 3 > /proc/sys/vm/drop_caches", timeout=30)
        rc, out = self.g.run("memload -c /dev/vda -s 64", timeout=120)
        if rc != 0:
            raise RuntimeError("cache fill failed: %s" % out[-300:])
        # the guest's stats (period 2 s) must show the cache before onset
        harness.wait_until(lambda: self.p.dom.memoryStats().get("disk_caches", 0)
                           >= 0.9 * DISK_MIB * MIB_KIB, 15, interval=0.2,
                           what="guest stats showing the cache")

    # --- daemon -----------------------------------------------------------

    def start_daemon(self):
        if not wait_no_foreign(self.args.wait_others):
            raise RuntimeError("other guests kept running")
        wait_psi_quiet()
        mark = self.p.mark()
        d = Daemon(self.args.daemon, self.conf, self.args.tick, self.s, self.daemon_log)
        self.p.daemon = d
        t0 = time.monotonic()
        # the first status the daemon writes: it manages the guest and ticked
        deadline = t0 + 20
        while True:
            _, ev = self.p.since(mark)
            if ev and self.p.target() is not None:
                break
            if time.monotonic() > deadline or d.proc.poll() is not None:
                d.stop()
                if d.disturbed:
                    raise Disturbed("other guests appeared")
                raise RuntimeError("autoballoond published no status within 20 s "
                                   "(see %s)" % self.daemon_log)
            time.sleep(POLL_S)
        return d, time.monotonic() - t0

    # --- host load in the machine cgroup ------------------------------------

    def load(self, mib):
        """memload on the host, in libvirt's machine memory cgroup."""
        argv = ["sh", "-c", "echo $$ > %s/cgroup.procs && exec %s -s 64 -t -1 %d"
                % (MACHINE, self.memload, mib)]
        t = time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        self.s.procs.append(("load", p))
        self.loads.append(p)
        return p, t

    @staticmethod
    def wait_held(p, timeout=30):
        deadline = time.monotonic() + timeout
        for line in p.stdout:
            if "memload: holding" in line:
                return time.monotonic()
            if time.monotonic() > deadline:
                break
        raise RuntimeError("host load did not reach its size (exit %s)" % p.poll())

    @staticmethod
    def unload(p):
        harness.terminate(p)

    # --- one reaction trial ------------------------------------------------

    def reaction_trial(self, path, limit_kib=None):
        self.reset()
        filler = None
        if path == "host":
            # The engine asks a guest for the host only where inflating
            # frees host memory (its qemu holds the pages): a freshly
            # booted guest holds little, so give it a page cache first.
            self.fill_cache()
            if not wait_no_foreign(self.args.wait_others):
                raise RuntimeError("other guests kept running")
            use = cg_read("memory.usage_in_bytes") // KIB
            if use > 0.6 * limit_kib:
                raise RuntimeError("machine cgroup already uses %d MiB" % (use // MIB_KIB))
            self.p.limit.set(limit_kib)
            filler, _ = self.load(int((0.70 * limit_kib - use) / MIB_KIB))
            try:
                self.wait_held(filler)
            except RuntimeError:
                self.unload(filler)
                self.p.limit.lift()
                raise
        try:
            return self._reaction_trial(path, limit_kib)
        finally:
            if filler:
                self.unload(filler)
            self.p.limit.lift()

    def _reaction_trial(self, path, limit_kib):
        d, up_s = self.start_daemon()
        load = None
        try:
            if path == "host" and self.p.limit.old is None:
                raise Disturbed("other guests appeared before the onset")
            t_first = self.p.target()
            a0 = self.p.actual()
            # a random phase of the tick: the onset may fall anywhere in it
            time.sleep(random.uniform(0, self.args.tick))
            mark = self.p.mark()
            if path == "injected":
                t0 = time.monotonic()
                subprocess.run([self.args.plugin, "-c", harness.URI, "balloon-inject-pressure",
                                self.g.name, "medium"], check=True, stdout=subprocess.DEVNULL)
                load = None
            else:
                use = cg_read("memory.usage_in_bytes") // KIB
                mib = int((0.93 * limit_kib - use) / MIB_KIB)
                load, t0 = self.load(mib)
            try:
                s = self.p.wait(lambda s: s[3] is not None and s[3] < t_first, 20,
                                "a new target (%s)" % path, since=mark[0])
            except TimeoutError as e:
                if self.stale:
                    raise TimeoutError("%s; the daemon started with target %d KiB, actual "
                                       "%d KiB: libvirt still said %d KiB after the reset"
                                       % (e, t_first, a0, self.stale)) from None
                raise
            new = s[3]
            # at or past it: a later decision may take the balloon further
            s2 = self.p.wait(lambda s: s[1] is not None and s[1] <= new + MIB_KIB, 30,
                             "actual at the new target", since=mark[0])
            samples, events = self.p.since(mark)
            # The first decision of the trial: the daemon decides again as
            # the balloon arrives, and the status (written at most once a
            # second) may already show a later target than the first.
            logl = (d.first(r"%s: target %d KiB -> \d+ KiB" % (re.escape(self.g.name), t_first), t0)
                    or d.first(r"%s: target \d+ KiB -> %d KiB" % (re.escape(self.g.name), new), t0))
            moved = next((x[0] for x in samples if x[1] is not None and x[1] < a0 - MIB_KIB),
                         None)
            held = self.wait_held(load) if load else None
            ev = next((t for t in events if t >= t0), None)
            src = re.search(r"level (\w+) from (\w+)", logl[1]) if logl else None
            # the host path's onset is a ramp: when did free fall below 10 %,
            # raw (usage) and as the daemon counts it (usage less inactive
            # file pages: its low mark)?
            crossed = counted = None
            if limit_kib:
                crossed = next((x[0] for x in samples
                                if x[4] is not None and x[4] >= 0.90 * limit_kib), None)
                counted = next((x[0] for x in samples
                                if x[5] is not None and x[5] >= 0.90 * limit_kib), None)
            r = {"path": path, "daemon_start_s": round(up_s, 3),
                 "libvirt_size_stale_kib": self.stale,
                 "level": src.group(1) if src else None,
                 "source": src.group(2) if src else None,
                 "target_before_kib": t_first, "target_kib": new,
                 "step_mib": round((t_first - new) / MIB_KIB, 1),
                 "log_s": round(logl[0] - t0, 3) if logl else None,
                 "log_line": logl[1] if logl else None,
                 "status_event_s": round(ev - t0, 3) if ev else None,
                 "status_seen_s": round(s[0] - t0, 3),
                 "moving_s": round(moved - t0, 3) if moved else None,
                 "actual_s": round(s2[0] - t0, 3),
                 "load_held_s": round(held - t0, 3) if held else None,
                 "below_10pct_free_s": round(crossed - t0, 3) if crossed else None,
                 "log_after_10pct_s": round(logl[0] - crossed, 3) if crossed and logl else None,
                 "actual_after_10pct_s": round(s2[0] - crossed, 3) if crossed else None,
                 "low_mark_s": round(counted - t0, 3) if counted else None,
                 "log_after_low_mark_s": (round(logl[0] - counted, 3)
                                          if counted and logl else None),
                 "actual_after_low_mark_s": round(s2[0] - counted, 3) if counted else None}
            log("%s: new target %d KiB after %s s (log), actual there after %.2f s"
                % (path, new, r["log_s"], r["actual_s"]))
            return r
        finally:
            if path == "injected":
                subprocess.run([self.args.plugin, "-c", harness.URI, "balloon-inject-pressure",
                                self.g.name, "none"], stdout=subprocess.DEVNULL)
            d.stop()
            if load:
                self.unload(load)
            if d.disturbed:
                raise Disturbed("other guests appeared during the trial")

    def setmem_trial(self, mib_from, mib_to):
        """A raw `virsh setmem`: time until actual is there, RSS over time."""
        mark = self.p.mark()
        t0 = time.monotonic()
        harness.virsh("setmem", self.g.name, "%dM" % mib_to, "--live")
        t_ret = time.monotonic()
        s = self.p.wait(lambda s: s[1] is not None and abs(s[1] - mib_to * MIB_KIB) <= MIB_KIB,
                        30, "actual at %d MiB" % mib_to, since=mark[0])
        return t0, t_ret, s[0], mark

    # --- reclaim -------------------------------------------------------------

    def settle(self, d, quiet_s, timeout):
        """Until the balloon is at the status target and no new target came
        for quiet_s: the daemon has taken all it will."""
        t_end = time.monotonic() + timeout
        last_tgt, last_change = None, time.monotonic()
        while time.monotonic() < t_end:
            with self.p.lock:
                s = self.p.samples[-1]
            if s[3] != last_tgt:
                last_tgt, last_change = s[3], time.monotonic()
            if (s[1] is not None and s[3] is not None and abs(s[1] - s[3]) <= MIB_KIB
                    and time.monotonic() - last_change >= quiet_s):
                return
            time.sleep(0.1)

    def reclaim_trial(self, kind, limit_kib=None, to_mib=None):
        self.reset()
        self.fill_cache()
        pid = self.g.qemu_pid()
        d = None
        load = None
        try:
            if kind == "host":
                if not wait_no_foreign(self.args.wait_others):
                    raise RuntimeError("other guests kept running")
                use = cg_read("memory.usage_in_bytes") // KIB
                if use > 0.75 * limit_kib:
                    raise RuntimeError("machine cgroup already uses %d MiB" % (use // MIB_KIB))
                self.p.limit.set(limit_kib)
            if kind == "setmem":
                wait_psi_quiet()
            else:
                d, _ = self.start_daemon()
                time.sleep(random.uniform(0, self.args.tick))
            if kind == "host" and self.p.limit.old is None:
                raise Disturbed("other guests appeared before the onset")
            mark = self.p.mark()
            time.sleep(1)              # a second of the chart before the onset
            rss0 = rss_kib(pid)
            a0 = self.p.actual()
            psi0 = psi_total()
            if kind == "setmem":
                t0, _, _, _ = self.setmem_trial(GUEST_MIB, to_mib)
                time.sleep(3)      # RSS lags the balloon: let it finish
            else:
                if kind == "injected":
                    t0 = time.monotonic()
                    subprocess.run([self.args.plugin, "-c", harness.URI,
                                    "balloon-inject-pressure", self.g.name, "critical"],
                                   check=True, stdout=subprocess.DEVNULL)
                else:
                    # to 3 % free as the daemon counts it: a load sized
                    # from the raw usage only evicts the cgroup's page
                    # cache and never makes the host critical
                    mib = int((0.97 * limit_kib - harness.machine_used() // KIB) / MIB_KIB)
                    load, t0 = self.load(mib)
                    self.wait_held(load)
                self.settle(d, quiet_s=self.args.tick + 1.5, timeout=40)
            samples, _ = self.p.since(mark)
            psi_ms = (psi_total() - psi0) / 1000.0
        finally:
            if kind == "injected":
                subprocess.run([self.args.plugin, "-c", harness.URI, "balloon-inject-pressure",
                                self.g.name, "none"], stdout=subprocess.DEVNULL)
            if d:
                d.stop()
            if load:
                self.unload(load)
            self.p.limit.lift()
            if d and d.disturbed:
                raise Disturbed("other guests appeared during the trial")
        first = None
        if d:
            with d.lock:
                first = next((t for t, line in d.lines if t >= t0 and re.search(
                    r"%s: target \d+ KiB -> \d+ KiB" % re.escape(self.g.name), line)), None)
        # the host path's deficit starts when the cgroup passes its low
        # mark (20 % free, the default) as the daemon counts it: usage
        # less inactive file pages
        deficit = None
        if kind == "host":
            deficit = next((x[0] for x in samples if x[0] >= t0 and x[5] is not None
                            and x[5] >= LOW_MARK_USED * limit_kib), None)
        r = reclaim_figures(kind, t0, rss0, a0, samples, first, deficit)
        r["host_psi_some_stall_ms"] = round(psi_ms, 1)
        if kind == "host":
            # how long the machine cgroup stayed critical (< 5 % free), medium
            # (< 10 %) and under pressure at all (< 20 %), from the onset
            for name, frac in (("critical", 0.95), ("medium", 0.90), ("low", 0.80)):
                r["%s_until_s" % name] = level_left(samples, t0, frac * limit_kib)
        if d:
            srcs = {}
            with d.lock:
                for t, line in d.lines:
                    m = re.search(r"%s: target \d+ KiB -> \d+ KiB \(([\w-]+), level (\w+) from (\w+)"
                                  % re.escape(self.g.name), line)
                    if t >= t0 and m:
                        k = "%s/%s/%s" % m.groups()
                        srcs[k] = srcs.get(k, 0) + 1
            r["targets_by_reason_level_source"] = srcs
        return r


def reclaim_figures(kind, t0, rss0, a0, samples, first=None, deficit=None):
    """MiB returned and the rate: the drop, over the time until 95 % of it,
    from the onset t0, (the daemon's paths) from its first command, as
    a raw setmem's counts from its command, and (the host path) from the
    deficit: on the host path the load that makes the deficit takes its
    own time to arrive."""
    def rate(idx, start, since):
        vals = [(t, s[idx]) for t, s in ((s[0], s) for s in samples) if s[idx] is not None]
        if not vals or start is None:
            return None, None, None
        final = vals[-1][1]
        drop = start - final
        if drop <= MIB_KIB:
            return drop / MIB_KIB, None, None
        t95 = next(t for t, v in vals if start - v >= 0.95 * drop)
        return drop / MIB_KIB, t95 - since, 0.95 * drop / MIB_KIB / max(t95 - since, 1e-3)
    rss_mib, rss_t, rss_rate = rate(2, rss0, t0)
    act_mib, act_t, act_rate = rate(1, a0, t0)
    _, _, rss_rate_first = rate(2, rss0, first if first is not None else t0)
    _, _, rss_rate_deficit = rate(2, rss0, deficit) if deficit is not None else (0, 0, None)
    tgts = [s[3] for s in samples if s[3] is not None]
    commands = len({t for t in tgts}) - 1 if tgts else 0
    r = {"kind": kind, "rss_before_mib": round(rss0 / MIB_KIB, 1),
         "rss_returned_mib": round(rss_mib, 1) if rss_mib is not None else None,
         "rss_t95_s": round(rss_t, 3) if rss_t else None,
         "rss_mib_s": round(rss_rate, 1) if rss_rate else None,
         "first_command_s": round(first - t0, 3) if first is not None else None,
         "rss_mib_s_from_command": round(rss_rate_first, 1) if rss_rate_first else None,
         "deficit_s": round(deficit - t0, 3) if deficit is not None else None,
         "rss_mib_s_from_deficit": round(rss_rate_deficit, 1) if rss_rate_deficit else None,
         "actual_returned_mib": round(act_mib, 1) if act_mib is not None else None,
         "actual_t95_s": round(act_t, 3) if act_t else None,
         "actual_mib_s": round(act_rate, 1) if act_rate else None,
         "targets": commands,
         "final_actual_mib": round(samples[-1][1] / MIB_KIB, 1) if samples and samples[-1][1] else None}
    log("reclaim %s: %s MiB RSS in %s s (%s MiB/s), actual %s MiB/s"
        % (kind, r["rss_returned_mib"], r["rss_t95_s"], r["rss_mib_s"], r["actual_mib_s"]))
    r["series"] = [(round(s[0] - t0, 3), s[1], s[2], s[3], s[4]) for s in samples]
    return r


def level_left(samples, t0, above_kib):
    """Seconds from t0 until usage fell back under above_kib after it rose
    over it (None if it never rose over it, or never fell back)."""
    over = False
    for x in samples:
        if x[4] is None:
            continue
        if x[4] >= above_kib:
            over = True
        elif over:
            return round(x[0] - t0, 3)
    return None


def run_trials(n, what, fn):
    """n trials of fn; a disturbed one is run again (up to n more times), a
    failed one is recorded as failed."""
    out = []
    retries = n
    while len(out) < n:
        try:
            r = fn()
        except Disturbed as e:
            log("%s trial disturbed (%s): run again" % (what, e))
            retries -= 1
            if retries < 0:
                raise RuntimeError("%s trials: disturbed too often" % what) from None
            continue
        except (TimeoutError, RuntimeError) as e:
            log("%s trial %d failed: %s" % (what, len(out), e))
            r = {"failed": str(e)}
        r.setdefault("path", what)
        r.setdefault("kind", what)
        out.append(r)
    return out


def write_series(path, trial):
    with open(path, "w") as f:
        f.write("# t_s\tactual_mib\trss_mib\ttarget_mib\tmachine_usage_mib\n")
        for t, a, r, g, u in trial["series"]:
            def m(x):
                return "%.1f" % (x / MIB_KIB) if x is not None else "?"
            f.write("%.3f\t%s\t%s\t%s\t%s\n" % (t, m(a), m(r), m(g), m(u)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--reclaim-trials", type=int, default=3)
    ap.add_argument("--tick", type=float, default=2.0, help="the daemon's tick (default 2 s)")
    ap.add_argument("--limit-mib", type=int, default=2048,
                    help="machine cgroup limit for the host paths")
    ap.add_argument("--wait-others", type=int, default=900)
    args = ap.parse_args()
    random.seed(20261123)
    libvirt.virEventRegisterDefaultImpl()
    # errors are handled where they matter; libvirt would print each one
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    os.makedirs(args.out, exist_ok=True)
    res = {"tick_s": args.tick, "guest_mib": GUEST_MIB, "disk_mib": DISK_MIB,
           "poll_s": POLL_S, "psi_window_s": 2.0, "limit_mib": args.limit_mib,
           "reaction": [], "setmem": [], "reclaim": []}
    t_start = time.monotonic()
    with harness.Session("bench") as s:
        if s.skip_reason:
            log("skipped: " + s.skip_reason)
            res["skipped"] = s.skip_reason
            json.dump(res, open(os.path.join(args.out, "e2e.json"), "w"), indent=1)
            return 0
        b = Bench(args, s)
        if not wait_no_foreign(args.wait_others):
            res["skipped"] = "other guests kept running"
            json.dump(res, open(os.path.join(args.out, "e2e.json"), "w"), indent=1)
            return 1
        res["boot_s"] = round(b.boot(), 2)
        res["daemon"] = subprocess.run([args.daemon, "--version"], stdout=subprocess.PIPE,
                                       text=True).stdout.strip()
        lim = args.limit_mib * MIB_KIB
        res["reaction"] += run_trials(args.trials, "injected",
                                      lambda: b.reaction_trial("injected"))
        for i in range(args.trials):
            b.reset()
            t0, t_ret, t_act, _ = b.setmem_trial(GUEST_MIB, GUEST_MIB - STEP_MEDIUM_MIB)
            res["setmem"].append({"mib": STEP_MEDIUM_MIB, "actual_s": round(t_act - t0, 3),
                                  "virsh_return_s": round(t_ret - t0, 3)})
        log("setmem -%d MiB: p50 %.2f s" % (STEP_MEDIUM_MIB,
                                           pct([x["actual_s"] for x in res["setmem"]], 50)))
        res["reaction"] += run_trials(args.trials, "host", lambda: b.reaction_trial("host", lim))

        inj = run_trials(args.reclaim_trials, "injected", lambda: b.reclaim_trial("injected"))
        res["reclaim"] += inj
        ok = [r for r in inj if "failed" not in r and r.get("final_actual_mib")]
        to_mib = int(round(ok[0]["final_actual_mib"])) if ok else GUEST_MIB // 4
        res["reclaim_setmem_to_mib"] = to_mib
        res["reclaim"] += run_trials(args.reclaim_trials, "setmem",
                                     lambda: b.reclaim_trial("setmem", to_mib=to_mib))
        host = run_trials(args.reclaim_trials, "host",
                          lambda: b.reclaim_trial("host", limit_kib=lim))
        res["reclaim"] += host
        # The host path takes only what brings the cgroup back to its low
        # mark, less than injected critical: its raw setmem twin is a setmem
        # of that size (a shorter drop carries the balloon's start-up cost
        # over fewer MiB, so comparing with the larger one would understate
        # it).
        fin = sorted(r["final_actual_mib"] for r in host
                     if "failed" not in r and r.get("final_actual_mib"))
        if fin:
            to_host = int(round(fin[len(fin) // 2]))
            res["reclaim_setmem_host_to_mib"] = to_host
            for r in run_trials(args.reclaim_trials, "setmem-host",
                                lambda: b.reclaim_trial("setmem", to_mib=to_host)):
                r["kind"] = "setmem-host"
                res["reclaim"].append(r)
    res["wall_s"] = round(time.monotonic() - t_start, 1)

    # summaries
    summ = {}
    for path in ("injected", "host"):
        tr = [r for r in res["reaction"] if r["path"] == path and "failed" not in r]
        summ[path] = {k: summary([r.get(k) for r in tr])
                      for k in ("log_s", "status_event_s", "moving_s", "actual_s",
                                "below_10pct_free_s", "load_held_s", "log_after_10pct_s",
                                "actual_after_10pct_s", "low_mark_s", "log_after_low_mark_s",
                                "actual_after_low_mark_s")}
        summ[path]["failed"] = len([r for r in res["reaction"]
                                    if r["path"] == path and "failed" in r])
    summ["setmem"] = {"actual_s": summary([r["actual_s"] for r in res["setmem"]])}
    for kind in ("injected", "host", "setmem", "setmem-host"):
        tr = [r for r in res["reclaim"] if r["kind"] == kind and "failed" not in r]
        summ["reclaim_" + kind.replace("-", "_")] = {k: summary([r.get(k) for r in tr])
                                   for k in ("rss_mib_s", "rss_mib_s_from_command",
                                             "deficit_s", "rss_mib_s_from_deficit",
                                             "first_command_s", "actual_mib_s",
                                             "rss_returned_mib",
                                             "actual_returned_mib", "rss_t95_s",
                                             "critical_until_s", "medium_until_s",
                                             "low_until_s")}
    res["summary"] = summ

    for name, kind in (("reclaim-injected", "injected"), ("reclaim-host", "host"),
                       ("reclaim-setmem", "setmem")):
        tr = [r for r in res["reclaim"] if r["kind"] == kind and "series" in r]
        if tr:
            write_series(os.path.join(args.out, "series-%s.tsv" % name), tr[0])
    for r in res["reclaim"]:
        r.pop("series", None)
    with open(os.path.join(args.out, "e2e.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    # The daemon must have reacted on every path that ran.
    dead = [p for p in ("injected", "host")
            if summ[p]["failed"] and summ[p]["log_s"].get("n", 0) == 0]
    if dead:
        log("error: autoballoond never reacted to %s pressure" % " or ".join(dead))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
