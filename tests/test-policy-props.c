/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Property test of the decision engine: many generated host and guest
 * states, each checked against the invariants of docs/policy.md.
 *
 * The generator is a GRand seeded from AB_SEED (default below) so that any
 * failure is reproduced by running with the seed it prints; AB_PROP_ITERS
 * changes the number of states. Values cluster on the boundaries the rules
 * name (exactly at the cool-down, the stale limit, the margin, the
 * reserve, half the reserve, two reserves, the floor, the ceiling, an idle
 * part equal to the cap), where mistakes hide, and include what a guest
 * may lie about (usable above its balloon, counters going backwards,
 * absurd values, a growth rate over a millisecond).
 */
#include <glib.h>
#include "ab-policy.h"

#define MiB(x) ((unsigned long long)(x) * 1024ULL)
#define DEFAULT_SEED 20140301u
#define DEFAULT_ITERS 25000
#define MAX_GUESTS 6

#define MARGIN AB_POLICY_MOVE_MARGIN_KIB

typedef struct {
    abPolicyHost host;
    size_t n;
    abPolicyGuest guests[MAX_GUESTS];
    unsigned long long chargeKiB;    /* derived: the model's rule 12 charge */
} State;

static unsigned long long growOf(const State *s);
static unsigned long long chargeOf(const State *s);

static guint32 seed = DEFAULT_SEED;
static guint iters = DEFAULT_ITERS;

/* --- generator --- */

static bool
chance(GRand *r, double p)
{
    return g_rand_double(r) < p;
}

static unsigned long long
between(GRand *r, unsigned long long lo, unsigned long long hi)
{
    if (hi <= lo)
        return lo;
    if (hi - lo + 1 == 0)            /* the whole range */
        return (unsigned long long)g_rand_int(r) << 32 | g_rand_int(r);
    return lo + (unsigned long long)(g_rand_double(r) * (double)(hi - lo + 1)) % (hi - lo + 1);
}

/* @base moved by nothing, the margin, the margin and one KiB, or anything
 * up to @spread, either way. */
static unsigned long long
near(GRand *r, unsigned long long base, unsigned long long spread)
{
    unsigned long long d;

    switch (g_rand_int_range(r, 0, 6)) {
    case 0: d = 0; break;
    case 1: d = MARGIN; break;
    case 2: d = MARGIN + 1; break;
    case 3: d = between(r, 0, MARGIN); break;
    default: d = between(r, 0, spread); break;
    }
    if (chance(r, 0.5))
        return base + d;
    return base > d ? base - d : 0;
}

static abLevel
level(GRand *r)
{
    return (abLevel)g_rand_int_range(r, AB_LEVEL_NONE, AB_LEVEL_LAST);
}

/* The balloon's actual when a sample was new: unknown (0), where it is
 * now, or elsewhere (the balloon moved since). */
static unsigned long long
genActualAt(GRand *r, unsigned long long actualKiB)
{
    switch (g_rand_int_range(r, 0, 4)) {
    case 0: return 0;
    case 1: return actualKiB;
    default: return near(r, actualKiB, MiB(512));
    }
}

/* @healthy: a guest that can give (fresh stats, a responsive balloon, no
 * faults, usable above its reserve), so that the sharing of the request
 * is exercised as often as the reasons to hold. */
