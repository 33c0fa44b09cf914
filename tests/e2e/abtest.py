# SPDX-License-Identifier: LGPL-2.1-or-later
"""autoballoon on top of the e2e harness: autoballoond under test, the
virsh plugin, guests defined from extended XML, the status metadata.

    with harness.Session("inject") as s:
        d = abtest.Daemon(s, tap)              # test config, log attached to failures
        g = abtest.guest(s, "a", 512)          # the DEFAULT policy
        g.start(); g.wait_ready(); d.start()
        abtest.vab("balloon-inject-pressure", g.name, "medium")
        st = abtest.wait_status(g, lambda st: st["action"] == "inflate", 20)

Everything a test waits for is a condition polled against a deadline: a line
in the daemon's log, a status attribute, a dommemstat value, an event.
"""

import contextlib
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET

import harness

STATUS_URI = "https://autoballoon.org/xmlns/status/1"
PRESSURE_URI = "https://autoballoon.org/xmlns/pressure/1"
KIB = 1024
MIB = 1024 * 1024
# What a guest kernel prints when its OOM killer acts.
OOM_RX = re.compile(r"Out of memory|oom-kill|Killed process")

# The daemon's test configuration: one tick and one stats period a second,
# injected pressure only (a test that wants host pressure says so), a short
# unresponsive timeout and status writes as often as the daemon allows.
TEST_CONFIG = {
    "daemon": {"tick": "1", "stats-period": "1", "unresponsive-timeout": "5",
               "status-interval": "1"},
    "pressure": {"sources": "none"},
}

# The daemon's pressure sources in a test that puts the host under real
# memory pressure: the headroom of the guests' cgroup (libvirt's machine
# cgroup) only, as in scenario 3 (test-overcommit.py). AB_E2E_HOST_SOURCES
# replaces the source list: with "none" the daemon has nothing that could
# make it act, and every host-pressure check must fail (the control that
# shows the checks do not pass by themselves).
HOST_SOURCES = {"sources": os.environ.get("AB_E2E_HOST_SOURCES") or "headroom",
                "cgroup": "auto", "system-wide": "false"}
# the default [pressure] headroom-low: the daemon holds the cgroup's free
# share at this mark (its headroom source reports a deficit below it)
LOW_MARK = 0.2


def vab_cmd(*args):
    prog = harness.virsh_autoballoon()
    if prog is None:
        raise RuntimeError("virsh-autoballoon is not built (%s/tools)" % harness.BUILD_ROOT)
    return [prog, "-q", "-c", harness.URI] + list(args)


