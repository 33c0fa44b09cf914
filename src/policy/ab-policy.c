/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-policy.c: the decision engine (rules and their defaults: docs/policy.md).
 *
 * One pass classifies each guest (hold, grow, give on its own, or join the
 * host-pressure pool); a second pass shares what the host is short of,
 * less what the balloons are already bringing back, among the pool by
 * water-filling over the host memory each guest's inflation would free. Nothing here reads a clock or keeps state: the
 * caller's inputs are the whole truth, so the daemon, the tests and the
 * simulator get the same answer for the same tick.
 */
#include "ab-policy.h"
#include "ab-enum.h"

AB_ENUM_IMPL_LIST(abPolicyReason, AB_POLICY_REASON_, AB_POLICY_REASON_LIST);

/* What the first pass found for one guest. */
typedef struct {
    bool inPool;                 /* shares the host's request */
    unsigned long long capKiB;   /* most it may give this decision */
    unsigned long long idleKiB;  /* of the cap, what the host does not hold
                                  * (never touched, or already reported):
                                  * inflating it frees nothing */
    unsigned long long freeKiB;  /* cap - idle: host memory it can free */
    double key;                  /* weight x what it can free: its share */
    unsigned long long giveKiB;  /* host memory the pool assigned it */
} abPolicyWork;

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

/* What the guest used when its stats were taken. A guest's numbers are
 * its own word: usable above the balloon's actual is not believed. */
static unsigned long long
abPolicyUsedAt(const abPolicyStats *st, unsigned long long actualKiB)
{
    unsigned long long at = st->actualAtKiB ? st->actualAtKiB : actualKiB;

    return st->usableKiB < at ? at - st->usableKiB : 0;
}

/* Usable memory now: the balloon may have moved since the stats were
 * taken (a decision follows each balloon arrival, stats come every
 * period), and what it took came out of what the guest had usable. */
static unsigned long long
abPolicyUsable(const abPolicyGuest *g)
{
    unsigned long long used = abPolicyUsedAt(&g->stats, g->actualKiB);

    return g->actualKiB > used ? g->actualKiB - used : 0;
}

static bool
abPolicyGuestPressure(const abPolicyGuest *g)
{
    if (abPolicyUsable(g) < g->params.reserveKiB)
        return true;
    if (!g->prevStats.valid)
        return false;
    return g->stats.majorFaults > g->prevStats.majorFaults ||
           g->stats.swapIn > g->prevStats.swapIn;
}

/* How much a guest under pressure grows: its reserve deficit, plus what
 * its working set grew by per second over the horizon, at least the low
 * step. */
