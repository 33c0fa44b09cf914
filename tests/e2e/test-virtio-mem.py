#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e scenario: a guest sized through virtio-mem instead of its balloon.

The guest has 512 MiB of boot memory (one NUMA cell, <maxMemory slots='4'>)
and a <memory model='virtio-mem' autoballoon='on'> of 1024 MiB, block
2 MiB, requested 256 MiB, defined from extended XML through
`virsh-autoballoon define`. Its kernel loads virtio_mem after the virtio
modules and onlines plugged blocks movable (memhp_default_state=
online_movable), so they can be unplugged again. Its balloon is only a
stats source: it is never inflated.

Before the daemon starts the guest touches and frees 500 MiB, so its qemu
holds that memory. Then:
  - injected medium pressure: the daemon lowers the device's requested
    size, its plugged size (<current>) follows down to the boot memory
    floor, and the qemu's resident memory falls;
  - guest pressure (a stepwise memload of 600 MiB, more than the boot
    memory): the daemon raises the requested size with reason
    guest-pressure, the device plugs, the load completes without an OOM
    kill;
  - balloon-status lists the guest with backend virtio-mem;
  - host pressure: the load has left the guest with ~400 MiB plugged and
    free, and its qemu holds it. The machine cgroup gets a limit that puts
    it HOST_DEFICIT MiB past its low mark once a host process (memload,
    in a cgroup below machine) holds HOST_LOAD MiB. Control first, no
    daemon: the load takes the cgroup past its low mark and nothing
    shrinks. Then autoballoond with its defaults and the machine cgroup's
    headroom as its only source: the same load makes it lower the
    requested size (reason host-pressure), the device unplugs, the qemu's
    resident memory falls and the cgroup is back at its low mark.
