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
/* "at the limit": the e2e scenarios count the seconds within this of it */
#define SIM_NEAR_LIMIT_MIB 16.0

typedef struct {
    double otherMiB;          /* the non-guest process's memory now */
    bool otherDead;           /* killed by the host OOM killer */
} simHostState;

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
    case SIM_LOAD_RAMP: {
        double ramp = l->rampSec;

        t = now - l->startSec;
        if (t >= 0 && l->repeats > 1 && l->repeatSec > 0 &&
            t < l->repeatSec * l->repeats) {
            if (t >= l->repeatSec && l->rampLaterSec > 0)
                ramp = l->rampLaterSec;
            t = fmod(t, l->repeatSec);
        }
        if (t < 0 || t >= ramp + l->holdSec)
            return l->loMiB;
        if (t < ramp)
            return l->loMiB + (l->hiMiB - l->loMiB) * t / ramp;
        return l->hiMiB;
    }
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
        /* what the daemon records with a new sample */
        .actualAtKiB = (unsigned long long) (g->actualMiB * 1024),
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
        /* a new qemu: the daemon starts over with its stats */
        g->stats.valid = false;
        g->prevStats.valid = false;
        g->prevActualKiB = 0;
        g->inflateFromKiB = 0;
    }

    g->inflatedMiB = 0;
    if (g->targetMiB < g->actualMiB) {
        double to = MAX(g->targetMiB, g->actualMiB - host->inflateMiBs * SIM_DT);

        g->inflatedMiB = g->actualMiB - to;
        m->inflatedGiB += g->inflatedMiB / 1024;
        g->actualMiB = to;
    } else if (g->targetMiB > g->actualMiB)
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
    if (g->residentMiB > g->actualMiB && !g->noDiscard) {
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

/* The non-guest process's memory at @now (0 once it exited or was killed). */
static double
simOtherDemand(const simHostModel *host, double now)
{
    double t = now - host->otherStartSec;
    double rampSec;

    if (host->otherMiB <= 0 || t < 0 || host->otherRampMiBs <= 0)
        return 0;
    rampSec = host->otherMiB / host->otherRampMiBs;
    if (t < rampSec)
        return host->otherRampMiBs * t;
    if (t < rampSec + host->otherHoldSec)
        return host->otherMiB;
    return 0;
}

/* The host OOM killer: the largest of the guests' qemus (RAM and swap) and
 * the non-guest process. Returns the RAM it freed. */
static double
simHostOomKill(const simScenario *sc, simGuest *guests, double now,
               simHostState *hs, simMetrics *m)
{
    guint victim = 0;
    double freed;

    for (guint i = 1; i < sc->nguests; i++) {
        if (guests[i].residentMiB > guests[victim].residentMiB)
            victim = i;
    }
    if (hs->otherMiB > 0 && hs->otherMiB >= guests[victim].residentMiB) {
        freed = hs->otherMiB;
        m->otherOom++;
        hs->otherMiB = 0;
        hs->otherDead = true;
        return freed;
    }
    if (guests[victim].residentMiB <= 0)
        return 0;
    m->hostOom++;
    freed = guests[victim].residentMiB - guests[victim].hostSwappedMiB;
    guests[victim].residentMiB = 0;
    guests[victim].hostSwappedMiB = 0;
    guests[victim].cacheMiB = 0;
    guests[victim].deadUntil = now + SIM_HOST_OOM_REBOOT;
    return freed;
}

/* The host's share of one second: hot pages a guest needs that sit in
 * swap come back in; whatever no longer fits in RAM goes out, cold pages
 * (stale cache, pages the guest freed) first, so swap-outs beyond the cold
 * pool are hot pages that come straight back: thrashing. What swap cannot
 * take, the OOM killer frees first. The non-guest process's pages are hot
 * and never swapped. Returns the RAM used. */
static double
simHostStep(const simScenario *sc, simGuest *guests, double now,
            simHostState *hs, simMetrics *m)
{
    const simHostModel *host = &sc->host;
    double used, coldTotal = 0, hotTotal = 0, over, swapped = 0;
    double need = 0, scale, stall;

    hs->otherMiB = hs->otherDead ? 0 : simOtherDemand(host, now);
    used = host->baseMiB + hs->otherMiB;

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
        swapped += g->hostSwappedMiB;
        inRam += want * scale;
        used += inRam;
    }

    over = used - host->ramMiB;
    /* what swap cannot take (it is full, or the pages are not the
     * guests'), the kernel kills for */
    for (guint k = 0; k <= sc->nguests && over > 0; k++) {
        double guestRam = 0, freed;

        for (guint i = 0; i < sc->nguests; i++)
            guestRam += guests[i].residentMiB - guests[i].hostSwappedMiB;
        if (over <= MIN(host->swapMiB - swapped, guestRam))
            break;
        if ((freed = simHostOomKill(sc, guests, now, hs, m)) <= 0)
            break;
        used -= freed;
        over = used - host->ramMiB;
        swapped = 0;
        for (guint i = 0; i < sc->nguests; i++)
            swapped += guests[i].hostSwappedMiB;
    }

    for (guint i = 0; i < sc->nguests; i++) {
        simGuest *g = &guests[i];
        double hot = simGuestHot(g);
        double inRam = g->residentMiB - g->hostSwappedMiB;

        coldTotal += MAX(0.0, inRam - hot);
        hotTotal += MIN(hot, inRam);
    }

    if (over > 0) {
        double fromCold = MIN(over, coldTotal);
        double fromHot = MIN(over - fromCold, hotTotal);

        for (guint i = 0; i < sc->nguests; i++) {
            simGuest *g = &guests[i];
            double hot = simGuestHot(g);
            double inRam = g->residentMiB - g->hostSwappedMiB;

            if (coldTotal > 0)
                g->hostSwappedMiB += fromCold * MAX(0.0, inRam - hot) / coldTotal;
            if (hotTotal > 0)
                g->hostSwappedMiB += fromHot * MIN(hot, inRam) / hotTotal;
        }
        m->hostSwapOutPages += (fromCold + fromHot) * 1024 / SIM_PAGE_KIB;
        used -= fromCold + fromHot;
    }
    return used;
}

