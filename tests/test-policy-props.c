/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Property test of the decision engine: many generated host and guest
 * states, each checked against the invariants of docs/policy.md.
 *
 * The generator is a GRand seeded from AB_SEED (default below) so that any
 * failure is reproduced by running with the seed it prints; AB_PROP_ITERS
 * changes the number of states. Values cluster on the boundaries the rules
 * name (exactly at the cool-down, the stale limit, the margin, the
 * reserve, half the reserve, the floor, the ceiling), where mistakes hide.
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
} State;

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

/* @healthy: a guest that can give (fresh stats, a responsive and settled
 * balloon, no faults, no cool-down), so that the sharing of the request is
 * exercised as often as the reasons to hold. */
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
    switch (g_rand_int_range(r, 0, 7)) {
    case 0: g->stats.usableKiB = reserve; break;
    case 1: g->stats.usableKiB = reserve / 2; break;
    case 2: g->stats.usableKiB = near(r, reserve, MiB(64)); break;
    case 3: g->stats.usableKiB = near(r, reserve / 2, MiB(16)); break;
    default: g->stats.usableKiB = between(r, 0, g->targetKiB); break;
    }
    g->stats.availableKiB = g->actualKiB;
    g->stats.majorFaults = between(r, 0, 1000);
    g->stats.swapIn = between(r, 0, 1000);
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
    g->prevStats.lastUpdate = g->stats.lastUpdate - g->statsPeriodSec;
    if (chance(r, 0.8))
        g->prevStats.majorFaults = g->stats.majorFaults - between(r, 0, g->stats.majorFaults) * chance(r, 0.15);
    if (chance(r, 0.8))
        g->prevStats.swapIn = g->stats.swapIn - between(r, 0, g->stats.swapIn) * chance(r, 0.1);

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
        g->actualKiB = near(r, g->targetKiB, MARGIN);
        g->prevActualKiB = g->actualKiB;
        g->statsPeriodSec = MAX(g->statsPeriodSec, 1);
        g->stats.valid = true;
        g->stats.lastUpdate = now;
        g->stats.usableKiB = reserve + between(r, 0, MiB(2048));
        g->prevStats = g->stats;
        g->injected = chance(r, 0.9) ? AB_LEVEL_NONE : level(r);
        g->lastGrowTime = chance(r, 0.5) ? -1 : now - p->cooldownSec;
        g->unresponsive = false;
    }
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
}

/* --- the rules, stated independently of the engine --- */

static unsigned long long
ceilingOf(const abPolicyGuest *g)
{
    return MIN(g->params.ceilingKiB, g->maxKiB);
}

static unsigned long long
floorOf(const abPolicyGuest *g)
{
    return MIN(g->params.floorKiB, ceilingOf(g));
}

static abLevel
levelOf(const State *s, const abPolicyGuest *g)
{
    return MAX(s->host.level, g->injected);
}

static bool
fresh(const State *s, const abPolicyGuest *g)
{
    return g->stats.valid && g->statsPeriodSec > 0 &&
           s->host.now - g->stats.lastUpdate <= AB_POLICY_STALE_PERIODS * (double)g->statsPeriodSec;
}

static bool
underPressure(const abPolicyGuest *g)
{
    return g->stats.usableKiB < g->params.reserveKiB ||
           (g->prevStats.valid && (g->stats.majorFaults > g->prevStats.majorFaults ||
                                   g->stats.swapIn > g->prevStats.swapIn));
}

static bool
cooling(const State *s, const abPolicyGuest *g)
{
    return g->lastGrowTime >= 0 && s->host.now - g->lastGrowTime < g->params.cooldownSec;
}

static bool
oomDeflated(const abPolicyGuest *g)
{
    return g->prevActualKiB > 0 && g->actualKiB > g->targetKiB + MARGIN &&
           g->actualKiB > g->prevActualKiB + MARGIN;
}

static bool
settled(const abPolicyGuest *g)
{
    unsigned long long d = g->actualKiB > g->targetKiB ? g->actualKiB - g->targetKiB
                                                       : g->targetKiB - g->actualKiB;
    return d <= MARGIN;
}

