/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sim-model.c: stepping the modelled host and guests */
#include <math.h>
#include <string.h>
#include "sim-model.h"

#define SIM_DT 1.0
/* converged: host free back within half a point of the 20 % that ends
 * pressure (the daemon's headroom source); the engine stops at the line */
#define SIM_FREE_OK 0.195
/* how much a swapped share of the working set slows a load: 10 % swapped
 * doubles its run time, the order measured for kernel builds under swap */
#define SIM_SWAP_SLOWDOWN 10.0
/* a load whose hot page cache is gone re-reads from disk */
#define SIM_CACHE_SLOWDOWN 0.3
#define SIM_GUEST_OOM_PAUSE 30.0
#define SIM_HOST_OOM_REBOOT 60.0
/* host swap-in bandwidth (one SSD, 4 KiB random reads) */
#define SIM_HOST_SWAPIN_MIBS 200.0
/* how fast a load can take new memory */
#define SIM_DEMAND_RISE_MIBS 256.0
/* guest swap-in bandwidth while its demand exceeds its memory */
#define SIM_GUEST_SWAPIN_MIBS 40.0

static const char *const simPolicyNames[SIM_POLICY_LAST] = {
    "autoballoon", "none", "mom", "proxmox",
};

const char *
simPolicyToString(simPolicy policy)
{
    return policy < SIM_POLICY_LAST ? simPolicyNames[policy] : "?";
}

double
simPolicyPeriod(simPolicy policy)
{
    switch (policy) {
    case SIM_POLICY_AUTOBALLOON:
        return 2.0;   /* the stats period autoballoon='on' sets */
    case SIM_POLICY_MOM:
        return 10.0;  /* MoM's policy-engine interval */
    case SIM_POLICY_PROXMOX:
        return 10.0;  /* pvestatd's update cycle */
    case SIM_POLICY_NONE:
    case SIM_POLICY_LAST:
        break;
    }
    return 0;
}

static double
simLoadDemand(const simGuest *g, double now)
{
    const simLoad *l = &g->load;
    double t;

    switch (l->kind) {
    case SIM_LOAD_BUILD:
        if (g->doneTime >= 0)
            return l->loMiB / 2;
        t = g->work / l->periodSec + l->phase;
        /* compile phases: mostly near the top, short dips at link steps */
        return l->loMiB + (l->hiMiB - l->loMiB) *
            pow(0.5 - 0.5 * cos(2 * G_PI * t), 0.5);
    case SIM_LOAD_IDLE:
        return l->loMiB;
    case SIM_LOAD_RAMP:
        t = now - l->startSec;
        if (t < 0 || t >= l->rampSec + l->holdSec)
            return l->loMiB;
        if (t < l->rampSec)
            return l->loMiB + (l->hiMiB - l->loMiB) * t / l->rampSec;
        return l->hiMiB;
    case SIM_LOAD_SPIKE:
        t = now - l->startSec;
        if (t < 0 || t >= l->holdSec)
            return l->loMiB;
        return l->hiMiB;
    }
    return l->loMiB;
}

static bool
simLoadRunning(const simGuest *g)
{
    return g->load.kind != SIM_LOAD_BUILD || g->doneTime < 0;
}

void
simGuestStats(const simGuest *g, double now, bool autodeflate, abPolicyStats *st)
{
    double freeMiB = g->actualMiB - g->demandMiB - g->cacheMiB;
    double usable;

    if (freeMiB < 0)
        freeMiB = 0;
    /* MemAvailable: free plus the reclaimable cache, less the watermarks */
    usable = freeMiB + g->cacheMiB - 0.02 * g->actualMiB;
    if (usable < 0 || g->demandMiB >= g->actualMiB)
        usable = 0;

    *st = (abPolicyStats) {
        .valid = true,
        /* with deflate-on-oom the guest keeps MemTotal and counts the
         * balloon as used; without, MemTotal shrinks with the balloon */
        .availableKiB = (unsigned long long) ((autodeflate ? g->maxMiB : g->actualMiB) * 1024),
        .usableKiB = (unsigned long long) (usable * 1024),
        .unusedKiB = (unsigned long long) (freeMiB * 1024),
        .diskCachesKiB = (unsigned long long) (g->cacheMiB * 1024),
        .majorFaults = (unsigned long long) g->majorFaults,
        .swapIn = (unsigned long long) g->swapInKiB,
        .lastUpdate = now,
    };
}

