/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sim-scenarios.c: the modelled hosts and guest loads */
#include "sim-model.h"

/* Balloon speeds measured on TCG guests here: 768 MiB inflated in 1-2 s,
 * deflated in 0.5 s. */
#define SIM_INFLATE_MIBS 500.0
#define SIM_DEFLATE_MIBS 1024.0

static simGuest
simGuestNew(const char *prefix, guint i, double maxMiB, const simLoad *load,
            double residentMiB)
{
    simGuest g = {
        .load = *load,
        .maxMiB = maxMiB,
        .actualMiB = maxMiB,
        .targetMiB = maxMiB,
        .demandMiB = load->loMiB,
        .cacheMiB = load->initCacheMiB,
        .residentMiB = MIN(maxMiB, residentMiB),
        .doneTime = -1,
        .oomUntil = -1,
        .deadUntil = -1,
        .lastGrowTime = -1,
        /* the guests' stats timers are not in phase */
        .statsOffsetSec = i % 2,
    };

    g_snprintf(g.name, sizeof(g.name), "%s%02u", prefix, i);
    return g;
}

static simHostModel
simHostNew(double ramGiB, double swapGiB, double baseMiB)
{
    return (simHostModel) {
        .ramMiB = ramGiB * 1024,
        .swapMiB = swapGiB * 1024,
        .baseMiB = baseMiB,
        .inflateMiBs = SIM_INFLATE_MIBS,
        .deflateMiBs = SIM_DEFLATE_MIBS,
        .guestSwapMiB = 512,
    };
}

/* What names a scenario and when it runs. */
static void
simScenarioSet(simScenario *sc, const char *name, const char *title, guint32 seed,
               double durationSec, double disturbSec)
{
    sc->name = name;
    sc->title = title;
    sc->seed = seed;
    sc->durationSec = durationSec;
    sc->disturbSec = disturbSec;
}

/* Draws what varies from guest to guest in a load, from the scenario's seed. */
typedef void (*simLoadDraw)(simLoad *load, GRand *rnd);

/* @n guests of @maxMiB, with @residentMiB backed, each running @load as
 * @draw varies it. */
static void
simScenarioGuests(simScenario *sc, guint n, const char *prefix, double maxMiB,
                  const simLoad *load, simLoadDraw draw, double residentMiB)
{
    g_autoptr(GRand) rnd = g_rand_new_with_seed(sc->seed);

    sc->nguests = n;
    sc->guests = g_new0(simGuest, sc->nguests);
    for (guint i = 0; i < sc->nguests; i++) {
        simLoad l = *load;

        draw(&l, rnd);
        sc->guests[i] = simGuestNew(prefix, i, maxMiB, &l, residentMiB);
    }
}

/* a build's working set: 250-350 MiB between jobs, 600-700 MiB at the peak
 * of one, a job every 60-180 s, out of phase */
static void
simDrawBuild(simLoad *l, GRand *rnd)
{
    l->loMiB = g_rand_double_range(rnd, 250, 350);
    l->hiMiB = g_rand_double_range(rnd, 600, 700);
    l->periodSec = g_rand_double_range(rnd, 60, 180);
    l->phase = g_rand_double(rnd);
}

/* a service at 550-650 MiB that spikes to 1700-1900 MiB */
static void
simDrawSpike(simLoad *l, GRand *rnd)
{
    l->loMiB = g_rand_double_range(rnd, 550, 650);
    l->hiMiB = g_rand_double_range(rnd, 1700, 1900);
}

/* (a) the 2013 patches' benchmark: 35 guests of 1 GiB on a 32 GiB host
 * with 16 GiB swap, each building a kernel. */
static void
simScenarioA(simScenario *sc)
{
    simLoad build = {
        .kind = SIM_LOAD_BUILD,
        .workSec = 560,
        .cacheRateMiB = 4,
        .cacheHotMiB = 150,
    };

    simScenarioSet(sc, "a", "35 x 1 GiB guests building kernels on a 32 GiB host (2013 benchmark)",
                   20130101, 1500, 0);
    sc->host = simHostNew(32, 16, 2048);
    simScenarioGuests(sc, 35, "build", 1024, &build, simDrawBuild, 200);
}

/* (b) idle guests holding stale page cache while one guest grows */
static void
simScenarioB(simScenario *sc)
{
    simLoad idle = {
        .kind = SIM_LOAD_IDLE,
        .loMiB = 400,
        .initCacheMiB = 2600,
    };
    simLoad ramp = {
        .kind = SIM_LOAD_RAMP,
        .loMiB = 1024,
        .hiMiB = 7680,
        .startSec = 120,
        .rampSec = 600,
        .holdSec = 600,
        .cacheRateMiB = 2,
        .cacheHotMiB = 200,
        .initCacheMiB = 200,
    };

    simScenarioSet(sc, "b", "6 idle 4 GiB guests with stale cache, one 8 GiB guest grows (24 GiB host)",
                   20140202, 1800, ramp.startSec);
    sc->host = simHostNew(24, 8, 1024);
    sc->nguests = 7;
    sc->guests = g_new0(simGuest, sc->nguests);
    for (guint i = 0; i < 6; i++)
        sc->guests[i] = simGuestNew("idle", i, 4096, &idle, 3000);
    sc->guests[6] = simGuestNew("grow", 0, 8192, &ramp, 1224);
}

