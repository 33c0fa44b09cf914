#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e scenario 3: host over-commit, three guests in a memory-limited
machine cgroup, with and without autoballoond, with the DEFAULT policy.

Three 1 GiB guests run under /sys/fs/cgroup/memory/machine with
memory.limit_in_bytes = LIMIT_MIB (written back in a finally). The load has
three phases:

  A. all three at once touch and free TOUCH_MIB, then fill their page
     cache from a CACHE_MIB virtio disk: QEMU keeps all that resident, and
     nothing but the balloon gives it back;
  B. sequential bursts: one guest at a time grows a WORK_MIB working set,
     holds it, frees it, and the next starts at once, inside the previous
     guest's 60 s cool-down (the default): the memory the previous guest
     freed must come back although it just grew;
  C. a process that is not a guest, in a cgroup below machine, ramps its
     memory to RAMP_MIB at RAMP_MIB_S, holds it, and exits: the guests
     must make room for it.

The control runs A and B without a daemon and must lose a qemu (killed by
the cgroup's OOM killer) or a load; if it loses nothing the scenario proves
nothing and the test fails saying so. Then fresh guests run A, B and C
with autoballoond (headroom of the machine cgroup as its pressure source,
default tick, stats period and policy) twice: with free page reporting off
(only the daemon returns freed memory) and on. No qemu may be killed, every
load must complete, the ramp must not be killed, and the cgroup's peak
usage must stay 3 % below its limit.
"""

import os
import re
import sys
import time

import harness
import abtest

MEM = 1024
TOUCH_MIB = 400
CACHE_MIB = 256
WORK_MIB = 700
# Measured here: three booted TCG guests take ~630 MiB of the cgroup; after
# phase A each QEMU holds ~610 MiB (1.8 GiB of anonymous memory in all, plus
# ~0.7 GiB of host page cache from the disk images); after phase B without a
# balloon each holds ~1120 MiB. With the daemon the growing guest needs
# ~1 GiB while the other two are ballooned down to ~0.4 GiB each.
LIMIT_MIB = 2304
PHASE_A = "memload -s 64 %d; memload -c /dev/vda; echo ab-phase-a=$?" % TOUCH_MIB
PHASE_B = "memload -s 16 -d 500 %d; echo ab-phase-b=$?" % WORK_MIB
# With the daemon a phase-B load takes about 23 s here. In the control a
# guest that cannot get memory thrashes rather than dies: a load still
# running after 4x that counts as lost, instead of waiting out the generous
# deadline the daemon run gets (which cost the control 4 minutes).
PHASE_B_DEADLINE = 240
CONTROL_PHASE_B_DEADLINE = 90
RAMP_MIB = 512
RAMP_MIB_S = 64
RAMP_HOLD_S = 5
RAMP_CGROUP = os.path.join(harness.MACHINE_CGROUP, "ab-e2e-ramp")
# the peak usage must stay this far below the limit
PEAK_MARGIN = 0.03
NEAR_LIMIT_MIB = 16
PLAN = 19
# The daemon's defaults (tick 2 s, stats period 2 s), not the faster
# ones the other scenarios use; headroom of the guests' cgroup only.
DAEMON_CONFIG = {
    "daemon": {"tick": "2", "stats-period": "2", "unresponsive-timeout": "5"},
    "pressure": {"sources": "headroom", "cgroup": "auto", "system-wide": "false"},
}
# The host process of phase C: allocate and touch RAMP_MIB in steps of
# 16 MiB at RAMP_MIB_S, hold, exit 0; "ramp-done" when it held it all.
RAMP_PY = """
import sys, time
step, total, rate, hold = 16 << 20, int(sys.argv[1]) << 20, int(sys.argv[2]) << 20, float(sys.argv[3])
t0 = time.monotonic(); got = []
while len(got) * step < total:
    got.append(bytearray(b"x" * step))
    time.sleep(max(0.0, t0 + len(got) * step / rate - time.monotonic()))
print("ramp-up %.2f" % (time.monotonic() - t0), flush=True)
time.sleep(hold)
print("ramp-done", flush=True)
"""


class UsageSampler:
    """Samples the machine cgroup's usage every 50 ms in a thread: the
    peak, and how long it stayed within NEAR_LIMIT_MIB of the limit; and
    the host's PSI memory 'full' stall time over the same span."""

    def __init__(self, limit_bytes):
        self.limit = limit_bytes
        self.peak = 0
        self.near_s = 0.0
        # the phase the load is in (set by run_load), and the one the peak
        # fell in: where the daemon came closest to the limit
        self.phase = "A"
        self.peak_phase = None
        self.stop = harness.threading.Event()
        self.psi0 = psi_full_us()
        self.thread = harness.threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        last = time.monotonic()
        while not self.stop.wait(0.05):
            try:
                u = cgroup_read("memory.usage_in_bytes")
            except OSError:
                continue
            now = time.monotonic()
            if u > self.peak:
                self.peak, self.peak_phase = u, self.phase
            if u >= self.limit - (NEAR_LIMIT_MIB << 20):
                self.near_s += now - last
            last = now

    def finish(self):
        self.stop.set()
        self.thread.join()
        p1 = psi_full_us()
        return {"peak_mib": self.peak >> 20, "near_limit_s": self.near_s,
                "peak_phase": self.peak_phase,
                "psi_full_stall_s": (p1 - self.psi0) / 1e6 if p1 is not None and
                self.psi0 is not None else -1}


def psi_full_us():
    try:
        with open("/proc/pressure/memory") as f:
            for line in f:
                if line.startswith("full"):
                    return int(line.rsplit("total=", 1)[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def run_ramp(out):
    """Phase C: the ramp in a cgroup below machine; its outcome in out."""
    os.makedirs(RAMP_CGROUP, exist_ok=True)
    tasks = os.path.join(RAMP_CGROUP, "tasks")

    def enter():
        with open(tasks, "w") as f:
            f.write(str(os.getpid()))
    t0 = time.monotonic()
    try:
        p = harness.subprocess.run([sys.executable, "-c", RAMP_PY, str(RAMP_MIB),
                                    str(RAMP_MIB_S), str(RAMP_HOLD_S)],
                                   stdout=harness.subprocess.PIPE, text=True,
                                   timeout=120, preexec_fn=enter)
        out["ramp_rc"] = p.returncode
        out["ramp_ok"] = p.returncode == 0 and "ramp-done" in p.stdout
        m = re.search(r"ramp-up ([\d.]+)", p.stdout)
        if m:
            out["t"]["ramp_up_s"] = float(m.group(1))
    except harness.subprocess.TimeoutExpired:
        out["ramp_rc"] = "timeout"
        out["ramp_ok"] = False
    out["t"]["ramp_total_s"] = time.monotonic() - t0
    try:
        os.rmdir(RAMP_CGROUP)
    except OSError as e:
        harness.log("cannot remove %s: %s" % (RAMP_CGROUP, e))


def kernel_oom_kills(pids):
    """The host kernel's "Killed process PID" lines for these qemu pids."""
    p = harness.subprocess.run(["dmesg"], stdout=harness.subprocess.PIPE,
                               stderr=harness.subprocess.DEVNULL, text=True)
    rx = re.compile(r"Killed process (\d+) \(qemu")
    return [line for line in p.stdout.splitlines()
            if (m := rx.search(line)) and int(m.group(1)) in pids]


def cgroup_read(knob):
    with open(os.path.join(harness.MACHINE_CGROUP, knob)) as f:
        return int(f.read())


def run_load(s, prefix, daemon=None, fpr=False):
    """Boot three guests, run the phases under the limit; the outcome."""
    out = {"killed": [], "failed": [], "loads_ok": 0, "t": {}, "ramp_ok": None}
    if daemon:
        guests = [abtest.guest(s, "%s%d" % (prefix, i), MEM, stats_period=None,
                               free_page_reporting=fpr,
                               disk=s.disk("%s%d" % (prefix, i), CACHE_MIB)) for i in range(3)]
    else:
        guests = [s.guest("%s%d" % (prefix, i), MEM, disk=s.disk("%s%d" % (prefix, i), CACHE_MIB))
                  for i in range(3)]
    for g in guests:
        g.start()
    for g in guests:
        g.wait_ready()
        abtest.wait_settled(g, MEM)
    pids = {g.name: g.qemu_pid() for g in guests}
    if daemon:
        daemon.start()
        for g in guests:
            abtest.wait_status(g, lambda st: st.get("usable", 0) > 0, 20, "managed")
    wall0 = time.time()
    with open(os.path.join(harness.MACHINE_CGROUP, "memory.max_usage_in_bytes"), "w") as f:
        f.write("0")
    t0 = time.monotonic()
    with harness.cgroup_limit(LIMIT_MIB << 20):
        sampler = UsageSampler(LIMIT_MIB << 20)
        for g in guests:
            g.send(PHASE_A)
        for g in guests:
            rc = abtest.wait_tag(g, pids[g.name], "ab-phase-a", 180)
            if rc == 0:
                out["loads_ok"] += 1
            else:
                out["failed"].append("%s phase A (%s)" % (g.name, rc))
        out["t"]["phase_a_s"] = time.monotonic() - t0
        for i, g in enumerate(guests):
            # The control only has to show a loss; stop at the first one.
            if not daemon and (out["failed"] or
                               not all(abtest.pid_alive(pids[x.name]) for x in guests)):
                break
            if not abtest.pid_alive(pids[g.name]):
                continue
            t1 = time.monotonic()
            sampler.phase = "B%d" % i
            g.send(PHASE_B)
            rc = abtest.wait_tag(g, pids[g.name], "ab-phase-b", PHASE_B_DEADLINE if daemon
                                 else CONTROL_PHASE_B_DEADLINE)
            out["t"]["phase_b_%d_s" % i] = time.monotonic() - t1
            if rc == 0:
                out["loads_ok"] += 1
            else:
                out["failed"].append("%s phase B (%s)" % (g.name, rc))
        if daemon:
            sampler.phase = "C"
            run_ramp(out)
        out["max_usage_mib"] = cgroup_read("memory.max_usage_in_bytes") >> 20
        out.update(sampler.finish())
    out["t"]["total_s"] = time.monotonic() - t0
    out["killed"] = [g.name for g in guests if not abtest.pid_alive(pids[g.name])]
    out["oom_kills"] = kernel_oom_kills(set(pids.values()))
    out["wall0"] = wall0
    out["guest_oom"] = {g.name: abtest.oom_lines(g.console_text()) for g in guests}
    out["guests"] = guests
    return out


def first_line_time(daemon, regex):
    """Wall time of the first daemon log line matching regex (GLib stamps
    its lines with the local time of day, HH:MM:SS.mmm)."""
    m = re.search(r"(\d\d):(\d\d):(\d\d\.\d+): [^\n]*" + regex, daemon.text())
    if not m:
        return None
    lt = time.localtime()
    midnight = time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, 0, 0, 0, 0, 0, -1))
    return midnight + int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def run(s, tap, fig):
    limit = cgroup_read("memory.limit_in_bytes")
    # --- control: no daemon ------------------------------------------------
    c = run_load(s, "c")
    fig["control_killed_qemus"] = len(c["killed"])
    fig["control_loads_ok"] = c["loads_ok"]
    fig["control_max_usage_mib"] = c["max_usage_mib"]
    for k, v in c["t"].items():
        fig["control_" + k] = v
    tap.ok(True, "control without autoballoond ran: %d loads completed, %d failed, qemus "
           "killed: %s, max usage %d MiB of %d"
           % (c["loads_ok"], len(c["failed"]), c["killed"] or "none", c["max_usage_mib"],
              LIMIT_MIB))
    for line in c["oom_kills"]:
        print("# host kernel: " + line.strip(), flush=True)
    lost = bool(c["killed"]) or bool(c["failed"])
    tap.ok(lost, "control loses a qemu or a load at a %d MiB limit" % LIMIT_MIB,
           "the control lost nothing: at this limit the scenario proves nothing "
           "(loads %d/6, max usage %d MiB); lower LIMIT_MIB or raise the load"
           % (c["loads_ok"], c["max_usage_mib"]))
    for g in c["guests"]:
        g.undefine()
    tap.ok(cgroup_read("memory.limit_in_bytes") == limit,
           "the machine cgroup limit is written back (%d)" % limit)

    # --- with autoballoond, the default policy, free page reporting off, then on
    for fpr in (False, True):
        run_daemon(s, tap, fig, limit, fpr)


def run_daemon(s, tap, fig, limit, fpr):
    tag = "fpr_on" if fpr else "fpr_off"
    daemon = abtest.Daemon(s, tap, name="autoballoond-" + tag, config=DAEMON_CONFIG)
    d = run_load(s, "f" if fpr else "a", daemon, fpr=fpr)
    for k, v in d["t"].items():
        fig["%s_%s" % (tag, k)] = v
    for k in ("max_usage_mib", "peak_mib", "peak_phase", "near_limit_s", "psi_full_stall_s"):
        fig["%s_%s" % (tag, k)] = d[k]
    names = [g.name for g in d["guests"]]
    shrinks = {n: [x for x in daemon.setmem_lines(n) if x[2] == "host-pressure"]
               for n in names}
    grows = {n: [x for x in daemon.setmem_lines(n) if x[1] > x[0]] for n in names}
    fig["%s_host_pressure_shrinks" % tag] = sum(len(v) for v in shrinks.values())
    first = first_line_time(daemon, r"target \d+ KiB -> \d+ KiB \(host-pressure")
    if first is not None:
        fig["%s_limit_to_first_shrink_s" % tag] = first - d["wall0"]
    fig["%s_grows" % tag] = sum(len(v) for v in grows.values())
    what = "free page reporting %s" % ("on" if fpr else "off")
    tap.ok(any(shrinks.values()),
           "%s: autoballoond shrank guests under the cgroup's headroom pressure (%s)"
           % (what, ", ".join("%d" % len(v) for v in shrinks.values())), shrinks)
    tap.ok(not d["killed"] and not d["oom_kills"],
           "%s: no qemu is killed" % what, "%s\n%s" % (d["killed"], d["oom_kills"]))
    tap.ok(d["loads_ok"] == 6,
           "%s: every guest load completes (%d of 6)" % (what, d["loads_ok"]), d["failed"])
    tap.ok(d["ramp_ok"] is True,
           "%s: the non-guest process ramps to %d MiB and is not killed (rc %s)"
           % (what, RAMP_MIB, d.get("ramp_rc")))
    peak_max = int(LIMIT_MIB * (1 - PEAK_MARGIN))
    tap.ok(d["peak_mib"] <= peak_max and d["max_usage_mib"] <= peak_max,
           "%s: peak usage %d MiB (kernel's max %d) stays 3 %% below the %d MiB limit (<= %d)"
           % (what, d["peak_mib"], d["max_usage_mib"], LIMIT_MIB, peak_max))
    ooms = {k: v for k, v in d["guest_oom"].items() if v}
    tap.ok(True, "%s: guest-side OOM kills: %s" % (what, ooms or "none"))
    tap.ok(cgroup_read("memory.limit_in_bytes") == limit,
           "the machine cgroup limit is written back (%d)" % limit)
    daemon.stop()
    for g in d["guests"]:
        g.undefine()
    tap.ok(not os.path.exists(RAMP_CGROUP), "the ramp's cgroup is removed")


if __name__ == "__main__":
    sys.exit(abtest.main("overcommit", PLAN, run))
