/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sim-policies.c: the policies under test, one tick each.
 *
 * autoballoon is the real engine (src/policy). MoM and Proxmox VE are
 * re-implemented here from their published rules: MoM's default
 * balloon.rules (host pressure below 20 % free, critical at 5 %, guests kept
 * at 20 % free, at most 5 % change per 10 s cycle, grow 5 % per cycle
 * otherwise) and pvestatd's auto-ballooning (every 10 s toward 80 % host
 * usage, at most 100 MiB per VM per cycle, shared out by shares, VMs with
 * little free memory served first, requests under 10 MiB ignored).
 */
#include <math.h>
#include "sim-model.h"

#define SIM_FREE_LOW      0.20
#define SIM_FREE_MEDIUM   0.10
#define SIM_FREE_CRITICAL 0.05

static bool
simGuestRunning(const simGuest *g)
{
    return g->deadUntil < 0;
}

static unsigned int
simSetTarget(simGuest *g, double targetMiB)
{
    targetMiB = CLAMP(targetMiB, 0.0, g->maxMiB);
    if (fabs(targetMiB - g->targetMiB) < 0.5)
        return 0;
    g->targetMiB = targetMiB;
    return 1;
}

/* ---- autoballoon: the real engine, fed like the daemon feeds it ---- */

/* as the daemon's inflation check (ab-daemon-tick.c) */
#define SIM_NO_GAIN_S 60.0
#define SIM_NO_GAIN_SLACK_KIB (128ULL * 1024)

/* The daemon's headroom source: the level by free memory, and the KiB that
 * bring free back to the low mark. */
abLevel
simHostLevel(const simHostModel *host, double freeMiB,
             unsigned long long *requestKiB)
{
    double freePct = freeMiB / host->ramMiB;
    double wantKiB = ceil(SIM_FREE_LOW * host->ramMiB * 1024);
    double freeKiB = freeMiB * 1024;

    if (requestKiB)
        *requestKiB = wantKiB > freeKiB ? (unsigned long long) (wantKiB - freeKiB) : 0;
    if (freePct < SIM_FREE_CRITICAL)
        return AB_LEVEL_CRITICAL;
    if (freePct < SIM_FREE_MEDIUM)
        return AB_LEVEL_MEDIUM;
    if (freePct < SIM_FREE_LOW)
        return AB_LEVEL_LOW;
    return AB_LEVEL_NONE;
}

/* The host memory its qemu holds in RAM, as the daemon reads it (RssAnon +
 * RssShmem: what sits in host swap is not counted); 0 means unknown to the
 * engine, so an empty qemu reports 1 KiB. */
static unsigned long long
simGuestResidentKiB(const simGuest *g)
{
    double kib = (g->residentMiB - g->hostSwappedMiB) * 1024;

    return kib >= 1 ? (unsigned long long) kib : 1;
}

/* As the daemon does before each decision: an inflation that arrived
 * and left the qemu holding well over its new size freed nothing, and
 * the guest is not asked for host pressure for a while. */
static void
simGuestNoGain(simGuest *g, unsigned long long actualKiB,
               unsigned long long residentKiB, double now)
{
    unsigned long long targetKiB = (unsigned long long) (g->targetMiB * 1024);
    unsigned long long expect, drop;

    if (g->inflateFromKiB == 0 || actualKiB > targetKiB + AB_POLICY_MOVE_MARGIN_KIB)
        return;
    expect = g->inflateFromKiB > actualKiB ? g->inflateFromKiB - actualKiB : 0;
    drop = g->residentAtSetKiB > residentKiB ? g->residentAtSetKiB - residentKiB : 0;
    if (g->residentAtSetKiB > 0 && expect > 0 && drop * 10 < expect &&
        residentKiB > actualKiB + SIM_NO_GAIN_SLACK_KIB + actualKiB / 8)
        g->noGainUntil = now + SIM_NO_GAIN_S;
    g->inflateFromKiB = 0;
}

