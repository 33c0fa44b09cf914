/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-policy-table.h: what the table tests of the decision engine share
 * (test-policy.c, test-policy-charge.c): the default guest, the
 * shorthands that override it, and the runner of one case.
 *
 * The default guest (GUEST() with no overrides): max = ceiling = 4096 MiB,
 * floor 1024 MiB, reserve 128 MiB, steps 16/64/256 MiB, weight 100,
 * cool-down 60 s, target = actual = previous actual = 3072 MiB, fresh
 * stats (period 2 s, taken at NOW, the previous sample at NOW - 2) with
 * usable 1024 MiB in both samples and actualAt unknown (0: actual now),
 * so used = 3072 - 1024 = 2048, usable now 1024, no growth rate, no fault
 * or swap-in since the previous sample; residency unknown. Its cap is
 * min(1024 - 128, 3072 - 1024, 3072 + 896 - 3072) = 896 MiB, all of it
 * free (no idle part).
 */
#pragma once

#include <glib.h>
#include <math.h>
#include "ab-policy.h"
#include "testutils.h"

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
#define LOW .level = AB_LEVEL_LOW
#define MEDIUM .level = AB_LEVEL_MEDIUM
#define CRITICAL .level = AB_LEVEL_CRITICAL

/* A guest whose balloon sits at @t MiB. */
#define AT(t) .targetKiB = MiB(t), .actualKiB = MiB(t), .prevActualKiB = MiB(t)
/* Usable @u MiB in both samples (no growth rate). */
#define USABLE(u) .stats.usableKiB = MiB(u), .prevStats.usableKiB = MiB(u)
/* Both samples taken when the balloon was at @a MiB. */
#define SAMPLED_AT(a) .stats.actualAtKiB = MiB(a), .prevStats.actualAtKiB = MiB(a)
/* A balloon at @a MiB whose target is the default 3072 MiB. */
#define ACTUAL(a) .actualKiB = MiB(a), .prevActualKiB = MiB(a)
/* Grew @s seconds ago. */
#define GREW(s) .lastGrowTime = NOW - (s)

#define R(x) AB_POLICY_REASON_ ## x

typedef struct {
    unsigned long long targetKiB;
    abPolicyReason reason;
    bool checkLevel;                 /* L(): the decision's level is checked */
    abLevel level;
} Expect;

/* The decision's level, where a case checks it. */
#define L(x) true, AB_LEVEL_ ## x

typedef struct {
    const char *name;
    abPolicyHost host;
    size_t n;
    abPolicyGuest guests[3];
    Expect expect[3];
    unsigned long long totalKiB;
} Case;

static void
testPolicyCase(gconstpointer data)
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
        if (c->expect[i].checkLevel)
            g_assert_cmpstr(abLevelToString(out[i].level), ==,
                            abLevelToString(c->expect[i].level));
    }
    g_assert_cmpuint(total, ==, c->totalKiB);
}
