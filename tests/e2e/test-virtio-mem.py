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
  - balloon-status lists the guest with backend virtio-mem.
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import abtest  # noqa: E402

BOOT = 512
SIZE = 1024
BLOCK = 2
REQUESTED = 256
MEM = BOOT + SIZE
TOUCH = 500
LOAD = 600
LOAD_CMD = "memload -s 16 -d 750 %d" % LOAD
PLAN = 8
KIB = 1024

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

    # The device's own speed, for docs/virtio-mem.md next to the balloon's
    # (docs/e2e.md): one request for everything, without the daemon's
    # per-tick steps. Figures only.
    daemon.stop()
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
