#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e scenario: autoballoon over D-Bus, through libvirt-dbus.

autoballoon has no D-Bus API of its own: libvirt-dbus turns libvirt's
domain events into org.libvirt.Domain signals. On a private system-style
bus (dbus-daemon with a configuration of the test's own: Debian's lets
only user libvirtdbus own org.libvirt), `libvirt-dbus --system` talks to
the harness's libvirtd (it opens qemu:///system), and real D-Bus clients
show: an injected pressure gives a MetadataChange for our status
namespace, the balloon's move a BalloonChange, and the status reads back
through org.libvirt.Domain.GetMetadata. docs/dbus.md has the calls.
"""

import os
import re
import shutil
import subprocess
import sys
import time

import harness
import abtest

MEM = 512
PLAN = 7
LIBVIRT_DBUS = "/usr/sbin/libvirt-dbus"
SYNC_URI = "https://autoballoon.org/xmlns/e2e-sync/1"
# what libvirt-dbus needs of a system bus, and a client that watches it
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="root"/>
    <allow own="org.libvirt"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""


def gdbus(*args, timeout=30, check=True):
    return subprocess.run(["gdbus"] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, check=check)


def libvirt_call(path, method, *args, check=True):
    return gdbus("call", "--system", "--dest", "org.libvirt", "--object-path", path,
                 "--method", method, *args, check=check).stdout.strip()


def start_bus(s):
    sock = os.path.join(s.rundir, "dbus-system.sock")
    conf = os.path.join(s.workdir, "dbus-system.conf")
    with open(conf, "w") as f:
        f.write(BUS_CONFIG % sock)
    p = s.spawn("dbus-daemon", ["dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile"])

    def up():
        if p.poll() is not None:
            raise RuntimeError("dbus-daemon exited %s (see dbus-daemon.log)" % p.returncode)
        return harness.socket_alive(sock)
    harness.wait_until(up, 10, what="the private bus's socket")
    # every D-Bus client of this process (gdbus, libvirt-dbus) uses it
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=" + sock
    return p


def start_libvirt_dbus(s):
    env = dict(os.environ)
    # meson's fatal-criticals is for our programs: libvirt-dbus 1.4.1 logs a
    # critical for each title or description change (a NULL namespace it
    # cannot put in the signal) and would abort
    env.pop("G_DEBUG", None)
    p = s.spawn("libvirt-dbus", [LIBVIRT_DBUS, "--system"], env=env)

    def owned():
        if p.poll() is not None:
            raise RuntimeError("libvirt-dbus exited %s (see libvirt-dbus.log)" % p.returncode)
        out = gdbus("call", "--system", "--dest", "org.freedesktop.DBus", "--object-path",
                    "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.NameHasOwner",
                    "org.libvirt", check=False).stdout
        return "true" in out
    harness.wait_until(owned, 15, interval=0.1, what="libvirt-dbus owning org.libvirt")
    return p


def sync_monitor(mon, domain, timeout=15):
    """Until the monitor sees a metadata change of the test's own namespace
    come through libvirt-dbus (not a title: libvirt-dbus 1.4.1 drops
    those, their namespace is NULL)."""
    deadline = time.monotonic() + timeout
    n = 0
    while True:
        n += 1
        since = mon.mark()
        harness.virsh("metadata", domain, SYNC_URI, "--key", "sync", "--live",
                      "--set", "<sync n='%d'/>" % n)
        try:
            return mon.wait_for(r"org\.libvirt\.Domain\.MetadataChange \(2, '%s'\)"
                                % re.escape(SYNC_URI),
                                min(0.5, max(0.05, deadline - time.monotonic())), since)
        except TimeoutError:
            if time.monotonic() >= deadline:
                raise


def run(s, tap, fig):
    missing = [p for p in ("dbus-daemon", "gdbus", LIBVIRT_DBUS) if shutil.which(p) is None]
    if missing:
        raise RuntimeError("not installed: %s (make deps-e2e installs libvirt-dbus and dbus)"
                           % ", ".join(missing))
    start_bus(s)
    t0 = time.monotonic()
    start_libvirt_dbus(s)
    fig["libvirt_dbus_start_s"] = time.monotonic() - t0
    tap.attach("libvirt-dbus log", os.path.join(s.workdir, "libvirt-dbus.log"))
    tap.ok(True, "private system bus up; libvirt-dbus --system owns org.libvirt on it "
           "(%.2f s)" % fig["libvirt_dbus_start_s"])

    daemon = abtest.Daemon(s, tap)
    g = abtest.guest(s, "a", MEM)
    g.start()
    g.wait_ready()
    daemon.start()
    abtest.wait_status(g, lambda st: st.get("usable", 0) > 0, 30, "status with usable memory")

    out = libvirt_call("/org/libvirt/QEMU", "org.libvirt.Connect.DomainLookupByName", g.name)
    m = re.search(r"objectpath '([^']+)'", out)
    if not m:
        raise RuntimeError("DomainLookupByName %s: %s" % (g.name, out))
    path = m.group(1)
    mon = s.event_watcher(name="dbus-monitor", cmd=[
        "gdbus", "monitor", "--system", "--dest", "org.libvirt", "--object-path", path])
    sync_monitor(mon, g.name)
    tap.ok(True, "gdbus monitor on %s sees libvirt's events as org.libvirt.Domain "
           "signals" % path)

    mark = mon.mark()
    log_mark = daemon.mark()
    t0 = time.monotonic()
    abtest.vab("balloon-inject-pressure", g.name, "medium")
    _, te, line, _ = mon.wait_for(r"org\.libvirt\.Domain\.MetadataChange \(2, '%s'\)"
                                  % re.escape(abtest.PRESSURE_URI), 15, mark)
    tap.ok(True, "the injection itself: %s (%.2f s)" % (line.strip(), te - t0))

    _, te, line, _ = mon.wait_for(r"org\.libvirt\.Domain\.MetadataChange \(2, '%s'\)"
                                  % re.escape(abtest.STATUS_URI), 15, mark)
    fig["inject_to_dbus_status_s"] = te - t0
    tap.ok(True, "MetadataChange for the status namespace %.2f s after the injection: %s"
           % (te - t0, line.strip()))

    harness.wait_until(lambda: daemon.setmem_lines(g.name, log_mark), 15,
                       what="a new balloon target in the daemon log")
    old, new, _ = daemon.setmem_lines(g.name, log_mark)[0]
    _, te, line, _ = mon.wait_for(r"org\.libvirt\.Domain\.BalloonChange \(uint64 %d,\)" % new,
                                  20, mark)
    fig["inject_to_dbus_balloon_s"] = te - t0
    tap.ok(True, "BalloonChange at the new target %d KiB (from %d KiB) %.2f s after the "
           "injection: %s" % (new, old, te - t0, line.strip()))

    # GetMetadata(type=2 element, uri, flags=1 live) through libvirt-dbus,
    # next to what libvirt itself says
    def same():
        via_dbus = libvirt_call(path, "org.libvirt.Domain.GetMetadata", "2",
                                abtest.STATUS_URI, "1")
        direct = harness.virsh("metadata", g.name, abtest.STATUS_URI, "--live").stdout
        return (via_dbus, direct) if "level=\"medium\"" in via_dbus and \
            re.sub(r"\s+", "", direct) in re.sub(r"\s+|\\n", "", via_dbus) else None
    (via_dbus, _), _ = harness.wait_until(same, 15, interval=0.2,
                                          what="GetMetadata = virsh metadata, level medium")
    tap.ok(True, "GetMetadata through libvirt-dbus returns the status libvirt has:\n"
           + via_dbus)

    tap.ok(daemon.stop() == 0, "autoballoond exits 0 on SIGTERM")


if __name__ == "__main__":
    sys.exit(abtest.main("dbus", PLAN, run))