static void
simAbDecide(const simAbTuning *tuning, bool variant, const abPolicyHost *h,
            const abPolicyGuest *ag, guint na, abPolicyDecision *dec)
{
    if (variant) {
        simEngineCooldownReserves = tuning->cooldownReserves >= 0 ?
            tuning->cooldownReserves : AB_POLICY_COOLDOWN_RESERVES;
        simEngineGrowHorizonPeriods = tuning->growHorizonPeriods >= 0 ?
            tuning->growHorizonPeriods : AB_POLICY_GROW_HORIZON_PERIODS;
        simEngineDecide(h, ag, na, dec);
    } else {
        abPolicyDecide(h, ag, na, dec);
    }
}

unsigned int
simPolicyAutoballoon(const simHostModel *host, double now,
                     simGuest *guests, guint n, double freeMiB,
                     simAbState *state)
{
    const simAbTuning *tuning = state->tuning;
    bool residency = !(tuning && tuning->noResidency);
    bool variant = tuning && (tuning->cooldownReserves >= 0 ||
                              tuning->growHorizonPeriods >= 0);
    g_autofree abPolicyGuest *ag = g_new0(abPolicyGuest, n);
    g_autofree abPolicyDecision *dec = g_new0(abPolicyDecision, n);
    g_autofree guint *map = g_new0(guint, n);
    abPolicyHost h = { .now = now };
    unsigned int commands = 0;
    guint na = 0;

    h.level = simHostLevel(host, freeMiB, &h.requestKiB);
    /* headroom's room above the low mark, as the daemon passes it */
    {
        double markKiB = ceil(SIM_FREE_LOW * host->ramMiB * 1024);

        h.roomKnown = true;
        h.roomKiB = freeMiB * 1024 > markKiB ? (unsigned long long) (freeMiB * 1024 - markKiB) : 0;
    }
    /* the fall since the last decision, as the daemon measures it */
    h.fallKiBps = abPolicyHostTrendUpdate(&state->hostTrend, h.roomKnown, h.roomKiB,
                                          h.requestKiB, now);

    for (guint i = 0; i < n; i++) {
        simGuest *g = &guests[i];
        abPolicyGuest *a = &ag[na];

        if (!simGuestRunning(g))
            continue;
        map[na++] = i;
        a->name = g->name;
        a->params = g->params;
        a->maxKiB = (unsigned long long) (g->maxMiB * 1024);
        a->targetKiB = (unsigned long long) (g->targetMiB * 1024);
        a->actualKiB = (unsigned long long) (g->actualMiB * 1024);
        a->prevActualKiB = g->prevActualKiB;
        a->stats = g->stats;
        a->prevStats = g->prevStats;
        a->statsPeriodSec = (unsigned int) simPolicyPeriod(SIM_POLICY_AUTOBALLOON);
        a->injected = AB_LEVEL_NONE;
        a->lastGrowTime = g->lastGrowTime;
        a->unresponsive = false;
        if (residency) {
            a->residentKiB = simGuestResidentKiB(g);
            simGuestNoGain(g, a->actualKiB, a->residentKiB, now);
            a->freesNothing = now < g->noGainUntil;
        }
    }

    simAbDecide(tuning, variant, &h, ag, na, dec);

    if (tuning && tuning->growCharged) {
        /* A trial, not what the daemon does: what this decision grows
         * comes out of the host's room, so ask the pool for it now by
         * deciding again as if it had landed already (a grown guest is
         * then pending and gives nothing). */
        unsigned long long growKiB = 0;
        double freeAfterMiB;

        for (guint k = 0; k < na; k++) {
            if (dec[k].targetKiB > ag[k].targetKiB) {
                growKiB += dec[k].targetKiB - ag[k].targetKiB;
                ag[k].targetKiB = dec[k].targetKiB;
            }
        }
        freeAfterMiB = freeMiB - growKiB / 1024.0;
        if (growKiB > 0 && simHostLevel(host, freeAfterMiB, NULL) != AB_LEVEL_NONE) {
            g_autofree abPolicyDecision *again = g_new0(abPolicyDecision, na);

            h.level = simHostLevel(host, MAX(0.0, freeAfterMiB), &h.requestKiB);
            if (freeAfterMiB < 0)
                h.requestKiB += (unsigned long long) (-freeAfterMiB * 1024);
            simAbDecide(tuning, variant, &h, ag, na, again);
            for (guint k = 0; k < na; k++) {
                if (again[k].targetKiB < ag[k].targetKiB)
                    dec[k] = again[k];
            }
            for (guint k = 0; k < na; k++)
                ag[k].targetKiB = (unsigned long long) (guests[map[k]].targetMiB * 1024);
        }
    }
    state->level = h.level;
    state->deficitOpen = h.level != AB_LEVEL_NONE && h.requestKiB > 0;

    for (guint k = 0; k < na; k++) {
        simGuest *g = &guests[map[k]];
        double oldMiB = g->targetMiB;

        if (dec[k].changed && simSetTarget(g, dec[k].targetKiB / 1024.0)) {
            commands++;
            /* as the daemon does: an inflation is checked once it
             * arrived; a raised target starts the cool-down */
            if (g->targetMiB < oldMiB && g->inflateFromKiB == 0) {
                g->inflateFromKiB = ag[k].actualKiB;
                g->residentAtSetKiB = ag[k].residentKiB;
            } else if (g->targetMiB > oldMiB) {
                g->inflateFromKiB = 0;
                g->lastGrowTime = now;
            }
        }
        g->prevActualKiB = ag[k].actualKiB;
    }
    return commands;
}