def vab(*args, timeout=30, check=True):
    """Run a virsh-autoballoon command; raise with its stderr when it fails."""
    p = subprocess.run(vab_cmd(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("virsh-autoballoon %s failed (%d): %s"
                           % (" ".join(args), p.returncode, p.stderr.strip()))
    return p


def policy_xml(floor=None, ceiling=None, reserve=None, steps=None, weight=None,
               cooldown=None):
    """The extended <autoballoon> child of <memballoon>; sizes in MiB."""
    parts = []
    for tag, mib in (("floor", floor), ("ceiling", ceiling), ("reserve", reserve)):
        if mib is not None:
            parts.append("<%s unit='MiB'>%d</%s>" % (tag, mib, tag))
    for level, mib in sorted((steps or {}).items()):
        parts.append("<step level='%s' unit='MiB'>%d</step>" % (level, mib))
    if weight is not None:
        parts.append("<weight>%d</weight>" % weight)
    if cooldown is not None:
        parts.append("<cooldown unit='s'>%d</cooldown>" % cooldown)
    return "\n      <autoballoon>%s</autoballoon>" % "".join(parts)


def guest(s, short, memory_mib, policy=None, autodeflate=True, cmdline_extra="",
          free_page_reporting=None, **kw):
    """A guest with <memballoon autoballoon='on'>, defined through
    `virsh-autoballoon define` from its extended XML. free_page_reporting
    False writes freePageReporting='off' (define adds 'on' where QEMU has
    it): a guest whose freed pages only the daemon returns."""
    attrs = "autoballoon='on'" + ("" if autodeflate else " autodeflate='off'")
    if free_page_reporting is not None:
        attrs += " freePageReporting='%s'" % ("on" if free_page_reporting else "off")
    if cmdline_extra:
        kw["cmdline"] = harness.KERNEL_CMDLINE + " " + cmdline_extra
    return s.guest(short, memory_mib, define_cmd=vab_cmd("define"), autodeflate=autodeflate,
                   balloon_attrs=attrs, balloon_children=policy_xml(**(policy or {})), **kw)


POLICY_RX = re.compile(r"^(Floor|Ceiling|Reserve|Step low|Step medium|Step critical):"
                       r"\s+(\d+) (KiB|MiB|GiB|TiB)( \(default\))?", re.M)
UNIT_KIB = {"KiB": 1, "MiB": KIB, "GiB": MIB, "TiB": KIB * MIB}


def policy(g):
    """g's policy as `virsh-autoballoon balloon-policy DOM` resolves it
    from its XML and the defaults (src/policy): {"floor": KiB, "ceiling":
    ..., "step medium": ...}, and under "defaults" the names it says are
    the defaults. A test takes its expected sizes from here, not from a
    figure of its own."""
    out = vab("balloon-policy", g.name).stdout
    pol = {"defaults": set()}
    for m in POLICY_RX.finditer(out):
        name = m.group(1).lower()
        pol[name] = int(m.group(2)) * UNIT_KIB[m.group(3)]
        if m.group(4):
            pol["defaults"].add(name)
    if len(pol) != 7:
        raise RuntimeError("balloon-policy %s: not the sizes expected:\n%s" % (g.name, out))
    pol["text"] = out
    return pol


def status(g):
    """The daemon's live status element of a guest as a dict (sizes as
    ints, KiB), or None when there is none yet."""
    p = harness.virsh("metadata", g.name, STATUS_URI, "--live", check=False)
    if p.returncode != 0 or not p.stdout.strip():
        return None
    try:
        el = ET.fromstring(p.stdout)
    except ET.ParseError:
        return None
    st = dict(el.attrib)
    for k in ("target", "actual", "usable", "time"):
        if k in st and st[k].isdigit():
            st[k] = int(st[k])
    return st


def wait_status(g, pred, timeout, what="status condition"):
    """Poll the status metadata until pred(status) holds: (status, seconds)."""
    last = [None]

    def check():
        st = status(g)
        last[0] = st
        return st if st is not None and pred(st) else None
    try:
        return harness.wait_until(check, timeout, interval=0.1,
                                  what="%s: %s" % (g.name, what))
    except TimeoutError as e:
        raise TimeoutError("%s (last status: %s)" % (e, last[0])) from None


def near(kib, mib, tolerance_kib=1024):
    return abs(kib - mib * KIB) <= tolerance_kib


def oom_lines(text):
    return [line for line in text.splitlines() if OOM_RX.search(line)]


class Daemon:
    """autoballoond under test: its config file and log in the work
    directory, the log tail attached to the TAP stream's first failure."""

    def __init__(self, session, tap=None, name="autoballoond", config=None):
        self.session = session
        self.name = name
        self.conf_path = os.path.join(session.workdir, name + ".conf")
        self.log_path = os.path.join(session.workdir, name + ".log")
        self.proc = None
        self.starts = 0
        self.env = {}            # added to its environment (e.g. libfaketime's)
        self.cgroup = None       # a cgroup v1 directory to start it in
        cfg = {sec: dict(keys) for sec, keys in TEST_CONFIG.items()}
        for sec, keys in (config or {}).items():
            cfg.setdefault(sec, {}).update(keys)
        with open(self.conf_path, "w") as f:
            for sec, keys in cfg.items():
                f.write("[%s]\n" % sec)
                for k, v in keys.items():
                    f.write("%s = %s\n" % (k, v))
        if tap is not None:
            # libvirt-glib's event loop debug lines ("** (autoballoond:PID): DEBUG")
            # drown the daemon's own
            tap.attach(name + " log", self.log_path, skip=r"^\*\* \(|^\s*$")

    def start(self, timeout=20):
        """Start it and wait until it says it is connected; seconds taken."""
        prog = harness.autoballoond()
        if prog is None:
            raise RuntimeError("autoballoond is not built (%s/src/daemon)" % harness.BUILD_ROOT)
        since = self.mark()
        t0 = time.monotonic()
        with open(self.log_path, "a") as f:
            f.write("=== e2e: start %d ===\n" % (self.starts + 1))
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
        env.update(self.env)
        argv = [prog, "-c", harness.URI, "--config", self.conf_path, "--verbose"]
        if self.cgroup:
            # in the cgroup from its first allocation on (sh execs it: same pid)
            argv = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"',
                    self.cgroup] + argv
        self.proc = self.session.spawn(self.name, argv, env=env)
        self.starts += 1
        self.wait_log(r"connected to ", timeout, since)
        return time.monotonic() - t0

    def stop(self, timeout=10):
        """SIGTERM, as a service manager would; returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        status = harness.terminate(self.proc, timeout)
        if status is None:
            raise RuntimeError("%s ignored SIGTERM for %d s" % (self.name, timeout))
        return status

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def mark(self):
        return len(self.text())

    def wait_log(self, regex, timeout, since=0):
        """First match of regex in the log after offset since."""
        rx = re.compile(regex)

        def found():
            m = rx.search(self.text(), since)
            if m is None and not self.alive():
                raise RuntimeError("%s exited (%s) before logging /%s/"
                                   % (self.name, self.proc.returncode if self.proc else "-",
                                      regex))
            return m
        return harness.wait_until(found, timeout, interval=0.1,
                                  what="%s log /%s/" % (self.name, regex))[0]

    def setmem_lines(self, domain, since=0):
        """The balloon targets it set on domain: [(old KiB, new KiB, reason)]."""
        rx = re.compile(r"%s: target (\d+) KiB -> (\d+) KiB \((\S+?),[^\n]*" % re.escape(domain))
        return [(int(m.group(1)), int(m.group(2)), m.group(3))
                for m in rx.finditer(self.text(), since) if "dry run" not in m.group(0)]


def main(test_name, plan, run):
    """Run one scenario: run(session, tap, figures) with a TAP plan of
    plan checks. A failed step (exception) fails the checks not yet
    reached with its reason; measured figures are printed as TAP comments
    ("# figure NAME=VALUE") even when a later check fails."""
    tap = harness.Tap(plan)
    figures = {}
    try:
        with harness.Session(test_name) as s:
            if s.skip_reason:
                tap.skip_rest(s.skip_reason)
                return 0
            missing = [p for p, f in (("autoballoond", harness.autoballoond),
                                      ("virsh-autoballoon", harness.virsh_autoballoon))
                       if f() is None]
            if missing:
                tap.bail("not built: %s (run meson compile first)" % ", ".join(missing))
                return tap.exit_code()
            try:
                run(s, tap, figures)
            finally:
                for k, v in figures.items():
                    print("# figure %s=%s" % (k, "%.2f" % v if isinstance(v, float) else v),
                          flush=True)
    except Exception as e:              # one failed step fails all the rest
        tap.bail("%s: %s" % (type(e).__name__, e))
    return tap.exit_code()


class TickCounter:
    """Counts the daemon's decision rounds for one domain (its --verbose
    line per domain per round), so a test can wait for N rounds instead of
    sleeping for them. A round runs on the daemon's clock ("on tick") or
    early, on an event ("on event"); with clock=True only the first kind
    counts: that is what a bound in ticks means."""

    def __init__(self, daemon, domain, clock=False):
        self.daemon = daemon
        self.rx = re.compile(r"%s: [a-z-]+, target \d+ KiB, actual \d+ KiB, level [a-z]+, on %s"
                             % (re.escape(domain), "tick" if clock else "[a-z]+"))

    def count(self, since=0):
        return len(self.rx.findall(self.daemon.text(), since))

    def wait(self, n, timeout, since):
        """Wait for n ticks on the domain after log offset since."""
        harness.wait_until(lambda: self.count(since) >= n, timeout, interval=0.1,
                           what="%d daemon ticks" % n)


def used_memory_kib(g):
    """libvirt's idea of the guest's current memory (`virsh dominfo`'s Used
    memory): the balloon size of the last balloon-change event QEMU sent."""
    out = harness.virsh("dominfo", g.name).stdout
    m = re.search(r"^Used memory:\s+(\d+) KiB", out, re.M)
    return int(m.group(1)) if m else None


def wait_settled(g, mib=None, timeout=30, kib=None):
    """Wait until the guest's balloon is at mib (or kib) and libvirt knows it.

    libvirt's size is the last balloon-change event's, which QEMU sends at
    most once a second: the checks that compare sizes with libvirt's need
    the balloon to have settled first. (The daemon itself copes: a target
    it adopted follows the balloon until it sets one.)"""
    want = kib if kib is not None else mib * KIB

    def settled():
        used = used_memory_kib(g)
        return (used is not None and abs(used - want) <= 1024 and
                abs(g.dommemstat()["actual"] - want) <= 1024)
    return harness.wait_until(settled, timeout, interval=0.1,
                              what="%s: balloon settled at %d KiB" % (g.name, want))[1]


def pid_alive(pid):
    return os.path.exists("/proc/%d" % pid)


def wait_tag(g, pid, tag, timeout):
    """The exit status a command printed as TAG=N on g's console (after the
    previous match), or None when g's qemu (pid) died first or the deadline
    passed: a load in an over-committed host may lose its whole guest."""
    rx = re.compile(r"%s=(\d+)" % tag)

    def done():
        m = rx.search(g.console_text(), g.pos)
        if m or not pid_alive(pid):
            return m or "dead"
        return None
    try:
        m, _ = harness.wait_until(done, timeout, interval=0.25, what=tag)
    except TimeoutError:
        return None
    if m == "dead":
        return None
    g.pos = m.end()
    return int(m.group(1))


def grow_setup(s, tap, memory_mib, current_mib):
    """The daemon and the guest of a grow scenario: @memory_mib, started
    at @current_mib with autodeflate='off' (virtio deflate-on-oom cannot
    rescue it: only the daemon can grow it) and the DEFAULT policy, its
    console attached to the TAP stream's first failure."""
    daemon = Daemon(s, tap)
    g = guest(s, "g", memory_mib, current_mib=current_mib, autodeflate=False)
    tap.attach("guest console", g.console_log, lines=30)
    return daemon, g