/* One second of one guest: balloon, load, deflate-on-oom, cache, pressure. */
static void
simGuestStep(const simHostModel *host, simGuest *g, double now,
             bool autodeflate, GRand *rnd, simMetrics *m)
{
    double noise = g_rand_double_range(rnd, -15.0, 15.0);
    double excess;
    double inRam;

    if (g->deadUntil > now)
        return;
    if (g->deadUntil >= 0) {
        /* rebooted after the host killed it: empty, load starts over */
        g->deadUntil = -1;
        g->work = 0;
        g->cacheMiB = 0;
        g->residentMiB = 0;
        g->hostSwappedMiB = 0;
    }

    if (g->targetMiB < g->actualMiB)
        g->actualMiB = MAX(g->targetMiB, g->actualMiB - host->inflateMiBs * SIM_DT);
    else if (g->targetMiB > g->actualMiB)
        g->actualMiB = MIN(g->targetMiB, g->actualMiB + host->deflateMiBs * SIM_DT);

    if (g->oomUntil > now) {
        g->demandMiB = MIN(g->load.loMiB, 128.0);
    } else {
        /* a load restarting after an OOM kill, or spiking, still has to
         * fault its memory in */
        double want = MAX(32.0, simLoadDemand(g, now) + noise);

        g->demandMiB = MIN(want, g->demandMiB + SIM_DEMAND_RISE_MIBS * SIM_DT);
    }

    /* deflate-on-oom: the guest's OOM notifier releases balloon pages
     * instead of killing, once reclaim and its own swap are exhausted */
    if (autodeflate && g->demandMiB - g->actualMiB > host->guestSwapMiB &&
        g->actualMiB < g->maxMiB) {
        double want = g->demandMiB - g->actualMiB - host->guestSwapMiB + 16.0;

        g->actualMiB = MIN(g->maxMiB,
                           g->actualMiB + MIN(want, host->deflateMiBs * SIM_DT));
    }

    if (simLoadRunning(g))
        g->cacheMiB += g->load.cacheRateMiB * SIM_DT;
    g->cacheMiB = MIN(g->cacheMiB, MAX(0.0, g->actualMiB - g->demandMiB));

    excess = g->demandMiB - g->actualMiB;
    g->inPressure = excess > 0;
    if (excess > 0) {
        double in = MIN(excess, SIM_GUEST_SWAPIN_MIBS) * SIM_DT;

        m->guestPressureSec += SIM_DT;
        g->majorFaults += in * 1024 / SIM_PAGE_KIB;
        g->swapInKiB += in * 1024;
        if (excess > host->guestSwapMiB) {
            m->guestOom++;
            g->oomUntil = now + SIM_GUEST_OOM_PAUSE;
            g->demandMiB = MIN(g->load.loMiB, 128.0);
            g->inPressure = false;
        }
    }

    /* Pages a guest touched stay backed by the host until the balloon
     * takes them: freeing inside the guest returns nothing. */
    inRam = MIN(g->demandMiB, g->actualMiB);
    g->residentMiB = MAX(g->residentMiB, inRam + g->cacheMiB);
    if (g->residentMiB > g->actualMiB) {
        /* the balloon's pages are dropped whether in RAM or in host swap;
         * inflating over pages the guest never touched frees nothing */
        m->reclaimedGiB += (g->residentMiB - g->actualMiB) / 1024;
        g->hostSwappedMiB *= g->actualMiB / g->residentMiB;
        g->residentMiB = g->actualMiB;
    }
}