static long long
spareOf(const abPolicyGuest *g)
{
    return (long long)g->stats.usableKiB - (long long)g->params.reserveKiB;
}

/* The most the rules let @g give at @l (0 when it may not give). */
static unsigned long long
capOf(const abPolicyGuest *g, abLevel l)
{
    long long spare = spareOf(g);
    long long cap = (long long)g->params.stepKiB[l];

    if (spare <= 0 || g->targetKiB <= floorOf(g))
        return 0;
    cap = MIN(cap, spare);
    cap = MIN(cap, (long long)(g->targetKiB - floorOf(g)));
    cap = MIN(cap, (long long)g->targetKiB + spare - (long long)g->actualKiB);
    return cap > 0 ? (unsigned long long)cap : 0;
}

/* Whether the rules let @g give at @l at all, whoever asks. */
static bool
canGive(const State *s, const abPolicyGuest *g, abLevel l)
{
    return g->params.enabled && !oomDeflated(g) &&
           g->targetKiB >= floorOf(g) && g->targetKiB <= ceilingOf(g) &&
           !g->unresponsive && fresh(s, g) && !underPressure(g) &&
           l >= AB_LEVEL_LOW && settled(g) && !cooling(s, g) && capOf(g, l) > 0;
}

/* Whether @g shares the host's request this tick. */
static bool
inPool(const State *s, const abPolicyGuest *g)
{
    return g->injected <= s->host.level && canGive(s, g, s->host.level);
}

/* The target guest pressure must lead to, or 0 when it must not grow. */
static unsigned long long
growTarget(const State *s, const abPolicyGuest *g)
{
    unsigned long long grow = g->params.stepKiB[AB_LEVEL_LOW];

    if (!g->params.enabled || oomDeflated(g) || g->unresponsive || !fresh(s, g) ||
        g->targetKiB < floorOf(g) || g->targetKiB >= ceilingOf(g) ||
        !underPressure(g) || g->actualKiB + MARGIN < g->targetKiB)
        return 0;
    if (levelOf(s, g) == AB_LEVEL_CRITICAL && g->stats.usableKiB * 2 >= g->params.reserveKiB)
        return 0;
    if (g->stats.usableKiB < g->params.reserveKiB)
        grow = MAX(grow, g->params.reserveKiB - g->stats.usableKiB);
    if (grow == 0)
        return 0;
    return MIN(g->targetKiB + grow, ceilingOf(g));
}

static GString *
dumpState(const State *s)
{
    GString *str = g_string_new(NULL);

    g_string_append_printf(str, "host now=%.3f level=%s request=%llu\n", s->host.now,
                           abLevelToString(s->host.level), s->host.requestKiB);
    for (size_t i = 0; i < s->n; i++) {
        const abPolicyGuest *g = &s->guests[i];
        g_string_append_printf(str,
            " guest %zu: en=%d max=%llu floor=%llu ceil=%llu res=%llu step=%llu/%llu/%llu w=%u cd=%u"
            " target=%llu actual=%llu prev=%llu usable=%llu valid=%d upd=%.3f period=%u"
            " faults=%llu/%llu swapin=%llu/%llu pvalid=%d inj=%s grow=%.3f unresp=%d\n",
            i, g->params.enabled, g->maxKiB, g->params.floorKiB, g->params.ceilingKiB,
            g->params.reserveKiB, g->params.stepKiB[1], g->params.stepKiB[2],
            g->params.stepKiB[3], g->params.weight, g->params.cooldownSec,
            g->targetKiB, g->actualKiB, g->prevActualKiB, g->stats.usableKiB,
            g->stats.valid, g->stats.lastUpdate, g->statsPeriodSec,
            g->prevStats.majorFaults, g->stats.majorFaults,
            g->prevStats.swapIn, g->stats.swapIn, g->prevStats.valid,
            abLevelToString(g->injected), g->lastGrowTime, g->unresponsive);
    }
    return str;
}

