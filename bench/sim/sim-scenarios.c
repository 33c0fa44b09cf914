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

/* (a) the 2013 patches' benchmark: 35 guests of 1 GiB on a 32 GiB host
 * with 16 GiB swap, each building a kernel. */
static void
simScenarioA(simScenario *sc)
{
    g_autoptr(GRand) rnd = NULL;

    sc->name = "a";
    sc->title = "35 x 1 GiB guests building kernels on a 32 GiB host (2013 benchmark)";
    sc->seed = 20130101;
    sc->host = simHostNew(32, 16, 2048);
    sc->durationSec = 1500;
    sc->disturbSec = 0;
    sc->nguests = 35;
    sc->guests = g_new0(simGuest, sc->nguests);
    rnd = g_rand_new_with_seed(sc->seed);
    for (guint i = 0; i < sc->nguests; i++) {
        simLoad l = {
            .kind = SIM_LOAD_BUILD,
            .loMiB = g_rand_double_range(rnd, 250, 350),
            .hiMiB = g_rand_double_range(rnd, 600, 700),
            .periodSec = g_rand_double_range(rnd, 60, 180),
            .phase = g_rand_double(rnd),
            .workSec = 560,
            .cacheRateMiB = 4,
            .cacheHotMiB = 150,
        };

        sc->guests[i] = simGuestNew("build", i, 1024, &l, 200);
    }
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

    sc->name = "b";
    sc->title = "6 idle 4 GiB guests with stale cache, one 8 GiB guest grows (24 GiB host)";
    sc->seed = 20140202;
    sc->host = simHostNew(24, 8, 1024);
    sc->durationSec = 1800;
    sc->disturbSec = ramp.startSec;
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
    g_autoptr(GRand) rnd = NULL;

    sc->name = "c";
    sc->title = "12 x 2 GiB guests, all spike from 600 MiB to 1.8 GiB at once (16 GiB host)";
    sc->seed = 20150303;
    sc->host = simHostNew(16, 8, 1024);
    sc->durationSec = 1500;
    sc->disturbSec = 600;
    sc->nguests = 12;
    sc->guests = g_new0(simGuest, sc->nguests);
    rnd = g_rand_new_with_seed(sc->seed);
    for (guint i = 0; i < sc->nguests; i++) {
        simLoad l = {
            .kind = SIM_LOAD_SPIKE,
            .loMiB = g_rand_double_range(rnd, 550, 650),
            .hiMiB = g_rand_double_range(rnd, 1700, 1900),
            .startSec = sc->disturbSec,
            .holdSec = 120,
            .cacheRateMiB = 0.5,
            .cacheHotMiB = 100,
            .initCacheMiB = 200,
        };

        sc->guests[i] = simGuestNew("svc", i, 2048, &l, 800);
    }
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