def grow_control(g, daemon, tap, fig, load_cmd, load_mib, current_mib, what):
    """The control of a grow scenario: the guest started and settled at
    @current_mib, its policy disabled live before the daemon starts, the
    load must be OOM-killed, or the scenario proves nothing. Then the
    policy is enabled again and the guest left at rest; returns its
    balloon size there (KiB)."""
    g.start()
    g.wait_ready()
    wait_settled(g, current_mib)
    # Disabled before the daemon sees it: the control runs untouched.
    vab("balloon-policy", g.name, "--disable", "--live")
    daemon.start()
    daemon.wait_log(r"resync: \d+ domains?, 0 managed", 10)
    actual = g.dommemstat()["actual"]
    tap.ok(near(actual, current_mib, 4096) and status(g) is None,
           "control: policy disabled live, the daemon leaves the guest alone at %d KiB"
           % actual, status(g))
    pos = len(g.console_text())
    log_mark = daemon.mark()
    rc, out = g.run(load_cmd, timeout=120)
    oom = oom_lines(g.console_text()[pos:])
    fig["control_rc"] = rc
    tap.ok(rc != 0 and "memload: done" not in out and oom and
           not daemon.setmem_lines(g.name, log_mark),
           "control (policy disabled): memload %d MiB %sis OOM-killed (exit %d: %s)"
           % (load_mib, what, rc, oom[0].strip() if oom else "no OOM line"),
           "without the daemon the load must not fit, or this scenario proves nothing;\n"
           + out[-600:])
    log_mark = daemon.mark()
    vab("balloon-policy", g.name, "--enable", "--live")
    daemon.wait_log(r"%s: managed" % re.escape(g.name), 20, log_mark)
    # Its first ticks may grow it to its reserve; the load starts from rest.
    wait_status(g, lambda st: st.get("reason") == "none", 30, "status at rest (reason none)")
    return g.dommemstat()["actual"]


