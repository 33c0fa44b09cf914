#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""autoballoon demo: three tiny guests over-committed in a memory-limited
machine cgroup, autoballoond keeping them all alive, live in the terminal.

    sh demo/run-demo.sh BUILD_DIR        (what `make demo` runs, as root)

It boots three 1 GiB TCG guests under a private libvirtd (the e2e harness,
tests/e2e/harness.py), limits /sys/fs/cgroup/memory/machine to LIMIT_MIB,
starts autoballoond with the cgroup's headroom as its pressure source and
runs the load of e2e scenario 3: all guests touch and free memory and fill
their page cache, then one at a time grows a large working set. Every
second it prints, per guest, the balloon target, actual size, usable memory,
the pressure level and the daemon's last action (from `virsh domstats
--balloon` and the status autoballoond writes into each guest's metadata);
on a terminal the table is redrawn in place, otherwise lines are appended.
At the end it plots guest sizes and host pressure over time with gnuplot
(demo/out/demo.png, copied to docs/demo.png) and cleans everything up.
"""

import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(HERE)
os.environ.setdefault("AB_SOURCE_ROOT", SOURCE_ROOT)
if len(sys.argv) > 1:
    os.environ["AB_BUILD_ROOT"] = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.join(SOURCE_ROOT, "tests", "e2e"))
import harness  # noqa: E402
import abtest  # noqa: E402

OUT = os.path.join(HERE, "out")
MEM = 1024
LIMIT_MIB = 2304
TOUCH_MIB, CACHE_MIB, WORK_MIB = 400, 256, 700
PHASE_A = "memload -s 64 %d; memload -c /dev/vda; echo ab-phase-a=$?" % TOUCH_MIB
PHASE_B = "memload -s 16 -d 500 %d; echo ab-phase-b=$?" % WORK_MIB
LEVELS = {"none": 0, "low": 1, "medium": 2, "critical": 3}
DAEMON_CONFIG = {
    "pressure": {"sources": "headroom", "cgroup": "auto", "system-wide": "false"},
}


def domstats(names):
    """{name: {field: int}} from one `virsh domstats --balloon` call."""
    p = harness.virsh("domstats", "--balloon", *names, check=False)
    stats, cur = {}, None
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith("Domain:"):
            cur = stats.setdefault(line.split("'")[1], {})
        elif "=" in line and cur is not None:
            k, v = line.split("=", 1)
            if v.isdigit():
                cur[k] = int(v)
    return stats


def cgroup_usage_mib():
    with open(os.path.join(harness.MACHINE_CGROUP, "memory.usage_in_bytes")) as f:
        return int(f.read()) >> 20


class Sampler:
    """Once a second: one row per guest, printed and kept for the chart."""

    def __init__(self, guests, phase):
        self.guests = guests
        self.phase = phase          # a one-item list the main thread updates
        self.rows = []              # (t, usage, [(target, actual, usable, level)])
        self.t0 = time.monotonic()
        self.tty = sys.stdout.isatty()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self):
        self.thread.start()

    def _loop(self):
        while not self.stop.is_set():
            tick = time.monotonic()
            self.sample()
            self.stop.wait(max(0.0, 1.0 - (time.monotonic() - tick)))

    def sample(self):
        t = time.monotonic() - self.t0
        names = [g.name for g in self.guests]
        stats = domstats(names)
        usage = cgroup_usage_mib()
        cells = []
        for g in self.guests:
            st = abtest.status(g) or {}
            bs = stats.get(g.name, {})
            cells.append({
                "short": g.name.split("-")[-2],
                "target": st.get("target", 0) >> 10,
                "actual": bs.get("balloon.current", 0) >> 10,
                "usable": bs.get("balloon.usable", 0) >> 10,
                "level": st.get("level", "-"),
                "source": st.get("source", "-"),
                "action": "%s/%s" % (st.get("action", "-"), st.get("reason", "-")),
            })
        self.rows.append((t, usage, cells))
        self.show(t, usage, cells)

    def show(self, t, usage, cells):
        if self.tty:
            lines = ["\x1b[H\x1b[2J",
                     "autoballoon demo  t=%5.1f s  phase: %s" % (t, self.phase[0]),
                     "machine cgroup: %d MiB used of %d MiB limit" % (usage, LIMIT_MIB), "",
                     "%-6s %9s %9s %9s  %-19s %s" % ("guest", "target", "actual", "usable",
                                                    "pressure (source)", "last action/reason")]
            for c in cells:
                lines.append("%-6s %5d MiB %5d MiB %5d MiB  %-19s %s" % (
                    c["short"], c["target"], c["actual"], c["usable"],
                    "%s (%s)" % (c["level"], c["source"]), c["action"]))
            print("\n".join(lines), flush=True)
        else:
            print("t=%5.1f %-8s cgroup=%4d MiB | " % (t, self.phase[0], usage) + " | ".join(
                "%s tgt=%d act=%d usable=%d %s %s" % (
                    c["short"], c["target"], c["actual"], c["usable"], c["level"], c["action"])
                for c in cells), flush=True)

    def finish(self):
        self.stop.set()
        self.thread.join(5)


def write_chart(sampler, out_dir):
    data = os.path.join(out_dir, "demo.dat")
    with open(data, "w") as f:
        f.write("# t usage_mib " + " ".join("%s_actual %s_target" % (c["short"], c["short"])
                                            for c in sampler.rows[0][2]) + " level\n")
        for t, usage, cells in sampler.rows:
            level = max(LEVELS.get(c["level"], 0) for c in cells)
            f.write("%.1f %d %s %d\n" % (t, usage, " ".join(
                "%d %d" % (c["actual"], c["target"]) for c in cells), level))
    png = os.path.join(out_dir, "demo.png")
    plots = ["'%s' using 1:2 with lines lw 2 dt 2 lc rgb 'black' title 'machine cgroup usage'"
             % data]
    colours = ["#1f77b4", "#d62728", "#2ca02c"]
    for i, c in enumerate(sampler.rows[0][2]):
        plots.append("'%s' using 1:%d with lines lw 2 lc rgb '%s' title 'guest %s actual'"
                     % (data, 3 + 2 * i, colours[i % 3], c["short"]))
    ncol = 3 + 2 * len(sampler.rows[0][2])
    plots.append("'%s' using 1:%d axes x1y2 with steps lw 1 lc rgb '#ff7f0e' "
                 "title 'host pressure level'" % (data, ncol))
    script = """set terminal pngcairo size 1000,560 noenhanced
set output '%s'
set title 'autoballoond: three 1 GiB guests in a %d MiB machine cgroup'
set xlabel 'seconds'
set ylabel 'MiB'
set y2label 'pressure level'
set y2range [0:4]
set y2tics ('none' 0, 'low' 1, 'medium' 2, 'critical' 3)
set ytics nomirror
set yrange [0:%d]
set key outside bottom center horizontal
set grid
set arrow from graph 0, first %d to graph 1, first %d nohead dt 3 lc rgb 'gray'
plot %s
""" % (png, LIMIT_MIB, LIMIT_MIB + 256, LIMIT_MIB, LIMIT_MIB, ", \\\n     ".join(plots))
    with open(os.path.join(out_dir, "demo.gp"), "w") as f:
        f.write(script)
    p = subprocess.run(["gnuplot", os.path.join(out_dir, "demo.gp")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        # pngcairo needs gnuplot's cairo build; gnuplot-nox has libgd's png
        script = script.replace("set terminal pngcairo", "set terminal png")
        with open(os.path.join(out_dir, "demo.gp"), "w") as f:
            f.write(script)
        p = subprocess.run(["gnuplot", os.path.join(out_dir, "demo.gp")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise RuntimeError("gnuplot failed: " + p.stdout)
    return png


def main():
    if os.geteuid() != 0:
        print("the demo needs root: it starts libvirtd, QEMU guests and limits a cgroup",
              file=sys.stderr)
        return 1
    os.makedirs(OUT, exist_ok=True)
    with harness.Session("demo") as s:
        if s.skip_reason:
            print("cannot run the demo: " + s.skip_reason, file=sys.stderr)
            return 1
        if harness.autoballoond() is None or harness.virsh_autoballoon() is None:
            print("build first: autoballoond / virsh-autoballoon not in " + harness.BUILD_ROOT,
                  file=sys.stderr)
            return 1
        print("booting three 1 GiB guests (TCG) ...", flush=True)
        # the default policy, as a new user gets it
        guests = [abtest.guest(s, n, MEM,
                               disk=s.disk(n, CACHE_MIB)) for n in ("a", "b", "c")]
        for g in guests:
            g.start()
        for g in guests:
            g.wait_ready()
            abtest.wait_settled(g, MEM)
        daemon = abtest.Daemon(s, config=DAEMON_CONFIG)
        daemon.start()
        phase = ["idle"]
        sampler = Sampler(guests, phase)
        results = []
        with harness.cgroup_limit(LIMIT_MIB << 20):
            sampler.start()
            pids = {g.name: g.qemu_pid() for g in guests}
            phase[0] = "A: all touch+cache"
            for g in guests:
                g.send(PHASE_A)
            for g in guests:
                results.append((g.name, "A", abtest.wait_tag(g, pids[g.name], "ab-phase-a", 180)))
            for g in guests:
                phase[0] = "B: %s grows" % g.name.split("-")[-2]
                g.send(PHASE_B)
                results.append((g.name, "B", abtest.wait_tag(g, pids[g.name], "ab-phase-b", 240)))
            phase[0] = "done"
            sampler.stop.wait(3)
            sampler.finish()
        alive = [os.path.exists("/proc/%d" % pids[g.name]) for g in guests]
        png = write_chart(sampler, OUT)
        shutil.copy(png, os.path.join(SOURCE_ROOT, "docs", "demo.png"))
        print("")
        print("loads: " + ", ".join("%s %s: %s" % (n.split("-")[-2], ph, "ok" if rc == 0 else
                                                    "lost (%s)" % rc) for n, ph, rc in results))
        print("qemu processes alive: %d of %d; daemon targets set: %d" % (
            sum(alive), len(alive), sum(len(daemon.setmem_lines(g.name)) for g in guests)))
        print("chart: %s (copied to docs/demo.png); data and daemon log: %s, %s" % (
            png, os.path.join(OUT, "demo.dat"), daemon.log_path))
        shutil.copy(daemon.log_path, os.path.join(OUT, "autoballoond.log"))
        return 0 if all(alive) and all(rc == 0 for _, _, rc in results) else 1


if __name__ == "__main__":
    sys.exit(main())
