/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table tests of rule 12 of docs/policy.md, growth charged to the host:
 * what a decision grows (reason guest-pressure) beyond host.roomKiB is
 * asked of the other guests in the same decision. Every expected figure
 * is worked out by hand in the comment beside it; none was copied from a
 * run. The default guest GUEST() (cap 896 MiB, all free, steps
 * 16/64/256): test-policy-table.h.
 *
 * The growing guest of most cases is GROWS: usable 64 below its reserve
 * 128, it grows by max(128 - 64, low step 16) = 64 MiB, 3072 -> 3136
 * (at any level but critical, where 64 x 2 is not below the reserve).
 */
#include "test-policy-table.h"

#define ROOM(x) .roomKnown = true, .roomKiB = MiB(x)
#define GROWS GUEST(USABLE(64))
#define GROWN { MiB(3136), R(GUEST_PRESSURE), L(NONE) }

static const Case cases[] = {
    /* --- no room known: rule 12 does nothing --- */
    /* A grows by 64; B is left at level none, untouched */
    { "room-unknown", HOST(.roomKnown = false, .roomKiB = 0), 2, { GROWS, GUEST() },
      { GROWN, { MiB(3072), R(NONE), L(NONE) } }, 0 },
    /* at low B gives the 100 asked, no charge on top */
    { "room-unknown-low", HOST(LOW, .requestKiB = MiB(100)), 2, { GROWS, GUEST() },
      { { MiB(3136), R(GUEST_PRESSURE), L(LOW) }, { MiB(3072 - 100), R(HOST_PRESSURE), L(LOW) } },
      MiB(100) },

    /* --- level none: the others give min(charge - in flight, free) at low --- */
    /* room 0: charge 64 - 0 = 64; B gives exactly 64 (not 64 + its step 16) */
    { "room-zero", HOST(ROOM(0)), 2, { GROWS, GUEST() },
      { GROWN, { MiB(3072 - 64), R(HOST_PRESSURE), L(LOW) } }, MiB(64) },
    /* B (usable 168) frees min(168 - 128, 2048, 3072 + 40 - 3072) = 40 < 64:
     * all of it */
    { "room-zero-free-short", HOST(ROOM(0)), 2, { GROWS, GUEST(USABLE(168)) },
      { GROWN, { MiB(3072 - 40), R(HOST_PRESSURE), L(LOW) } }, MiB(40) },
    /* room 64 = the grow: charge 0, B is not even classified again */
    { "room-covers", HOST(ROOM(64)), 2, { GROWS, GUEST() },
      { GROWN, { MiB(3072), R(NONE), L(NONE) } }, 0 },
    { "room-above", HOST(ROOM(4096)), 2, { GROWS, GUEST() },
      { GROWN, { MiB(3072), R(NONE), L(NONE) } }, 0 },
    /* room 63: charge 1 MiB, below B's low step 16: B gives 1 */
    { "room-one-short", HOST(ROOM(63)), 2, { GROWS, GUEST() },
      { GROWN, { MiB(3071), R(HOST_PRESSURE), L(LOW) } }, MiB(1) },
    /* room 40: charge 24, below the two steps 32; B (free 896, weight 100)
     * and C (usable 576: free min(448, 2048, 448) = 448, weight 200) have
     * keys 89600 each: 12 MiB each */
    { "room-part-two-givers", HOST(ROOM(40)), 3,
      { GROWS, GUEST(), GUEST(USABLE(576), .params.weight = 200) },
      { GROWN, { MiB(3072 - 12), R(HOST_PRESSURE), L(LOW) },
        { MiB(3072 - 12), R(HOST_PRESSURE), L(LOW) } }, MiB(24) },

    /* --- levels low and up: the charge is added to the request --- */
    /* 100 + 64 */
    { "low-request-plus-charge", HOST(LOW, .requestKiB = MiB(100), ROOM(0)), 2,
      { GROWS, GUEST() },
      { { MiB(3136), R(GUEST_PRESSURE), L(LOW) }, { MiB(3072 - 164), R(HOST_PRESSURE), L(LOW) } },
      MiB(164) },
    /* 100 + (64 - room 24) = 140 */
    { "low-request-plus-charge-room", HOST(LOW, .requestKiB = MiB(100), ROOM(24)), 2,
      { GROWS, GUEST() },
      { { MiB(3136), R(GUEST_PRESSURE), L(LOW) }, { MiB(3072 - 140), R(HOST_PRESSURE), L(LOW) } },
      MiB(140) },
    /* 1 + (64 - 60) = 5 is below the pool's step 16: 16 */
    { "low-steps-floor", HOST(LOW, .requestKiB = MiB(1), ROOM(60)), 2, { GROWS, GUEST() },
      { { MiB(3136), R(GUEST_PRESSURE), L(LOW) }, { MiB(3072 - 16), R(HOST_PRESSURE), L(LOW) } },
      MiB(16) },
    /* critical, request 0: all the pool frees, as without the charge. A
     * (usable 50 < 64, severe) grows by 128 - 50 = 78; B gives its 896,
     * not max(78, step 256) */
    { "critical-no-figure", HOST(CRITICAL, ROOM(0)), 2, { GUEST(USABLE(50)), GUEST() },
      { { MiB(3072 + 78), R(GUEST_PRESSURE), L(CRITICAL) },
        { MiB(2176), R(HOST_PRESSURE), L(CRITICAL) } }, MiB(896) },
    /* critical with a figure: 600 + 78 = 678, above the step 256 */
    { "critical-figure", HOST(CRITICAL, .requestKiB = MiB(600), ROOM(0)), 2,
      { GUEST(USABLE(50)), GUEST() },
      { { MiB(3072 + 78), R(GUEST_PRESSURE), L(CRITICAL) },
        { MiB(3072 - 678), R(HOST_PRESSURE), L(CRITICAL) } }, MiB(678) },

    /* --- in flight --- */
    /* B (stale stats, not asked) still inflates 50 MiB: C gives 64 - 50 */
    { "inflight-nets-charge", HOST(ROOM(0)), 3,
      { GROWS, GUEST(ACTUAL(3122), .stats.lastUpdate = NOW - 100), GUEST() },
      { GROWN, { MiB(3072), R(STALE_STATS), L(NONE) },
        { MiB(3072 - 14), R(HOST_PRESSURE), L(LOW) } }, MiB(14) },
    /* room 20: charge 44, less than the 50 in flight: C is classified at
     * low, but its share is 0 (none) */
    { "inflight-covers-charge", HOST(ROOM(20)), 3,
      { GROWS, GUEST(ACTUAL(3122), .stats.lastUpdate = NOW - 100), GUEST() },
      { GROWN, { MiB(3072), R(STALE_STATS), L(NONE) }, { MiB(3072), R(NONE), L(LOW) } }, 0 },

    /* --- who is classified again: the rules of level low hold --- */
    /* A at 2048, used 2048 - 576 = 1472 then 2048 - 64 = 1984: 256 MiB/s
     * x 4 s + deficit 64 = 1088, to 3136; charge 1088. B grew 10 s ago:
     * it keeps two reserves, min(1024 - 256, 2048, 768) = 768, not the
     * 896 above one */
    { "cooldown-keeps-two-reserves", HOST(ROOM(0)), 2,
      { GUEST(AT(2048), .stats.usableKiB = MiB(64), .prevStats.usableKiB = MiB(576)),
        GUEST(GREW(10)) },
      { GROWN, { MiB(2304), R(HOST_PRESSURE), L(LOW) } }, MiB(768) },
    /* B in its cool-down uses what it grew for (usable 200 < 256) */
    { "cooldown-working-set", HOST(ROOM(0)), 2, { GROWS, GUEST(GREW(10), USABLE(200)) },
      { GROWN, { MiB(3072), R(COOLDOWN), L(LOW) } }, 0 },
    /* B still deflating 72 MiB (a grow that has not landed): pending at
     * low; C's stats are stale: held at none; nobody gives */
    { "pending-stale-hold", HOST(ROOM(0)), 3,
      { GROWS, GUEST(ACTUAL(3000)), GUEST(.stats.lastUpdate = NOW - 100) },
      { GROWN, { MiB(3072), R(PENDING), L(LOW) }, { MiB(3072), R(STALE_STATS), L(NONE) } }, 0 },
    /* B's last inflation freed nothing: no gain at low */
    { "frees-nothing", HOST(ROOM(0)), 2, { GROWS, GUEST(.freesNothing = true) },
      { GROWN, { MiB(3072), R(NO_GAIN), L(LOW) } }, 0 },
    /* B's own injected low step 16, outside the charge; nobody else */
    { "injected-not-charged", HOST(ROOM(0)), 2, { GROWS, GUEST(.injected = AB_LEVEL_LOW) },
      { GROWN, { MiB(3072 - 16), R(INJECTED), L(LOW) } }, MiB(16) },

    /* --- the growing guests themselves never give --- */
    { "grower-alone", HOST(ROOM(0)), 1, { GROWS }, { GROWN }, 0 },
    /* A grows 64, B (faults) its low step 16: C gives 64 + 16 */
    { "growers-charged-to-third", HOST(ROOM(0)), 3,
      { GROWS, GUEST(.stats.majorFaults = 150), GUEST() },
      { GROWN, { MiB(3072 + 16), R(GUEST_PRESSURE), L(NONE) },
        { MiB(3072 - 80), R(HOST_PRESSURE), L(LOW) } }, MiB(80) },
    /* an OOM deflate took its memory already: A's target follows it to
     * 2560, no charge, B untouched */
    { "oom-deflate-not-charged", HOST(ROOM(0)), 2,
      { GUEST(.targetKiB = MiB(2048), .actualKiB = MiB(2560), .prevActualKiB = MiB(2100)),
        GUEST() },
      { { MiB(2560), R(OOM_DEFLATE), L(NONE) }, { MiB(3072), R(NONE), L(NONE) } }, 0 },
};

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    AB_TEST_ADD_CASES("/policy/charge", cases, name, testPolicyCase);
    return g_test_run();
}