static unsigned long long
abPolicyGrowBy(const abPolicyGuest *g)
{
    unsigned long long usable = abPolicyUsable(g);
    unsigned long long grow = 0;
    unsigned long long step = g->params.stepKiB[AB_LEVEL_LOW];

    if (usable < g->params.reserveKiB)
        grow = g->params.reserveKiB - usable;
    if (g->prevStats.valid && g->stats.lastUpdate > g->prevStats.lastUpdate) {
        unsigned long long now = abPolicyUsedAt(&g->stats, g->actualKiB);
        unsigned long long before = abPolicyUsedAt(&g->prevStats, g->actualKiB);
        double dt = g->stats.lastUpdate - g->prevStats.lastUpdate;

        if (now > before && dt > 0) {
            double rate = (double)(now - before) / dt;
            double horizon = (double)AB_POLICY_GROW_HORIZON_PERIODS * g->statsPeriodSec;
            double more = rate * horizon;

            /* bounded by the guest's ceiling (its own size when known,
             * maxKiB 0 is unknown): a lying rate grows it to its ceiling
             * at most, which the caller clamps anyway */
            unsigned long long bound = abPolicyCeiling(g);

            grow += more < (double)bound + 1 ? (unsigned long long)more : bound;
        }
    }
    return grow > step ? grow : step;
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

/* The most @g may give while keeping @reserveKiB usable: what it has
 * above that reserve, what it has above its floor, and never so much that
 * the new target falls below what it uses now plus that reserve. */
static unsigned long long
abPolicyCap(const abPolicyGuest *g, unsigned long long reserveKiB,
            unsigned long long floorKiB)
{
    unsigned long long usable = abPolicyUsable(g);
    unsigned long long spare, cap;

    if (usable <= reserveKiB || g->targetKiB <= floorKiB)
        return 0;
    spare = usable - reserveKiB;
    cap = abPolicyMin(spare, g->targetKiB - floorKiB);
    if (g->targetKiB + spare <= g->actualKiB)
        return 0;
    return abPolicyMin(cap, g->targetKiB + spare - g->actualKiB);
}

/* Of a cap, the part the host does not hold: a target above the qemu's
 * resident size inflates over pages the guest never touched (or gave
 * back by free page reporting) before it frees anything. */
static unsigned long long
abPolicyIdle(const abPolicyGuest *g, unsigned long long capKiB)
{
    unsigned long long idle;

    if (g->residentKiB == 0 || g->residentKiB >= g->targetKiB)
        return 0;
    idle = g->targetKiB - g->residentKiB;
    return idle < capKiB ? idle : capKiB;
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
        unsigned long long grow = abPolicyGrowBy(g);
        unsigned long long t;

        /* "below half the reserve", compared doubled so that an odd
         * reserve does not round half of it down */
        if (level == AB_LEVEL_CRITICAL &&
            abPolicyUsable(g) * 2 >= g->params.reserveKiB) {
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
        t = ceilingKiB - g->targetKiB > grow ? g->targetKiB + grow : ceilingKiB;
        /* A zero low step and no deficit or growth: nothing to grow by;
         * the guest is still not asked to give. */
        if (t > g->targetKiB) {
            abPolicySet(d, g, t, AB_POLICY_REASON_GUEST_PRESSURE);
            d->grew = true;
        }
        return false;
    }

    if (level == AB_LEVEL_NONE)
        return false;

    /* A balloon still inflating may be asked for more (what it is
     * bringing is counted as in flight); one still deflating is a grow
     * that has not landed, taken back only when the host is critical. */
    if (g->actualKiB + AB_POLICY_MOVE_MARGIN_KIB < g->targetKiB &&
        level < AB_LEVEL_CRITICAL) {
        d->reason = AB_POLICY_REASON_PENDING;
        return false;
    }

    /* The cool-down protects the working set a guest grew for, not its
     * size: it keeps AB_POLICY_COOLDOWN_RESERVES reserves usable, and
     * what it freed beyond that goes. From host medium on (under 10 %
     * free by default), and at any critical, only the reserve itself
     * stands. Pressure injected at medium says nothing about the host:
     * there the cool-down stands, or a guest at its reserve would give
     * and grow back every decision. */
    w->capKiB = abPolicyCap(g, g->params.reserveKiB, floorKiB);
    if (w->capKiB > 0 && host->level < AB_LEVEL_MEDIUM && level < AB_LEVEL_CRITICAL &&
        g->lastGrowTime >= 0 &&
        host->now - g->lastGrowTime < (double)g->params.cooldownSec) {
        w->capKiB = abPolicyCap(g, g->params.reserveKiB * AB_POLICY_COOLDOWN_RESERVES,
                                floorKiB);
        if (w->capKiB == 0) {
            d->reason = AB_POLICY_REASON_COOLDOWN;
            return false;
        }
    }
    if (w->capKiB == 0) {
        d->reason = AB_POLICY_REASON_AT_FLOOR;
        return false;
    }

    /* Pressure injected for this guest above the host's own level is about
     * this guest alone: outside the host's request it gives its step, or
     * at critical all it can. */
    if (g->injected > host->level) {
        unsigned long long give = w->capKiB;

        /* no deficit to net the balloon's progress against: one step
         * at a time, the next once this one arrived */
        if (g->actualKiB > g->targetKiB + AB_POLICY_MOVE_MARGIN_KIB) {
            d->reason = AB_POLICY_REASON_PENDING;
            return false;
        }

        if (level < AB_LEVEL_CRITICAL)
            give = abPolicyMin(give, g->params.stepKiB[level]);
        if (give == 0) {
            d->reason = AB_POLICY_REASON_AT_FLOOR;
            return false;
        }
        abPolicySet(d, g, g->targetKiB - give, AB_POLICY_REASON_INJECTED);
        *takenKiB += give;
        return false;
    }

    /* The host wants memory back: a balloon over pages its qemu does not
     * hold frees none, and one whose last inflation freed nothing is not
     * asked again for the host (under critical it is: the measure may
     * have been hidden by the guest's own allocations). */
    w->idleKiB = abPolicyIdle(g, w->capKiB);
    if ((g->freesNothing && level < AB_LEVEL_CRITICAL) || w->idleKiB >= w->capKiB) {
        d->reason = AB_POLICY_REASON_NO_GAIN;
        return false;
    }

    w->inPool = true;
    w->freeKiB = w->capKiB - w->idleKiB;
    w->key = (double)(g->params.weight ? g->params.weight : 1) * (double)w->freeKiB;
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
            if (share >= (double)(work[i].freeKiB - work[i].giveKiB)) {
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
                    work[i].giveKiB == work[i].freeKiB)
                    continue;
                room = abPolicyMin(work[i].freeKiB - work[i].giveKiB, left);
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
            part = abPolicyMin(part, work[i].freeKiB - work[i].giveKiB);
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
            if (!work[i].inPool || work[i].giveKiB >= work[i].freeKiB)
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
abPolicyInflight(const abPolicyGuest *guests, size_t nguests)
{
    unsigned long long sum = 0;

    for (size_t i = 0; i < nguests; i++) {
        const abPolicyGuest *g = &guests[i];

        /* a stuck balloon brings nothing, whatever it was asked; one
         * that deflated on OOM took the memory back and its target
         * follows it this decision: nothing of it is coming back */
        if (!g->params.enabled || g->unresponsive || abPolicyOomDeflated(g) ||
            g->actualKiB <= g->targetKiB + AB_POLICY_MOVE_MARGIN_KIB)
            continue;
        sum += g->actualKiB - g->targetKiB;
    }
    return sum;
}

unsigned long long
abPolicyHostFall(long long prevPosKiB, double prevTime, long long posKiB, double now)
{
    double dt = now - prevTime;

    if (!(dt > 0) || dt > AB_POLICY_HOST_FALL_WINDOW_S || posKiB >= prevPosKiB)
        return 0;
    return (unsigned long long)((double)(prevPosKiB - posKiB) / dt);
}

unsigned long long
abPolicyHostTrendUpdate(abPolicyHostTrend *trend, bool roomKnown, unsigned long long roomKiB,
                        unsigned long long requestKiB, double now)
{
    unsigned long long fall = 0;
    long long pos;

    if (!roomKnown) {
        trend->known = false;
        return 0;
    }
    pos = (long long)roomKiB - (long long)requestKiB;
    if (trend->known)
        fall = abPolicyHostFall(trend->posKiB, trend->time, pos, now);
    *trend = (abPolicyHostTrend) { .known = true, .posKiB = pos, .time = now };
    return fall;
}

/* What a falling host will be short of by the time the balloons arrive:
 * AB_POLICY_HOST_LEAD_S of its fall, at most its deficit again (one
 * jump between two decisions is not a ramp to extrapolate). */
static unsigned long long
abPolicyLead(const abPolicyHost *host)
{
    double lead = (double)host->fallKiBps * AB_POLICY_HOST_LEAD_S;

    if (host->requestKiB == 0)
        return 0;
    return lead < (double)host->requestKiB ? (unsigned long long)lead : host->requestKiB;
}

/* What the pool is asked to free: what the host is short of plus its lead
 * (at least the steps of its level; at critical with no figure, all it
 * can), less what the balloons are already bringing. */
static unsigned long long
abPolicyRequest(const abPolicyHost *host, unsigned long long stepsKiB,
                unsigned long long freeKiB, unsigned long long inflightKiB)
{
    unsigned long long want;

    if (host->requestKiB == 0 && host->level == AB_LEVEL_CRITICAL) {
        want = freeKiB + inflightKiB;
    } else {
        want = host->requestKiB + abPolicyLead(host);
        want = want > stepsKiB ? want : stepsKiB;
    }
    want = want > inflightKiB ? want - inflightKiB : 0;
    return abPolicyMin(want, freeKiB);
}

/* What the guests grown by this decision take beyond the host's room
 * (0 when the room is not known). */
static unsigned long long
abPolicyGrowCharge(const abPolicyHost *host, const abPolicyGuest *guests,
                   const abPolicyDecision *out, size_t nguests)
{
    unsigned long long grow = 0;

    if (!host->roomKnown)
        return 0;
    for (size_t i = 0; i < nguests; i++) {
        if (out[i].reason == AB_POLICY_REASON_GUEST_PRESSURE &&
            out[i].targetKiB > guests[i].targetKiB)
            grow += out[i].targetKiB - guests[i].targetKiB;
    }
    return grow > host->roomKiB ? grow - host->roomKiB : 0;
}

unsigned long long
abPolicyDecide(const abPolicyHost *host,
               const abPolicyGuest *guests,
               size_t nguests,
               abPolicyDecision *out)
{
    g_autofree abPolicyWork *work = NULL;
    unsigned long long takenKiB = 0;
    unsigned long long freeKiB = 0;
    unsigned long long stepsKiB = 0;
    unsigned long long requestKiB;
    unsigned long long chargeKiB;
    size_t npool = 0;

    if (nguests == 0)
        return 0;
    work = g_new0(abPolicyWork, nguests);

    for (size_t i = 0; i < nguests; i++) {
        out[i] = (abPolicyDecision) { 0 };
        if (abPolicyClassify(host, &guests[i], &out[i], &work[i], &takenKiB)) {
            npool++;
            freeKiB += work[i].freeKiB;
            stepsKiB += guests[i].params.stepKiB[out[i].level];
        }
    }

    /* What this decision grows is host memory about to be used: beyond
     * the host's room above its set point, the others give it in the same
     * decision, before the growing guest's pages land. On a host with no
     * pressure yet they give at level low, that much and no step more. */
    chargeKiB = abPolicyGrowCharge(host, guests, out, nguests);
    if (chargeKiB > 0 && host->level == AB_LEVEL_NONE) {
        abPolicyHost low = *host;

        low.level = AB_LEVEL_LOW;
        low.requestKiB = 0;
        for (size_t i = 0; i < nguests; i++) {
            if (out[i].reason != AB_POLICY_REASON_NONE || out[i].changed ||
                out[i].level != AB_LEVEL_NONE)
                continue;
            out[i] = (abPolicyDecision) { 0 };
            work[i] = (abPolicyWork) { 0 };
            if (abPolicyClassify(&low, &guests[i], &out[i], &work[i], &takenKiB)) {
                npool++;
                freeKiB += work[i].freeKiB;
            }
        }
    }

    if (npool == 0)
        return takenKiB;

    if (host->level == AB_LEVEL_NONE) {
        unsigned long long inflight = abPolicyInflight(guests, nguests);

        requestKiB = chargeKiB > inflight ? chargeKiB - inflight : 0;
        requestKiB = abPolicyMin(requestKiB, freeKiB);
    } else {
        abPolicyHost charged = *host;

        /* a critical host with no figure asks for all the pool frees anyway */
        if (charged.requestKiB > 0 || charged.level < AB_LEVEL_CRITICAL)
            charged.requestKiB += chargeKiB;
        requestKiB = abPolicyRequest(&charged, stepsKiB, freeKiB,
                                     abPolicyInflight(guests, nguests));
    }
    abPolicyFill(work, nguests, requestKiB);

    for (size_t i = 0; i < nguests; i++) {
        unsigned long long give;

        if (!work[i].inPool || work[i].giveKiB == 0)
            continue;
        /* the idle part goes first: only past it does the host gain */
        give = work[i].giveKiB + work[i].idleKiB;
        takenKiB += give;
        abPolicySet(&out[i], &guests[i], guests[i].targetKiB - give,
                    AB_POLICY_REASON_HOST_PRESSURE);
    }
    return takenKiB;
}

