/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-policy.c: the decision engine (rules and their defaults: docs/policy.md).
 *
 * One pass classifies each guest (hold, grow, give on its own, or join the
 * host-pressure pool); a second pass shares the host's request among the
 * pool by water-filling. Nothing here reads a clock or keeps state: the
 * caller's inputs are the whole truth, so the daemon, the tests and the
 * simulator get the same answer for the same tick.
 */
#include "ab-policy.h"
#include "ab-enum.h"

AB_ENUM_IMPL(abPolicyReason, AB_POLICY_REASON_LAST,
             "none", "disabled", "host-pressure", "injected",
             "guest-pressure", "oom-deflate", "cooldown", "at-floor",
             "at-ceiling", "stale-stats", "unresponsive", "pending",
             "critical-hold", "clamped");

/* What the first pass found for one guest. */
typedef struct {
    bool inPool;                 /* shares the host's request */
    unsigned long long capKiB;   /* most it may give this tick */
    double key;                  /* weight x spare: its share of the pool */
    unsigned long long giveKiB;  /* what the pool assigned */
} abPolicyWork;

static unsigned long long
abPolicyDiff(unsigned long long a, unsigned long long b)
{
    return a > b ? a - b : b - a;
}

static unsigned long long
abPolicyMin(unsigned long long a, unsigned long long b)
{
    return a < b ? a : b;
}

static unsigned long long
abPolicyCeiling(const abPolicyGuest *g)
{
    /* maxKiB 0 means the caller does not know it: the policy's ceiling
     * stands alone then. */
    if (g->maxKiB > 0 && g->params.ceilingKiB > g->maxKiB)
        return g->maxKiB;
    return g->params.ceilingKiB;
}

static unsigned long long
abPolicyFloor(const abPolicyGuest *g, unsigned long long ceilingKiB)
{
    /* A floor above the ceiling would leave no legal target; the ceiling
     * wins because it is what the guest can have at all. */
    return abPolicyMin(g->params.floorKiB, ceilingKiB);
}

static abLevel
abPolicyEffectiveLevel(const abPolicyHost *host, const abPolicyGuest *g)
{
    abLevel level = host->level > g->injected ? host->level : g->injected;

    if ((int)level < AB_LEVEL_NONE || level >= AB_LEVEL_LAST)
        return AB_LEVEL_NONE;
    return level;
}

static bool
abPolicyStatsFresh(const abPolicyGuest *g, double now)
{
    if (!g->stats.valid || g->statsPeriodSec == 0)
        return false;
    /* Written so that a NaN timestamp counts as stale. */
    return now - g->stats.lastUpdate <=
           (double)AB_POLICY_STALE_PERIODS * g->statsPeriodSec;
}

static bool
abPolicyGuestPressure(const abPolicyGuest *g)
{
    if (g->stats.usableKiB < g->params.reserveKiB)
        return true;
    if (!g->prevStats.valid)
        return false;
    return g->stats.majorFaults > g->prevStats.majorFaults ||
           g->stats.swapIn > g->prevStats.swapIn;
}

static bool
abPolicyOomDeflated(const abPolicyGuest *g)
{
    return g->prevActualKiB > 0 &&
           g->actualKiB > g->targetKiB + AB_POLICY_MOVE_MARGIN_KIB &&
           g->actualKiB > g->prevActualKiB + AB_POLICY_MOVE_MARGIN_KIB;
}

static void
abPolicySet(abPolicyDecision *d, const abPolicyGuest *g,
            unsigned long long targetKiB, abPolicyReason reason)
{
    d->targetKiB = targetKiB;
    d->changed = targetKiB != g->targetKiB;
    d->reason = reason;
}

/* The most @g may give at @level: its step, what it has above its reserve,
 * what it has above its floor, and never so much that the new target falls
 * below what it uses now plus its reserve (actual - spare). */
static unsigned long long
abPolicyCap(const abPolicyGuest *g, abLevel level, unsigned long long floorKiB)
{
    unsigned long long spare;
    unsigned long long cap = g->params.stepKiB[level];

    if (g->stats.usableKiB <= g->params.reserveKiB || g->targetKiB <= floorKiB)
        return 0;
    spare = g->stats.usableKiB - g->params.reserveKiB;
    cap = abPolicyMin(cap, spare);
    cap = abPolicyMin(cap, g->targetKiB - floorKiB);
    if (g->targetKiB + spare <= g->actualKiB)
        return 0;
    return abPolicyMin(cap, g->targetKiB + spare - g->actualKiB);
}

/* First pass for one guest: every rule except the sharing of the pool.
 * Returns true when the guest joins the host-pressure pool. */
