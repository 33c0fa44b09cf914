/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sim-main.c: run the scenarios against every policy, print the tables and
 * write JSON (and time series for the charts). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "ab-enum.h"
#include "sim-model.h"

typedef struct {
    const char *param;
    double value;
    simAbTuning tuning;
} simSweep;

static void
simTuningDefault(simAbTuning *t)
{
    *t = (simAbTuning) { .stepScale = 0, .reserveMiB = -1, .cooldownSec = -1, .floorPct = 0,
                         .cooldownReserves = -1, .growHorizonPeriods = -1 };
}

/* The defaults the sweeps vary (SIM_SWEEP_STEP_SCALE ..); the names are
 * the JSON's "param". */
#define SIM_SWEEP_PARAM_LIST(X, P) \
    X(P, STEP_SCALE, "step_scale") \
    X(P, SHRINK_STEP_SCALE, "shrink_step_scale") \
    X(P, RESERVE_PCT, "reserve_pct") \
    X(P, RESERVE_MIB, "reserve_mib") \
    X(P, COOLDOWN_S, "cooldown_s") \
    X(P, FLOOR_PCT, "floor_pct") \
    X(P, AUTODEFLATE, "autodeflate") \
    X(P, COOLDOWN_RESERVES, "cooldown_reserves") \
    X(P, GROW_HORIZON_PERIODS, "grow_horizon_periods") \
    X(P, EVENT_DECISIONS, "event_decisions") \
    X(P, GROW_CHARGED, "grow_charged") \
    X(P, RESIDENCY, "residency")

AB_ENUM_TYPEDEF(simSweepParam, SIM_SWEEP_, SIM_SWEEP_PARAM_LIST);
AB_ENUM_IMPL_LIST(simSweepParam, SIM_SWEEP_, SIM_SWEEP_PARAM_LIST);

static void
simTuningSet(simAbTuning *t, simSweepParam param, double v)
{
    switch (param) {
    case SIM_SWEEP_STEP_SCALE:
        t->stepScale = v;
        break;
    case SIM_SWEEP_SHRINK_STEP_SCALE:
        t->shrinkStepScale = v;
        break;
    case SIM_SWEEP_RESERVE_PCT:
        t->reservePct = v;
        break;
    case SIM_SWEEP_RESERVE_MIB:
        t->reserveMiB = (long) v;
        break;
    case SIM_SWEEP_COOLDOWN_S:
        t->cooldownSec = (long) v;
        break;
    case SIM_SWEEP_FLOOR_PCT:
        t->floorPct = (int) v;
        break;
    case SIM_SWEEP_AUTODEFLATE:
        t->noAutodeflate = v == 0;
        break;
    case SIM_SWEEP_COOLDOWN_RESERVES:
        t->cooldownReserves = v;
        break;
    case SIM_SWEEP_GROW_HORIZON_PERIODS:
        t->growHorizonPeriods = v;
        break;
    case SIM_SWEEP_EVENT_DECISIONS:
        t->tickOnly = v == 0;
        break;
    case SIM_SWEEP_GROW_CHARGED:
        t->growCharged = v != 0;
        break;
    case SIM_SWEEP_RESIDENCY:
        t->noResidency = v == 0;
        break;
    case SIM_SWEEP_LAST:
        break;
    }
}

static GArray *
simSweepList(void)
{
    static const struct {
        simSweepParam param;
        guint n;
        double values[6];
    } table[] = {
        /* 0.001: 32 KiB / 64 KiB / 256 KiB, practically no floor under the deficit */
        { SIM_SWEEP_STEP_SCALE, 6, { 0.001, 0.25, 0.5, 1, 2, 4 } },
        { SIM_SWEEP_SHRINK_STEP_SCALE, 3, { 0.5, 2, 4 } },
        { SIM_SWEEP_RESERVE_PCT, 2, { 12.5, 25 } },
        { SIM_SWEEP_RESERVE_MIB, 5, { 0, 64, 128, 256, 512 } },
        { SIM_SWEEP_COOLDOWN_S, 5, { 0, 15, 60, 120, 240 } },
        { SIM_SWEEP_FLOOR_PCT, 3, { 10, 25, 50 } },
        { SIM_SWEEP_AUTODEFLATE, 2, { 1, 0 } },
        { SIM_SWEEP_COOLDOWN_RESERVES, 5, { 1, 1.5, 2, 3, 4 } },
        { SIM_SWEEP_GROW_HORIZON_PERIODS, 4, { 0, 1, 2, 4 } },
        { SIM_SWEEP_EVENT_DECISIONS, 2, { 1, 0 } },
        { SIM_SWEEP_GROW_CHARGED, 2, { 0, 1 } },
        { SIM_SWEEP_RESIDENCY, 2, { 1, 0 } },
    };
    GArray *list = g_array_new(FALSE, TRUE, sizeof(simSweep));

    for (size_t k = 0; k < G_N_ELEMENTS(table); k++) {
        for (guint i = 0; i < table[k].n; i++) {
            simSweep s = {
                .param = simSweepParamToString(table[k].param),
                .value = table[k].values[i],
            };

            simTuningDefault(&s.tuning);
            simTuningSet(&s.tuning, table[k].param, s.value);
            g_array_append_val(list, s);
        }
    }
    return list;
}