static void
genGuest(GRand *r, double now, bool healthy, abPolicyGuest *g)
{
    abPolicyParams *p = &g->params;
    unsigned long long ceilingKiB;
    unsigned long long floorKiB;
    unsigned long long reserve;

    *g = (abPolicyGuest) { .name = "guest" };
    g->maxKiB = MiB(between(r, 256, 16384)) + between(r, 0, 3) * 4;
    abPolicyParamsDefaults(p, g->maxKiB);
    p->enabled = chance(r, 0.92);

    if (chance(r, 0.5)) {
        p->floorKiB = MiB(between(r, 32, g->maxKiB / 1024));
        p->ceilingKiB = chance(r, 0.1) ? g->maxKiB + MiB(between(r, 1, 1024))
                                        : MiB(between(r, 64, g->maxKiB / 1024));
    }
    if (chance(r, 0.6)) {
        p->reserveKiB = chance(r, 0.1) ? 0 : MiB(between(r, 1, 512));
        for (int l = AB_LEVEL_LOW; l < AB_LEVEL_LAST; l++)
            p->stepKiB[l] = chance(r, 0.05) ? 0 : MiB(between(r, 1, 512)) + between(r, 0, 1023);
        p->weight = (unsigned int)between(r, AB_POLICY_WEIGHT_MIN, AB_POLICY_WEIGHT_MAX);
        p->cooldownSec = (unsigned int)between(r, 0, 120);
    }

    ceilingKiB = MIN(p->ceilingKiB, g->maxKiB);
    floorKiB = MIN(p->floorKiB, ceilingKiB);

    /* mostly inside the bounds, sometimes on them, sometimes outside */
    switch (g_rand_int_range(r, 0, 8)) {
    case 0: g->targetKiB = floorKiB; break;
    case 1: g->targetKiB = ceilingKiB; break;
    case 2: g->targetKiB = between(r, 0, g->maxKiB); break;
    case 3: g->targetKiB = floorKiB + between(r, 1, 64 * 1024); break;
    default: g->targetKiB = between(r, floorKiB, ceilingKiB); break;
    }
    g->actualKiB = near(r, g->targetKiB, MiB(512));
    switch (g_rand_int_range(r, 0, 5)) {
    case 0: g->prevActualKiB = 0; break;
    case 1: g->prevActualKiB = g->actualKiB; break;
    default: g->prevActualKiB = near(r, g->actualKiB, MiB(512)); break;
    }

    g->statsPeriodSec = chance(r, 0.05) ? 0 : (unsigned int)between(r, 1, 10);
    g->stats.valid = chance(r, 0.93);
    reserve = p->reserveKiB;
    switch (g_rand_int_range(r, 0, 10)) {
    case 0: g->stats.usableKiB = reserve; break;
    case 1: g->stats.usableKiB = reserve / 2; break;
    case 2: g->stats.usableKiB = near(r, reserve, MiB(64)); break;
    case 3: g->stats.usableKiB = near(r, reserve / 2, MiB(16)); break;
    case 4: g->stats.usableKiB = near(r, 2 * reserve, MiB(16)); break;
    case 5: /* lying: above the balloon, or absurd */
        g->stats.usableKiB = chance(r, 0.2) ? ULLONG_MAX : g->actualKiB + between(r, 1, MiB(1024));
        break;
    default: g->stats.usableKiB = between(r, 0, g->targetKiB); break;
    }
    g->stats.availableKiB = g->actualKiB;
    g->stats.majorFaults = chance(r, 0.02) ? ULLONG_MAX : between(r, 0, 1000);
    g->stats.swapIn = between(r, 0, 1000);
    g->stats.actualAtKiB = genActualAt(r, g->actualKiB);
    switch (g_rand_int_range(r, 0, 5)) {
    case 0: g->stats.lastUpdate = now; break;
    case 1: g->stats.lastUpdate = now - (double)AB_POLICY_STALE_PERIODS * g->statsPeriodSec; break;
    case 2: g->stats.lastUpdate = now - (double)AB_POLICY_STALE_PERIODS * g->statsPeriodSec - 0.25; break;
    case 3: g->stats.lastUpdate = now - g_rand_double_range(r, 0, 60); break;
    default:
        g->stats.lastUpdate = now - g_rand_double_range(r, 0, AB_POLICY_STALE_PERIODS * g->statsPeriodSec);
        break;
    }

    g->prevStats = g->stats;
    g->prevStats.valid = chance(r, 0.85);
    /* the previous distinct sample: a period before, at the same time
     * (no rate), a millisecond before (a lying rate), or anywhere */
    switch (g_rand_int_range(r, 0, 8)) {
    case 0: break;
    case 1: g->prevStats.lastUpdate -= 0.001; break;
    case 2: g->prevStats.lastUpdate -= g_rand_double_range(r, 0, 30); break;
    default: g->prevStats.lastUpdate -= g->statsPeriodSec; break;
    }
    if (chance(r, 0.5) && g->stats.usableKiB != ULLONG_MAX)
        g->prevStats.usableKiB = near(r, g->stats.usableKiB, MiB(256));
    if (chance(r, 0.3))
        g->prevStats.actualAtKiB = genActualAt(r, g->actualKiB);
    /* counters: equal, rising, or (a lying guest) going backwards */
    if (chance(r, 0.8))
        g->prevStats.majorFaults = g->stats.majorFaults - between(r, 0, g->stats.majorFaults) * chance(r, 0.15);
    else if (chance(r, 0.3))
        g->prevStats.majorFaults = g->stats.majorFaults + between(r, 1, 1000);
    if (chance(r, 0.8))
        g->prevStats.swapIn = g->stats.swapIn - between(r, 0, g->stats.swapIn) * chance(r, 0.1);
    else if (chance(r, 0.3))
        g->prevStats.swapIn = g->stats.swapIn + between(r, 1, 1000);

    g->injected = chance(r, 0.7) ? AB_LEVEL_NONE : level(r);
    switch (g_rand_int_range(r, 0, 5)) {
    case 0: g->lastGrowTime = -1; break;
    case 1: g->lastGrowTime = now - p->cooldownSec; break;
    case 2: g->lastGrowTime = now - p->cooldownSec + 0.5; break;
    default: g->lastGrowTime = now - g_rand_double_range(r, 0, 200); break;
    }
    g->unresponsive = chance(r, 0.08);

    if (healthy) {
        g->params.enabled = true;
        g->targetKiB = between(r, floorKiB, ceilingKiB);
        switch (g_rand_int_range(r, 0, 6)) {
        case 0: /* still inflating */
            g->actualKiB = g->targetKiB + between(r, MARGIN + 1, MiB(256));
            break;
        case 1: /* still deflating */
        {
            unsigned long long d = between(r, MARGIN + 1, MiB(256));

            g->actualKiB = g->targetKiB - MIN(g->targetKiB, d);
            break;
        }
        default:
            g->actualKiB = near(r, g->targetKiB, MARGIN);
            break;
        }
        g->prevActualKiB = g->actualKiB;
        g->statsPeriodSec = MAX(g->statsPeriodSec, 1);
        g->stats.valid = true;
        g->stats.lastUpdate = now;
        g->stats.actualAtKiB = chance(r, 0.7) ? 0 : near(r, g->actualKiB, MiB(64));
        g->stats.usableKiB = reserve + between(r, 0, MiB(2048));
        if (chance(r, 0.2))
            g->stats.usableKiB = near(r, 2 * reserve, MiB(8));
        g->prevStats = g->stats;
        g->prevStats.lastUpdate = now - g->statsPeriodSec;
        g->injected = chance(r, 0.9) ? AB_LEVEL_NONE : level(r);
        switch (g_rand_int_range(r, 0, 4)) {
        case 0: g->lastGrowTime = -1; break;
        case 1: g->lastGrowTime = now - p->cooldownSec; break;
        default: g->lastGrowTime = now - g_rand_double_range(r, 0, p->cooldownSec); break;
        }
        g->unresponsive = false;
    }

    /* residency: unknown, above the target (nothing idle), or below it,
     * often by about what the guest could give (idle == cap) */
    switch (g_rand_int_range(r, 0, 6)) {
    case 0: case 1: g->residentKiB = 0; break;
    case 2: g->residentKiB = g->targetKiB + between(r, 0, MiB(512)); break;
    case 3: {
        unsigned long long d = between(r, 1, MiB(1024));

        g->residentKiB = g->targetKiB > d ? g->targetKiB - d : 1;
        break;
    }
    default: {
        unsigned long long spare = g->stats.usableKiB > reserve &&
                                   g->stats.usableKiB < g->targetKiB ?
                                   g->stats.usableKiB - reserve : 0;
        g->residentKiB = MAX(near(r, g->targetKiB - MIN(spare, g->targetKiB), MiB(32)), 1);
        break;
    }
    }
    g->freesNothing = chance(r, 0.08);
    if (chance(r, 0.03))
        g->maxKiB = 0;               /* <memory> unknown */
}