static bool
abPolicyClassify(const abPolicyHost *host, const abPolicyGuest *g,
                 abPolicyDecision *d, abPolicyWork *w,
                 unsigned long long *takenKiB)
{
    unsigned long long ceilingKiB = abPolicyCeiling(g);
    unsigned long long floorKiB = abPolicyFloor(g, ceilingKiB);
    abLevel level = abPolicyEffectiveLevel(host, g);

    d->level = level;
    abPolicySet(d, g, g->targetKiB, AB_POLICY_REASON_NONE);

    if (!g->params.enabled) {
        d->reason = AB_POLICY_REASON_DISABLED;
        return false;
    }

    /* The guest already took the memory back (virtio deflate-on-oom): the
     * target only records what happened, so it needs no stats and works on
     * a balloon that ignores commands. */
    if (abPolicyOomDeflated(g)) {
        unsigned long long t = g->actualKiB;

        if (t > ceilingKiB)
            t = ceilingKiB;
        if (t < floorKiB)
            t = floorKiB;
        if (t > g->targetKiB) {
            abPolicySet(d, g, t, AB_POLICY_REASON_OOM_DEFLATE);
            d->grew = true;
            return false;
        }
    }

    /* The user's bounds are commands, not guesses from stats: they apply
     * even to a stale, unresponsive or cooling-down guest. */
    if (g->targetKiB > ceilingKiB) {
        abPolicySet(d, g, ceilingKiB, AB_POLICY_REASON_CLAMPED);
        return false;
    }
    if (g->targetKiB < floorKiB) {
        abPolicySet(d, g, floorKiB, AB_POLICY_REASON_CLAMPED);
        return false;
    }

    if (g->unresponsive) {
        d->reason = AB_POLICY_REASON_UNRESPONSIVE;
        return false;
    }
    if (!abPolicyStatsFresh(g, host->now)) {
        d->reason = AB_POLICY_REASON_STALE_STATS;
        return false;
    }

    if (abPolicyGuestPressure(g)) {
        unsigned long long grow = g->params.stepKiB[AB_LEVEL_LOW];
        unsigned long long t;

        /* "below half the reserve", compared doubled so that an odd
         * reserve does not round half of it down */
        if (level == AB_LEVEL_CRITICAL &&
            g->stats.usableKiB * 2 >= g->params.reserveKiB) {
            d->reason = AB_POLICY_REASON_CRITICAL_HOLD;
            return false;
        }
        if (g->targetKiB >= ceilingKiB) {
            d->reason = AB_POLICY_REASON_AT_CEILING;
            return false;
        }
        /* The last grow has not landed yet; its memory is not in the
         * stats, so growing again would count the same need twice. */
        if (g->actualKiB + AB_POLICY_MOVE_MARGIN_KIB < g->targetKiB) {
            d->reason = AB_POLICY_REASON_PENDING;
            return false;
        }
        if (g->stats.usableKiB < g->params.reserveKiB &&
            g->params.reserveKiB - g->stats.usableKiB > grow)
            grow = g->params.reserveKiB - g->stats.usableKiB;
        t = ceilingKiB - g->targetKiB > grow ? g->targetKiB + grow : ceilingKiB;
        /* A zero low step turns growth on faults off; the guest is still
         * not asked to give. */
        if (t > g->targetKiB) {
            abPolicySet(d, g, t, AB_POLICY_REASON_GUEST_PRESSURE);
            d->grew = true;
        }
        return false;
    }

    if (level == AB_LEVEL_NONE)
        return false;

    if (abPolicyDiff(g->actualKiB, g->targetKiB) > AB_POLICY_MOVE_MARGIN_KIB) {
        d->reason = AB_POLICY_REASON_PENDING;
        return false;
    }
    if (g->lastGrowTime >= 0 &&
        host->now - g->lastGrowTime < (double)g->params.cooldownSec) {
        d->reason = AB_POLICY_REASON_COOLDOWN;
        return false;
    }

    w->capKiB = abPolicyCap(g, level, floorKiB);
    if (w->capKiB == 0) {
        d->reason = AB_POLICY_REASON_AT_FLOOR;
        return false;
    }

    /* Pressure injected for this guest above the host's own level is about
     * this guest alone: it gives its own step, outside the host's request. */
    if (g->injected > host->level) {
        abPolicySet(d, g, g->targetKiB - w->capKiB, AB_POLICY_REASON_INJECTED);
        *takenKiB += w->capKiB;
        return false;
    }

    w->inPool = true;
    w->key = (double)(g->params.weight ? g->params.weight : 1) *
             (double)(g->stats.usableKiB - g->params.reserveKiB);
    return true;
}

/* Share @requestKiB among the pool in proportion to each key, never beyond
 * a guest's cap (water-filling). Returns what was handed out. */