/* ---- oVirt MoM, default balloon rules ---- */

#define MOM_PRESSURE_THRESHOLD   0.20
#define MOM_PRESSURE_CRITICAL    0.05
#define MOM_MIN_GUEST_FREE       0.20
#define MOM_MAX_CHANGE           0.05
#define MOM_MIN_CHANGE           0.0025

unsigned int
simPolicyMom(const simHostModel *host, double now,
             simGuest *guests, guint n, double freeMiB)
{
    double hostFree = freeMiB / host->ramMiB;
    unsigned int commands = 0;

    for (guint i = 0; i < n; i++) {
        simGuest *g = &guests[i];
        double cur = g->actualMiB;
        double unused = MAX(0.0, g->actualMiB - g->demandMiB - g->cacheMiB);
        double used = cur - unused;   /* MoM counts page cache as used */
        double size, floorSize;

        if (!simGuestRunning(g))
            continue;
        if (hostFree < MOM_PRESSURE_THRESHOLD) {
            /* shrink: the guest's free share scales with the host's, and
             * turns negative (forcing the guest to swap) when critical */
            double guestFree = hostFree <= MOM_PRESSURE_CRITICAL ?
                -0.05 + hostFree :
                MOM_MIN_GUEST_FREE * hostFree / MOM_PRESSURE_THRESHOLD;

            floorSize = used + guestFree * cur;
            size = MAX(cur * (1 - MOM_MAX_CHANGE), floorSize);
            if (size > cur || fabs(size - cur) <= MOM_MIN_CHANGE * cur)
                continue;
        } else {
            if (cur >= g->maxMiB)
                continue;
            floorSize = used + MOM_MIN_GUEST_FREE * g->maxMiB;
            size = MIN(cur * (1 + MOM_MAX_CHANGE), g->maxMiB);
            size = MAX(size, floorSize);
            if (fabs(size - cur) <= MOM_MIN_CHANGE * cur)
                continue;
        }
        commands += simSetTarget(g, size);
    }
    return commands;
}

/* ---- Proxmox VE pvestatd auto-ballooning ---- */

#define PVE_TARGET_USAGE 0.80
#define PVE_MAX_CHANGE_MIB 100.0
#define PVE_DEADBAND_MIB 10.0
#define PVE_SHARES 1000.0

typedef struct {
    simGuest *g;
    double minMiB;
    double newMiB;     /* <0: unchanged */
    bool done;
} pveVm;

/* Share @amount out over @vms by shares, each VM moving at most
 * PVE_MAX_CHANGE_MIB from its current balloon; repeat while VMs hit their
 * bounds and the rest can still move. Returns what is left. */