static void
genState(GRand *r, State *s)
{
    s->host = (abPolicyHost) { .now = 10000 + g_rand_double_range(r, 0, 1000) };
    s->host.level = chance(r, 0.2) ? AB_LEVEL_NONE : level(r);
    switch (g_rand_int_range(r, 0, 4)) {
    case 0: s->host.requestKiB = 0; break;
    case 1: s->host.requestKiB = between(r, 1, 10); break;
    default: s->host.requestKiB = between(r, 1, MiB(1024)); break;
    }
    bool healthy = chance(r, 0.3);

    s->n = (size_t)g_rand_int_range(r, 1, MAX_GUESTS + 1);
    for (size_t i = 0; i < s->n; i++)
        genGuest(r, s->host.now, healthy && chance(r, 0.9), &s->guests[i]);
    /* a healthy host where one guest grows: what rule 12 charges to the
     * others (a fault, sometimes usable below the reserve too) */
    if (healthy && s->n >= 2 && chance(r, 0.4)) {
        abPolicyGuest *g = &s->guests[g_rand_int_range(r, 0, (gint32)s->n)];

        if (g->prevStats.majorFaults < ULLONG_MAX)
            g->stats.majorFaults = g->prevStats.majorFaults + 1;
        if (chance(r, 0.5) && g->params.reserveKiB > 0)
            g->stats.usableKiB = between(r, 0, g->params.reserveKiB - 1);
    }

    /* the room above the host's set point (rule 12): often not known (no
     * headroom source, or an unlimited cgroup), else none, a little, a
     * lot, or on the boundary of what this decision grows */
    s->host.roomKnown = chance(r, 0.5);
    if (s->host.roomKnown) {
        unsigned long long grow = growOf(s);

        switch (g_rand_int_range(r, 0, 8)) {
        case 0: case 1: s->host.roomKiB = 0; break;
        case 2: case 3: s->host.roomKiB = between(r, 1, MiB(64)); break;
        case 4: s->host.roomKiB = between(r, MiB(64), MiB(16384)); break;
        case 5: s->host.roomKiB = grow; break;
        case 6: s->host.roomKiB = grow > 0 ? grow - 1 : 0; break;
        default: s->host.roomKiB = grow > 0 ? between(r, 0, grow) : 0; break;
        }
    } else if (chance(r, 0.5)) {
        s->host.roomKiB = between(r, 0, MiB(1024));   /* ignored */
    }
    s->chargeKiB = chargeOf(s);
}

/* --- the rules, stated independently of the engine --- */

/* min(ceiling, <memory>), where maxKiB 0 is unknown */
static unsigned long long
ceilingOf(const abPolicyGuest *g)
{
    return g->maxKiB > 0 ? MIN(g->params.ceilingKiB, g->maxKiB) : g->params.ceilingKiB;
}

static unsigned long long
floorOf(const abPolicyGuest *g)
{
    return MIN(g->params.floorKiB, ceilingOf(g));
}

/* The guest's level as the first classification sees it. */
static abLevel
baseLevelOf(const State *s, const abPolicyGuest *g)
{
    return MAX(s->host.level, g->injected);
}

/* The level the decision works at for @g: rule 12 classifies some guests
 * again at low (defined after the rules it needs). */
static abLevel levelOf(const State *s, const abPolicyGuest *g);

static bool
fresh(const State *s, const abPolicyGuest *g)
{
    return g->stats.valid && g->statsPeriodSec > 0 &&
           s->host.now - g->stats.lastUpdate <= AB_POLICY_STALE_PERIODS * (double)g->statsPeriodSec;
}

/* What the guest used when @st was new: actualAt - usable, where usable
 * above the balloon is not believed. */
static long long
usedOf(const abPolicyGuest *g, const abPolicyStats *st)
{
    long long at = (long long)(st->actualAtKiB > 0 ? st->actualAtKiB : g->actualKiB);

    if (st->usableKiB >= (unsigned long long)at)
        return 0;
    return at - (long long)st->usableKiB;
}

/* Usable now: actual - used, 0 below. */
static long long
usableOf(const abPolicyGuest *g)
{
    return MAX((long long)g->actualKiB - usedOf(g, &g->stats), 0);
}

static bool
underPressure(const abPolicyGuest *g)
{
    return usableOf(g) < (long long)g->params.reserveKiB ||
           (g->prevStats.valid && (g->stats.majorFaults > g->prevStats.majorFaults ||
                                   g->stats.swapIn > g->prevStats.swapIn));
}

static bool
cooling(const State *s, const abPolicyGuest *g)
{
    return g->lastGrowTime >= 0 && s->host.now - g->lastGrowTime < g->params.cooldownSec;
}

/* The reserve a giving guest keeps: two in a cool-down below critical. */
static long long
reserveFor(const State *s, const abPolicyGuest *g)
{
    long long res = (long long)g->params.reserveKiB;

    return cooling(s, g) && s->host.level < AB_LEVEL_MEDIUM &&
           levelOf(s, g) < AB_LEVEL_CRITICAL ? 2 * res : res;
}

static bool
oomDeflated(const abPolicyGuest *g)
{
    return g->prevActualKiB > 0 && g->actualKiB > g->targetKiB + MARGIN &&
           g->actualKiB > g->prevActualKiB + MARGIN;
}

/* Rule 3 decides: the target adopts the actual, within the bounds. */
static unsigned long long
oomTarget(const abPolicyGuest *g)
{
    return MAX(MIN(g->actualKiB, ceilingOf(g)), floorOf(g));
}

