#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Wrap the simulator's JSON with date, machine and commit, and regenerate
the generated blocks of bench/README.md from it.

    report.py --sim DIR/sim.json --out bench/results/X.json --readme bench/README.md \
              --meta date=... --meta hostname=... ...

Only the text between <!-- BEGIN name --> and <!-- END name --> markers in
the README is replaced; everything else there is written by hand.
"""
import argparse
import json
import re
import sys

# The 2013 automatic-ballooning patches' own figures for scenario (a):
# host swap-out pages and run time of 35 kernel builds in 1 GiB guests.
PUBLISHED_A = {
    "off": {"swap_out_pages": "1.36-1.64 M", "run_s": "543-649"},
    "on": {"swap_out_pages": "9-43 k", "run_s": "624-631"},
}

POLICIES = ["autoballoon", "none", "mom", "proxmox"]


def fmt_pages(n):
    if n >= 1e6:
        return f"{n / 1e6:.2f} M"
    if n >= 1e3:
        return f"{n / 1e3:.1f} k"
    return f"{n:.0f}"


def fmt_conv(s):
    return "never" if s < 0 else f"{s:.0f} s"


def fmt_ratio(r):
    return "-" if r["inflated_gib"] <= 0 else f"{r['reclaimed_gib'] / r['inflated_gib']:.2f}"


def fmt_mib(gib):
    return f"{gib:g} GiB" if gib == int(gib) else f"{gib * 1024:.0f} MiB"


def scenario_table(sc):
    other = sc.get("other_mib", 0) > 0
    head = ("| policy | host swap-out pages | host OOM (qemus lost) "
            + ("| non-guest process OOM " if other else "")
            + "| guest pressure (guest·s) "
            "| guest OOM | held by balloons (GiB·s / peak GiB) | freed by balloons (GiB) "
            "| freed / inflated | peak used (% of host) | converge | balloon commands |")
    sep = "|---|---:|---:|" + ("---:|" if other else "") + "---:|---:|---:|---:|---:|---:|---:|---:|"
    if sc["name"] == "a":
        head += " run time mean / max (s) |"
        sep += "---:|"
    rows = [head, sep]
    for r in sc["results"]:
        row = (f"| {r['policy']} | {fmt_pages(r['host_swap_out_pages'])} | {r['host_oom']} "
               + (f"| {r['other_oom']} " if other else "")
               + f"| {r['guest_pressure_s']:.0f} | {r['guest_oom']} "
               f"| {r['returned_gib_s']:.0f} / {r['returned_peak_gib']:.1f} "
               f"| {r['reclaimed_gib']:.1f} | {fmt_ratio(r)} | {r['host_used_peak_pct']:.1f} "
               f"| {fmt_conv(r['converge_s'])} | {r['commands']} |")
        if sc["name"] == "a":
            row += f" {r['run_mean_s']:.0f} / {r['run_max_s']:.0f} |"
        rows.append(row)
    if sc["name"] == "a":
        for label, key in (("published 2013, balloon off", "off"),
                           ("published 2013, auto-balloon on", "on")):
            p = PUBLISHED_A[key]
            rows.append(f"| *{label}* | *{p['swap_out_pages']}* | | | | | | | | | | *{p['run_s']}* |")
    return "\n".join(rows)


def block_tables(sim):
    out = []
    for sc in sim["scenarios"]:
        out.append(f"### Scenario {sc['name']}: {sc['title']}\n")
        other = ""
        if sc.get("other_mib", 0) > 0:
            other = (f"; a non-guest process of {sc['other_mib']:.0f} MiB "
                     f"(ramping at {sc['other_ramp_mib_s']:.0f} MiB/s)")
        out.append(f"Host {fmt_mib(sc['host_ram_gib'])} RAM, {fmt_mib(sc['host_swap_gib'])} swap, "
                   f"{sc['host_base_mib']:.0f} MiB for the host itself{other}; {sc['guests']} guests; "
                   f"{sc['duration_s']:.0f} s simulated; disturbance at {sc['disturb_s']:.0f} s; "
                   f"seed {sc['seed']}.\n")
        out.append(scenario_table(sc))
        out.append(f"\n![scenario {sc['name']}](results/latest-{sc['name']}.png)\n")
    return "\n".join(out)


SWEEP_PARAMS = [
    ("step_scale", "steps (x 32/64/256 MiB; 0.001: practically no floor under the deficit)"),
    ("shrink_step_scale", "medium and critical steps only (x 64/256 MiB)"),
    ("reserve_mib", "reserve (MiB)"),
    ("reserve_pct", "reserve as a share of the guest (%, at least 128 MiB)"),
    ("cooldown_s", "cool-down (s)"),
    ("cooldown_reserves", "reserves a guest keeps in its cool-down (AB_POLICY_COOLDOWN_RESERVES)"),
    ("grow_horizon_periods", "growth horizon in stats periods (AB_POLICY_GROW_HORIZON_PERIODS)"),
    ("floor_pct", "floor (% of max)"),
    ("autodeflate", "autodeflate"),
    ("event_decisions", "decisions on events as well as at the tick (0: tick only)"),
    ("residency", "residency fed to the engine (0: residentKiB unknown)"),
    ("grow_charged", "trial, not in the engine: a grow asks the pool for what it takes from the host, in the same decision"),
]

# the host-sized scenarios and the cgroup ones get different columns
SWEEP_HOST = ("a", "b", "c")


def sweep_cells(sc, e):
    if sc["name"] in SWEEP_HOST:
        cells = (f" {fmt_pages(e['host_swap_out_pages'])} | {e['guest_pressure_s']:.0f} "
                 f"| {e['guest_oom'] + e['host_oom']} | {e['commands']} "
                 f"| {fmt_conv(e['converge_s'])} |")
        if sc["name"] == "a":
            cells += f" {e['run_mean_s']:.0f} |"
        return cells
    return (f" {e['host_oom'] + e.get('other_oom', 0)} | {e['host_used_peak_pct']:.1f} "
            f"| {e['guest_pressure_s']:.0f} | {fmt_ratio(e)} | {e['commands']} |")


def sweep_head(sc):
    n = sc["name"]
    if n in SWEEP_HOST:
        head = (f" {n}: swap-out | {n}: pressure s | {n}: OOM | {n}: commands"
                f" | {n}: converge |")
        sep = "---:|---:|---:|---:|---:|"
        if n == "a":
            head += " a: run mean s |"
            sep += "---:|"
        return head, sep
    return (f" {n}: killed | {n}: peak % | {n}: pressure s | {n}: freed/infl | {n}: commands |",
            "---:|---:|---:|---:|---:|")


def block_sweep(sim):
    scs = [sc for sc in sim["scenarios"] if "sweep" in sc]
    if not scs:
        return "(run with --sweep)"
    groups = [g for g in ([sc for sc in scs if sc["name"] in SWEEP_HOST],
                          [sc for sc in scs if sc["name"] not in SWEEP_HOST]) if g]
    out = []
    for param, label in SWEEP_PARAMS:
        out.append(f"**{label}**\n")
        for group in groups:
            head = f"| {label.split(' (')[0]} |"
            sep = "|---:|"
            for sc in group:
                h, s_ = sweep_head(sc)
                head += h
                sep += s_
            rows = [head, sep]
            values = [e["value"] for e in group[0]["sweep"] if e["param"] == param]
            for v in values:
                row = f"| {v:g} |"
                for sc in group:
                    e = next(x for x in sc["sweep"] if x["param"] == param and x["value"] == v)
                    row += sweep_cells(sc, e)
                rows.append(row)
            out.append("\n".join(rows))
            out.append("")
    return "\n".join(out)


def block_daemon(d):
    if "skipped" in d:
        return f"Not measured in the latest run: {d['skipped']}."
    rows = [f"{d.get('daemon', 'autoballoond')} ({d.get('from', '')}) on libvirt's test driver, "
            f"{d['period_s']} s after a 3 s warm-up, "
            f"with a {d['tick_s']} s tick (the test driver's balloon stats never update, so each "
            "tick reads every domain's stats and decides stale-stats: the fixed cost of a tick):\n",
            "| domains | CPU over the period (s) | CPU per tick (ms) | peak RSS (MiB) | one connect + tick, `--once` (s) |",
            "|---:|---:|---:|---:|---:|"]
    for e in d["domains"]:
        cpu = e["cpu_s"]
        per = "-" if cpu is None else f"{cpu * 1000 / (d['period_s'] / d['tick_s']):.1f}"
        rss = "-" if e["peak_rss_kib"] is None else f"{e['peak_rss_kib'] / 1024:.1f}"
        rows.append(f"| {e['n']} | {'-' if cpu is None else cpu} | {per} | {rss} | {e['once_wall_s']} |")
    return "\n".join(rows)


def fmt_s(d, k="p50", digits=2):
    return "-" if not d or d.get("n", 0) == 0 else f"{d[k]:.{digits}f}"


def block_e2e(res, name):
    e = res["e2e"]
    m = res["machine"]
    head = (f"Latest run: {res['date']}, commit `{res['commit']}`, "
            f"{e.get('daemon', 'autoballoond')} ({res.get('e2e_daemon_from', '?')}), "
            f"{e.get('wall_s', '?')} s.\n"
            f"Machine: {m['hostname']}, {m['cpu']}, {m['nproc']} CPUs, Linux {m['kernel']}.\n"
            f"Raw figures: [`results/{name}`](results/{name}).\n")
    if "skipped" in e:
        return head + f"\nNot measured: {e['skipped']}."
    sm = e["summary"]
    tick = e["tick_s"]
    out = [head,
           f"One {e['guest_mib']} MiB TCG guest, `autoballoon='on'`, daemon with the built-in "
           f"defaults (tick {tick:g} s{', the default' if tick == 2 else ''}); "
           f"{sm['injected']['actual_s'].get('n', 0)} + {sm['host']['actual_s'].get('n', 0)} "
           f"reaction trials, onset at a random phase of the tick. Seconds from the onset, "
           f"p50 / p95:\n",
           "| path | new target in the daemon's log | status `metadata-change` event "
           "| balloon starts moving | `actual` at the new target | failed |",
           "|---|---:|---:|---:|---:|---:|"]
    for path, label in (("injected", "injected `medium` (`balloon-inject-pressure`)"),
                        ("host", f"host: load in the `machine` cgroup to 7 % free "
                                 f"(limit {e['limit_mib']} MiB)")):
        d = sm[path]
        cells = [f"{fmt_s(d[k])} / {fmt_s(d[k], 'p95')}"
                 for k in ("log_s", "status_event_s", "moving_s", "actual_s")]
        out.append(f"| {label} | " + " | ".join(cells) + f" | {d['failed']} |")
    h = sm["host"]
    if h.get("log_after_10pct_s", {}).get("n"):
        cells = [f"{fmt_s(h[k])} / {fmt_s(h[k], 'p95')}"
                 for k in ("log_after_10pct_s", "actual_after_10pct_s")]
        out.append(f"| host, from the moment the `machine` cgroup fell below 10 % free "
                   f"({fmt_s(h['below_10pct_free_s'])} / {fmt_s(h['below_10pct_free_s'], 'p95')} s "
                   f"after the load started) | {cells[0]} | | | {cells[1]} | |")
    if h.get("log_after_low_mark_s", {}).get("n"):
        cells = [f"{fmt_s(h[k])} / {fmt_s(h[k], 'p95')}"
                 for k in ("log_after_low_mark_s", "actual_after_low_mark_s")]
        out.append(f"| **host, from the crossing of the low mark as the daemon counts it** "
                   f"(10 % free, inactive file pages counted free; "
                   f"{fmt_s(h['low_mark_s'])} / {fmt_s(h['low_mark_s'], 'p95')} s after the "
                   f"load started; negative: the daemon's host lead acted before) "
                   f"| {cells[0]} | | | {cells[1]} | |")
    sd = sm["setmem"]["actual_s"]
    out.append(f"| *limit: raw `virsh setmem` -{e['setmem'][0]['mib'] if e['setmem'] else 64} MiB* "
               f"| | | | {fmt_s(sd)} / {fmt_s(sd, 'p95')} | |")
    out.append(f"| *limit: PSI window* | {e['psi_window_s']:g} | | | | |")
    out.append(f"| *limit: the daemon's tick* | {tick:g} | | | | |")
    out.append("")
    out.append("Reclaim under critical pressure, from a guest whose page cache holds "
               f"{e['disk_mib']} MiB of its disk (MiB/s over the time to 95 % of the drop, "
               "median of the trials; ratio to the raw `virsh setmem` of the same size: "
               f"{e.get('reclaim_setmem_to_mib', '?')} MiB target for injected, "
               f"{e.get('reclaim_setmem_host_to_mib', '?')} MiB for the host path, "
               "which takes only what brings the cgroup back to its low mark):\n")
    hr = sm.get("reclaim_host", {})
    out.append("| what | trials | qemu RSS returned (MiB) | RSS MiB/s | ratio | "
               "RSS MiB/s from the first command | ratio | "
               "balloon `actual` MiB/s | ratio | time to 95 % (s) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, label, twin in (
            ("injected", "injected `critical`", "setmem"),
            ("host", "host: `machine` cgroup to 3 % free", "setmem_host"),
            ("setmem", "*raw `virsh setmem`, injected's size*", "setmem"),
            ("setmem_host", "*raw `virsh setmem`, the host path's size*", "setmem_host")):
        d = sm.get("reclaim_" + kind)
        base = sm.get("reclaim_" + twin) or {}
        if kind == "host" and not base:
            base = sm.get("reclaim_setmem", {})   # results from before the twin
        if not d or d["rss_returned_mib"].get("n", 0) == 0:
            out.append(f"| {label} | 0 | | | | | | | | |")
            continue

        def ratio(k, bk=None):
            b = base.get(bk or k, {})
            if not b.get("n") or not d.get(k, {}).get("n"):
                return "-"
            return f"{d[k]['p50'] / b['p50']:.2f}"
        # a raw setmem's rate counts from its command: the first-command
        # rate of the daemon's paths compares with the same figure
        cmd = d.get("rss_mib_s_from_command", {})
        out.append(f"| {label} | {d['rss_returned_mib']['n']} | {d['rss_returned_mib']['p50']:.0f} "
                   f"| {fmt_s(d['rss_mib_s'], digits=0)} | {ratio('rss_mib_s')} "
                   f"| {fmt_s(cmd, digits=0) if cmd.get('n') else '-'} "
                   f"| {ratio('rss_mib_s_from_command', 'rss_mib_s')} "
                   f"| {fmt_s(d['actual_mib_s'], digits=0)} | {ratio('actual_mib_s')} "
                   f"| {fmt_s(d['rss_t95_s'])} |")
    if hr.get("critical_until_s", {}).get("n"):
        out.append("")
        out.append(f"Host critical, from the load's start: the `machine` cgroup left critical "
                   f"(5 % free) after {fmt_s(hr['critical_until_s'])} s, medium (10 %) after "
                   f"{fmt_s(hr.get('medium_until_s'))} s and all pressure (20 %) after "
                   f"{fmt_s(hr.get('low_until_s'))} s (medians).")
    dr = hr.get("rss_mib_s_from_deficit", {})
    base = (sm.get("reclaim_setmem_host") or {}).get("rss_mib_s", {})
    if dr.get("n") and base.get("n"):
        out.append("")
        out.append(f"Host path from the deficit: the `machine` cgroup passed its low mark "
                   f"(20 % free as the daemon counts it) {fmt_s(hr['deficit_s'])} s after "
                   f"the load started (the load's own ramp, before there is anything to "
                   f"take); from that moment the qemu's RSS came back at "
                   f"{fmt_s(dr, digits=0)} MiB/s, {dr['p50'] / base['p50']:.2f} of the raw "
                   f"`virsh setmem` of the host path's size (medians).")
    return "\n".join(out)


def block_meta(res, name):
    m = res["machine"]
    return (f"Latest run: {res['date']}, commit `{res['commit']}`, "
            f"simulator wall time {res.get('sim_wall_s', '?')} s.\n"
            f"Machine: {m['hostname']}, {m['cpu']}, {m['nproc']} CPUs, Linux {m['kernel']}.\n"
            f"Raw figures: [`results/{name}`](results/{name}).")


def replace_block(text, name, body):
    pat = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.S)
    if not pat.search(text):
        sys.exit(f"error: README has no block '{name}'")
    return pat.sub(lambda mo: mo.group(1) + body.rstrip() + "\n" + mo.group(2), text)


def write_results(out, readme, res, blocks):
    """Write the run's JSON to out and regenerate the named README blocks,
    each a function of the run's file name."""
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    name = out.rsplit("/", 1)[-1]
    with open(readme) as f:
        text = f.read()
    for block, body in blocks:
        text = replace_block(text, block, body(name))
    with open(readme, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim")
    ap.add_argument("--e2e", help="the real-guest results (bench/e2e/bench-e2e.py): "
                    "only the e2e block is regenerated")
    ap.add_argument("--daemon")
    ap.add_argument("--out", required=True)
    ap.add_argument("--readme", required=True)
    ap.add_argument("--meta", action="append", default=[])
    args = ap.parse_args()

    meta = dict(kv.split("=", 1) for kv in args.meta)
    common = {"date": meta.get("date"), "commit": meta.get("commit"),
              "machine": {k: meta.get(k) for k in ("hostname", "cpu", "nproc", "kernel")}}
    if args.e2e:
        with open(args.e2e) as f:
            e2e = json.load(f)
        res = dict(common, e2e_daemon_from=meta.get("e2e_daemon_from"), e2e=e2e)
        write_results(args.out, args.readme, res,
                      [("e2e", lambda name: block_e2e(res, name))])
        return
    if not args.sim:
        sys.exit("error: --sim or --e2e is required")
    with open(args.sim) as f:
        sim = json.load(f)
    daemon = {"skipped": "not run"}
    if args.daemon:
        with open(args.daemon) as f:
            daemon = json.load(f)
    res = dict(common, sim_wall_s=meta.get("sim_wall_s"), published_2013_a=PUBLISHED_A,
               simulator=sim, daemon_cost=daemon)
    write_results(args.out, args.readme, res, [
        ("meta", lambda name: block_meta(res, name)),
        ("tables", lambda name: block_tables(sim)),
        ("sweep", lambda name: block_sweep(sim)),
        ("daemon", lambda name: block_daemon(daemon)),
    ])


if __name__ == "__main__":
    main()
