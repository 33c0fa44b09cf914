#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e scenario 3: host over-commit, three guests in a memory-limited
machine cgroup, with and without autoballoond.

Three 1 GiB guests run under /sys/fs/cgroup/memory/machine with
memory.limit_in_bytes = LIMIT_MIB (written back in a finally). The load has
two phases:

  A. all three at once touch and free TOUCH_MIB, then fill their page
     cache from a CACHE_MIB virtio disk: QEMU keeps all that resident, and
     nothing but the balloon gives it back (free page reporting would not
     return page cache, and it is off);
  B. one guest at a time grows to a WORK_MIB working set and frees it.

The control runs it without a daemon and must lose a qemu (killed by the
cgroup's OOM killer) or a load; if it loses nothing the scenario proves
nothing and the test fails saying so. Then fresh guests run it with
autoballoond (headroom of the machine cgroup as its pressure source): no
qemu may be killed and every load must complete.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import abtest  # noqa: E402

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
PLAN = 8
DAEMON_CONFIG = {
    "pressure": {"sources": "headroom", "cgroup": "auto", "system-wide": "false"},
}
POLICY = {"floor": 256, "cooldown": 5}


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


def run_load(s, prefix, daemon=None):
    """Boot three guests, run both phases under the limit; the outcome."""
    out = {"killed": [], "failed": [], "loads_ok": 0, "t": {}}
    if daemon:
        guests = [abtest.guest(s, "%s%d" % (prefix, i), MEM, policy=POLICY,
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
            g.send(PHASE_B)
            rc = abtest.wait_tag(g, pids[g.name], "ab-phase-b", PHASE_B_DEADLINE if daemon
                                 else CONTROL_PHASE_B_DEADLINE)
            out["t"]["phase_b_%d_s" % i] = time.monotonic() - t1
            if rc == 0:
                out["loads_ok"] += 1
            else:
                out["failed"].append("%s phase B (%s)" % (g.name, rc))
        out["max_usage_mib"] = cgroup_read("memory.max_usage_in_bytes") >> 20
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

    # --- with autoballoond ------------------------------------------------
    daemon = abtest.Daemon(s, tap, config=DAEMON_CONFIG)
    d = run_load(s, "a", daemon)
    for k, v in d["t"].items():
        fig["daemon_" + k] = v
    fig["daemon_max_usage_mib"] = d["max_usage_mib"]
    names = [g.name for g in d["guests"]]
    shrinks = {n: [x for x in daemon.setmem_lines(n) if x[2] == "host-pressure"]
               for n in names}
    grows = {n: [x for x in daemon.setmem_lines(n) if x[1] > x[0]] for n in names}
    fig["daemon_host_pressure_shrinks"] = sum(len(v) for v in shrinks.values())
    first = first_line_time(daemon, r"target \d+ KiB -> \d+ KiB \(host-pressure")
    if first is not None:
        fig["daemon_limit_to_first_shrink_s"] = first - d["wall0"]
    fig["daemon_grows"] = sum(len(v) for v in grows.values())
    tap.ok(all(shrinks.values()),
           "autoballoond shrank every guest under the cgroup's headroom pressure (%s)"
           % ", ".join("%d" % len(v) for v in shrinks.values()), shrinks)
    tap.ok(not d["killed"] and not d["oom_kills"],
           "with autoballoond no qemu is killed", "%s\n%s" % (d["killed"], d["oom_kills"]))
    tap.ok(d["loads_ok"] == 6,
           "with autoballoond every load completes (%d of 6; max usage %d MiB of %d)"
           % (d["loads_ok"], d["max_usage_mib"], LIMIT_MIB), d["failed"])
    ooms = {k: v for k, v in d["guest_oom"].items() if v}
    tap.ok(True, "guest-side OOM kills with autoballoond: %s" % (ooms or "none"))
    tap.ok(cgroup_read("memory.limit_in_bytes") == limit,
           "the machine cgroup limit is written back (%d)" % limit)


if __name__ == "__main__":
    sys.exit(abtest.main("overcommit", PLAN, run))