static bool
oomAdopts(const abPolicyGuest *g)
{
    return oomDeflated(g) && oomTarget(g) > g->targetKiB;
}

static bool
inflating(const abPolicyGuest *g)
{
    return g->actualKiB > g->targetKiB + MARGIN;
}

static bool
deflating(const abPolicyGuest *g)
{
    return g->actualKiB + MARGIN < g->targetKiB;
}

/* The most @g may give keeping @res usable (0 when nothing). */
static unsigned long long
capOf(const abPolicyGuest *g, long long res)
{
    long long spare = usableOf(g) - res;
    long long cap;

    if (spare <= 0 || g->targetKiB <= floorOf(g))
        return 0;
    cap = MIN(spare, (long long)(g->targetKiB - floorOf(g)));
    cap = MIN(cap, (long long)g->targetKiB + spare - (long long)g->actualKiB);
    return cap > 0 ? (unsigned long long)cap : 0;
}

/* Rules 1-9 let @g give, but for its cap. */
static bool
mayGive(const State *s, const abPolicyGuest *g)
{
    abLevel l = levelOf(s, g);

    return g->params.enabled && !oomAdopts(g) &&
           g->targetKiB >= floorOf(g) && g->targetKiB <= ceilingOf(g) &&
           !g->unresponsive && fresh(s, g) && !underPressure(g) &&
           l >= AB_LEVEL_LOW && !(deflating(g) && l < AB_LEVEL_CRITICAL);
}

static bool
canGive(const State *s, const abPolicyGuest *g)
{
    return mayGive(s, g) && capOf(g, reserveFor(s, g)) > 0;
}

/* The idle part of @g's cap: above what its qemu holds. */
static unsigned long long
idleOf(const abPolicyGuest *g, unsigned long long cap)
{
    if (g->residentKiB == 0 || g->residentKiB >= g->targetKiB)
        return 0;
    return MIN(g->targetKiB - g->residentKiB, cap);
}

/* Its last inflation freed nothing: not asked again, but under critical. */
static bool
setAside(const State *s, const abPolicyGuest *g)
{
    return g->freesNothing && levelOf(s, g) < AB_LEVEL_CRITICAL;
}

/* Whether @g shares the host's request this decision. */
static bool
inPool(const State *s, const abPolicyGuest *g)
{
    unsigned long long cap = capOf(g, reserveFor(s, g));

    return g->injected <= s->host.level && canGive(s, g) && !setAside(s, g) &&
           idleOf(g, cap) < cap;
}

/* What @g gives for its own injected pressure (0: nothing). */
static unsigned long long
injectedGive(const State *s, const abPolicyGuest *g)
{
    unsigned long long cap = capOf(g, reserveFor(s, g));
    abLevel l = levelOf(s, g);

    if (g->injected <= s->host.level || !canGive(s, g) || inflating(g))
        return 0;
    return l == AB_LEVEL_CRITICAL ? cap : MIN(cap, g->params.stepKiB[l]);
}

/* Host memory on its way back: what enabled, responsive balloons still
 * inflate toward their targets (not those deflating on OOM). */
static unsigned long long
inflightOf(const State *s)
{
    unsigned long long sum = 0;

    for (size_t i = 0; i < s->n; i++) {
        const abPolicyGuest *g = &s->guests[i];

        if (g->params.enabled && !g->unresponsive && !oomDeflated(g) && inflating(g))
            sum += g->actualKiB - g->targetKiB;
    }
    return sum;
}

/* The target guest pressure must lead to, or 0 when it must not grow. */
static unsigned long long
growTarget(const State *s, const abPolicyGuest *g)
{
    long long usable = usableOf(g);
    long long res = (long long)g->params.reserveKiB;
    unsigned long long grow = usable < res ? (unsigned long long)(res - usable) : 0;
    unsigned long long room = ceilingOf(g) - g->targetKiB;

    if (!g->params.enabled || oomAdopts(g) || g->unresponsive || !fresh(s, g) ||
        g->targetKiB < floorOf(g) || g->targetKiB >= ceilingOf(g) ||
        !underPressure(g) || deflating(g))
        return 0;
    if (baseLevelOf(s, g) == AB_LEVEL_CRITICAL && usable * 2 >= res)
        return 0;
    if (g->prevStats.valid && g->stats.lastUpdate > g->prevStats.lastUpdate) {
        long long before = usedOf(g, &g->prevStats), now = usedOf(g, &g->stats);
        double dt = g->stats.lastUpdate - g->prevStats.lastUpdate;

        if (now > before) {
            /* the working set's growth over two periods */
            double more = (double)(unsigned long long)(now - before) / dt *
                          ((double)AB_POLICY_GROW_HORIZON_PERIODS * g->statsPeriodSec);

            if (more >= (double)room)
                return ceilingOf(g);
            grow += (unsigned long long)more;
        }
    }
    grow = MAX(grow, g->params.stepKiB[AB_LEVEL_LOW]);
    if (grow == 0)
        return 0;
    return grow >= room ? ceilingOf(g) : g->targetKiB + grow;
}

/* Rule 12: what the decision grows (guest pressure) ... */
static unsigned long long
growOf(const State *s)
{
    unsigned long long sum = 0;

    for (size_t i = 0; i < s->n; i++) {
        unsigned long long t = growTarget(s, &s->guests[i]);

        if (t > s->guests[i].targetKiB)
            sum += t - s->guests[i].targetKiB;
    }
    return sum;
}

/* ... and of it, what the room above the host's set point does not
 * cover, when the room is known. */
static unsigned long long
chargeOf(const State *s)
{
    unsigned long long grow = growOf(s);

    if (!s->host.roomKnown)
        return 0;
    return grow > s->host.roomKiB ? grow - s->host.roomKiB : 0;
}

/* Rule 12 at host level none: with a charge to pay, a guest that the
 * first classification left with nothing to do at level none (rule 8) is
 * classified again at level low. Under guest pressure that is one with
 * nothing to grow by (not at its ceiling, not deflating). */