class GrowLoad:
    """The load of a grow scenario, @load_cmd, sent to @g's console; the
    console position, the daemon's log mark and the time it started."""

    def __init__(self, g, daemon, load_cmd):
        self.g = g
        self.pos = len(g.console_text())
        self.mark = daemon.mark()
        self.t0 = time.monotonic()
        g.send("%s; echo ab-e2e-grow-rc=$?" % load_cmd)

    def wait(self, fig, timeout):
        """Until the load exits: (its exit code, the console output since
        it started); fig["load_s"] is how long it ran."""
        m = self.g.console_wait(r"ab-e2e-grow-rc=(\d+)", timeout)
        fig["load_s"] = time.monotonic() - self.t0
        return int(m.group(1)), self.g.console_text()[self.pos:]


class HostLoad:
    """memload on the host in @cgroup (below machine), holding @mib MiB
    until stopped: @step_mib at a time @delay_ms apart, or all at once;
    its output in the work directory (NAME.log, appended to)."""

    def __init__(self, s, name, cgroup, mib, step_mib=0, delay_ms=0):
        mod = harness.load_image_builder()
        prog = mod.build_memload(os.environ.get("AB_E2E_CACHE") or mod.DEFAULT_CACHE)
        self.log = os.path.join(s.workdir, name + ".log")
        try:
            self.pos = os.path.getsize(self.log)
        except OSError:
            self.pos = 0
        args = ["-t", "-1"]
        if step_mib:
            args += ["-s", str(step_mib), "-d", str(delay_ms)]
        # in the cgroup from its first allocation on (sh execs it: same pid)
        self.proc = s.spawn(name, ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"',
                                   cgroup, prog] + args + [str(mib)])
        self.t0 = time.monotonic()

    def text(self):
        """Its output since this load started."""
        with open(self.log, errors="replace") as f:
            f.seek(self.pos)
            return f.read()

    def holding(self):
        if self.proc.poll() is not None:
            raise RuntimeError("the host load exited (%s) before it held its memory: %s"
                               % (self.proc.returncode, self.text()[-300:]))
        return "memload: holding" in self.text()

    def stop(self):
        """SIGTERM: it frees and exits 0, unless something killed it."""
        return harness.terminate(self.proc)