static void
simJsonMetrics(GString *js, const simMetrics *m)
{
    g_string_append_printf(js,
        "\"host_swap_out_pages\": %.0f, \"host_swap_in_pages\": %.0f, \"host_oom\": %u, "
        "\"guest_pressure_s\": %.0f, \"guest_oom\": %u, "
        "\"returned_gib_s\": %.1f, \"returned_peak_gib\": %.3f, \"reclaimed_gib\": %.2f, "
        "\"converge_s\": %.0f, \"commands\": %u, "
        "\"run_mean_s\": %.1f, \"run_max_s\": %.1f, "
        "\"host_swap_peak_gib\": %.3f, \"host_free_min_gib\": %.3f, "
        "\"inflated_gib\": %.2f, \"host_used_peak_pct\": %.2f, \"near_limit_s\": %.0f, "
        "\"other_oom\": %u, \"decisions\": %u",
        m->hostSwapOutPages, m->hostSwapInPages, m->hostOom, m->guestPressureSec, m->guestOom,
        m->returnedGiBs, m->returnedPeakGiB, m->reclaimedGiB, m->convergeSec, m->commands,
        m->runMeanSec, m->runMaxSec, m->hostSwapPeakGiB, m->hostFreeMinGiB,
        m->inflatedGiB, m->hostUsedPeakPct, m->nearLimitSec, m->otherOom, m->decisions);
}

/* The sweeps' copy of the engine (sim-engine.c), with its variables at
 * the engine's values, must decide exactly as the library does. */
static unsigned int
simCheckEngineCopy(const simScenario *sc, const simMetrics *lib)
{
    simAbTuning t;
    simMetrics m;

    simTuningDefault(&t);
    t.cooldownReserves = AB_POLICY_COOLDOWN_RESERVES;
    t.growHorizonPeriods = AB_POLICY_GROW_HORIZON_PERIODS;
    simRun(sc, SIM_POLICY_AUTOBALLOON, &t, NULL, &m);
    m.violations = lib->violations;
    if (memcmp(&m, lib, sizeof(m)) != 0) {
        g_printerr("error: scenario %s: the sweeps' copy of the engine decides "
                   "differently from src/policy\n", sc->name);
        return 1;
    }
    return 0;
}

static void
simPrintHeader(const simScenario *sc)
{
    printf("\nscenario %s: %s\n", sc->name, sc->title);
    printf("  host %.0f MiB RAM, %.0f MiB swap, %.0f MiB base; %u guests; %.0f s; seed %u\n",
           sc->host.ramMiB, sc->host.swapMiB, sc->host.baseMiB,
           sc->nguests, sc->durationSec, sc->seed);
    printf("  %-22s %12s %5s %5s %9s %6s %10s %7s %7s %7s %6s %9s %8s %15s\n",
           "policy", "swap-out pg", "hOOM", "oOOM", "gPress s", "gOOM",
           "held GiB*s", "peak", "freed", "fr/inf", "used%", "converge", "commands",
           "run mean/max s");
}

static void
simPrintRow(const char *name, const simMetrics *m)
{
    g_autofree char *conv = m->convergeSec >= 0 ?
        g_strdup_printf("%.0f", m->convergeSec) : g_strdup("never");
    g_autofree char *run = m->runMeanSec >= 0 ?
        g_strdup_printf("%.0f/%.0f", m->runMeanSec, m->runMaxSec) : g_strdup("-");

    printf("  %-22s %12.0f %5u %5u %9.0f %6u %10.0f %7.2f %7.2f %7.2f %6.1f %9s %8u %15s\n",
           name, m->hostSwapOutPages, m->hostOom, m->otherOom, m->guestPressureSec,
           m->guestOom, m->returnedGiBs, m->returnedPeakGiB, m->reclaimedGiB,
           m->inflatedGiB > 0 ? m->reclaimedGiB / m->inflatedGiB : 0.0,
           m->hostUsedPeakPct, conv, m->commands, run);
}

static FILE *
simOpenSeries(const char *outdir, const char *name)
{
    g_autofree char *path = NULL;
    FILE *fp;

    if (!outdir)
        return NULL;
    path = g_strdup_printf("%s/series-%s.tsv", outdir, name);
    if (!(fp = fopen(path, "w"))) {
        g_printerr("error: cannot write '%s': %s\n", path, g_strerror(errno));
        return NULL;
    }
    fprintf(fp, "# policy\tt_s\tfree_gib\tswap_gib\tballoon_gib\tpressured_guests\n");
    return fp;
}