static unsigned int
simPolicyTick(simPolicy policy, const simHostModel *host, double now,
              simGuest *guests, guint n, double freeMiB, simAbState *ab)
{
    switch (policy) {
    case SIM_POLICY_AUTOBALLOON:
        return simPolicyAutoballoon(host, now, guests, n, freeMiB, ab);
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
        else if (g->residentMiB > (g->noDiscard ? g->maxMiB : g->actualMiB) + 0.01)
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
    /* the stats period autoballoon='on' sets, whatever the policy */
    double statsPeriod = simPolicyPeriod(SIM_POLICY_AUTOBALLOON);
    bool events = policy == SIM_POLICY_AUTOBALLOON && !(tuning && tuning->tickOnly);
    g_autofree double *actualBefore = g_new0(double, sc->nguests);
    simAbState ab = { .tuning = tuning, .level = AB_LEVEL_NONE };
    simHostState hs = { 0 };
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
        bool due, moved = false;

        for (guint i = 0; i < sc->nguests; i++) {
            actualBefore[i] = guests[i].actualMiB;
            simGuestStep(host, &guests[i], t, autodeflate, rnd, m);
            moved |= guests[i].actualMiB != actualBefore[i];
        }

        used = simHostStep(sc, guests, t, &hs, m);
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
        if (t >= sc->disturbSec)
            m->hostUsedPeakPct = MAX(m->hostUsedPeakPct,
                                     100.0 * MIN(used, host->ramMiB) / host->ramMiB);
        if (freeMiB < SIM_NEAR_LIMIT_MIB)
            m->nearLimitSec += SIM_DT;

        /* each guest samples its balloon stats every period, at its own
         * phase; the daemon keeps the newest and the previous one */
        for (guint i = 0; i < sc->nguests; i++) {
            simGuest *g = &guests[i];
            double phase = fmod(t - g->statsOffsetSec, statsPeriod);

            if (g->deadUntil >= 0 || t < g->statsOffsetSec || phase >= SIM_DT / 2)
                continue;
            g->prevStats = g->stats;
            simGuestStats(g, t, autodeflate, &g->stats);
        }
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
        if (out && out->trace && policy == SIM_POLICY_AUTOBALLOON) {
            /* one line a second: free, and per guest target/actual,
             * demand, resident, cache (MiB) */
            fprintf(out->trace, "%s %4.0f free %6.0f other %4.0f |", sc->name, t, freeMiB, hs.otherMiB);
            for (guint i = 0; i < sc->nguests; i++)
                fprintf(out->trace, " %4.0f/%4.0f d%4.0f r%4.0f c%3.0f |",
                        guests[i].targetMiB, guests[i].actualMiB, guests[i].demandMiB,
                        guests[i].residentMiB, guests[i].cacheMiB);
            fprintf(out->trace, "\n");
        }

        /* The daemon decides at its tick, and between ticks on events:
         * a change of the host's level (usage thresholds, PSI), and while
         * the last decision left a deficit, each balloon-change event
         * (QEMU sends at most one a second per balloon). */
        due = period > 0 && t >= nextTick;
        if (!due && events) {
            abLevel level = simHostLevel(host, freeMiB, NULL);

            due = level != ab.level || (ab.deficitOpen && moved);
        }
        if (due) {
            m->commands += simPolicyTick(policy, host, t, guests, sc->nguests, freeMiB, &ab);
            m->decisions++;
        }
        if (period > 0 && t >= nextTick)
            nextTick = t + period;

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