static guint failures;
/* How often the sharing was really put to the test. */
static guint sharedStates, filledStates;

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

    CHECK(d->reason < AB_POLICY_REASON_LAST, "guest %zu reason %d", i, d->reason);
    CHECK(d->level == l, "guest %zu level %d", i, d->level);
    CHECK(d->changed == (d->targetKiB != g->targetKiB), "guest %zu changed", i);

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
        CHECK(l >= AB_LEVEL_LOW, "guest %zu shrunk without pressure", i);
        CHECK(fresh(s, g), "guest %zu shrunk on stale stats", i);
        CHECK(!g->unresponsive, "guest %zu shrunk while unresponsive", i);
        CHECK(!cooling(s, g), "guest %zu shrunk in cool-down", i);
        CHECK(!underPressure(g), "guest %zu shrunk under guest pressure", i);
        CHECK(!oomDeflated(g), "guest %zu shrunk after deflating on OOM", i);
        CHECK(settled(g), "guest %zu shrunk while its balloon moves", i);
        CHECK(spareOf(g) > 0, "guest %zu shrunk without spare", i);
        CHECK(d->targetKiB + (unsigned long long)spareOf(g) >= g->actualKiB,
              "guest %zu shrunk into its reserve: %llu + %lld < %llu", i,
              d->targetKiB, spareOf(g), g->actualKiB);
        CHECK(taken <= g->params.stepKiB[l], "guest %zu gave %llu > step", i, taken);
        if (d->reason == AB_POLICY_REASON_INJECTED)
            CHECK(g->injected > s->host.level, "guest %zu injected reason", i);
        else
            CHECK(g->injected <= s->host.level, "guest %zu host reason", i);
    } else if (d->targetKiB > g->targetKiB) {
        switch (d->reason) {
        case AB_POLICY_REASON_GUEST_PRESSURE:
            CHECK(fresh(s, g) && !g->unresponsive && underPressure(g),
                  "guest %zu grew without guest pressure", i);
            CHECK(g->actualKiB + MARGIN >= g->targetKiB,
                  "guest %zu grew again before its last grow landed", i);
            CHECK(l != AB_LEVEL_CRITICAL || g->stats.usableKiB * 2 < g->params.reserveKiB,
                  "guest %zu grew under critical without severe pressure", i);
            CHECK(d->targetKiB - g->targetKiB <=
                  MAX(g->params.stepKiB[AB_LEVEL_LOW],
                      g->stats.usableKiB < g->params.reserveKiB ?
                      g->params.reserveKiB - g->stats.usableKiB : 0),
                  "guest %zu grew too much", i);
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
        CHECK(d->reason != AB_POLICY_REASON_AT_FLOOR && d->reason != AB_POLICY_REASON_COOLDOWN,
              "guest %zu: %s at level none", i, why);
    }

    /* Not only safe but live: what the rules call for happens. */
    if (oomDeflated(g) && MAX(MIN(g->actualKiB, ceilingKiB), floorKiB) > g->targetKiB) {
        CHECK(d->reason == AB_POLICY_REASON_OOM_DEFLATE &&
              d->targetKiB == MAX(MIN(g->actualKiB, ceilingKiB), floorKiB),
              "guest %zu deflated on OOM, got %s %llu", i, why, d->targetKiB);
        return;
    }
    if (growTarget(s, g)) {
        CHECK(d->reason == AB_POLICY_REASON_GUEST_PRESSURE && d->targetKiB == growTarget(s, g),
              "guest %zu should grow to %llu, got %s %llu", i, growTarget(s, g), why,
              d->targetKiB);
    }
    if (g->injected > s->host.level && canGive(s, g, g->injected)) {
        CHECK(d->reason == AB_POLICY_REASON_INJECTED &&
              g->targetKiB - d->targetKiB == capOf(g, g->injected),
              "guest %zu should give its injected %llu, got %s %llu", i,
              capOf(g, g->injected), why, d->targetKiB);
    }
}

/* The sharing of the host's request: what is taken stays within the
 * request, the pool gives all it can up to the request (nothing is left
 * on the table), and every guest below its cap gave at least the share of
 * weight x spare of every other (within a KiB of rounding each). */