static double
simGuestHot(const simGuest *g)
{
    double hot;

    if (g->deadUntil >= 0)
        return 0;
    if (g->load.kind == SIM_LOAD_BUILD && g->doneTime < 0) {
        /* a build cycles through the pages its jobs free and take again
         * (the guest's free lists are LIFO): all of its peak stays hot */
        hot = MAX(g->demandMiB, g->load.hiMiB);
    } else {
        hot = g->demandMiB;
    }
    hot = MIN(hot, g->actualMiB);
    if (simLoadRunning(g))
        hot += MIN(g->cacheMiB, g->load.cacheHotMiB);
    return MIN(hot, g->residentMiB);
}

static void
simProgress(simGuest *g, double now)
{
    const simLoad *l = &g->load;
    double slow = g->hostStallSec / SIM_DT;

    if (l->kind != SIM_LOAD_BUILD || g->doneTime >= 0 ||
        g->deadUntil >= 0 || g->oomUntil > now)
        return;
    if (g->demandMiB > g->actualMiB)
        slow += SIM_SWAP_SLOWDOWN * (g->demandMiB - g->actualMiB) / g->demandMiB;
    if (l->cacheHotMiB > 0 && g->cacheMiB < l->cacheHotMiB)
        slow += SIM_CACHE_SLOWDOWN * (l->cacheHotMiB - g->cacheMiB) / l->cacheHotMiB;
    g->work += SIM_DT / (1.0 + slow);
    if (g->work >= l->workSec)
        g->doneTime = now + SIM_DT;
}

/* The host's share of one second: hot pages a guest needs that sit in
 * swap come back in; whatever no longer fits in RAM goes out, cold pages
 * (stale cache, pages the guest freed) first, so swap-outs beyond the cold
 * pool are hot pages that come straight back: thrashing. Returns the RAM
 * used. */
static double
simHostStep(const simScenario *sc, simGuest *guests, double now, simMetrics *m)
{
    const simHostModel *host = &sc->host;
    double used = host->baseMiB;
    double coldTotal = 0, hotTotal = 0, over, swapped = 0;

    double need = 0, scale, stall;

    for (guint i = 0; i < sc->nguests; i++) {
        simGuest *g = &guests[i];
        double inRam = g->residentMiB - g->hostSwappedMiB;

        need += MIN(g->hostSwappedMiB, MAX(0.0, simGuestHot(g) - inRam));
    }
    /* the swap device is shared: when it is the bottleneck every guest
     * waiting on it waits for all of them */
    scale = need > 0 ? MIN(1.0, SIM_HOST_SWAPIN_MIBS * SIM_DT / need) : 1;
    stall = MIN(SIM_DT, need / SIM_HOST_SWAPIN_MIBS);
    m->hostSwapInPages += need * scale * 1024 / SIM_PAGE_KIB;

    for (guint i = 0; i < sc->nguests; i++) {
        simGuest *g = &guests[i];
        double hot = simGuestHot(g);
        double inRam = g->residentMiB - g->hostSwappedMiB;
        double want = MIN(g->hostSwappedMiB, MAX(0.0, hot - inRam));

        g->hostStallSec = want > 0 ? stall : 0;
        g->hostSwappedMiB -= want * scale;
        inRam += want * scale;
        used += inRam;
        coldTotal += MAX(0.0, inRam - hot);
        hotTotal += MIN(hot, inRam);
    }

    over = used - host->ramMiB;
    if (over > 0) {
        double fromCold = MIN(over, coldTotal);
        double fromHot = over - fromCold;

        for (guint i = 0; i < sc->nguests; i++) {
            simGuest *g = &guests[i];
            double hot = simGuestHot(g);
            double inRam = g->residentMiB - g->hostSwappedMiB;

            if (coldTotal > 0)
                g->hostSwappedMiB += fromCold * MAX(0.0, inRam - hot) / coldTotal;
            if (hotTotal > 0)
                g->hostSwappedMiB += fromHot * MIN(hot, inRam) / hotTotal;
        }
        m->hostSwapOutPages += over * 1024 / SIM_PAGE_KIB;
        used = host->ramMiB;
    }

    for (guint i = 0; i < sc->nguests; i++)
        swapped += guests[i].hostSwappedMiB;
    if (swapped > host->swapMiB) {
        /* the host OOM killer takes the biggest guest */
        guint victim = 0;

        for (guint i = 1; i < sc->nguests; i++) {
            if (guests[i].residentMiB > guests[victim].residentMiB)
                victim = i;
        }
        m->hostOom++;
        used -= guests[victim].residentMiB - guests[victim].hostSwappedMiB;
        guests[victim].residentMiB = 0;
        guests[victim].hostSwappedMiB = 0;
        guests[victim].cacheMiB = 0;
        guests[victim].deadUntil = now + SIM_HOST_OOM_REBOOT;
    }
    return used;
}