static unsigned long long
abPolicyFill(abPolicyWork *work, size_t n, unsigned long long requestKiB)
{
    unsigned long long left = requestKiB;
    g_autofree bool *active = g_new0(bool, n);
    bool more = true;

    for (size_t i = 0; i < n; i++)
        active[i] = work[i].inPool;

    /* Each round either fills every guest whose share reaches its cap
     * (their unused share goes to the rest next round) or, when none
     * does, hands out the rounded-down shares and stops. At most n+1
     * rounds. */
    while (more && left > 0) {
        double total = 0;
        unsigned long long pool;
        bool capped = false;

        for (size_t i = 0; i < n; i++) {
            if (active[i])
                total += work[i].key;
        }
        if (total <= 0)
            break;

        for (size_t i = 0; i < n; i++) {
            double share;

            if (!active[i])
                continue;
            share = (double)left * (work[i].key / total);
            if (share >= (double)(work[i].capKiB - work[i].giveKiB)) {
                capped = true;
                active[i] = false;
            }
        }

        if (capped) {
            /* Fill the capped guests from what is left; the sum of
             * their rooms is at most their shares, hence at most left. */
            for (size_t i = 0; i < n; i++) {
                unsigned long long room;

                if (!work[i].inPool || active[i] ||
                    work[i].giveKiB == work[i].capKiB)
                    continue;
                room = abPolicyMin(work[i].capKiB - work[i].giveKiB, left);
                work[i].giveKiB += room;
                left -= room;
            }
            continue;
        }

        /* Shares of what was left at the start of the round, not of
         * what each guest before it left over. */
        pool = left;
        for (size_t i = 0; i < n; i++) {
            unsigned long long part;

            if (!active[i])
                continue;
            part = (unsigned long long)((double)pool * (work[i].key / total));
            part = abPolicyMin(part, work[i].capKiB - work[i].giveKiB);
            part = abPolicyMin(part, left);
            work[i].giveKiB += part;
            left -= part;
        }
        more = false;
    }

    /* Rounding leaves fewer KiB than there are guests: one each, in the
     * caller's order, so that the result is exact and reproducible. */
    while (left > 0) {
        bool gave = false;

        for (size_t i = 0; i < n && left > 0; i++) {
            if (!work[i].inPool || work[i].giveKiB >= work[i].capKiB)
                continue;
            work[i].giveKiB++;
            left--;
            gave = true;
        }
        if (!gave)
            break;
    }

    return requestKiB - left;
}

unsigned long long
abPolicyDecide(const abPolicyHost *host,
               const abPolicyGuest *guests,
               size_t nguests,
               abPolicyDecision *out)
{
    g_autofree abPolicyWork *work = NULL;
    unsigned long long takenKiB = 0;
    unsigned long long capsKiB = 0;
    unsigned long long stepsKiB = 0;
    unsigned long long requestKiB;
    size_t npool = 0;

    if (nguests == 0)
        return 0;
    work = g_new0(abPolicyWork, nguests);

    for (size_t i = 0; i < nguests; i++) {
        out[i] = (abPolicyDecision) { 0 };
        if (abPolicyClassify(host, &guests[i], &out[i], &work[i], &takenKiB)) {
            npool++;
            capsKiB += work[i].capKiB;
            stepsKiB += guests[i].params.stepKiB[out[i].level];
        }
    }

    if (npool == 0)
        return takenKiB;

    requestKiB = host->requestKiB > 0 ? host->requestKiB : stepsKiB;
    requestKiB = abPolicyMin(requestKiB, capsKiB);
    takenKiB += abPolicyFill(work, nguests, requestKiB);

    for (size_t i = 0; i < nguests; i++) {
        if (!work[i].inPool || work[i].giveKiB == 0)
            continue;
        abPolicySet(&out[i], &guests[i],
                    guests[i].targetKiB - work[i].giveKiB,
                    AB_POLICY_REASON_HOST_PRESSURE);
    }
    return takenKiB;
}

bool
abPolicyBalloonUnresponsive(unsigned long long targetKiB,
                            unsigned long long actualAtSetKiB,
                            unsigned long long actualNowKiB,
                            double targetTime, double now,
                            double timeoutSec)
{
    unsigned long long distSet = abPolicyDiff(targetKiB, actualAtSetKiB);
    unsigned long long distNow = abPolicyDiff(targetKiB, actualNowKiB);
    unsigned long long need;

    if (distNow <= AB_POLICY_MOVE_MARGIN_KIB)
        return false;
    if (!(now - targetTime > timeoutSec))
        return false;
    if (distNow >= distSet)
        return true;
    /* A working balloon moves by whole pages quickly; one that covered
     * less than a tenth of the way (or the margin, for long ways) in the
     * whole timeout is not doing its job. */
    need = abPolicyMin(AB_POLICY_MOVE_MARGIN_KIB, distSet / 10 > 0 ? distSet / 10 : 1);
    return distSet - distNow < need;
}
