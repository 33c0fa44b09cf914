/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table-driven tests of the decision engine, one case per rule of
 * docs/policy.md. Every expected figure below is worked out by hand from
 * the rules, in the comment beside it; none was copied from a run.
 *
 * The default guest (GUEST() with no overrides): max = ceiling = 4096 MiB,
 * floor 1024 MiB, reserve 128 MiB, steps 16/64/256 MiB, weight 100,
 * cool-down 60 s, target = actual = previous actual = 3072 MiB, fresh
 * stats (period 2 s, taken at NOW) with usable 1024 MiB, hence
 * spare = 1024 - 128 = 896 MiB, and no fault or swap-in since last tick.
 */
#include <glib.h>
#include "ab-policy.h"

/* The tables override single fields of the default guest with a later
 * designated initializer, which C11 defines to win (6.7.9p19). */
#pragma GCC diagnostic ignored "-Woverride-init"
#if defined(__clang__)
# pragma clang diagnostic ignored "-Winitializer-overrides"
#endif

#define MiB(x) ((unsigned long long)(x) * 1024ULL)
#define NOW 1000.0

#define GUEST(...) { \
    .name = "guest", \
    .params = { \
        .enabled = true, \
        .floorKiB = MiB(1024), \
        .ceilingKiB = MiB(4096), \
        .reserveKiB = MiB(128), \
        .stepKiB = { 0, MiB(16), MiB(64), MiB(256) }, \
        .weight = 100, \
        .cooldownSec = 60, \
    }, \
    .maxKiB = MiB(4096), \
    .targetKiB = MiB(3072), \
    .actualKiB = MiB(3072), \
    .prevActualKiB = MiB(3072), \
    .stats = { .valid = true, .usableKiB = MiB(1024), .majorFaults = 100, \
               .swapIn = 0, .lastUpdate = NOW }, \
    .prevStats = { .valid = true, .usableKiB = MiB(1024), .majorFaults = 100, \
                   .swapIn = 0, .lastUpdate = NOW - 2 }, \
    .statsPeriodSec = 2, \
    .injected = AB_LEVEL_NONE, \
    .lastGrowTime = -1, \
    .unresponsive = false, \
    __VA_ARGS__ }

#define HOST(...) { .now = NOW, .level = AB_LEVEL_NONE, __VA_ARGS__ }

/* A guest whose balloon sits at @t MiB. */
#define AT(t) .targetKiB = MiB(t), .actualKiB = MiB(t), .prevActualKiB = MiB(t)

#define R(x) AB_POLICY_REASON_ ## x

typedef struct {
    unsigned long long targetKiB;
    abPolicyReason reason;
} Expect;

typedef struct {
    const char *name;
    abPolicyHost host;
    size_t n;
    abPolicyGuest guests[3];
    Expect expect[3];
    unsigned long long totalKiB;
} Case;