static double
pveShare(pveVm **vms, guint n, double amount)
{
    double rest = amount;
    bool repeat = true;
    double progress = 1;
    guint rounds = 0;

    for (guint i = 0; i < n; i++)
        vms[i]->done = false;

    while (fabs(rest) >= 1.0 && repeat && progress > 0 && rounds++ < 64) {
        double sharesTotal = 0, allocOld = 0, changes = 0;

        repeat = false;
        progress = 0;
        for (guint i = 0; i < n; i++) {
            pveVm *v = vms[i];
            double cur = v->newMiB >= 0 ? v->newMiB : v->g->actualMiB;

            if (v->done)
                continue;
            allocOld += cur - v->minMiB;
            sharesTotal += PVE_SHARES;
        }
        if (sharesTotal == 0)
            break;

        for (guint i = 0; i < n; i++) {
            pveVm *v = vms[i];
            double balloon = v->g->actualMiB;
            double desired = v->minMiB + floor((allocOld + rest) / sharesTotal * PVE_SHARES);
            double next, old, change;

            if (v->done)
                continue;
            if (desired > v->g->maxMiB) {
                desired = v->g->maxMiB;
                repeat = true;
            } else if (desired < v->minMiB) {
                desired = v->minMiB;
                repeat = true;
            }
            if (amount > 0 && desired > balloon) {
                next = MIN(balloon + PVE_MAX_CHANGE_MIB, desired);
            } else if (desired < balloon) {
                next = MAX(balloon - PVE_MAX_CHANGE_MIB, desired);
            } else {
                v->done = true;
                continue;
            }
            if (next == balloon)
                continue;
            old = v->newMiB >= 0 ? v->newMiB : balloon;
            v->newMiB = next;
            change = next - old;
            if (change != 0) {
                changes += change;
                progress += fabs(next - balloon);
                repeat = true;
            }
        }
        rest -= changes;
    }
    return rest;
}

unsigned int
simPolicyProxmox(const simHostModel *host, double now,
                 simGuest *guests, guint n, double freeMiB)
{
    g_autofree pveVm *vms = g_new0(pveVm, n);
    g_autofree pveVm **all = g_new0(pveVm *, n);
    g_autofree pveVm **pressured = g_new0(pveVm *, n);
    g_autofree pveVm **roomy = g_new0(pveVm *, n);
    double usedMiB = host->ramMiB - freeMiB;
    double goal = host->ramMiB * PVE_TARGET_USAGE - usedMiB;
    guint nall = 0, npress = 0, nroomy = 0;
    unsigned int commands = 0;

    for (guint i = 0; i < n; i++) {
        simGuest *g = &guests[i];
        pveVm *v = &vms[i];
        double unused = MAX(0.0, g->actualMiB - g->demandMiB - g->cacheMiB);

        if (!simGuestRunning(g))
            continue;
        v->g = g;
        /* the configured minimum: the same floor autoballoon uses */
        v->minMiB = g->params.floorKiB / 1024.0;
        v->newMiB = -1;
        all[nall++] = v;
        if (unused > v->minMiB * 0.25 && g->actualMiB >= v->minMiB)
            roomy[nroomy++] = v;
        else
            pressured[npress++] = v;
    }

    if (goal > PVE_DEADBAND_MIB) {
        /* give back: VMs short of free memory first */
        double rest = pveShare(pressured, npress, goal);

        if (rest >= goal)
            pveShare(all, nall, rest);
    } else if (goal < -PVE_DEADBAND_MIB) {
        /* take: VMs with free memory first */
        double rest = pveShare(roomy, nroomy, goal);

        if (rest <= goal)
            pveShare(all, nall, rest);
    }

    for (guint i = 0; i < nall; i++) {
        pveVm *v = all[i];

        if (v->newMiB < 0 || fabs(v->newMiB - v->g->actualMiB) < 0.5)
            continue;
        /* pvestatd sends the command whenever target != current balloon */
        simSetTarget(v->g, v->newMiB);
        commands++;
    }
    return commands;
}