static unsigned int
simPolicyTick(simPolicy policy, const simHostModel *host, double now,
              simGuest *guests, guint n, double freeMiB)
{
    switch (policy) {
    case SIM_POLICY_AUTOBALLOON:
        return simPolicyAutoballoon(host, now, guests, n, freeMiB);
    case SIM_POLICY_MOM:
        return simPolicyMom(host, now, guests, n, freeMiB);
    case SIM_POLICY_PROXMOX:
        return simPolicyProxmox(host, now, guests, n, freeMiB);
    case SIM_POLICY_NONE:
    case SIM_POLICY_LAST:
        break;
    }
    return 0;
}

static void
simApplyTuning(simGuest *g, const simAbTuning *t)
{
    unsigned long long maxKiB = (unsigned long long) (g->maxMiB * 1024);

    abPolicyParamsDefaults(&g->params, maxKiB);
    g->params.enabled = true;
    if (!t)
        return;
    if (t->stepScale > 0) {
        for (int l = AB_LEVEL_LOW; l < AB_LEVEL_LAST; l++)
            g->params.stepKiB[l] = (unsigned long long) (g->params.stepKiB[l] * t->stepScale);
    }
    if (t->shrinkStepScale > 0) {
        for (int l = AB_LEVEL_MEDIUM; l < AB_LEVEL_LAST; l++)
            g->params.stepKiB[l] = (unsigned long long) (g->params.stepKiB[l] * t->shrinkStepScale);
    }
    if (t->reserveMiB >= 0)
        g->params.reserveKiB = (unsigned long long) t->reserveMiB * 1024;
    if (t->reservePct > 0)
        g->params.reserveKiB = MAX(AB_POLICY_RESERVE_DEFAULT_MIN_KIB,
                                   (unsigned long long) (maxKiB * t->reservePct / 100));
    if (t->cooldownSec >= 0)
        g->params.cooldownSec = (unsigned int) t->cooldownSec;
    if (t->floorPct > 0) {
        unsigned long long pct = (unsigned long long) t->floorPct;
        /* computed as abPolicyParamsDefaults does */
        unsigned long long floorKiB = maxKiB / 100 * pct + maxKiB % 100 * pct / 100;

        g->params.floorKiB = MAX(floorKiB, AB_POLICY_FLOOR_DEFAULT_MIN_KIB);
    }
}

/* What must hold whatever the policy does; a broken one is a bug in the
 * model or in a policy, and makes the run worthless. */
static unsigned int
simCheck(const simScenario *sc, simPolicy policy, const simGuest *guests,
         double now)
{
    unsigned int bad = 0;

    for (guint i = 0; i < sc->nguests; i++) {
        const simGuest *g = &guests[i];
        const char *what = NULL;

        if (!isfinite(g->actualMiB) || !isfinite(g->targetMiB) ||
            !isfinite(g->residentMiB) || !isfinite(g->hostSwappedMiB))
            what = "a value is not finite";
        else if (g->actualMiB < 0 || g->actualMiB > g->maxMiB + 0.01)
            what = "actual outside [0, max]";
        else if (g->targetMiB < 0 || g->targetMiB > g->maxMiB + 0.01)
            what = "target outside [0, max]";
        else if (g->residentMiB > g->actualMiB + 0.01)
            what = "host backs more than the guest has";
        else if (g->hostSwappedMiB < -0.01 || g->hostSwappedMiB > g->residentMiB + 0.01)
            what = "more in host swap than resident";
        else if (g->cacheMiB < 0)
            what = "negative page cache";
        else if (policy == SIM_POLICY_AUTOBALLOON &&
                 g->targetMiB * 1024 < g->params.floorKiB - 1)
            what = "autoballoon target below the floor";
        else if (policy == SIM_POLICY_NONE && g->targetMiB != g->maxMiB)
            what = "a target moved with no policy";
        if (what) {
            g_printerr("error: scenario %s, %s, t=%.0f s, guest %s: %s\n",
                       sc->name, simPolicyToString(policy), now, g->name, what);
            bad++;
        }
    }
    return bad;
}