static const Case cases[] = {
    /* --- nothing to do, disabled --- */
    { "idle", HOST(), 1, { GUEST() }, { { MiB(3072), R(NONE) } }, 0 },
    { "disabled-critical", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.params.enabled = false) }, { { MiB(3072), R(DISABLED) } }, 0 },
    /* disabled beats clamping: the engine does not touch it at all */
    { "disabled-out-of-range", HOST(.level = AB_LEVEL_LOW), 1,
      { GUEST(.params.enabled = false, .params.ceilingKiB = MiB(2048)) },
      { { MiB(3072), R(DISABLED) } }, 0 },
    { "none-level-ignores-request", HOST(.requestKiB = MiB(100)), 1,
      { GUEST() }, { { MiB(3072), R(NONE) } }, 0 },

    /* --- host pressure, one guest: cap = min(step, 896, 2048, 896) --- */
    { "host-low", HOST(.level = AB_LEVEL_LOW), 1, { GUEST() },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    { "host-medium", HOST(.level = AB_LEVEL_MEDIUM), 1, { GUEST() },
      { { MiB(3072 - 64), R(HOST_PRESSURE) } }, MiB(64) },
    { "host-critical", HOST(.level = AB_LEVEL_CRITICAL), 1, { GUEST() },
      { { MiB(3072 - 256), R(HOST_PRESSURE) } }, MiB(256) },
    /* request above the sum of caps: only the cap (16) is taken */
    { "request-above-caps", HOST(.level = AB_LEVEL_LOW, .requestKiB = MiB(1024)), 1,
      { GUEST() }, { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },

    /* --- injected pressure --- */
    { "injected-only", HOST(), 1, { GUEST(.injected = AB_LEVEL_MEDIUM) },
      { { MiB(3072 - 64), R(INJECTED) } }, MiB(64) },
    /* same level as the host: the host alone would have shrunk it */
    { "injected-equal-host", HOST(.level = AB_LEVEL_LOW), 1,
      { GUEST(.injected = AB_LEVEL_LOW) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    { "injected-below-host", HOST(.level = AB_LEVEL_MEDIUM), 1,
      { GUEST(.injected = AB_LEVEL_LOW) },
      { { MiB(3072 - 64), R(HOST_PRESSURE) } }, MiB(64) },
    /* the injected guest gives its own critical step (256), the other the
     * host's low step (16) */
    { "injected-above-host", HOST(.level = AB_LEVEL_LOW), 2,
      { GUEST(.injected = AB_LEVEL_CRITICAL), GUEST() },
      { { MiB(3072 - 256), R(INJECTED) }, { MiB(3072 - 16), R(HOST_PRESSURE) } },
      MiB(256 + 16) },
    /* the host's 1 MiB request is shared by the host pool only (guest B);
     * the injected guest A still gives its own medium step */
    { "injected-outside-request", HOST(.level = AB_LEVEL_LOW, .requestKiB = MiB(1)), 2,
      { GUEST(.injected = AB_LEVEL_MEDIUM), GUEST() },
      { { MiB(3072 - 64), R(INJECTED) }, { MiB(3072 - 1), R(HOST_PRESSURE) } },
      MiB(64 + 1) },

    /* --- sharing the request --- */
    /* equal spare, weights 100:300 -> 40 MiB split 10:30 (caps 64) */
    { "weights-1-3", HOST(.level = AB_LEVEL_MEDIUM, .requestKiB = MiB(40)), 2,
      { GUEST(.params.weight = 100), GUEST(.params.weight = 300) },
      { { MiB(3072 - 10), R(HOST_PRESSURE) }, { MiB(3072 - 30), R(HOST_PRESSURE) } },
      MiB(40) },
    /* equal weights, spare 300 vs 100 MiB -> 40 MiB split 30:10 */
    { "weights-spare", HOST(.level = AB_LEVEL_MEDIUM, .requestKiB = MiB(40)), 2,
      { GUEST(.stats.usableKiB = MiB(128 + 300)), GUEST(.stats.usableKiB = MiB(128 + 100)) },
      { { MiB(3072 - 30), R(HOST_PRESSURE) }, { MiB(3072 - 10), R(HOST_PRESSURE) } },
      MiB(40) },
    /* 100 MiB at 1:3 would be 25:75, but B's cap is its 64 MiB step: B
     * gives 64, A takes the other 36 */
    { "water-filling-step", HOST(.level = AB_LEVEL_MEDIUM, .requestKiB = MiB(100)), 2,
      { GUEST(.params.weight = 100), GUEST(.params.weight = 300) },
      { { MiB(3072 - 36), R(HOST_PRESSURE) }, { MiB(3072 - 64), R(HOST_PRESSURE) } },
      MiB(100) },
    /* 100 MiB at 1:1 would be 50:50, but A is 10 MiB above its floor */
    { "water-filling-floor", HOST(.level = AB_LEVEL_CRITICAL, .requestKiB = MiB(100)), 2,
      { GUEST(AT(1034)), GUEST() },
      { { MiB(1024), R(HOST_PRESSURE) }, { MiB(3072 - 90), R(HOST_PRESSURE) } },
      MiB(100) },
    /* 3 KiB over two equal guests: 1 each rounded down, the last KiB to
     * the first guest */
    { "remainder-two", HOST(.level = AB_LEVEL_LOW, .requestKiB = 3), 2,
      { GUEST(), GUEST() },
      { { MiB(3072) - 2, R(HOST_PRESSURE) }, { MiB(3072) - 1, R(HOST_PRESSURE) } }, 3 },
    /* 10 KiB over three: 3 each, the last KiB to the first */
    { "remainder-three", HOST(.level = AB_LEVEL_LOW, .requestKiB = 10), 3,
      { GUEST(), GUEST(), GUEST() },
      { { MiB(3072) - 4, R(HOST_PRESSURE) }, { MiB(3072) - 3, R(HOST_PRESSURE) },
        { MiB(3072) - 3, R(HOST_PRESSURE) } }, 10 },
    /* A cools down, so B alone serves the 50 MiB (its cap is 64) */
    { "pool-without-cooldown", HOST(.level = AB_LEVEL_MEDIUM, .requestKiB = MiB(50)), 2,
      { GUEST(.lastGrowTime = NOW - 10), GUEST() },
      { { MiB(3072), R(COOLDOWN) }, { MiB(3072 - 50), R(HOST_PRESSURE) } }, MiB(50) },

    /* --- floor and reserve --- */
    { "at-floor", HOST(.level = AB_LEVEL_CRITICAL), 1, { GUEST(AT(1024)) },
      { { MiB(1024), R(AT_FLOOR) } }, 0 },
    { "near-floor", HOST(.level = AB_LEVEL_LOW), 1, { GUEST(AT(1029)) },
      { { MiB(1024), R(HOST_PRESSURE) } }, MiB(5) },
    /* usable == reserve: no guest pressure (not below), but no spare */
    { "reserve-exact", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.stats.usableKiB = MiB(128)) }, { { MiB(3072), R(AT_FLOOR) } }, 0 },
    { "reserve-spare", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.stats.usableKiB = MiB(138)) },
      { { MiB(3072 - 10), R(HOST_PRESSURE) } }, MiB(10) },
    /* actual 3 MiB above target (within the margin): the new target may
     * not go below actual - spare = 3075 - 10, so only 7 MiB */
    { "reserve-actual-above-target", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.actualKiB = MiB(3075), .prevActualKiB = MiB(3075),
              .stats.usableKiB = MiB(138)) },
      { { MiB(3065), R(HOST_PRESSURE) } }, MiB(7) },

    /* actual 2 MiB below target: the reserve still caps it at the spare
     * (10), though actual - spare alone would allow 12 */
    { "reserve-actual-below-target", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.actualKiB = MiB(3070), .prevActualKiB = MiB(3070),
              .stats.usableKiB = MiB(138)) },
      { { MiB(3062), R(HOST_PRESSURE) } }, MiB(10) },
    /* zero low step and enough usable: faults alone cannot grow it, and
     * it is still not asked to give */
    { "guest-faults-zero-step", HOST(.level = AB_LEVEL_LOW), 1,
      { GUEST(.params.stepKiB[AB_LEVEL_LOW] = 0, .stats.majorFaults = 150) },
      { { MiB(3072), R(NONE) } }, 0 },

    /* --- guest pressure and the ceiling --- */
    /* usable 64 < reserve 128: grow by max(128 - 64, 16) = 64 */
    { "guest-reserve", HOST(), 1, { GUEST(.stats.usableKiB = MiB(64)) },
      { { MiB(3072 + 64), R(GUEST_PRESSURE) } }, 0 },
    /* usable 120: max(8, 16) = 16 */
    { "guest-reserve-small", HOST(), 1, { GUEST(.stats.usableKiB = MiB(120)) },
      { { MiB(3072 + 16), R(GUEST_PRESSURE) } }, 0 },
    /* faults rising, usable fine: the low step; and no shrinking */
    { "guest-faults", HOST(.level = AB_LEVEL_LOW), 1, { GUEST(.stats.majorFaults = 150) },
      { { MiB(3072 + 16), R(GUEST_PRESSURE) } }, 0 },
    { "guest-swapin", HOST(.level = AB_LEVEL_MEDIUM), 1, { GUEST(.stats.swapIn = 10) },
      { { MiB(3072 + 16), R(GUEST_PRESSURE) } }, 0 },
    /* no previous stats: a fault count alone says nothing */
    { "faults-without-prev", HOST(), 1,
      { GUEST(.stats.majorFaults = 150, .prevStats.valid = false) },
      { { MiB(3072), R(NONE) } }, 0 },
    { "grow-to-ceiling", HOST(), 1, { GUEST(AT(4086), .stats.usableKiB = MiB(64)) },
      { { MiB(4096), R(GUEST_PRESSURE) } }, 0 },
    { "at-ceiling", HOST(), 1, { GUEST(AT(4096), .stats.usableKiB = MiB(64)) },
      { { MiB(4096), R(AT_CEILING) } }, 0 },
    /* a ceiling above <memory> counts as <memory> */
    { "ceiling-above-max", HOST(), 1,
      { GUEST(AT(4096), .params.ceilingKiB = MiB(8192), .stats.usableKiB = MiB(64)) },
      { { MiB(4096), R(AT_CEILING) } }, 0 },

    /* --- critical --- */
    /* usable 100: below the reserve, not below half of it */
    { "critical-hold", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.stats.usableKiB = MiB(100)) }, { { MiB(3072), R(CRITICAL_HOLD) } }, 0 },
    /* usable 50 < 64: grows by 128 - 50 = 78 */
    { "critical-severe", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.stats.usableKiB = MiB(50)) },
      { { MiB(3072 + 78), R(GUEST_PRESSURE) } }, 0 },
    /* an odd reserve of 129 KiB: half is 64.5, so usable 64 KiB is below
     * it (grows by 129 - 64 = 65 KiB, below the 16 MiB low step: 16 MiB)
     * and usable 65 KiB is not */
    { "critical-severe-odd-reserve", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.params.reserveKiB = 129, .stats.usableKiB = 64) },
      { { MiB(3072 + 16), R(GUEST_PRESSURE) } }, 0 },
    { "critical-hold-odd-reserve", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.params.reserveKiB = 129, .stats.usableKiB = 65) },
      { { MiB(3072), R(CRITICAL_HOLD) } }, 0 },
    { "critical-hold-faults", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.stats.majorFaults = 150) }, { { MiB(3072), R(CRITICAL_HOLD) } }, 0 },
    /* an injected critical level holds the same way */
    { "critical-injected-hold", HOST(), 1,
      { GUEST(.injected = AB_LEVEL_CRITICAL, .stats.usableKiB = MiB(100)) },
      { { MiB(3072), R(CRITICAL_HOLD) } }, 0 },

    /* --- cool-down (60 s) --- */
    { "cooldown", HOST(.level = AB_LEVEL_LOW), 1, { GUEST(.lastGrowTime = NOW - 59.5) },
      { { MiB(3072), R(COOLDOWN) } }, 0 },
    { "cooldown-exact", HOST(.level = AB_LEVEL_LOW), 1, { GUEST(.lastGrowTime = NOW - 60) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    { "cooldown-grow", HOST(), 1,
      { GUEST(.lastGrowTime = NOW - 1, .stats.usableKiB = MiB(64)) },
      { { MiB(3072 + 64), R(GUEST_PRESSURE) } }, 0 },

    /* --- stale stats (3 periods of 2 s) --- */
    { "stale-boundary", HOST(.level = AB_LEVEL_LOW), 1, { GUEST(.stats.lastUpdate = NOW - 6) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    { "stale", HOST(.level = AB_LEVEL_LOW), 1, { GUEST(.stats.lastUpdate = NOW - 6.5) },
      { { MiB(3072), R(STALE_STATS) } }, 0 },
    { "stale-no-period", HOST(.level = AB_LEVEL_LOW), 1, { GUEST(.statsPeriodSec = 0) },
      { { MiB(3072), R(STALE_STATS) } }, 0 },
    { "stale-invalid", HOST(.level = AB_LEVEL_LOW), 1, { GUEST(.stats.valid = false) },
      { { MiB(3072), R(STALE_STATS) } }, 0 },
    { "stale-no-grow", HOST(), 1,
      { GUEST(.stats.usableKiB = MiB(50), .stats.lastUpdate = NOW - 100) },
      { { MiB(3072), R(STALE_STATS) } }, 0 },

    /* --- pending (margin 4 MiB) --- */
    { "pending-inflate", HOST(.level = AB_LEVEL_LOW), 1,
      { GUEST(.actualKiB = MiB(3076) + 1, .prevActualKiB = MiB(3076) + 1) },
      { { MiB(3072), R(PENDING) } }, 0 },
    /* exactly at the margin counts as reached; cap min(16, 3072+896-3076) */
    { "pending-margin", HOST(.level = AB_LEVEL_LOW), 1,
      { GUEST(.actualKiB = MiB(3076), .prevActualKiB = MiB(3076)) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    { "pending-deflate", HOST(.level = AB_LEVEL_LOW), 1,
      { GUEST(.actualKiB = MiB(3000), .prevActualKiB = MiB(3000)) },
      { { MiB(3072), R(PENDING) } }, 0 },
    { "pending-grow", HOST(), 1,
      { GUEST(.actualKiB = MiB(3000), .prevActualKiB = MiB(3000), .stats.usableKiB = MiB(50)) },
      { { MiB(3072), R(PENDING) } }, 0 },

    /* --- deflate on OOM --- */
    { "oom", HOST(.level = AB_LEVEL_CRITICAL), 1,
      { GUEST(.targetKiB = MiB(2048), .actualKiB = MiB(2560), .prevActualKiB = MiB(2100)) },
      { { MiB(2560), R(OOM_DEFLATE) } }, 0 },
    { "oom-no-stats", HOST(), 1,
      { GUEST(.targetKiB = MiB(2048), .actualKiB = MiB(2560), .prevActualKiB = MiB(2100),
              .stats.valid = false) },
      { { MiB(2560), R(OOM_DEFLATE) } }, 0 },
    { "oom-ceiling", HOST(), 1,
      { GUEST(.targetKiB = MiB(2048), .actualKiB = MiB(2560), .prevActualKiB = MiB(2100),
              .params.ceilingKiB = MiB(2400)) },
      { { MiB(2400), R(OOM_DEFLATE) } }, 0 },
    { "oom-unresponsive", HOST(), 1,
      { GUEST(.targetKiB = MiB(2048), .actualKiB = MiB(2560), .prevActualKiB = MiB(2100),
              .unresponsive = true) },
      { { MiB(2560), R(OOM_DEFLATE) } }, 0 },
    /* previous actual unknown: not provably an OOM deflate, just pending */
    { "oom-unknown-prev", HOST(.level = AB_LEVEL_LOW), 1,
      { GUEST(.targetKiB = MiB(2048), .actualKiB = MiB(2560), .prevActualKiB = 0) },
      { { MiB(2048), R(PENDING) } }, 0 },
    { "oom-not-rising", HOST(), 1,
      { GUEST(.targetKiB = MiB(2048), .actualKiB = MiB(2560), .prevActualKiB = MiB(2560)) },
      { { MiB(2048), R(NONE) } }, 0 },

    /* --- clamping --- */
    { "clamp-ceiling", HOST(), 1, { GUEST(.params.ceilingKiB = MiB(3000)) },
      { { MiB(3000), R(CLAMPED) } }, 0 },
    { "clamp-floor", HOST(.level = AB_LEVEL_CRITICAL), 1, { GUEST(AT(512)) },
      { { MiB(1024), R(CLAMPED) } }, 0 },
    { "clamp-unresponsive", HOST(), 1,
      { GUEST(.params.ceilingKiB = MiB(3000), .unresponsive = true) },
      { { MiB(3000), R(CLAMPED) } }, 0 },
    /* floor 3500 above ceiling 3000: the ceiling wins */
    { "clamp-floor-above-ceiling", HOST(), 1,
      { GUEST(.params.floorKiB = MiB(3500), .params.ceilingKiB = MiB(3000)) },
      { { MiB(3000), R(CLAMPED) } }, 0 },

    /* --- unresponsive --- */
    { "unresponsive", HOST(.level = AB_LEVEL_CRITICAL), 1, { GUEST(.unresponsive = true) },
      { { MiB(3072), R(UNRESPONSIVE) } }, 0 },
    { "unresponsive-no-grow", HOST(), 1,
      { GUEST(.unresponsive = true, .stats.usableKiB = MiB(50)) },
      { { MiB(3072), R(UNRESPONSIVE) } }, 0 },
};

static void
testCase(gconstpointer data)
{
    const Case *c = data;
    abPolicyDecision out[G_N_ELEMENTS(c->guests)];
    unsigned long long total;

    total = abPolicyDecide(&c->host, c->guests, c->n, out);

    for (size_t i = 0; i < c->n; i++) {
        const abPolicyGuest *g = &c->guests[i];
        bool grow;

        if (out[i].targetKiB != c->expect[i].targetKiB ||
            out[i].reason != c->expect[i].reason) {
            g_test_message("%s guest %zu: got %llu KiB (%s), want %llu KiB (%s)",
                           c->name, i, out[i].targetKiB,
                           abPolicyReasonToString(out[i].reason),
                           c->expect[i].targetKiB,
                           abPolicyReasonToString(c->expect[i].reason));
        }
        g_assert_cmpuint(out[i].targetKiB, ==, c->expect[i].targetKiB);
        g_assert_cmpstr(abPolicyReasonToString(out[i].reason), ==,
                        abPolicyReasonToString(c->expect[i].reason));
        g_assert_cmpint(out[i].changed, ==, c->expect[i].targetKiB != g->targetKiB);
        grow = c->expect[i].targetKiB > g->targetKiB &&
               (c->expect[i].reason == AB_POLICY_REASON_GUEST_PRESSURE ||
                c->expect[i].reason == AB_POLICY_REASON_OOM_DEFLATE);
        g_assert_cmpint(out[i].grew, ==, grow);
    }
    g_assert_cmpuint(total, ==, c->totalKiB);
}

static void
testLevels(void)
{
    abPolicyHost host = HOST(.level = AB_LEVEL_LOW);
    abPolicyGuest guests[] = {
        GUEST(), GUEST(.injected = AB_LEVEL_CRITICAL), GUEST(.params.enabled = false),
    };
    abPolicyDecision out[G_N_ELEMENTS(guests)];

    abPolicyDecide(&host, guests, G_N_ELEMENTS(guests), out);
    g_assert_cmpint(out[0].level, ==, AB_LEVEL_LOW);
    g_assert_cmpint(out[1].level, ==, AB_LEVEL_CRITICAL);
    g_assert_cmpint(out[2].level, ==, AB_LEVEL_LOW);
}

static void
testNoGuests(void)
{
    abPolicyHost host = HOST(.level = AB_LEVEL_CRITICAL, .requestKiB = MiB(100));

    g_assert_cmpuint(abPolicyDecide(&host, NULL, 0, NULL), ==, 0);
}

static void
testReasons(void)
{
    static const char *names[] = {
        "none", "disabled", "host-pressure", "injected", "guest-pressure",
        "oom-deflate", "cooldown", "at-floor", "at-ceiling", "stale-stats",
        "unresponsive", "pending", "critical-hold", "clamped", "no-gain",
    };

    G_STATIC_ASSERT(G_N_ELEMENTS(names) == AB_POLICY_REASON_LAST);
    for (int i = 0; i < AB_POLICY_REASON_LAST; i++) {
        g_assert_cmpstr(abPolicyReasonToString(i), ==, names[i]);
        g_assert_cmpint(abPolicyReasonFromString(names[i]), ==, i);
    }
    g_assert_null(abPolicyReasonToString(AB_POLICY_REASON_LAST));
    g_assert_cmpint(abPolicyReasonFromString("host_pressure"), ==, -1);
    g_assert_cmpint(abPolicyReasonFromString("Clamped"), ==, -1);
    g_assert_cmpint(abPolicyReasonFromString(""), ==, -1);
    g_assert_cmpint(abPolicyReasonFromString(NULL), ==, -1);
}

/* The default floor is 25 % of the maximum, at least 128 MiB, never above
 * the maximum; exact for sizes that are multiples of 4 KiB. */
static void
testDefaultFloor(void)
{
    static const struct { unsigned long long maxKiB, floorKiB; } floors[] = {
        { 4ULL << 20, 1ULL << 20 },        /* 4 GiB -> 1 GiB */
        { 1ULL << 20, 256ULL << 10 },      /* 1 GiB -> 256 MiB */
        { 1000ULL << 10, 256000 },         /* 1000 MiB -> 250 MiB */
        { 256ULL << 10, 128ULL << 10 },    /* 25 % is 64 MiB: raised to 128 MiB */
        { 100ULL << 10, 100ULL << 10 },    /* below 128 MiB: the maximum */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(floors); i++) {
        abPolicyParams p;
        abPolicyParamsDefaults(&p, floors[i].maxKiB);
        g_assert_cmpuint(p.floorKiB, ==, floors[i].floorKiB);
        g_assert_cmpuint(p.ceilingKiB, ==, floors[i].maxKiB);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/policy/decide/%s", cases[i].name);
        g_test_add_data_func(path, &cases[i], testCase);
    }
    g_test_add_func("/policy/levels", testLevels);
    g_test_add_func("/policy/default-floor", testDefaultFloor);
    g_test_add_func("/policy/no-guests", testNoGuests);
    g_test_add_func("/policy/reasons", testReasons);
    return g_test_run();
}
