#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""e2e: policies no plugin checked, written with plain `virsh metadata`.

Any libvirt client can write the policy metadata. A managed guest (floor
256 MiB of 512; it has touched and freed TOUCH MiB, which its qemu holds:
free page reporting off) is squeezed to its floor by real host pressure:
the daemon watches the machine cgroup's headroom, which a host load
takes further past its low mark than the guest can give above its
floor, so the host stays short and only the floor holds the guest. Then
more than 20 malformed, out-of-range, duplicated, oversized and deeply
nested policies are written into its live metadata with plain `virsh
metadata`, the host pressure staying. For each one libvirt
accepts, the status says reason bad-policy with an error; through all of
them the daemon keeps managing the guest with its last valid policy: no
target it sets and no balloon size seen leaves [256, 512] MiB. A valid
policy written afterwards (floor 384 MiB) applies at once.
"""

import re
import sys

import harness
import abtest

MEM = 512
FLOOR = 256
NEW_FLOOR = 384
TOUCH = 384
# more than the guest can give above its floor: the host stays short
DEFICIT_MIB = MEM - FLOOR + 32
MARGIN_MIB = 128
POLICY_URI = "https://autoballoon.org/xmlns/policy/1"


def nested(depth):
    return "<policy state='on'>" + "<n>" * depth + "</n>" * depth + "</policy>"


# (what, XML). Every one is refused by libvirt or by the daemon.
BAD = [
    ("unclosed element", "<policy state='on'><floor unit='MiB'>128</floor>"),
    ("not XML at all", "floor = 128"),
    ("unknown unit", "<policy state='on'><floor unit='parsecs'>1</floor></policy>"),
    ("unknown state", "<policy state='maybe'/>"),
    ("no state", "<policy><floor unit='MiB'>64</floor></policy>"),
    ("floor above memory", "<policy state='on'><floor unit='MiB'>4096</floor></policy>"),
    ("negative floor", "<policy state='on'><floor unit='MiB'>-5</floor></policy>"),
    ("floor overflows", "<policy state='on'><floor unit='EiB'>99999999</floor></policy>"),
    ("floor not a number", "<policy state='on'><floor unit='MiB'>lots</floor></policy>"),
    ("weight zero", "<policy state='on'><weight>0</weight></policy>"),
    ("weight huge", "<policy state='on'><weight>99999999999</weight></policy>"),
    ("unknown step level", "<policy state='on'><step level='extreme' unit='MiB'>1</step></policy>"),
    ("zero step", "<policy state='on'><step level='critical' unit='MiB'>0</step></policy>"),
    ("cooldown unit", "<policy state='on'><cooldown unit='h'>1</cooldown></policy>"),
    ("floor above ceiling",
     "<policy state='on'><floor unit='MiB'>400</floor><ceiling unit='MiB'>300</ceiling></policy>"),
    ("reserve above memory", "<policy state='on'><reserve unit='GiB'>8</reserve></policy>"),
    ("duplicated floor",
     "<policy state='on'><floor unit='MiB'>100</floor><floor unit='MiB'>200</floor></policy>"),
    ("duplicated step",
     "<policy state='on'><step level='low' unit='MiB'>8</step>"
     "<step level='low' unit='MiB'>16</step></policy>"),
    ("duplicated attribute", "<policy state='on' state='off'/>"),
    ("unknown element", "<policy state='on'><colour>red</colour></policy>"),
    ("unknown attribute", "<policy state='on' speed='11'/>"),
    ("text content", "<policy state='on'>junk</policy>"),
    ("wrong element", "<pressure level='critical'/>"),
    ("a low floor next to a bad weight",
     "<policy state='on'><floor unit='MiB'>64</floor><weight>-1</weight></policy>"),
    ("oversized value",
     "<policy state='on'><floor unit='MiB'>" + "9" * 60000 + "</floor></policy>"),
    ("oversized unit",
     "<policy state='on'><floor unit='" + "K" * 60000 + "'>1</floor></policy>"),
    ("many unknown children", "<policy state='on'>" + "<x/>" * 20000 + "</policy>"),
    ("nested 100 deep", nested(100)),
    ("nested 5000 deep", nested(5000)),
]
PLAN = 7 + len(BAD)


def run(s, tap, fig):
    daemon = abtest.Daemon(s, tap, config={"pressure": abtest.HOST_SOURCES})
    g = abtest.guest(s, "a", MEM, policy={"floor": FLOOR}, free_page_reporting=False)
    g.start()
    g.wait_ready()
    rc, out = g.run("memload %d" % TOUCH, timeout=120)
    if rc != 0:
        raise RuntimeError("memload %d failed before the daemon ran: %s" % (TOUCH, out[-400:]))
    abtest.wait_settled(g, MEM)
    daemon.start()
    st, _ = abtest.wait_status(g, lambda st: st.get("usable", 0) > 0, 30,
                               "status with the guest's usable memory")
    tap.ok(abtest.near(st["target"], MEM), "autoballoond manages the guest: target %d KiB"
           % st["target"], st)
    with abtest.host_pressure(s, daemon, g.name, deficit_mib=DEFICIT_MIB,
                              margin_mib=MARGIN_MIB) as hp:
        bad_policies(s, tap, fig, daemon, g, hp)
    tap.ok(hp.rc == 0, "the host load held %d MiB until stopped (exit %s)"
           % (hp.load_mib, hp.rc), hp.load.text()[-300:])
    tap.ok(daemon.stop() == 0, "autoballoond exits 0 on SIGTERM")


def bad_policies(s, tap, fig, daemon, g, hp):
    try:
        m, t = g.wait_memstat(lambda m: abs(m["actual"] - FLOOR * 1024) <= 1024, 60,
                              what="actual at the floor")
        at_floor = True
    except TimeoutError:
        m, t, at_floor = g.dommemstat(), None, False
    hp.sample()
    shrinks = daemon.setmem_lines(g.name, hp.mark)
    fig["to_floor_s"] = t if t is not None else -1
    fig["limit_mib"] = hp.limit // abtest.MIB
    fig["host_load_mib"] = hp.load_mib
    fig["min_free_pct"] = 100 * hp.min_free()
    tap.ok(at_floor and shrinks and all(r == "host-pressure" for _, _, r in shrinks) and
           hp.free[-1] < abtest.LOW_MARK,
           "host pressure (%s) brought the guest to its floor, %d KiB, in %s s: %d targets, "
           "all host-pressure; the host still short at the floor (%.1f %% free)"
           % (hp.describe(), m["actual"], "%.1f" % t if t is not None else "-", len(shrinks),
              100 * hp.free[-1]), shrinks)

    lo, hi = FLOOR * 1024 - 1024, MEM * 1024 + 1024
    mark = daemon.mark()
    sizes = []
    refused_by_libvirt = 0
    prev_error = None
    for what, xml in BAD:
        changes = len(re.findall(r"%s: policy metadata changed" % re.escape(g.name),
                                 daemon.text()[mark:]))
        p = harness.virsh("metadata", g.name, POLICY_URI, "--key", "autoballoon",
                          "--set", xml, check=False, timeout=60)
        if p.returncode != 0:
            refused_by_libvirt += 1
            sizes.append(g.dommemstat()["actual"])
            tap.ok(lo <= sizes[-1] <= hi,
                   "%s: refused by libvirt itself (%s); actual %d KiB"
                   % (what, p.stderr.strip().splitlines()[-1][:120] if p.stderr.strip() else "",
                      sizes[-1]))
            continue
        harness.wait_until(
            lambda: len(re.findall(r"%s: policy metadata changed" % re.escape(g.name),
                                   daemon.text()[mark:])) > changes,
            15, what="the daemon reads the new policy (%s)" % what)
        st, _ = abtest.wait_status(g, lambda st: st.get("reason") == "bad-policy" and
                                   st.get("error") != prev_error, 15,
                                   "reason bad-policy with a new error (%s)" % what)
        prev_error = st.get("error")
        sizes.append(g.dommemstat()["actual"])
        tap.ok(st.get("error") and len(st["error"]) <= 256 and lo <= sizes[-1] <= hi and
               lo <= st["target"] <= hi,
               "%s: status reason bad-policy, error '%s', target %d KiB, actual %d KiB"
               % (what, st.get("error", "")[:100], st["target"], sizes[-1]), st)
    fig["refused_by_libvirt"] = refused_by_libvirt
    fig["refused_by_daemon"] = len(BAD) - refused_by_libvirt

    out = abtest.vab("balloon-status", g.name).stdout
    tap.ok("bad-policy" in out and "%s: bad-policy: " % g.name in out,
           "balloon-status shows the reason and what is wrong:\n" + out.strip(), out)

    # every target since the host load started, the shrinks to the floor too
    targets = daemon.setmem_lines(g.name, hp.mark)
    outside = [t for t in targets if not lo <= t[1] <= hi]
    free_end = hp.sample()
    tap.ok(not outside and daemon.alive() and free_end < abtest.LOW_MARK,
           "through %d bad policies under host pressure (%.1f %% free at the end): %d "
           "targets set, all within [%d, %d] MiB; balloon sizes seen %d..%d KiB"
           % (len(BAD), 100 * free_end, len(targets), FLOOR, MEM, min(sizes), max(sizes)),
           outside)

    # a valid policy afterwards: applied at once, the guest grows to it
    good = "<policy state='on'><floor unit='MiB'>%d</floor></policy>" % NEW_FLOOR
    harness.virsh("metadata", g.name, POLICY_URI, "--key", "autoballoon", "--set", good)
    m, t = g.wait_memstat(lambda m: m["actual"] >= NEW_FLOOR * 1024 - 1024, 30,
                          what="actual at the new floor")
    fig["valid_policy_to_actual_s"] = t
    st, _ = abtest.wait_status(g, lambda st: st.get("reason") != "bad-policy", 10,
                               "a reason other than bad-policy")
    tap.ok("error" not in st and st["target"] >= NEW_FLOOR * 1024,
           "a valid policy (floor %d MiB) applies at once: actual %d KiB after %.1f s, "
           "reason %s" % (NEW_FLOOR, m["actual"], t, st.get("reason")), st)


if __name__ == "__main__":
    sys.exit(abtest.main("bad-metadata", PLAN, run))