A second guest boots without virtio_mem: its device never plugs, so the
daemon's grow is never answered; like a stuck balloon, its status says
unresponsive and the daemon sends nothing more.
Plug and unplug speeds are printed as figures. VFIO cannot exist on this
host (no IOMMU group to pass through): acceptance of VFIO with virtio-mem
is tested on the test driver and in golden files (tests/xml2xmldata).
"""

import os
import re
import sys
import time
import xml.etree.ElementTree as ET

import harness
import abtest

BOOT = 512
SIZE = 1024
BLOCK = 2
REQUESTED = 256
MEM = BOOT + SIZE
TOUCH = 500
LOAD = 600
LOAD_CMD = "memload -s 16 -d 750 %d" % LOAD
PLAN = 12
KIB = 1024
MIB = 1024 * 1024
# host pressure: what a host process allocates, and how far that takes the
# machine cgroup past its low mark (the limit is set from the usage
# measured before). The deficit is well below what the guest can give
# (its plugged memory above its reserve) and the load stays 0.2 x limit -
# HOST_DEFICIT below the limit, so nothing is OOM-killed without a daemon.
HOST_LOAD = 384
HOST_DEFICIT = 128
HOST_CGROUP = "ab-e2e-vmem-load"
LOW_MARK = abtest.LOW_MARK
# The daemon's defaults (tick 2 s, stats period 2 s) and the guests' cgroup
# headroom as the only source, as in scenario 3 (test-overcommit.py).
HOST_CONFIG = {
    "daemon": {"tick": "2", "stats-period": "2"},
    "pressure": abtest.HOST_SOURCES,
}

EXTRA_TOP = """
  <maxMemory slots='4' unit='MiB'>%d</maxMemory>
  <cpu>
    <numa>
      <cell id='0' cpus='0' memory='%d' unit='MiB'/>
    </numa>
  </cpu>""" % (MEM + 512, BOOT)

EXTRA_DEVICES = """
    <memory model='virtio-mem' autoballoon='on'>
      <target>
        <size unit='MiB'>%d</size>
        <node>0</node>
        <block unit='MiB'>%d</block>
        <requested unit='MiB'>%d</requested>
      </target>
    </memory>""" % (SIZE, BLOCK, REQUESTED)


def device(g):
    """The live virtio-mem device: {'requested': KiB, 'current': KiB}."""
    root = ET.fromstring(harness.virsh("dumpxml", g.name).stdout)
    for mem in root.iter("memory"):
        if mem.get("model") != "virtio-mem":
            continue
        out = {}
        for tag in ("requested", "current"):
            el = mem.find("target/" + tag)
            if el is not None:
                scale = {"KiB": 1, "MiB": KIB, "GiB": KIB * KIB}.get(el.get("unit", "KiB"), 1)
                out[tag] = int(el.text) * scale
        return out
    return {}


def wait_device(g, pred, timeout, what):
    last = [None]

    def check():
        d = device(g)
        last[0] = d
        return d if pred(d) else None
    try:
        return harness.wait_until(check, timeout, interval=0.05, what="%s: %s" % (g.name, what))
    except TimeoutError as e:
        raise TimeoutError("%s (last device: %s)" % (e, last[0])) from None


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def mem_total_kib(g):
    rc, out = g.run("grep MemTotal /proc/meminfo", timeout=30)
    m = re.search(r"MemTotal:\s+(\d+) kB", out)
    return int(m.group(1)) if rc == 0 and m else 0


def host_load(s, name, cgroup):
    """HOST_LOAD MiB, 16 MiB every 100 ms: a ramp."""
    return abtest.HostLoad(s, name, cgroup, HOST_LOAD, step_mib=16, delay_ms=100)


def host_sample(g, pid, limit):
    d = device(g)
    return {"t": time.monotonic(), "requested": d.get("requested", -1),
            "current": d.get("current", -1), "rss": rss_kib(pid),
            "free": max(0, limit - harness.machine_used()) / limit}


def host_watch(g, pid, limit, until, timeout):
    """Sample the device, the qemu's RSS and the cgroup's free share until
    until(samples); the samples, and whether it held within timeout."""
    samples = []

    def check():
        samples.append(host_sample(g, pid, limit))
        return until(samples)
    try:
        harness.wait_until(check, timeout, interval=0.05)
        return samples, True
    except TimeoutError:
        return samples, False


def host_control(s, tap, fig, g, limit, cgroup):
    """No daemon: the load takes the cgroup past its low mark, and nothing
    shrinks by itself (else the daemon's run proves nothing)."""
    pid = g.qemu_pid()
    # the guest-pressure phase's last grow may still be plugging
    wait_device(g, lambda d: d.get("current", -1) == d.get("requested"), 30,
                "the device settled before the control")
    before = host_sample(g, pid, limit)
    load = host_load(s, "host-load-control", cgroup)
    try:
        got, held = host_watch(g, pid, limit, lambda ss: load.holding(), 60)
    finally:
        rc = load.stop()
    low = min(x["free"] for x in got)
    last = got[-1]
    fig["control_min_free_pct"] = 100 * low
    tap.ok(held and rc == 0 and low < LOW_MARK and
           last["requested"] >= before["requested"] and last["current"] >= before["current"] and
           last["rss"] >= before["rss"] - 16 * KIB,
           "control, no daemon: the %d MiB host load takes the machine cgroup (limit %d MiB) "
           "past its low mark (free %.1f %% < %d %%); nothing shrinks: plugged %d MiB, qemu "
           "RSS %d -> %d MiB"
           % (HOST_LOAD, limit // MIB, 100 * low, 100 * LOW_MARK, last["current"] // KIB,
              before["rss"] // KIB, last["rss"] // KIB),
           "held %s, load exit %s; a load that stays above the low mark gives the daemon "
           "nothing to do, a device or RSS that shrinks by itself proves nothing\n%s -> %s"
           % (held, rc, before, last))


def host_daemon(s, tap, fig, g, limit, cgroup):
    """autoballoond with its defaults and the cgroup's headroom: the same
    load makes it unplug, the qemu's RSS falls, the cgroup gets back to its
    low mark. Returns the load's exit status."""
    pid = g.qemu_pid()
    hd = abtest.Daemon(s, tap, name="autoballoond-host", config=HOST_CONFIG)
    mark = hd.mark()
    hd.start()
    abtest.TickCounter(hd, g.name).wait(2, 20, mark)
    dev0 = device(g)
    req0, cur0 = dev0.get("requested", -1), dev0.get("current", -1)
    rss0 = rss_kib(pid)
    fig["host_requested_before_mib"] = req0 // KIB
    fig["host_plugged_before_mib"] = cur0 // KIB
    fig["host_rss_before_mib"] = rss0 // KIB
    unasked = hd.setmem_lines(g.name, mark)
    log_mark = hd.mark()
    load = host_load(s, "host-load", cgroup)
    try:
        def shrunk(ss):
            x = ss[-1]
            gone = cur0 - x["current"]
            return (load.holding() and x["requested"] < req0 and
                    x["current"] == x["requested"] and gone > 0 and x["rss"] <= rss0 - gone // 2)
        got, ok = host_watch(g, pid, limit, shrunk, 60)
        last = got[-1]
        first = next((x["t"] for x in got if x["requested"] < req0), None)
        crossed = next((x["t"] for x in got if x["free"] < LOW_MARK), None)
        fig["host_requested_after_mib"] = last["requested"] // KIB
        fig["host_plugged_after_mib"] = last["current"] // KIB
        fig["host_rss_after_mib"] = last["rss"] // KIB
        if first is not None:
            fig["host_load_to_first_shrink_s"] = first - load.t0
            if crossed is not None:
                fig["host_low_mark_to_first_shrink_s"] = first - crossed
        tap.ok(ok and not unasked,
               "host pressure: plugged %d -> %d MiB (requested %d -> %d MiB), the first shrink "
               "%s s after the host load started; qemu RSS %d -> %d MiB"
               % (cur0 // KIB, last["current"] // KIB, req0 // KIB, last["requested"] // KIB,
                  "%.2f" % (first - load.t0) if first is not None else "-",
                  rss0 // KIB, last["rss"] // KIB),
               "within 60 s the plugged size must shrink to the requested one and the RSS fall "
               "by half of what was unplugged at least; targets before the load: %s; last "
               "sample: %s" % (unasked, last))

        # The set point: the daemon asks for the deficit, no more.
        back, ok = host_watch(g, pid, limit, lambda ss: ss[-1]["free"] >= LOW_MARK - 0.01, 30)
        got += back
        fig["host_min_free_pct"] = 100 * min(x["free"] for x in got)
        fig["host_free_after_pct"] = 100 * back[-1]["free"]
        fig["host_plugged_settled_mib"] = back[-1]["current"] // KIB
        shrinks = hd.setmem_lines(g.name, log_mark)
        fig["host_shrinks"] = len(shrinks)
        tap.ok(ok and shrinks and all(n < o and r == "host-pressure" for o, n, r in shrinks),
               "the cgroup is back at its low mark (free %.1f %%, at least %.1f %% under the "
               "load) after %d shrinks, all host-pressure: %s KiB"
               % (100 * back[-1]["free"], fig["host_min_free_pct"], len(shrinks),
                  [n for _, n, _ in shrinks]), (shrinks, back[-1]))
    finally:
        hd.stop()
        rc = load.stop()
    return rc, load


def host_pressure(s, tap, fig, g):
    """The control and the daemon's run, under a limit of the machine cgroup
    set from its usage now, written back afterwards."""
    used0 = harness.machine_used()
    limit = abtest.host_limit(used0, HOST_LOAD, HOST_DEFICIT)
    fig["host_limit_mib"] = limit // MIB
    fig["host_used_before_mib"] = used0 // MIB
    with harness.cgroup_limit(limit) as old_limit, \
            harness.own_memory_cgroup(HOST_CGROUP, 2 * HOST_LOAD * MIB,
                                      root=harness.MACHINE_CGROUP) as cgroup:
        host_control(s, tap, fig, g, limit, cgroup)
        rc, load = host_daemon(s, tap, fig, g, limit, cgroup)
    with open(os.path.join(harness.MACHINE_CGROUP, "memory.limit_in_bytes")) as f:
        now_limit = f.read().strip()
    tap.ok(rc == 0 and "memload: done" in load.text() and now_limit == old_limit and
           not os.path.exists(cgroup),
           "the host load held %d MiB until stopped (exit %s), the machine cgroup's limit "
           "is written back (%s) and the load's cgroup removed" % (HOST_LOAD, rc, now_limit),
           load.text()[-300:])


def vmem_guest(s, short, driver=True):
    cmdline = harness.KERNEL_CMDLINE + " memhp_default_state=online_movable"
    return s.guest(short, MEM, define_cmd=abtest.vab_cmd("define"), autodeflate=False,
                   cmdline=cmdline + (" ab.virtiomem=1" if driver else ""),
                   extra_top=EXTRA_TOP, extra_devices=EXTRA_DEVICES)


def run(s, tap, fig):
    daemon = abtest.Daemon(s, tap)
    g = vmem_guest(s, "g")
    tap.attach("guest console", g.console_log, lines=30)
    native = harness.virsh("dumpxml", g.name, "--inactive").stdout
    tap.ok('backend="virtio-mem"' in native and "autoballoon=" not in native.split("<devices>")[1],
           "defined from extended XML: the policy is native metadata with backend virtio-mem "
           "and the device is libvirt's own", native)

    g.start()
    g.wait_ready()
    total = mem_total_kib(g)
    fig["boot_memtotal_mib"] = total // KIB
    # MemTotal is boot + plugged minus what the kernel reserves at boot
    tap.ok((BOOT + REQUESTED - 96) * KIB <= total <= (BOOT + REQUESTED) * KIB,
           "the guest onlined its plugged memory: MemTotal %d KiB with %d MiB boot + %d MiB "
           "plugged" % (total, BOOT, REQUESTED), device(g))

    # the qemu holds what the guest touched, though the guest freed it
    rc, out = g.run("memload %d" % TOUCH, timeout=120)
    if rc != 0:
        raise RuntimeError("memload %d failed before the daemon ran: %s" % (TOUCH, out[-400:]))
    pid = g.qemu_pid()
    rss0 = rss_kib(pid)
    fig["qemu_rss_before_mib"] = rss0 // KIB

    daemon.start()
    base = BOOT * KIB
    st, t = abtest.wait_status(g, lambda st: st.get("usable", 0) > 0, 30,
                               "status with the guest's usable memory")
    dev = device(g)
    tap.ok(st["actual"] == base + dev.get("current", -1) and st.get("level") == "none",
           "autoballoond manages it: status actual %d KiB = boot %d KiB + plugged %d KiB"
           % (st["actual"], base, dev.get("current", -1)), (st, dev))

    # --- host side asks: injected pressure shrinks the plugged size
    log_mark = daemon.mark()
    t0 = time.monotonic()
    abtest.vab("balloon-inject-pressure", g.name, "medium")
    harness.wait_until(lambda: daemon.setmem_lines(g.name, log_mark), 20, interval=0.05,
                       what="a first new target in the daemon log")
    t_first = time.monotonic()
    _, first_new, _ = daemon.setmem_lines(g.name, log_mark)[0]
    wait_device(g, lambda d: d.get("current", -1) <= first_new - base, 30,
                "the first step unplugged")
    fig["first_unplug_step_s"] = time.monotonic() - t_first
    dev, _ = wait_device(g, lambda d: d.get("current", -1) == 0 and d.get("requested") == 0,
                         60, "everything unplugged (down to the boot memory)")
    t_done = time.monotonic()
    abtest.vab("balloon-inject-pressure", g.name, "none")
    lines = daemon.setmem_lines(g.name, log_mark)
    fig["inject_to_unplugged_s"] = t_done - t0
    fig["unplug_mib_per_s"] = REQUESTED / max(t_done - t_first, 0.001)
    tap.ok(lines and all(n < o and r == "injected" for o, n, r in lines) and
           min(n for _, n, _ in lines) >= base,
           "injected pressure: targets %s (reason injected, never below the %d KiB boot "
           "memory); %d MiB unplugged %.2f s after the injection"
           % ([n for _, n, _ in lines], base, REQUESTED, fig["inject_to_unplugged_s"]), lines)

    rss1 = harness.wait_until(lambda: (rss_kib(pid) <= rss0 - 128 * KIB and rss_kib(pid)) or None,
                              20, interval=0.1, what="qemu RSS falls")[0]
    fig["qemu_rss_after_mib"] = rss1 // KIB
    tap.ok(rss1 <= rss0 - 128 * KIB,
           "the qemu's resident memory fell from %d to %d MiB" % (rss0 // KIB, rss1 // KIB))

    # --- guest side asks: a load larger than the boot memory is grown for
    abtest.wait_status(g, lambda st: st.get("level") == "none", 20, "injected pressure gone")
    log_mark = daemon.mark()
    pos = len(g.console_text())
    t0 = time.monotonic()
    g.send("%s; echo ab-e2e-vmem-rc=$?" % LOAD_CMD)
    first, _ = harness.wait_until(lambda: daemon.setmem_lines(g.name, log_mark), 60,
                                  interval=0.05, what="the daemon's first grow")
    t_first = time.monotonic()
    _, new, _ = first[0]
    wait_device(g, lambda d: d.get("current", -1) >= new - base, 30,
                "the first grow plugged (%d KiB)" % (new - base))
    fig["first_grow_plugged_s"] = time.monotonic() - t_first
    fig["plug_mib_per_s"] = (new - base) / KIB / max(fig["first_grow_plugged_s"], 0.001)
    m = g.console_wait(r"ab-e2e-vmem-rc=(\d+)", 180)
    fig["load_s"] = time.monotonic() - t0
    out = g.console_text()[pos:]
    grows = daemon.setmem_lines(g.name, log_mark)
    dev = device(g)
    fig["plugged_after_load_mib"] = dev.get("current", 0) // KIB
    tap.ok(int(m.group(1)) == 0 and "memload: done" in out and not abtest.oom_lines(out) and
           grows and all(n > o and r == "guest-pressure" for o, n, r in grows) and
           dev.get("current", 0) > 0,
           "guest pressure: memload %d MiB on %d MiB of boot memory completes without an OOM "
           "kill in %.1f s; %d guest-pressure grows plugged %d MiB (first one in %.2f s)"
           % (LOAD, BOOT, fig["load_s"], len(grows), dev.get("current", 0) // KIB,
              fig["first_grow_plugged_s"]), (grows, out[-600:]))

    out = abtest.vab("balloon-status").stdout
    row = [line for line in out.splitlines() if g.name in line]
    tap.ok("Backend" in out and row and "virtio-mem" in row[0],
           "balloon-status lists the guest with its backend:\n" + out.strip(), out)

    # --- host side asks: the machine cgroup's headroom (the test daemon,
    # injected pressure only, stops; another one runs with the defaults)
    daemon.stop()
    host_pressure(s, tap, fig, g)

    # The device's own speed, for docs/virtio-mem.md next to the balloon's
    # (docs/e2e.md): one request for everything, without the daemon's
    # per-tick steps. Figures only.
    plugged = device(g).get("current", 0)
    for what, size in (("unplug", 0), ("plug", plugged)):
        t0 = time.monotonic()
        harness.virsh("update-memory-device", g.name, "--requested-size", "%dKiB" % size,
                      "--live")
        wait_device(g, lambda d: d.get("current", -1) == size, 60, "%s to %d KiB" % (what, size))
        fig["device_%s_%d_mib_s" % (what, plugged // KIB)] = time.monotonic() - t0

    # --- a device nothing in the guest answers
    g.destroy()
    h = vmem_guest(s, "n", driver=False)
    tap.attach("driverless guest console", h.console_log, lines=30)
    h.start()
    h.wait_ready()
    daemon.start()
    abtest.wait_status(h, lambda st: st.get("usable", 0) > 0, 30, "status with usable memory")
    log_mark = daemon.mark()
    h.send("memload -t -1 350")
    st, t = abtest.wait_status(h, lambda st: st.get("unresponsive") == "yes", 60,
                               "unresponsive: the device never plugs")
    held_mark = daemon.mark()
    abtest.TickCounter(daemon, h.name).wait(5, 30, held_mark)
    sent = daemon.setmem_lines(h.name, log_mark)
    after = daemon.setmem_lines(h.name, held_mark)
    dev = device(h)
    h.interrupt()
    tap.ok(sent and not after and dev.get("current", -1) == 0 and dev.get("requested", 0) > 0,
           "a guest without virtio_mem: the grow to %d KiB requested is never plugged, the "
           "status says unresponsive after %.1f s and 5 more ticks send nothing"
           % (dev.get("requested", 0), t), (sent, after, st, dev))


if __name__ == "__main__":
    sys.exit(abtest.main("virtio-mem", PLAN, run))