def machine_free_share(limit):
    """The machine cgroup's free share as the daemon's headroom source
    counts it (inactive file pages are free), under @limit bytes."""
    return max(0, limit - harness.machine_used()) / limit


def host_limit(used, load_mib, deficit_mib):
    """The machine cgroup limit (bytes) that a host load of @load_mib MiB
    takes @deficit_mib MiB past its low mark from a usage of @used bytes:
    used + load - (1 - LOW_MARK) x limit = deficit."""
    return int((used + (load_mib - deficit_mib) * MIB) / (1 - LOW_MARK))


class HostPressure:
    """What host_pressure() set up and saw: the machine cgroup's limit
    and the load (bytes, MiB), the daemon's log offset and the time when
    the load started, the free shares sampled while it was taking its
    memory (and on sample())."""

    def __init__(self, limit, used, load_mib, deficit_mib):
        self.limit = limit
        self.used = used
        self.load_mib = load_mib
        self.deficit_mib = deficit_mib
        self.free_before = None
        self.free = []
        self.mark = None
        self.t0 = None
        self.load = None
        self.rc = None

    def sample(self):
        self.free.append(machine_free_share(self.limit))
        return self.free[-1]

    def min_free(self):
        return min(self.free) if self.free else 1.0

    def describe(self):
        return ("a %d MiB host load, the machine cgroup (limit %d MiB) at %.1f %% free "
                "(low mark %d %%)" % (self.load_mib, self.limit // MIB, 100 * self.min_free(),
                                      100 * LOW_MARK))


@contextlib.contextmanager
def host_pressure(s, daemon, domain, deficit_mib=64, margin_mib=96, min_load_mib=128,
                  name=None):
    """Real memory pressure on the host for the block, the kind the
    daemon's headroom source sees (HOST_SOURCES): libvirt's machine
    cgroup gets a limit, set from what it holds now, and a host process
    (memload, in a cgroup of its own below machine) takes it
    @deficit_mib MiB past its low mark. The limit is at least
    5 x (deficit + margin), so at the load's peak the cgroup is still
    @margin_mib MiB below its limit: nothing reclaims or OOM-kills
    without the daemon, and the free share is below the low mark by
    deficit / limit. Waits for one clock tick of @domain with the limit
    before the load starts (the daemon reads the limit, and moves its
    usage marks, at its tick), then until the load holds its memory;
    yields a HostPressure. Afterwards the load is stopped, its cgroup
    removed and the old limit written back."""
    used = harness.machine_used()
    limit = max(5 * (deficit_mib + margin_mib) * MIB,
                host_limit(used, min_load_mib, deficit_mib))
    # used + load - (1 - LOW_MARK) x limit = deficit
    load_mib = -(-(int((1 - LOW_MARK) * limit) + deficit_mib * MIB - used) // MIB)
    hp = HostPressure(limit, used, load_mib, deficit_mib)
    name = name or "ab-e2e-host-load-%d" % os.getpid()
    with harness.cgroup_limit(limit), \
            harness.own_memory_cgroup(name, 2 * load_mib * MIB,
                                      root=harness.MACHINE_CGROUP) as cgroup:
        TickCounter(daemon, domain, clock=True).wait(1, 20, daemon.mark())
        hp.free_before = machine_free_share(limit)
        hp.mark = daemon.mark()
        hp.t0 = time.monotonic()
        hp.load = HostLoad(s, name, cgroup, load_mib)
        try:
            harness.wait_until(lambda: hp.sample() is not None and hp.load.holding(), 30,
                               interval=0.02, what="the host load holding %d MiB" % load_mib)
            hp.sample()
            yield hp
        finally:
            hp.rc = hp.load.stop()