static bool
reclassified(const State *s, const abPolicyGuest *g)
{
    if (s->host.level != AB_LEVEL_NONE || s->chargeKiB == 0 ||
        g->injected != AB_LEVEL_NONE || !g->params.enabled || oomAdopts(g) ||
        g->targetKiB < floorOf(g) || g->targetKiB > ceilingOf(g) ||
        g->unresponsive || !fresh(s, g))
        return false;
    return !underPressure(g) ||
           (g->targetKiB < ceilingOf(g) && !deflating(g) && growTarget(s, g) == 0);
}

static abLevel
levelOf(const State *s, const abPolicyGuest *g)
{
    return reclassified(s, g) ? AB_LEVEL_LOW : baseLevelOf(s, g);
}

static GString *
dumpState(const State *s)
{
    GString *str = g_string_new(NULL);

    g_string_append_printf(str, "host now=%.3f level=%s request=%llu room=%s%llu"
                           " (model: grow %llu, charge %llu)\n", s->host.now,
                           abLevelToString(s->host.level), s->host.requestKiB,
                           s->host.roomKnown ? "" : "unknown ", s->host.roomKiB,
                           growOf(s), s->chargeKiB);
    for (size_t i = 0; i < s->n; i++) {
        const abPolicyGuest *g = &s->guests[i];
        g_string_append_printf(str,
            " guest %zu: en=%d max=%llu floor=%llu ceil=%llu res=%llu step=%llu/%llu/%llu w=%u cd=%u"
            " target=%llu actual=%llu prev=%llu resident=%llu nogain=%d period=%u"
            " stats valid=%d usable=%llu at=%llu upd=%.3f faults=%llu swapin=%llu"
            " prev valid=%d usable=%llu at=%llu upd=%.3f faults=%llu swapin=%llu"
            " inj=%s grow=%.3f unresp=%d\n",
            i, g->params.enabled, g->maxKiB, g->params.floorKiB, g->params.ceilingKiB,
            g->params.reserveKiB, g->params.stepKiB[1], g->params.stepKiB[2],
            g->params.stepKiB[3], g->params.weight, g->params.cooldownSec,
            g->targetKiB, g->actualKiB, g->prevActualKiB, g->residentKiB, g->freesNothing,
            g->statsPeriodSec,
            g->stats.valid, g->stats.usableKiB, g->stats.actualAtKiB, g->stats.lastUpdate,
            g->stats.majorFaults, g->stats.swapIn,
            g->prevStats.valid, g->prevStats.usableKiB, g->prevStats.actualAtKiB,
            g->prevStats.lastUpdate, g->prevStats.majorFaults, g->prevStats.swapIn,
            abLevelToString(g->injected), g->lastGrowTime, g->unresponsive);
    }
    return str;
}

static guint failures;
/* How often the sharing was really put to the test. */
static guint sharedStates, filledStates;
/* How often the newer rules were put to the test. */
enum {
    SEEN_NETTED,        /* in flight lowered what the pool was asked */
    SEEN_IDLE_GIVE,     /* a pool guest inflated its idle part too */
    SEEN_COOLDOWN_GIVE, /* a guest in its cool-down gave what it freed */
    SEEN_RATE_GROW,     /* a guest grew by its rate, beyond step and deficit */
    SEEN_MOVED_STATS,   /* a shrink where the balloon moved since the stats */
    SEEN_LIAR,          /* a decision for a guest reporting usable above actual */
    SEEN_CHARGE_NONE,   /* at level none, the others gave for a grow (rule 12) */
    SEEN_CHARGE_LEVEL,  /* at low and up, the charge raised what the pool freed */
    SEEN_ROOM_COVERED,  /* a grow the known room covered: no charge */
    SEEN_LAST
};
static guint seen[SEEN_LAST];
static const char *seenNames[SEEN_LAST] = {
    "netted", "idle-give", "cooldown-give", "rate-grow", "moved-stats", "liar",
    "charge-none", "charge-level", "room-covered",
};

#define CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            g_autoptr(GString) dump_ = dumpState(s); \
            g_autofree char *msg_ = g_strdup_printf(__VA_ARGS__); \
            if (failures++ < 5) \
                g_test_message("seed %u iteration %u: %s: %s\n%s", seed, it, \
                               #cond, msg_, dump_->str); \
            return; \
        } \
    } while (0)

