/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table-driven tests of the decision engine, one case per rule of
 * docs/policy.md (the stuck-balloon tracker: test-policy-balloon.c; rule
 * 12, growth charged to the host: test-policy-charge.c). Every expected
 * figure below is worked out by hand from the rules, in the comment beside
 * it; none was copied from a run. The default guest GUEST() and the
 * shorthands: test-policy-table.h.
 */
#include "test-policy-table.h"

static const Case cases[] = {
    /* --- nothing to do, disabled --- */
    { "idle", HOST(), 1, { GUEST() }, { { MiB(3072), R(NONE) } }, 0 },
    { "disabled-critical", HOST(CRITICAL), 1,
      { GUEST(.params.enabled = false) }, { { MiB(3072), R(DISABLED) } }, 0 },
    /* disabled beats clamping: the engine does not touch it at all */
    { "disabled-out-of-range", HOST(LOW), 1,
      { GUEST(.params.enabled = false, .params.ceilingKiB = MiB(2048)) },
      { { MiB(3072), R(DISABLED) } }, 0 },
    { "none-level-ignores-request", HOST(.requestKiB = MiB(100)), 1,
      { GUEST() }, { { MiB(3072), R(NONE) } }, 0 },

    /* --- the request: want = max(request, steps of the pool) --- */
    /* no figure: the step is the request, 16 / 64 MiB of the 896 free */
    { "host-low", HOST(LOW), 1, { GUEST() },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    { "host-medium", HOST(MEDIUM), 1, { GUEST() },
      { { MiB(3072 - 64), R(HOST_PRESSURE) } }, MiB(64) },
    /* a 1 MiB request is below the steps (16 + 16): 32 MiB, 16 each */
    { "steps-are-a-floor", HOST(LOW, .requestKiB = MiB(1)), 2, { GUEST(), GUEST() },
      { { MiB(3072 - 16), R(HOST_PRESSURE) }, { MiB(3072 - 16), R(HOST_PRESSURE) } },
      MiB(32) },
    /* 100 MiB is above the steps: 50 each, not one step per guest */
    { "request-above-steps", HOST(LOW, .requestKiB = MiB(100)), 2, { GUEST(), GUEST() },
      { { MiB(3072 - 50), R(HOST_PRESSURE) }, { MiB(3072 - 50), R(HOST_PRESSURE) } },
      MiB(100) },
    /* --- the lead: a host still falling asks for what one second of its
     * fall adds, at most its deficit again --- */
    /* 100 short, falling 64 MiB/s: 100 + 64 = 164 */
    { "falling-host-leads", HOST(LOW, .requestKiB = MiB(100), .fallKiBps = MiB(64)), 1,
      { GUEST() }, { { MiB(3072 - 164), R(HOST_PRESSURE) } }, MiB(164) },
    /* falling 500 MiB/s (a jump, not a ramp): 100 + min(500, 100) = 200 */
    { "lead-at-most-the-deficit", HOST(LOW, .requestKiB = MiB(100), .fallKiBps = MiB(500)),
      1, { GUEST() }, { { MiB(3072 - 200), R(HOST_PRESSURE) } }, MiB(200) },
    /* no figure, no deficit to lead: the step, 16 */
    { "lead-needs-a-deficit", HOST(LOW, .fallKiBps = MiB(64)), 1,
      { GUEST() }, { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    /* request 1024 above the 896 free: all of it, 3072 - 896 = 2176 */
    { "request-above-free", HOST(LOW, .requestKiB = MiB(1024)), 1,
      { GUEST() }, { { MiB(2176), R(HOST_PRESSURE) } }, MiB(896) },
    /* critical, request 0 (PSI): everything the pool frees, 896 + the
     * second guest's min(200 - 128, 2048, 72) = 72 */
    { "critical-no-figure-takes-all", HOST(CRITICAL), 2,
      { GUEST(), GUEST(USABLE(200)) },
      { { MiB(2176), R(HOST_PRESSURE) }, { MiB(3000), R(HOST_PRESSURE) } }, MiB(968) },
    /* critical with a figure: max(100, step 256) = 256, then 600 */
    { "critical-figure-below-step", HOST(CRITICAL, .requestKiB = MiB(100)), 1,
      { GUEST() }, { { MiB(3072 - 256), R(HOST_PRESSURE) } }, MiB(256) },
    { "critical-figure-above-step", HOST(CRITICAL, .requestKiB = MiB(600)), 1,
      { GUEST() }, { { MiB(3072 - 600), R(HOST_PRESSURE) } }, MiB(600) },

    /* --- in flight: actual - target of moving, responsive balloons --- */
    /* A (stale stats, not in the pool) still brings 50 MiB: the pool is
     * asked 200 - 50 = 150 */
    { "inflight-netted", HOST(LOW, .requestKiB = MiB(200)), 2,
      { GUEST(ACTUAL(3122), .stats.lastUpdate = NOW - 100), GUEST() },
      { { MiB(3072), R(STALE_STATS) }, { MiB(3072 - 150), R(HOST_PRESSURE) } }, MiB(150) },
    /* a stuck balloon brings nothing: B gives all 200 */
    { "inflight-stuck-not-counted", HOST(LOW, .requestKiB = MiB(200)), 2,
      { GUEST(ACTUAL(3122), .unresponsive = true), GUEST() },
      { { MiB(3072), R(UNRESPONSIVE) }, { MiB(3072 - 200), R(HOST_PRESSURE) } }, MiB(200) },
    { "inflight-disabled-not-counted", HOST(LOW, .requestKiB = MiB(200)), 2,
      { GUEST(ACTUAL(3122), .params.enabled = false), GUEST() },
      { { MiB(3072), R(DISABLED) }, { MiB(3072 - 200), R(HOST_PRESSURE) } }, MiB(200) },
    /* A deflated on OOM: its target follows it to 2560, nothing of that
     * is coming back to the host, so B gives the whole 100 */
    { "inflight-not-oom-deflate", HOST(LOW, .requestKiB = MiB(100)), 2,
      { GUEST(.targetKiB = MiB(2048), .actualKiB = MiB(2560), .prevActualKiB = MiB(2100)),
        GUEST() },
      { { MiB(2560), R(OOM_DEFLATE) }, { MiB(3072 - 100), R(HOST_PRESSURE) } }, MiB(100) },
    /* still inflating 20 MiB, more than the 16 asked: nothing more */
    { "inflight-covers-request", HOST(LOW), 1, { GUEST(ACTUAL(3092)) },
      { { MiB(3072), R(NONE) } }, 0 },
    /* inflating 4 MiB + 1 KiB (just past the margin): it stays in the
     * pool; its cap is min(896, 2048, 3072 + 896 - actual) = 892 MiB - 1,
     * the request 16 MiB less 4 MiB + 1 in flight = 12 MiB - 1 KiB */
    { "inflating-joins-pool", HOST(LOW), 1,
      { GUEST(.actualKiB = MiB(3076) + 1, .prevActualKiB = MiB(3076) + 1) },
      { { MiB(3072) - (MiB(12) - 1), R(HOST_PRESSURE) } }, MiB(12) - 1 },
    /* exactly at the margin is reached, not in flight: cap
     * min(896, 2048, 3072 + 896 - 3076) = 892, gives 16 */
    { "inflating-at-margin", HOST(LOW), 1, { GUEST(ACTUAL(3076)) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },

    /* --- injected pressure --- */
    { "injected-only", HOST(), 1, { GUEST(.injected = AB_LEVEL_MEDIUM) },
      { { MiB(3072 - 64), R(INJECTED) } }, MiB(64) },
    /* same level as the host, or below: it joins the host pool */
    { "injected-equal-host", HOST(LOW), 1, { GUEST(.injected = AB_LEVEL_LOW) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    { "injected-below-host", HOST(MEDIUM), 1, { GUEST(.injected = AB_LEVEL_LOW) },
      { { MiB(3072 - 64), R(HOST_PRESSURE) } }, MiB(64) },
    /* injected critical: A gives its whole cap 896; B the host's step 16 */
    { "injected-above-host", HOST(LOW), 2,
      { GUEST(.injected = AB_LEVEL_CRITICAL), GUEST() },
      { { MiB(2176), R(INJECTED) }, { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(896 + 16) },
    /* the host's 20 MiB is B's alone; A gives its medium step outside it */
    { "injected-outside-request", HOST(LOW, .requestKiB = MiB(20)), 2,
      { GUEST(.injected = AB_LEVEL_MEDIUM), GUEST() },
      { { MiB(3072 - 64), R(INJECTED) }, { MiB(3072 - 20), R(HOST_PRESSURE) } }, MiB(84) },
    /* still inflating 10 MiB from the last injected step: it waits */
    { "injected-inflating-waits", HOST(), 1,
      { GUEST(.injected = AB_LEVEL_MEDIUM, ACTUAL(3082)) }, { { MiB(3072), R(PENDING) } }, 0 },
    /* at the margin it has arrived: min(64, 892) = 64 */
    { "injected-at-margin", HOST(), 1,
      { GUEST(.injected = AB_LEVEL_MEDIUM, ACTUAL(3076)) },
      { { MiB(3072 - 64), R(INJECTED) } }, MiB(64) },
    /* an injected guest that freed nothing still gives: no-gain is the
     * host pool's rule */
    { "injected-frees-nothing", HOST(), 1,
      { GUEST(.injected = AB_LEVEL_MEDIUM, .freesNothing = true) },
      { { MiB(3072 - 64), R(INJECTED) } }, MiB(64) },

    /* --- sharing: weight x free, water-filling over free --- */
    /* equal free, weights 100:300: 400 MiB split 100:300 */
    { "weights-1-3", HOST(LOW, .requestKiB = MiB(400)), 2,
      { GUEST(.params.weight = 100), GUEST(.params.weight = 300) },
      { { MiB(3072 - 100), R(HOST_PRESSURE) }, { MiB(3072 - 300), R(HOST_PRESSURE) } },
      MiB(400) },
    /* equal weights, free 300 vs 100 MiB: 40 MiB split 30:10 */
    { "shares-by-free", HOST(LOW, .requestKiB = MiB(40)), 2,
      { GUEST(USABLE(128 + 300)), GUEST(USABLE(128 + 100)) },
      { { MiB(3072 - 30), R(HOST_PRESSURE) }, { MiB(3072 - 10), R(HOST_PRESSURE) } },
      MiB(40) },
    /* 400 MiB at keys 100 x 896 : 300 x 64 would give B 70.6 > its free
     * 64 (usable 192): B gives 64, A the other 336 */
    { "water-filling-free", HOST(LOW, .requestKiB = MiB(400)), 2,
      { GUEST(), GUEST(.params.weight = 300, USABLE(192)) },
      { { MiB(3072 - 336), R(HOST_PRESSURE) }, { MiB(3072 - 64), R(HOST_PRESSURE) } },
      MiB(400) },
    /* A is 10 MiB above its floor, weight 1000: 100 x 1000 x 10 /
     * (1000 x 10 + 100 x 896) = 10.04 >= 10, so A gives its 10 and B 90 */
    { "water-filling-floor", HOST(LOW, .requestKiB = MiB(100)), 2,
      { GUEST(AT(1034), .params.weight = 1000), GUEST() },
      { { MiB(1024), R(HOST_PRESSURE) }, { MiB(3072 - 90), R(HOST_PRESSURE) } },
      MiB(100) },
    /* 3 KiB over two equal guests (steps 1 KiB): 1 each rounded down, the
     * last KiB to the first guest */
    { "remainder-two", HOST(LOW, .requestKiB = 3), 2,
      { GUEST(.params.stepKiB[AB_LEVEL_LOW] = 1), GUEST(.params.stepKiB[AB_LEVEL_LOW] = 1) },
      { { MiB(3072) - 2, R(HOST_PRESSURE) }, { MiB(3072) - 1, R(HOST_PRESSURE) } }, 3 },
    /* 10 KiB over three: 3 each, the last KiB to the first */
    { "remainder-three", HOST(LOW, .requestKiB = 10), 3,
      { GUEST(.params.stepKiB[AB_LEVEL_LOW] = 1), GUEST(.params.stepKiB[AB_LEVEL_LOW] = 1),
        GUEST(.params.stepKiB[AB_LEVEL_LOW] = 1) },
      { { MiB(3072) - 4, R(HOST_PRESSURE) }, { MiB(3072) - 3, R(HOST_PRESSURE) },
        { MiB(3072) - 3, R(HOST_PRESSURE) } }, 10 },
    /* 2 KiB over three (no steps): 0 each, the remainder to the first two;
     * the third's share rounded to 0: none */
    { "remainder-share-zero", HOST(LOW, .requestKiB = 2), 3,
      { GUEST(.params.stepKiB[AB_LEVEL_LOW] = 0), GUEST(.params.stepKiB[AB_LEVEL_LOW] = 0),
        GUEST(.params.stepKiB[AB_LEVEL_LOW] = 0) },
      { { MiB(3072) - 1, R(HOST_PRESSURE) }, { MiB(3072) - 1, R(HOST_PRESSURE) },
        { MiB(3072), R(NONE) } }, 2 },

    /* --- residency: the idle part of the cap frees nothing --- */
    /* resident 2572: idle 3072 - 2572 = 500, free 896 - 500 = 396; asked
     * 200, it inflates 200 + 500 */
    { "idle-part", HOST(LOW, .requestKiB = MiB(200)), 1, { GUEST(.residentKiB = MiB(2572)) },
      { { MiB(3072 - 700), R(HOST_PRESSURE) } }, MiB(700) },
    /* asked 1024 it frees its 396 and inflates its whole cap 896 */
    { "idle-part-all-free", HOST(LOW, .requestKiB = MiB(1024)), 1,
      { GUEST(.residentKiB = MiB(2572)) }, { { MiB(2176), R(HOST_PRESSURE) } }, MiB(896) },
    /* resident 2177: idle 895, free 1 MiB: asked 16, it frees 1, inflates
     * 896 */
    { "idle-one-free", HOST(LOW), 1, { GUEST(.residentKiB = MiB(2177)) },
      { { MiB(2176), R(HOST_PRESSURE) } }, MiB(896) },
    /* resident 2176: idle 896 = the cap: no gain */
    { "idle-whole-cap", HOST(LOW), 1, { GUEST(.residentKiB = MiB(2176)) },
      { { MiB(3072), R(NO_GAIN) } }, 0 },
    /* resident 2000: idle 1072 counts as the cap 896: no gain */
    { "idle-above-cap", HOST(CRITICAL), 1, { GUEST(.residentKiB = MiB(2000)) },
      { { MiB(3072), R(NO_GAIN) } }, 0 },
    /* resident above the target: nothing idle */
    { "resident-above-target", HOST(LOW), 1, { GUEST(.residentKiB = MiB(3500)) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    /* A's last inflation freed nothing: not asked; B gives the 100 (steps
     * are those of the pool: B's 16) */
    { "frees-nothing", HOST(LOW, .requestKiB = MiB(100)), 2,
      { GUEST(.freesNothing = true), GUEST() },
      { { MiB(3072), R(NO_GAIN) }, { MiB(3072 - 100), R(HOST_PRESSURE) } }, MiB(100) },
    /* under critical it is asked all the same: 896 */
    { "frees-nothing-critical", HOST(CRITICAL), 1, { GUEST(.freesNothing = true) },
      { { MiB(2176), R(HOST_PRESSURE) } }, MiB(896) },
    /* free 300 (resident 2476, idle 596) and 900 (usable 1028): keys
     * 100 x 300 : 100 x 900, 200 split 50:150; A inflates 50 + 596 */
    { "shares-by-free-idle", HOST(LOW, .requestKiB = MiB(200)), 2,
      { GUEST(.residentKiB = MiB(2476)), GUEST(USABLE(1028)) },
      { { MiB(3072 - 646), R(HOST_PRESSURE) }, { MiB(3072 - 150), R(HOST_PRESSURE) } },
      MiB(796) },
    /* the same at weights 300:100: keys 90000 each, 100:100 */
    { "weights-x-free", HOST(LOW, .requestKiB = MiB(200)), 2,
      { GUEST(.residentKiB = MiB(2476), .params.weight = 300), GUEST(USABLE(1028)) },
      { { MiB(3072 - 696), R(HOST_PRESSURE) }, { MiB(3072 - 100), R(HOST_PRESSURE) } },
      MiB(796) },

    /* --- floor and reserve --- */
    { "at-floor", HOST(CRITICAL), 1, { GUEST(AT(1024)) },
      { { MiB(1024), R(AT_FLOOR) } }, 0 },
    { "near-floor", HOST(LOW), 1, { GUEST(AT(1029)) },
      { { MiB(1024), R(HOST_PRESSURE) } }, MiB(5) },
    /* usable == reserve: no guest pressure (not below), but no spare */
    { "reserve-exact", HOST(CRITICAL), 1, { GUEST(USABLE(128)) },
      { { MiB(3072), R(AT_FLOOR) } }, 0 },
    { "reserve-spare", HOST(CRITICAL), 1, { GUEST(USABLE(138)) },
      { { MiB(3072 - 10), R(HOST_PRESSURE) } }, MiB(10) },
    /* actual 3 MiB above target (within the margin): used 3075 - 138,
     * the new target may not go below used + 128 = 3065: 7 MiB */
    { "reserve-actual-above-target", HOST(CRITICAL), 1, { GUEST(ACTUAL(3075), USABLE(138)) },
      { { MiB(3065), R(HOST_PRESSURE) } }, MiB(7) },
    /* actual 2 MiB below target: the spare 10 still caps it, though
     * used + reserve = 3060 alone would allow 12 */
    { "reserve-actual-below-target", HOST(CRITICAL), 1, { GUEST(ACTUAL(3070), USABLE(138)) },
      { { MiB(3062), R(HOST_PRESSURE) } }, MiB(10) },

    /* --- usable now = actual - (actualAt - usable) --- */
    /* sampled at 3072 with usable 1024 (used 2048), since inflated to
     * 2400: usable 352, cap min(224, 1376, 224): down to used + 128 */
    { "usable-after-inflate", HOST(LOW, .requestKiB = MiB(1024)), 1,
      { GUEST(AT(2400), SAMPLED_AT(3072)) }, { { MiB(2176), R(HOST_PRESSURE) } }, MiB(224) },
    /* the same at 2100: usable 52 < 128: grows by the deficit 76 */
    { "usable-after-inflate-pressure", HOST(), 1, { GUEST(AT(2100), SAMPLED_AT(3072)) },
      { { MiB(2176), R(GUEST_PRESSURE) } }, 0 },
    /* sampled at 2048 with usable 100 (used 1948), since deflated to
     * 3072: usable 1124, no pressure, gives 16 */
    { "usable-after-deflate", HOST(LOW), 1, { GUEST(SAMPLED_AT(2048), USABLE(100)) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },

    /* --- lying guests --- */
    /* usable 1 TiB above actual is not believed: used 0, usable 3072;
     * floor 32, cap min(2944, 3040, 2944): down to its reserve, not to
     * its floor */
    { "liar-usable-above-actual", HOST(CRITICAL), 1,
      { GUEST(.params.floorKiB = MiB(32), USABLE(1024 * 1024)) },
      { { MiB(128), R(HOST_PRESSURE) } }, MiB(2944) },
    /* fault and swap-in counters going backwards: no pressure */
    { "liar-counters-backwards", HOST(LOW), 1,
      { GUEST(.stats.majorFaults = 50, .prevStats.swapIn = 1000) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    /* absurd usable and counters: usable counts as actual (3072), the
     * counters did not rise; it gives down to its own floor 1024 */
    { "liar-absurd-values", HOST(CRITICAL), 1,
      { GUEST(.stats.usableKiB = ULLONG_MAX, .prevStats.usableKiB = ULLONG_MAX,
              .stats.majorFaults = ULLONG_MAX, .prevStats.majorFaults = ULLONG_MAX,
              .stats.swapIn = ULLONG_MAX, .prevStats.swapIn = ULLONG_MAX) },
      { { MiB(1024), R(HOST_PRESSURE) } }, MiB(2048) },
    /* A claims its used grew by 2048 MiB in 1 ms: it grows to its own
     * ceiling 3500 and no further; B gives its 896 to used + reserve */
    { "liar-rate-own-ceiling", HOST(CRITICAL), 2,
      { GUEST(AT(2048), .params.ceilingKiB = MiB(3500), .stats.usableKiB = 0,
              .prevStats.usableKiB = MiB(2048), .prevStats.lastUpdate = NOW - 0.001),
        GUEST() },
      { { MiB(3500), R(GUEST_PRESSURE) }, { MiB(2176), R(HOST_PRESSURE) } }, MiB(896) },
    /* A lies usable 1 TiB at weight 10000; B (at 1100, usable 200, used
     * 900) still stops at max(floor 1024, used + 128 = 1028); A at its
     * floor: 2048 + 72 asked of 4096 */
    { "liar-cannot-push-others", HOST(LOW, .requestKiB = MiB(4096)), 2,
      { GUEST(.params.weight = 10000, USABLE(1024 * 1024)), GUEST(AT(1100), USABLE(200)) },
      { { MiB(1024), R(HOST_PRESSURE) }, { MiB(1028), R(HOST_PRESSURE) } }, MiB(2120) },

    /* --- guest pressure: max(step low, deficit + rate x 2 periods) --- */
    /* usable 64 < reserve 128: grow by max(128 - 64, 16) = 64 */
    { "guest-reserve", HOST(), 1, { GUEST(USABLE(64)) },
      { { MiB(3072 + 64), R(GUEST_PRESSURE) } }, 0 },
    /* usable 120: max(8, 16) = 16 */
    { "guest-reserve-small", HOST(), 1, { GUEST(USABLE(120)) },
      { { MiB(3072 + 16), R(GUEST_PRESSURE) } }, 0 },
    /* faults rising, usable fine: the low step; and no shrinking */
    { "guest-faults", HOST(LOW), 1, { GUEST(.stats.majorFaults = 150) },
      { { MiB(3072 + 16), R(GUEST_PRESSURE) } }, 0 },
    { "guest-swapin", HOST(MEDIUM), 1, { GUEST(.stats.swapIn = 10) },
      { { MiB(3072 + 16), R(GUEST_PRESSURE) } }, 0 },
    /* zero low step and no deficit or growth: nothing to grow by, and it
     * is still not asked to give */
    { "guest-faults-zero-step", HOST(LOW), 1,
      { GUEST(.params.stepKiB[AB_LEVEL_LOW] = 0, .stats.majorFaults = 150) },
      { { MiB(3072), R(NONE) } }, 0 },
    /* no previous stats: a fault count alone says nothing */
    { "faults-without-prev", HOST(), 1,
      { GUEST(.stats.majorFaults = 150, .prevStats.valid = false) },
      { { MiB(3072), R(NONE) } }, 0 },
    /* at 2048, used 2048 - 576 = 1472 then 2048 - 64 = 1984: 512 MiB in
     * 2 s, 256 MiB/s x 4 s = 1024, plus the deficit 64 */
    { "grow-rate", HOST(), 1,
      { GUEST(AT(2048), .stats.usableKiB = MiB(64), .prevStats.usableKiB = MiB(576)) },
      { { MiB(2048 + 1088), R(GUEST_PRESSURE) } }, 0 },
    /* the same with <memory> unknown (maxKiB 0): the ceiling bounds */
    { "grow-rate-max-unknown", HOST(), 1,
      { GUEST(AT(2048), .maxKiB = 0, .stats.usableKiB = MiB(64), .prevStats.usableKiB = MiB(576)) },
      { { MiB(2048 + 1088), R(GUEST_PRESSURE) } }, 0 },
    /* faults, usable 1000 then 600 (no deficit): 400 MiB / 2 s x 4 s */
    { "grow-rate-faults", HOST(), 1,
      { GUEST(AT(2048), .stats.majorFaults = 150, .stats.usableKiB = MiB(600),
              .prevStats.usableKiB = MiB(1000)) },
      { { MiB(2048 + 800), R(GUEST_PRESSURE) } }, 0 },
    /* period 5: 100 MiB in 5 s = 20 MiB/s x 10 s = 200, plus 64 */
    { "grow-rate-period", HOST(), 1,
      { GUEST(AT(2048), .statsPeriodSec = 5, .stats.usableKiB = MiB(64),
              .prevStats.usableKiB = MiB(164), .prevStats.lastUpdate = NOW - 5) },
      { { MiB(2048 + 264), R(GUEST_PRESSURE) } }, 0 },
    /* samples with the same time: no rate, the deficit 64 alone */
    { "grow-rate-same-time", HOST(), 1,
      { GUEST(AT(2048), .stats.usableKiB = MiB(64), .prevStats.usableKiB = MiB(576),
              .prevStats.lastUpdate = NOW) },
      { { MiB(2048 + 64), R(GUEST_PRESSURE) } }, 0 },
    /* used fell (usable 32 then 64): no rate */
    { "grow-rate-used-fell", HOST(), 1,
      { GUEST(AT(2048), .stats.usableKiB = MiB(64), .prevStats.usableKiB = MiB(32)) },
      { { MiB(2048 + 64), R(GUEST_PRESSURE) } }, 0 },
    /* each sample's used from its own actualAt: 2048 - 576 = 1472, then
     * 2100 - 64 = 2036: 564 MiB / 2 s x 4 s = 1128, plus 128 - 64 */
    { "grow-rate-actual-at", HOST(), 1,
      { GUEST(AT(2100), .stats.actualAtKiB = MiB(2100), .stats.usableKiB = MiB(64),
              .prevStats.actualAtKiB = MiB(2048), .prevStats.usableKiB = MiB(576)) },
      { { MiB(2100 + 1192), R(GUEST_PRESSURE) } }, 0 },
    { "grow-to-ceiling", HOST(), 1, { GUEST(AT(4086), USABLE(64)) },
      { { MiB(4096), R(GUEST_PRESSURE) } }, 0 },
    { "at-ceiling", HOST(), 1, { GUEST(AT(4096), USABLE(64)) },
      { { MiB(4096), R(AT_CEILING) } }, 0 },
    /* a ceiling above <memory> counts as <memory> */
    { "ceiling-above-max", HOST(), 1,
      { GUEST(AT(4096), .params.ceilingKiB = MiB(8192), USABLE(64)) },
      { { MiB(4096), R(AT_CEILING) } }, 0 },

    /* --- critical --- */
    /* usable 100: below the reserve, not below half of it */
    { "critical-hold", HOST(CRITICAL), 1, { GUEST(USABLE(100)) },
      { { MiB(3072), R(CRITICAL_HOLD) } }, 0 },
    /* usable 50 < 64: grows by 128 - 50 = 78 */
    { "critical-severe", HOST(CRITICAL), 1, { GUEST(USABLE(50)) },
      { { MiB(3072 + 78), R(GUEST_PRESSURE) } }, 0 },
    /* an odd reserve of 129 KiB: half is 64.5, so usable 64 KiB is below
     * it (grows by 129 - 64 = 65 KiB, below the 16 MiB low step: 16 MiB)
     * and usable 65 KiB is not */
    { "critical-severe-odd-reserve", HOST(CRITICAL), 1,
      { GUEST(.params.reserveKiB = 129, .stats.usableKiB = 64, .prevStats.usableKiB = 64) },
      { { MiB(3072 + 16), R(GUEST_PRESSURE) } }, 0 },
    { "critical-hold-odd-reserve", HOST(CRITICAL), 1,
      { GUEST(.params.reserveKiB = 129, .stats.usableKiB = 65, .prevStats.usableKiB = 65) },
      { { MiB(3072), R(CRITICAL_HOLD) } }, 0 },
    { "critical-hold-faults", HOST(CRITICAL), 1,
      { GUEST(.stats.majorFaults = 150) }, { { MiB(3072), R(CRITICAL_HOLD) } }, 0 },
    /* an injected critical level holds the same way */
    { "critical-injected-hold", HOST(), 1,
      { GUEST(.injected = AB_LEVEL_CRITICAL, USABLE(100)) },
      { { MiB(3072), R(CRITICAL_HOLD) } }, 0 },

    /* --- cool-down (60 s): two reserves at low, one from medium on --- */
    /* usable 200 (still using what it got): cap with 256 is 0 */
    { "cooldown-working-set", HOST(LOW), 1, { GUEST(GREW(59.5), USABLE(200)) },
      { { MiB(3072), R(COOLDOWN) } }, 0 },
    /* exactly two reserves usable: nothing above them */
    { "cooldown-two-reserves", HOST(LOW), 1, { GUEST(GREW(10), USABLE(256)) },
      { { MiB(3072), R(COOLDOWN) } }, 0 },
    /* one MiB above two reserves: that MiB goes */
    { "cooldown-freed-one", HOST(LOW), 1, { GUEST(GREW(10), USABLE(257)) },
      { { MiB(3071), R(HOST_PRESSURE) } }, MiB(1) },
    /* freed memory after growing (usable 1024): asked 1024, it gives
     * 1024 - 256 = 768, down to used + 2 reserves = 2304 */
    { "cooldown-freed-gives-back", HOST(LOW, .requestKiB = MiB(1024)), 1,
      { GUEST(GREW(10)) }, { { MiB(2304), R(HOST_PRESSURE) } }, MiB(768) },
    /* the cool-down is over at exactly 60 s: one reserve, 72 above it */
    { "cooldown-exact", HOST(LOW), 1, { GUEST(GREW(60), USABLE(200)) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    /* from medium on only the reserve stands: cap 200 - 128 = 72, the
     * medium step 64 of it */
    { "cooldown-medium", HOST(MEDIUM), 1, { GUEST(GREW(1), USABLE(200)) },
      { { MiB(3072 - 64), R(HOST_PRESSURE) } }, MiB(64) },
    /* under critical the cool-down does not apply: 200 - 128 = 72 */
    { "cooldown-critical", HOST(CRITICAL), 1, { GUEST(GREW(1), USABLE(200)) },
      { { MiB(3000), R(HOST_PRESSURE) } }, MiB(72) },
    { "cooldown-injected-low", HOST(), 1,
      { GUEST(GREW(1), USABLE(200), .injected = AB_LEVEL_LOW) },
      { { MiB(3072), R(COOLDOWN) } }, 0 },
    /* injected medium on a quiet host: the cool-down stands (cap with two
     * reserves 0), it does not give what it grew for and grow it back */
    { "cooldown-injected-medium", HOST(), 1,
      { GUEST(GREW(1), USABLE(200), .injected = AB_LEVEL_MEDIUM) },
      { { MiB(3072), R(COOLDOWN) } }, 0 },
    /* with 257 usable, the one MiB above two reserves goes */
    { "cooldown-injected-medium-freed", HOST(), 1,
      { GUEST(GREW(1), USABLE(257), .injected = AB_LEVEL_MEDIUM) },
      { { MiB(3071), R(INJECTED) } }, MiB(1) },
    /* injected medium on a host at medium: only the reserve stands */
    { "cooldown-injected-medium-host-medium", HOST(MEDIUM), 1,
      { GUEST(GREW(1), USABLE(200), .injected = AB_LEVEL_MEDIUM) },
      { { MiB(3072 - 64), R(HOST_PRESSURE) } }, MiB(64) },
    { "cooldown-injected-critical", HOST(), 1,
      { GUEST(GREW(1), USABLE(200), .injected = AB_LEVEL_CRITICAL) },
      { { MiB(3000), R(INJECTED) } }, MiB(72) },
    /* nothing above even one reserve: at-floor, cooling or not */
    { "cooldown-reserve-exact", HOST(LOW), 1, { GUEST(GREW(1), USABLE(128)) },
      { { MiB(3072), R(AT_FLOOR) } }, 0 },
    { "cooldown-grow", HOST(), 1, { GUEST(GREW(1), USABLE(64)) },
      { { MiB(3072 + 64), R(GUEST_PRESSURE) } }, 0 },
    /* A cools down with its working set; the pool is B alone: the 50
     * asked, above its low step 16 */
    { "pool-without-cooldown", HOST(LOW, .requestKiB = MiB(50)), 2,
      { GUEST(GREW(10), USABLE(200)), GUEST() },
      { { MiB(3072), R(COOLDOWN) }, { MiB(3072 - 50), R(HOST_PRESSURE) } }, MiB(50) },

    /* --- stale stats (3 periods of 2 s) --- */
    { "stale-boundary", HOST(LOW), 1, { GUEST(.stats.lastUpdate = NOW - 6) },
      { { MiB(3072 - 16), R(HOST_PRESSURE) } }, MiB(16) },
    { "stale", HOST(LOW), 1, { GUEST(.stats.lastUpdate = NOW - 6.5) },
      { { MiB(3072), R(STALE_STATS) } }, 0 },
    { "stale-no-period", HOST(LOW), 1, { GUEST(.statsPeriodSec = 0) },
      { { MiB(3072), R(STALE_STATS) } }, 0 },
    { "stale-invalid", HOST(LOW), 1, { GUEST(.stats.valid = false) },
      { { MiB(3072), R(STALE_STATS) } }, 0 },
    { "stale-nan", HOST(LOW), 1, { GUEST(.stats.lastUpdate = NAN) },
      { { MiB(3072), R(STALE_STATS) } }, 0 },
    { "stale-no-grow", HOST(), 1, { GUEST(USABLE(50), .stats.lastUpdate = NOW - 100) },
      { { MiB(3072), R(STALE_STATS) } }, 0 },

    /* --- pending (margin 4 MiB) --- */
    /* deflating 72 MiB: a grow that has not landed */
    { "pending-deflate", HOST(LOW), 1, { GUEST(ACTUAL(3000)) },
      { { MiB(3072), R(PENDING) } }, 0 },
    /* under critical it gives: used 3000 - 1024 = 1976, cap
     * min(896, 2048, 3072 + 896 - 3000) = 896 */
    { "pending-deflate-critical", HOST(CRITICAL), 1, { GUEST(ACTUAL(3000)) },
      { { MiB(2176), R(HOST_PRESSURE) } }, MiB(896) },
    { "pending-deflate-injected-critical", HOST(), 1,
      { GUEST(ACTUAL(3000), .injected = AB_LEVEL_CRITICAL) },
      { { MiB(2176), R(INJECTED) } }, MiB(896) },
    { "pending-grow", HOST(), 1, { GUEST(ACTUAL(3000), USABLE(50)) },
      { { MiB(3072), R(PENDING) } }, 0 },

    /* --- deflate on OOM --- */
    { "oom", HOST(CRITICAL), 1,
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
    /* previous actual unknown: not provably an OOM deflate but an
     * inflating balloon, whose 512 MiB in flight covers the 16 asked */
    { "oom-unknown-prev", HOST(LOW), 1,
      { GUEST(.targetKiB = MiB(2048), .actualKiB = MiB(2560), .prevActualKiB = 0) },
      { { MiB(2048), R(NONE) } }, 0 },
    { "oom-not-rising", HOST(), 1,
      { GUEST(.targetKiB = MiB(2048), .actualKiB = MiB(2560), .prevActualKiB = MiB(2560)) },
      { { MiB(2048), R(NONE) } }, 0 },

    /* --- clamping --- */
    { "clamp-ceiling", HOST(), 1, { GUEST(.params.ceilingKiB = MiB(3000)) },
      { { MiB(3000), R(CLAMPED) } }, 0 },
    { "clamp-floor", HOST(CRITICAL), 1, { GUEST(AT(512)) },
      { { MiB(1024), R(CLAMPED) } }, 0 },
    { "clamp-unresponsive", HOST(), 1,
      { GUEST(.params.ceilingKiB = MiB(3000), .unresponsive = true) },
      { { MiB(3000), R(CLAMPED) } }, 0 },
    /* floor 3500 above ceiling 3000: the ceiling wins */
    { "clamp-floor-above-ceiling", HOST(), 1,
      { GUEST(.params.floorKiB = MiB(3500), .params.ceilingKiB = MiB(3000)) },
      { { MiB(3000), R(CLAMPED) } }, 0 },

    /* --- unresponsive --- */
    { "unresponsive", HOST(CRITICAL), 1, { GUEST(.unresponsive = true) },
      { { MiB(3072), R(UNRESPONSIVE) } }, 0 },
    { "unresponsive-no-grow", HOST(), 1, { GUEST(.unresponsive = true, USABLE(50)) },
      { { MiB(3072), R(UNRESPONSIVE) } }, 0 },
};


/* In flight: actual - target of enabled, responsive balloons more than
 * the margin above their target and not deflating on OOM. */
static void
testInflight(void)
{
    abPolicyGuest guests[] = {
        GUEST(ACTUAL(3092)),                         /* 20 MiB */
        GUEST(.actualKiB = MiB(3076) + 1, .prevActualKiB = MiB(3076) + 1), /* 4 MiB + 1 */
        GUEST(ACTUAL(3076)),                         /* at the margin: 0 */
        GUEST(ACTUAL(3000)),                         /* deflating: 0 */
        GUEST(ACTUAL(3172), .unresponsive = true),   /* stuck: 0 */
        GUEST(ACTUAL(3172), .params.enabled = false),/* disabled: 0 */
        GUEST(ACTUAL(3172), .prevActualKiB = MiB(3000)), /* OOM deflate: 0 */
    };

    g_assert_cmpuint(abPolicyInflight(guests, G_N_ELEMENTS(guests)), ==,
                     MiB(20) + MiB(4) + 1);
    g_assert_cmpuint(abPolicyInflight(guests, 0), ==, 0);
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

/* The fall between two decisions: KiB/s of the distance lost, nothing
 * for a rise, a hold, a clock that went back or a gap too long to mean a
 * rate. */
static void
testHostFall(void)
{
    static const struct {
        long long prev; double prevT; long long pos; double now; unsigned long long fall;
    } falls[] = {
        { MiB(200), 10.0, MiB(72), 12.0, MiB(64) },     /* 128 MiB in 2 s */
        { MiB(50), 10.0, -(long long)MiB(14), 10.5, MiB(128) }, /* across the mark */
        { -(long long)MiB(10), 10.0, -(long long)MiB(40), 11.0, MiB(30) }, /* deeper */
        { MiB(72), 10.0, MiB(200), 12.0, 0 },           /* rose */
        { MiB(72), 10.0, MiB(72), 12.0, 0 },            /* held */
        { MiB(200), 12.0, MiB(72), 12.0, 0 },           /* same instant */
        { MiB(200), 12.0, MiB(72), 11.0, 0 },           /* clock went back */
        { MiB(200), 10.0, MiB(72), 10.0 + AB_POLICY_HOST_FALL_WINDOW_S + 0.1, 0 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(falls); i++)
        g_assert_cmpuint(abPolicyHostFall(falls[i].prev, falls[i].prevT, falls[i].pos,
                                          falls[i].now), ==, falls[i].fall);
}

/* The record between decisions: the first decision has nothing to fall
 * from, a decision without a room figure forgets the record. */
static void
testHostTrend(void)
{
    abPolicyHostTrend t = { 0 };

    /* first: room 200, nothing recorded yet */
    g_assert_cmpuint(abPolicyHostTrendUpdate(&t, true, MiB(200), 0, 10.0), ==, 0);
    /* 2 s later 100 short: 300 MiB lost in 2 s */
    g_assert_cmpuint(abPolicyHostTrendUpdate(&t, true, 0, MiB(100), 12.0), ==, MiB(150));
    g_assert_true(t.known);
    g_assert_cmpint(t.posKiB, ==, -(long long)MiB(100));
    /* no figure: 0 and forgotten, so the next has nothing to fall from */
    g_assert_cmpuint(abPolicyHostTrendUpdate(&t, false, 0, 0, 13.0), ==, 0);
    g_assert_false(t.known);
    g_assert_cmpuint(abPolicyHostTrendUpdate(&t, true, 0, MiB(200), 14.0), ==, 0);
    /* 1 s later 264 short: 64 MiB/s */
    g_assert_cmpuint(abPolicyHostTrendUpdate(&t, true, 0, MiB(264), 15.0), ==, MiB(64));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    AB_TEST_ADD_CASES("/policy/decide", cases, name, testPolicyCase);
    g_test_add_func("/policy/inflight", testInflight);
    g_test_add_func("/policy/host-fall", testHostFall);
    g_test_add_func("/policy/host-trend", testHostTrend);
    g_test_add_func("/policy/levels", testLevels);
    g_test_add_func("/policy/default-floor", testDefaultFloor);
    g_test_add_func("/policy/no-guests", testNoGuests);
    g_test_add_func("/policy/reasons", testReasons);
    return g_test_run();
}