/* (c) a demand spike in every guest at once */
static void
simScenarioC(simScenario *sc)
{
    simLoad spike = {
        .kind = SIM_LOAD_SPIKE,
        .startSec = 600,
        .holdSec = 120,
        .cacheRateMiB = 0.5,
        .cacheHotMiB = 100,
        .initCacheMiB = 200,
    };

    simScenarioSet(sc, "c", "12 x 2 GiB guests, all spike from 600 MiB to 1.8 GiB at once (16 GiB host)",
                   20150303, 1500, spike.startSec);
    sc->host = simHostNew(16, 8, 1024);
    simScenarioGuests(sc, 12, "svc", 2048, &spike, simDrawSpike, 800);
}

/* The machine cgroup of e2e scenario 3 (tests/e2e/test-overcommit.py):
 * three 1 GiB guests under a 2304 MiB limit and no swap, where what does
 * not fit is killed. Measured there: a booted TCG guest's qemu holds
 * ~90 MiB of its own; after phase A (touch and free 400 MiB, then fill
 * 256 MiB of page cache from the disk) each guest's pages the host backs
 * are ~560 MiB, the cgroup at 85 % (the daemon's low pressure). */
static void
simScenarioCgroup(simScenario *sc, const simLoad *loads)
{
    sc->host = simHostNew(0, 0, 270);
    sc->host.ramMiB = 2304;
    sc->nguests = 3;
    sc->guests = g_new0(simGuest, sc->nguests);
    for (guint i = 0; i < sc->nguests; i++)
        sc->guests[i] = simGuestNew("vm", i, 1024, &loads[i], 560);
}

/* (d) e2e scenario 3, phase B: one guest after another grows a 700 MiB
 * working set, holds it and frees it; each starts as the previous one
 * frees, inside its 60 s cool-down (the case that killed qemus with the
 * first engine). The round runs twice: at memload's 32 MiB/s as in the
 * e2e test, then at 256 MiB/s (the growth rate the engine must follow). */
static void
simScenarioD(simScenario *sc)
{
    simLoad loads[3];

    simScenarioSet(sc, "d", "3 x 1 GiB guests in a 2304 MiB cgroup without swap, sequential 700 MiB bursts (e2e scenario 3, phase B)",
                   20261201, 660, 60);
    for (guint i = 0; i < G_N_ELEMENTS(loads); i++) {
        loads[i] = (simLoad) {
            .kind = SIM_LOAD_RAMP,
            .loMiB = 96,
            .hiMiB = 796,
            .startSec = sc->disturbSec + 23 * i,
            /* memload -s 16 -d 500 700: 32 MiB/s, freed at once */
            .rampSec = 22,
            .rampLaterSec = 2.75,
            .holdSec = 1,
            .repeatSec = 300,
            .repeats = 2,
            .initCacheMiB = 256,
        };
    }
    simScenarioCgroup(sc, loads);
}

/* (e) e2e scenario 3, phase C: a process that is not a guest, in the
 * guests' cgroup, ramps to 512 MiB at 64 MiB/s, holds it for a minute and
 * exits; the guests hold page cache and freed pages. */
static void
simScenarioE(simScenario *sc)
{
    simLoad idle = {
        .kind = SIM_LOAD_IDLE,
        .loMiB = 96,
        .initCacheMiB = 256,
    };
    simLoad loads[3] = { idle, idle, idle };

    simScenarioSet(sc, "e", "3 x 1 GiB idle guests in a 2304 MiB cgroup without swap, a non-guest process ramps to 512 MiB (e2e scenario 3, phase C)",
                   20261202, 600, 120);
    simScenarioCgroup(sc, loads);
    sc->host.otherMiB = 512;
    sc->host.otherStartSec = sc->disturbSec;
    sc->host.otherRampMiBs = 64;
    sc->host.otherHoldSec = 60;
}

/* (f) the cgroup of (e), where the first guest's qemu does not give the
 * pages its balloon takes back to the host (QEMU does not discard them,
 * or they are pinned): the daemon's no-gain check must stop asking it. */
static void
simScenarioF(simScenario *sc)
{
    simScenarioE(sc);
    sc->name = "f";
    sc->title = "(e) with one guest whose balloon frees nothing (its qemu keeps the pages)";
    sc->seed = 20261203;
    sc->guests[0].noDiscard = true;
}

simScenario *
simScenarioBuild(char which)
{
    simScenario *sc = g_new0(simScenario, 1);

    switch (which) {
    case 'a':
        simScenarioA(sc);
        break;
    case 'b':
        simScenarioB(sc);
        break;
    case 'c':
        simScenarioC(sc);
        break;
    case 'd':
        simScenarioD(sc);
        break;
    case 'e':
        simScenarioE(sc);
        break;
    case 'f':
        simScenarioF(sc);
        break;
    default:
        g_free(sc);
        return NULL;
    }
    return sc;
}

void
simScenarioFree(simScenario *sc)
{
    if (!sc)
        return;
    g_free(sc->guests);
    g_free(sc);
}