static void
checkGuest(const State *s, guint it, size_t i, const abPolicyDecision *d)
{
    const abPolicyGuest *g = &s->guests[i];
    unsigned long long floorKiB = floorOf(g);
    unsigned long long ceilingKiB = ceilingOf(g);
    abLevel l = levelOf(s, g);
    const char *why = abPolicyReasonToString(d->reason);
    long long used = usedOf(g, &g->stats);

    CHECK(d->reason < AB_POLICY_REASON_LAST, "guest %zu reason %d", i, d->reason);
    CHECK(d->level == l, "guest %zu level %d", i, d->level);
    CHECK(d->changed == (d->targetKiB != g->targetKiB), "guest %zu changed", i);

    if (g->stats.valid && g->stats.usableKiB > g->actualKiB && fresh(s, g))
        seen[SEEN_LIAR]++;
    if (!g->params.enabled) {
        CHECK(d->reason == AB_POLICY_REASON_DISABLED && !d->changed,
              "disabled guest %zu: %s", i, why);
        return;
    }
    CHECK(d->targetKiB >= floorKiB && d->targetKiB <= ceilingKiB,
          "guest %zu target %llu outside [%llu, %llu] (%s)", i, d->targetKiB,
          floorKiB, ceilingKiB, why);
    CHECK(d->grew == (d->changed && (d->reason == AB_POLICY_REASON_GUEST_PRESSURE ||
                                     d->reason == AB_POLICY_REASON_OOM_DEFLATE)),
          "guest %zu grew flag (%s)", i, why);

    if (d->targetKiB < g->targetKiB) {
        unsigned long long taken = g->targetKiB - d->targetKiB;

        if (d->reason == AB_POLICY_REASON_CLAMPED) {
            CHECK(g->targetKiB > ceilingKiB && d->targetKiB == ceilingKiB,
                  "guest %zu clamped down without cause", i);
            return;
        }
        CHECK(d->reason == AB_POLICY_REASON_HOST_PRESSURE ||
              d->reason == AB_POLICY_REASON_INJECTED, "guest %zu shrunk as %s", i, why);
        CHECK(d->level >= AB_LEVEL_LOW, "guest %zu shrunk without pressure", i);
        /* rule 12: at host level none only for a charge, at level low */
        if (s->host.level == AB_LEVEL_NONE && d->reason == AB_POLICY_REASON_HOST_PRESSURE)
            CHECK(s->chargeKiB > 0 && d->level == AB_LEVEL_LOW,
                  "guest %zu shrunk at host level none (charge %llu, level %s)", i,
                  s->chargeKiB, abLevelToString(d->level));
        CHECK(fresh(s, g), "guest %zu shrunk on stale stats", i);
        CHECK(!g->unresponsive, "guest %zu shrunk while stuck", i);
        CHECK(!underPressure(g), "guest %zu shrunk under guest pressure", i);
        CHECK(!oomAdopts(g), "guest %zu shrunk after deflating on OOM", i);
        CHECK(!deflating(g) || l == AB_LEVEL_CRITICAL,
              "guest %zu shrunk below critical while its grow has not landed", i);
        /* never into the reserve: what it used when the stats were new,
         * plus the reserve (two of them in a cool-down below medium) */
        CHECK((long long)d->targetKiB >= used + (long long)g->params.reserveKiB,
              "guest %zu shrunk into its reserve: %llu < used %lld + %llu", i,
              d->targetKiB, used, g->params.reserveKiB);
        if (cooling(s, g) && l < AB_LEVEL_MEDIUM)
            CHECK((long long)d->targetKiB >= used + 2 * (long long)g->params.reserveKiB,
                  "guest %zu in cool-down shrunk below used %lld + 2 x %llu: %llu", i,
                  used, g->params.reserveKiB, d->targetKiB);
        if (cooling(s, g) && l < AB_LEVEL_MEDIUM)
            seen[SEEN_COOLDOWN_GIVE]++;
        if (g->stats.actualAtKiB > 0 && g->stats.actualAtKiB != g->actualKiB)
            seen[SEEN_MOVED_STATS]++;
        CHECK(taken <= capOf(g, reserveFor(s, g)), "guest %zu gave %llu > cap %llu", i,
              taken, capOf(g, reserveFor(s, g)));
        if (d->reason == AB_POLICY_REASON_INJECTED) {
            CHECK(g->injected > s->host.level, "guest %zu injected reason", i);
            CHECK(!inflating(g), "guest %zu given another injected step while inflating", i);
            CHECK(l == AB_LEVEL_CRITICAL || taken <= g->params.stepKiB[l],
                  "guest %zu gave %llu > its injected step", i, taken);
        } else {
            CHECK(g->injected <= s->host.level, "guest %zu host reason", i);
        }
    } else if (d->targetKiB > g->targetKiB) {
        switch (d->reason) {
        case AB_POLICY_REASON_GUEST_PRESSURE:
            CHECK(fresh(s, g) && !g->unresponsive && underPressure(g),
                  "guest %zu grew without guest pressure", i);
            CHECK(!deflating(g), "guest %zu grew again before its last grow landed", i);
            CHECK(l != AB_LEVEL_CRITICAL || usableOf(g) * 2 < (long long)g->params.reserveKiB,
                  "guest %zu grew under critical without severe pressure", i);
            CHECK(d->targetKiB == growTarget(s, g), "guest %zu grew to %llu, not %llu", i,
                  d->targetKiB, growTarget(s, g));
            if (d->targetKiB - g->targetKiB >
                MAX(g->params.stepKiB[AB_LEVEL_LOW],
                    (unsigned long long)MAX((long long)g->params.reserveKiB - usableOf(g), 0)))
                seen[SEEN_RATE_GROW]++;
            break;
        case AB_POLICY_REASON_OOM_DEFLATE:
            CHECK(oomDeflated(g), "guest %zu OOM reason without OOM deflate", i);
            CHECK(d->targetKiB <= MAX(g->actualKiB, floorKiB), "guest %zu beyond actual", i);
            break;
        case AB_POLICY_REASON_CLAMPED:
            CHECK(g->targetKiB < floorKiB && d->targetKiB == floorKiB,
                  "guest %zu clamped up without cause", i);
            break;
        default:
            CHECK(false, "guest %zu grew as %s", i, why);
        }
    } else {
        CHECK(d->reason != AB_POLICY_REASON_HOST_PRESSURE &&
              d->reason != AB_POLICY_REASON_INJECTED &&
              d->reason != AB_POLICY_REASON_GUEST_PRESSURE &&
              d->reason != AB_POLICY_REASON_CLAMPED,
              "guest %zu unchanged but %s", i, why);
    }

    if (l == AB_LEVEL_NONE) {
        CHECK(d->targetKiB >= g->targetKiB || d->reason == AB_POLICY_REASON_CLAMPED,
              "guest %zu shrunk at level none", i);
        CHECK(d->reason != AB_POLICY_REASON_AT_FLOOR && d->reason != AB_POLICY_REASON_COOLDOWN &&
              d->reason != AB_POLICY_REASON_NO_GAIN,
              "guest %zu: %s at level none", i, why);
    }

    /* Not only safe but live: what the rules call for happens. */
    if (oomAdopts(g)) {
        CHECK(d->reason == AB_POLICY_REASON_OOM_DEFLATE && d->targetKiB == oomTarget(g),
              "guest %zu deflated on OOM, got %s %llu", i, why, d->targetKiB);
        return;
    }
    if (growTarget(s, g)) {
        CHECK(d->reason == AB_POLICY_REASON_GUEST_PRESSURE && d->targetKiB == growTarget(s, g),
              "guest %zu should grow to %llu, got %s %llu", i, growTarget(s, g), why,
              d->targetKiB);
    }
    if (mayGive(s, g)) {
        unsigned long long cap1 = capOf(g, (long long)g->params.reserveKiB);
        unsigned long long cap = capOf(g, reserveFor(s, g));

        if (cap1 == 0)
            CHECK(d->reason == AB_POLICY_REASON_AT_FLOOR, "guest %zu should be at its "
                  "floor or reserve, got %s", i, why);
        else if (cap == 0)
            CHECK(d->reason == AB_POLICY_REASON_COOLDOWN, "guest %zu should keep its "
                  "working set in its cool-down, got %s", i, why);
        else if (g->injected > s->host.level && inflating(g))
            CHECK(d->reason == AB_POLICY_REASON_PENDING, "guest %zu should wait for its "
                  "injected step, got %s", i, why);
        else if (g->injected <= s->host.level && (setAside(s, g) || idleOf(g, cap) >= cap))
            CHECK(d->reason == AB_POLICY_REASON_NO_GAIN, "guest %zu frees nothing, got %s",
                  i, why);
    }
    if (injectedGive(s, g)) {
        CHECK(d->reason == AB_POLICY_REASON_INJECTED &&
              g->targetKiB - d->targetKiB == injectedGive(s, g),
              "guest %zu should give its injected %llu, got %s %llu", i,
              injectedGive(s, g), why, d->targetKiB);
    }
}