int
main(int argc, char **argv)
{
    g_autofree char *outdir = NULL;
    g_autofree char *scenarios = g_strdup("abcdef");
    gboolean sweep = FALSE;
    gboolean check = FALSE;
    gboolean trace = FALSE;
    unsigned int violations = 0;
    GOptionEntry entries[] = {
        { "out", 'o', 0, G_OPTION_ARG_FILENAME, &outdir, "write sim.json and series into DIR", "DIR" },
        { "scenarios", 's', 0, G_OPTION_ARG_STRING, &scenarios, "which scenarios (default abcdef)", "LETTERS" },
        { "sweep", 0, 0, G_OPTION_ARG_NONE, &sweep, "also sweep the policy defaults", NULL },
        { "trace", 0, 0, G_OPTION_ARG_NONE, &trace, "print autoballoon's runs second by second (stderr)", NULL },
        { "check", 0, 0, G_OPTION_ARG_NONE, &check, "check the model's invariants every step (exit 1 if one breaks)", NULL },
        { NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- autoballoon policy simulator");
    g_autoptr(GError) err = NULL;
    g_autoptr(GString) js = g_string_new("{\n  \"scenarios\": [");
    g_autoptr(GArray) sweeps = simSweepList();
    bool firstSc = true;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        g_printerr("error: %s\n", err->message);
        return 1;
    }

    for (const char *p = scenarios; *p; p++) {
        simScenario *sc = simScenarioBuild(*p);
        simOutput out = { .check = check, .trace = trace ? stderr : NULL };

        if (!sc) {
            g_printerr("error: unknown scenario '%c'\n", *p);
            return 1;
        }
        out.series = simOpenSeries(outdir, sc->name);
        /* the cgroup scenarios' bursts last seconds */
        out.seriesEverySec = sc->durationSec <= 900 ? 1 : 5;
        simPrintHeader(sc);
        g_string_append_printf(js,
            "%s\n    {\"name\": \"%s\", \"title\": \"%s\", \"seed\": %u, "
            "\"host_ram_gib\": %g, \"host_swap_gib\": %g, \"host_base_mib\": %.0f, "
            "\"other_mib\": %.0f, \"other_ramp_mib_s\": %.0f, "
            "\"guests\": %u, \"duration_s\": %.0f, \"disturb_s\": %.0f,\n     \"results\": [",
            firstSc ? "" : ",", sc->name, sc->title, sc->seed,
            sc->host.ramMiB / 1024, sc->host.swapMiB / 1024, sc->host.baseMiB,
            sc->host.otherMiB, sc->host.otherRampMiBs, sc->nguests, sc->durationSec, sc->disturbSec);
        firstSc = false;
        for (int pol = 0; pol < SIM_POLICY_LAST; pol++) {
            simMetrics m;

            simRun(sc, pol, NULL, &out, &m);
            violations += m.violations;
            if (check && pol == SIM_POLICY_AUTOBALLOON)
                violations += simCheckEngineCopy(sc, &m);
            simPrintRow(simPolicyToString(pol), &m);
            g_string_append_printf(js, "%s\n       {\"policy\": \"%s\", ",
                                   pol ? "," : "", simPolicyToString(pol));
            simJsonMetrics(js, &m);
            g_string_append(js, "}");
        }
        g_string_append(js, "]");

        if (sweep) {
            bool first = true;

            printf("  sweep of autoballoon defaults:\n");
            g_string_append(js, ",\n     \"sweep\": [");
            for (guint k = 0; k < sweeps->len; k++) {
                const simSweep *s = &g_array_index(sweeps, simSweep, k);
                g_autofree char *label = g_strdup_printf("%s=%g", s->param, s->value);
                simMetrics m;

                simOutput checkOnly = { .check = check };

                simRun(sc, SIM_POLICY_AUTOBALLOON, &s->tuning, &checkOnly, &m);
                violations += m.violations;
                simPrintRow(label, &m);
                g_string_append_printf(js, "%s\n       {\"param\": \"%s\", \"value\": %g, ",
                                       first ? "" : ",", s->param, s->value);
                simJsonMetrics(js, &m);
                g_string_append(js, "}");
                first = false;
            }
            g_string_append(js, "]");
        }
        g_string_append(js, "}");
        if (out.series)
            fclose(out.series);
        simScenarioFree(sc);
    }
    g_string_append_printf(js,
        "\n  ],\n  \"model\": {\"step_s\": 1, \"inflate_mib_s\": 500, \"deflate_mib_s\": 1024, "
        "\"periods_s\": {\"autoballoon\": %g, \"mom\": %g, \"proxmox\": %g}}\n}\n",
        simPolicyPeriod(SIM_POLICY_AUTOBALLOON), simPolicyPeriod(SIM_POLICY_MOM),
        simPolicyPeriod(SIM_POLICY_PROXMOX));

    if (violations) {
        g_printerr("error: %u broken invariants\n", violations);
        return 1;
    }

    if (outdir) {
        g_autofree char *path = g_build_filename(outdir, "sim.json", NULL);

        if (!g_file_set_contents(path, js->str, js->len, &err)) {
            g_printerr("error: %s\n", err->message);
            return 1;
        }
    }
    return 0;
}
