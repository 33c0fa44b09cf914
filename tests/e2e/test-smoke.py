#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e smoke: one real TCG guest, a real balloon, real libvirt events.

Proves the harness end to end before any autoballoon code is involved:
boot to the ready marker, inflate with `virsh setmem` and see both the
balloon's `actual` and a balloon-change event from a separate `virsh event`
process, read guest stats, run a load past the balloon (deflate-on-oom),
deflate, clean up. Prints the timings it measured as TAP comments.
"""

import re
import sys
import time

import harness

MEM = 512
SMALL = 256
LOAD = 300
KIB = 1024
TOLERANCE_KIB = 1024   # QEMU reports the balloon in pages; allow 1 MiB

DISK = 64

PLAN = 11


def near(actual_kib, mib):
    return abs(actual_kib - mib * KIB) <= TOLERANCE_KIB


def main():
    tap = harness.Tap(PLAN)
    try:
        with harness.Session("smoke") as s:
            if s.skip_reason:
                tap.skip_rest(s.skip_reason)
                return 0
            run(s, tap)
    except Exception as e:              # one failed step fails all the rest
        tap.bail("%s: %s" % (type(e).__name__, e))
    return tap.exit_code()


def run(s, tap):
    figures = {}
    watcher = s.event_watcher()
    g = s.guest("a", MEM, autodeflate=True, stats_period=1, disk=s.disk("cache", DISK))
    watcher.sync(g.name)
    tap.ok(True, "guest %s defined, virsh event watcher registered" % g.name)

    g.start()
    figures["boot_to_ready_s"] = g.wait_ready(timeout=60)
    watcher.wait_for(r"'lifecycle' for domain '?%s'?: Started" % re.escape(g.name), 10)
    tap.ok(True, "guest reached its ready marker in %.2f s" % figures["boot_to_ready_s"])

    cg = g.memory_cgroup()
    tap.ok(cg is not None and cg.startswith(harness.MACHINE_CGROUP + "/"),
           "QEMU runs under the machine memory cgroup: %s" % cg)

    st, t = g.wait_memstat(lambda st: "usable" in st and "actual" in st, 20,
                           what="guest stats (usable)")
    tap.ok(near(st["actual"], MEM), "guest stats arrive (usable=%d KiB, actual=%d KiB) after "
           "%.2f s more" % (st["usable"], st["actual"], t), st)

    mark = watcher.mark()
    t0 = time.monotonic()
    g.setmem(SMALL)
    st, figures["inflate_s"] = g.wait_memstat(lambda st: near(st["actual"], SMALL), 30,
                                              what="actual = %d MiB" % SMALL)
    tap.ok(True, "inflate %d -> %d MiB: actual=%d KiB in %.2f s"
           % (MEM, SMALL, st["actual"], figures["inflate_s"]))

    _, te, line, m = watcher.wait_for(
        r"'balloon-change' for domain '?%s'?: (\d+)" % re.escape(g.name), 10, mark)
    # QEMU reports the balloon as it moves; wait for the event at the target.
    if not near(int(m.group(1)), SMALL):
        _, te, line, m = watcher.wait_for(
            r"'balloon-change' for domain '?%s'?: %d" % (re.escape(g.name), SMALL * KIB), 10, mark)
    tap.ok(True, "balloon-change event seen by virsh event %.2f s after setmem: %s"
           % (te - t0, line.strip()))

    t1 = time.monotonic()
    rc, out = g.run("memload -s 50 %d" % LOAD, timeout=120)
    figures["load_s"] = time.monotonic() - t1
    done = rc == 0 and "memload: done" in out
    st = g.dommemstat()
    tap.ok(done, "memload %d MiB completes at a %d MiB balloon target (deflate-on-oom) in "
           "%.2f s; actual now %d KiB" % (LOAD, SMALL, figures["load_s"], st.get("actual", -1)),
           out[-600:])

    # A held load stops on Ctrl-C: what the pressure scenarios will use.
    g.send("memload -s 32 -t -1 64")
    g.console_wait(r"memload: holding 64 MiB", 30)
    g.interrupt()
    m = g.console_wait(r"memload: (done|freed 64 MiB)", 10)
    tap.ok(m.group(1) == "freed 64 MiB", "a held load frees its memory on Ctrl-C")
    g.console_wait(r"memload: done", 10)

    t1 = time.monotonic()
    rc, out = g.run("memload -c /dev/vda", timeout=60)
    figures["cache_fill_s"] = time.monotonic() - t1
    # the cache must stay after memload closed the disk: read it back
    rc2, meminfo = g.run("grep -E '^(Cached|Buffers):' /proc/meminfo", timeout=10)
    cached_kib = sum(int(v) for v in re.findall(r"^(?:Cached|Buffers):\s+(\d+) kB", meminfo, re.M))
    tap.ok(rc == 0 and "memload: cached %d MiB" % DISK in out and
           cached_kib >= DISK * KIB * 9 // 10,
           "page cache filled from a %d MiB virtio disk in %.2f s and kept (%d KiB cached)"
           % (DISK, figures["cache_fill_s"], cached_kib),
           out[-600:] + meminfo[-300:])

    g.setmem(MEM)
    st, figures["deflate_s"] = g.wait_memstat(lambda st: near(st["actual"], MEM), 30,
                                              what="actual = %d MiB" % MEM)
    tap.ok(True, "deflate back to %d MiB: actual=%d KiB in %.2f s"
           % (MEM, st["actual"], figures["deflate_s"]))

    g.undefine()
    names = harness.virsh("list", "--all", "--name").stdout.split()
    tap.ok(g.name not in names, "guest destroyed and undefined")

    for k, v in figures.items():
        print("# figure %s=%.2f" % (k, v), flush=True)


if __name__ == "__main__":
    sys.exit(main())