/* The sharing of the host's request: the pool frees exactly
 * R = min(want - in flight, sum of free), want = max(request + charge,
 * steps), at level none the charge alone (no step), at critical without a
 * figure all of it; a guest given f > 0 inflates
 * by f + idle; and every guest below its free gave at least the share of
 * weight x free of every other (within a KiB of rounding each). */
static void
checkPool(const State *s, guint it, const abPolicyDecision *out, unsigned long long total)
{
    unsigned long long hostTaken = 0, injTaken = 0, sumFree = 0, steps = 0, freed = 0;
    unsigned long long want, inflight = inflightOf(s), request;
    unsigned long long f[MAX_GUESTS] = { 0 }, freeKiB[MAX_GUESTS] = { 0 };
    double key[MAX_GUESTS] = { 0 };
    bool pool[MAX_GUESTS] = { 0 };

    for (size_t i = 0; i < s->n; i++) {
        const abPolicyGuest *g = &s->guests[i];

        if (out[i].targetKiB >= g->targetKiB)
            continue;
        if (out[i].reason == AB_POLICY_REASON_HOST_PRESSURE)
            hostTaken += g->targetKiB - out[i].targetKiB;
        else if (out[i].reason == AB_POLICY_REASON_INJECTED)
            injTaken += g->targetKiB - out[i].targetKiB;
    }
    CHECK(total == hostTaken + injTaken, "total %llu != %llu + %llu", total,
          hostTaken, injTaken);
    if (s->host.level == AB_LEVEL_NONE && s->chargeKiB == 0)
        CHECK(hostTaken == 0, "host took %llu at level none, no charge", hostTaken);
    if (s->host.roomKnown && growOf(s) > 0 && s->chargeKiB == 0)
        seen[SEEN_ROOM_COVERED]++;

    for (size_t i = 0; i < s->n; i++) {
        const abPolicyGuest *g = &s->guests[i];
        unsigned long long cap, idle, give;

        if (!inPool(s, g)) {
            CHECK(out[i].reason != AB_POLICY_REASON_HOST_PRESSURE,
                  "guest %zu outside the pool shrunk for the host", i);
            continue;
        }
        pool[i] = true;
        CHECK(out[i].reason == AB_POLICY_REASON_HOST_PRESSURE ||
              out[i].reason == AB_POLICY_REASON_NONE,
              "pool guest %zu: %s", i, abPolicyReasonToString(out[i].reason));
        cap = capOf(g, reserveFor(s, g));
        idle = idleOf(g, cap);
        freeKiB[i] = cap - idle;
        give = g->targetKiB - out[i].targetKiB;
        if (give > 0) {
            CHECK(give > idle && give - idle <= freeKiB[i],
                  "guest %zu inflated %llu: not its idle %llu + 1..%llu", i, give, idle,
                  freeKiB[i]);
            f[i] = give - idle;
            seen[SEEN_IDLE_GIVE] += idle > 0;
        }
        CHECK((give == 0) == (out[i].reason == AB_POLICY_REASON_NONE),
              "pool guest %zu gave %llu as %s", i, give, abPolicyReasonToString(out[i].reason));
        key[i] = (double)g->params.weight * (double)freeKiB[i];
        sumFree += freeKiB[i];
        freed += f[i];
        steps += g->params.stepKiB[s->host.level];
    }

    if (s->host.level == AB_LEVEL_CRITICAL && s->host.requestKiB == 0)
        request = sumFree;
    else {
        unsigned long long uncharged;

        want = s->host.level == AB_LEVEL_NONE ? s->chargeKiB
                                               : MAX(s->host.requestKiB + s->chargeKiB, steps);
        request = MIN(want > inflight ? want - inflight : 0, sumFree);
        seen[SEEN_NETTED] += inflight > 0 && sumFree > 0 && MIN(want, sumFree) > request;
        uncharged = MAX(s->host.requestKiB, steps);
        uncharged = MIN(uncharged > inflight ? uncharged - inflight : 0, sumFree);
        seen[SEEN_CHARGE_NONE] += s->host.level == AB_LEVEL_NONE && request > 0;
        seen[SEEN_CHARGE_LEVEL] += s->host.level > AB_LEVEL_NONE && request > uncharged;
    }
    CHECK(freed == request, "pool freed %llu, want %llu (request %llu, steps %llu, "
          "in flight %llu, free %llu)", freed, request, s->host.requestKiB, steps,
          inflight, sumFree);

    {
        guint npool = 0, nfull = 0;

        for (size_t i = 0; i < s->n; i++) {
            npool += pool[i];
            nfull += pool[i] && f[i] == freeKiB[i];
        }
        if (npool >= 2 && request < sumFree) {
            sharedStates++;
            if (nfull > 0 && nfull < npool)
                filledStates++;
        }
    }

    for (size_t i = 0; i < s->n; i++) {
        if (!pool[i] || f[i] >= freeKiB[i])
            continue;
        for (size_t j = 0; j < s->n; j++) {
            if (!pool[j] || f[j] < 1)
                continue;
            CHECK(((double)f[j] - 1) * key[i] <= ((double)f[i] + 1) * key[j] * (1 + 1e-9),
                  "guest %zu freed %llu below its share against guest %zu's %llu",
                  i, f[i], j, f[j]);
        }
    }
}