void
simRun(const simScenario *sc, simPolicy policy, const simAbTuning *tuning,
       const simOutput *out, simMetrics *m)
{
    const simHostModel *host = &sc->host;
    g_autoptr(GRand) rnd = g_rand_new_with_seed(sc->seed);
    g_autofree simGuest *guests = g_memdup2(sc->guests, sizeof(simGuest) * sc->nguests);
    bool autodeflate = policy == SIM_POLICY_AUTOBALLOON &&
        !(tuning && tuning->noAutodeflate);
    double period = simPolicyPeriod(policy);
    double nextTick = 0;
    double nextSample = 0;
    double okSince = -1;
    double runSum = 0;
    guint runs = 0;
    double t;

    memset(m, 0, sizeof(*m));
    m->hostFreeMinGiB = host->ramMiB / 1024;
    for (guint i = 0; i < sc->nguests; i++)
        simApplyTuning(&guests[i], tuning);

    for (t = 0; t < sc->durationSec; t += SIM_DT) {
        double used, swapped, freeMiB, held = 0;

        for (guint i = 0; i < sc->nguests; i++)
            simGuestStep(host, &guests[i], t, autodeflate, rnd, m);

        used = simHostStep(sc, guests, t, m);
        swapped = 0;
        for (guint i = 0; i < sc->nguests; i++)
            swapped += guests[i].hostSwappedMiB;
        m->hostSwapPeakGiB = MAX(m->hostSwapPeakGiB, swapped / 1024);

        for (guint i = 0; i < sc->nguests; i++) {
            simProgress(&guests[i], t);
            held += guests[i].maxMiB - guests[i].actualMiB;
        }

        freeMiB = MAX(0.0, host->ramMiB - used);
        m->hostFreeMinGiB = MIN(m->hostFreeMinGiB, freeMiB / 1024);
        m->returnedGiBs += held / 1024 * SIM_DT;
        m->returnedPeakGiB = MAX(m->returnedPeakGiB, held / 1024);

        if (t >= sc->disturbSec && freeMiB >= SIM_FREE_OK * host->ramMiB) {
            if (okSince < 0)
                okSince = t;
        } else if (t >= sc->disturbSec) {
            okSince = -1;
        }

        if (out && out->series && t >= nextSample) {
            guint pressured = 0;

            for (guint i = 0; i < sc->nguests; i++)
                pressured += guests[i].inPressure;
            fprintf(out->series, "%s\t%.0f\t%.3f\t%.3f\t%.3f\t%u\n",
                    simPolicyToString(policy), t, freeMiB / 1024,
                    swapped / 1024, held / 1024, pressured);
            nextSample = t + out->seriesEverySec;
        }

        if (out && out->check)
            m->violations += simCheck(sc, policy, guests, t);

        if (period > 0 && t >= nextTick) {
            m->commands += simPolicyTick(policy, host, t, guests, sc->nguests, freeMiB);
            nextTick = t + period;
        }

    }

    m->convergeSec = okSince >= 0 && sc->durationSec - okSince >= 60 ?
        okSince - sc->disturbSec : -1;

    m->runMeanSec = m->runMaxSec = -1;
    for (guint i = 0; i < sc->nguests; i++) {
        if (guests[i].load.kind != SIM_LOAD_BUILD)
            continue;
        if (guests[i].doneTime < 0) {
            m->runMaxSec = sc->durationSec;
            runSum += sc->durationSec;
        } else {
            m->runMaxSec = MAX(m->runMaxSec, guests[i].doneTime);
            runSum += guests[i].doneTime;
        }
        runs++;
    }
    if (runs)
        m->runMeanSec = runSum / runs;
}