static void
checkPool(const State *s, guint it, const abPolicyDecision *out, unsigned long long total)
{
    unsigned long long hostTaken = 0, injTaken = 0, caps = 0, steps = 0;
    unsigned long long request;
    unsigned long long give[MAX_GUESTS] = { 0 };
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
    if (s->host.requestKiB > 0)
        CHECK(hostTaken <= s->host.requestKiB, "took %llu > request %llu",
              hostTaken, s->host.requestKiB);
    if (s->host.level == AB_LEVEL_NONE)
        CHECK(hostTaken == 0, "host took %llu at level none", hostTaken);

    for (size_t i = 0; i < s->n; i++) {
        const abPolicyGuest *g = &s->guests[i];

        if (!inPool(s, g)) {
            CHECK(out[i].reason != AB_POLICY_REASON_HOST_PRESSURE,
                  "guest %zu outside the pool shrunk for the host", i);
            continue;
        }
        pool[i] = true;
        CHECK(out[i].reason == AB_POLICY_REASON_HOST_PRESSURE ||
              out[i].reason == AB_POLICY_REASON_NONE,
              "pool guest %zu: %s", i, abPolicyReasonToString(out[i].reason));
        give[i] = g->targetKiB - out[i].targetKiB;
        key[i] = (double)g->params.weight * (double)spareOf(g);
        CHECK(give[i] <= capOf(g, s->host.level), "guest %zu gave %llu over its cap %llu",
              i, give[i], capOf(g, s->host.level));
        caps += capOf(g, s->host.level);
        steps += g->params.stepKiB[s->host.level];
    }

    request = s->host.requestKiB > 0 ? s->host.requestKiB : steps;
    CHECK(hostTaken == MIN(request, caps), "pool gave %llu, want min(%llu, %llu)",
          hostTaken, request, caps);

    {
        guint npool = 0, nfull = 0;

        for (size_t i = 0; i < s->n; i++) {
            npool += pool[i];
            nfull += pool[i] && give[i] == capOf(&s->guests[i], s->host.level);
        }
        if (npool >= 2 && request < caps) {
            sharedStates++;
            if (nfull > 0 && nfull < npool)
                filledStates++;
        }
    }

    for (size_t i = 0; i < s->n; i++) {
        if (!pool[i] || give[i] >= capOf(&s->guests[i], s->host.level))
            continue;
        for (size_t j = 0; j < s->n; j++) {
            if (!pool[j] || give[j] < 1)
                continue;
            CHECK(((double)give[j] - 1) * key[i] <=
                  ((double)give[i] + 1) * key[j] * (1 + 1e-9),
                  "guest %zu gave %llu below its share against guest %zu's %llu",
                  i, give[i], j, give[j]);
        }
    }
}

static void
checkState(const State *s, guint it)
{
    abPolicyDecision out[MAX_GUESTS], again[MAX_GUESTS], rev[MAX_GUESTS];
    State copy = *s, reversed = *s;
    unsigned long long total, total2, totalRev;

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

    /* another order moves only rounding remainders between pool guests */
    for (size_t i = 0; i < s->n; i++)
        reversed.guests[i] = s->guests[s->n - 1 - i];
    totalRev = abPolicyDecide(&reversed.host, reversed.guests, reversed.n, rev);
    CHECK(totalRev == total, "total %llu, reversed %llu", total, totalRev);
    for (size_t i = 0; i < s->n; i++) {
        const abPolicyDecision *r = &rev[s->n - 1 - i];
        unsigned long long d = r->targetKiB > out[i].targetKiB ?
                               r->targetKiB - out[i].targetKiB :
                               out[i].targetKiB - r->targetKiB;

        CHECK(d <= s->n, "guest %zu: %llu, reversed %llu", i, out[i].targetKiB, r->targetKiB);
        if (!inPool(s, &s->guests[i]))
            CHECK(r->reason == out[i].reason, "guest %zu reason depends on order", i);
    }
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