static void
checkState(const State *s, guint it)
{
    abPolicyDecision out[MAX_GUESTS], again[MAX_GUESTS], rev[MAX_GUESTS];
    State copy = *s, reversed = *s;
    unsigned long long total, total2, totalRev;
    unsigned long long freed = 0, freedRev = 0, idleA = 0, idleB = 0;

    total = abPolicyDecide(&s->host, s->guests, s->n, out);
    for (size_t i = 0; i < s->n; i++)
        checkGuest(s, it, i, &out[i]);
    checkPool(s, it, out, total);

    /* identical input, identical output */
    total2 = abPolicyDecide(&copy.host, copy.guests, copy.n, again);
    CHECK(total2 == total, "total %llu then %llu", total, total2);
    for (size_t i = 0; i < s->n; i++) {
        CHECK(again[i].targetKiB == out[i].targetKiB && again[i].reason == out[i].reason &&
              again[i].changed == out[i].changed && again[i].grew == out[i].grew &&
              again[i].level == out[i].level, "guest %zu differs on a second run", i);
    }

    /* Another order moves only rounding remainders of what pool guests
     * free: the sum is the same, each moves by at most a KiB per pool
     * guest, and guests outside the pool get the same decision. (A pool
     * guest whose share moves between 0 and 1 KiB also inflates its idle
     * part or not, so targets and the total can move by that.) */
    for (size_t i = 0; i < s->n; i++)
        reversed.guests[i] = s->guests[s->n - 1 - i];
    totalRev = abPolicyDecide(&reversed.host, reversed.guests, reversed.n, rev);
    for (size_t i = 0; i < s->n; i++) {
        const abPolicyGuest *g = &s->guests[i];
        const abPolicyDecision *r = &rev[s->n - 1 - i];
        unsigned long long idle = inPool(s, g) ? idleOf(g, capOf(g, reserveFor(s, g))) : 0;
        unsigned long long a = g->targetKiB - MIN(g->targetKiB, out[i].targetKiB);
        unsigned long long b = g->targetKiB - MIN(g->targetKiB, r->targetKiB);
        unsigned long long d;

        if (!inPool(s, g)) {
            CHECK(r->targetKiB == out[i].targetKiB && r->reason == out[i].reason,
                  "guest %zu outside the pool depends on order", i);
            continue;
        }
        a = a > idle ? a - idle : 0;
        b = b > idle ? b - idle : 0;
        d = a > b ? a - b : b - a;
        CHECK(d <= s->n, "guest %zu freed %llu, reversed %llu", i, a, b);
        freed += a;
        freedRev += b;
        idleA += a > 0 ? idle : 0;
        idleB += b > 0 ? idle : 0;
    }
    CHECK(freed == freedRev, "pool freed %llu, reversed %llu", freed, freedRev);
    CHECK(total - idleA == totalRev - idleB, "total %llu (idle %llu), reversed %llu (idle %llu)",
          total, idleA, totalRev, idleB);
}

static void
testProperties(void)
{
    g_autoptr(GRand) r = g_rand_new_with_seed(seed);
    guint counts[AB_POLICY_REASON_LAST] = { 0 };

    for (guint it = 0; it < iters; it++) {
        State s;
        abPolicyDecision out[MAX_GUESTS];

        genState(r, &s);
        checkState(&s, it);
        abPolicyDecide(&s.host, s.guests, s.n, out);
        for (size_t i = 0; i < s.n; i++)
            counts[out[i].reason]++;
    }

    /* A generator that never reaches a rule tests nothing about it. */
    g_test_message("states sharing a request among >= 2 guests: %u, of which "
                   "water-filled (some guests at their cap, not all): %u",
                   sharedStates, filledStates);
    g_assert_cmpuint(sharedStates, >, iters / 50);
    g_assert_cmpuint(filledStates, >, iters / 200);
    for (int i = 0; i < SEEN_LAST; i++) {
        g_test_message("seen %-15s %u", seenNames[i], seen[i]);
        g_assert_cmpuint(seen[i], >, iters / 500);
    }
    for (int i = 0; i < AB_POLICY_REASON_LAST; i++) {
        g_test_message("reason %-15s %u", abPolicyReasonToString(i), counts[i]);
        g_assert_cmpuint(counts[i], >, 0);
    }
    if (failures)
        g_test_message("%u violations; rerun with AB_SEED=%u", failures, seed);
    g_assert_cmpuint(failures, ==, 0);
}

int
main(int argc, char **argv)
{
    const char *env;

    g_test_init(&argc, &argv, NULL);

    if ((env = g_getenv("AB_SEED")) && *env)
        seed = (guint32)g_ascii_strtoull(env, NULL, 0);
    if ((env = g_getenv("AB_PROP_ITERS")) && *env)
        iters = (guint)g_ascii_strtoull(env, NULL, 0);
    g_test_message("AB_SEED=%u AB_PROP_ITERS=%u", seed, iters);

    g_test_add_func("/policy/props/decide", testProperties);
    return g_test_run();
}
