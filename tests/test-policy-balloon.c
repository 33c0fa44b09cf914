/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table tests of the stuck-balloon tracker (abPolicyBalloon*, docs/policy.md
 * "Stuck balloons"): each case is a sequence of steps with the expected
 * event, state and back-off, worked out by hand from the rules. */
#include <glib.h>
#include <math.h>
#include "ab-policy.h"
#include "testutils.h"

#define MiB(x) ((unsigned long long)(x) * 1024ULL)

/* --- the stuck-balloon tracker (stillSec 5 s, margin 4 MiB) --- */

typedef enum { END = 0, ADOPT, SET, SEE, DUE } Op;

typedef struct {
    Op op;
    unsigned long long targetKiB;    /* ADOPT, SET; SEE: expected target (0: any) */
    unsigned long long actualKiB;    /* SET, SEE */
    double now;
    abPolicyBalloonEvent event;      /* SEE */
    bool stuck;                      /* SEE: unresponsive after; DUE: retry due */
    double backoffSec;               /* SEE: back-off after */
} Step;

typedef struct {
    const char *name;
    Step steps[20];
} BalloonCase;

#define E(x) AB_POLICY_BALLOON_ ## x
#define S_SET(t, a, n) { SET, MiB(t), MiB(a), n, 0, false, 0 }
#define S_SEE(a, n, ev, st, bo) { SEE, 0, MiB(a), n, E(ev), st, bo }
#define S_SEEK(kib, n, ev, st, bo) { SEE, 0, kib, n, E(ev), st, bo }
#define S_DUE(n, due) { DUE, 0, 0, n, 0, due, 0 }

static const BalloonCase balloonCases[] = {
    /* inflating 2048 <- 3072 at 10 MiB/s: after the 4 s window, 40 MiB
     * in 4 s is below 15 MiB/s: stuck, retried 10 s later */
    { "rate-slow", {
        S_SET(2048, 3072, 0), S_SEE(3062, 1, NONE, false, 0), S_SEE(3052, 2, NONE, false, 0),
        S_SEE(3042, 3, NONE, false, 0), S_SEE(3032, 4, STUCK, true, 10),
        S_DUE(13.9, false), S_DUE(14, true) } },
    /* exactly 15 MiB/s (60 MiB in 4 s) is fast enough, window after window */
    { "rate-at-limit", {
        S_SET(2048, 3072, 0), S_SEE(3057, 1, NONE, false, 0), S_SEE(3027, 3, NONE, false, 0),
        S_SEE(3012, 4, NONE, false, 0), S_SEE(2982, 6, NONE, false, 0),
        S_SEE(2952, 8, NONE, false, 0), S_DUE(100, false) } },
    /* one KiB short of 60 MiB in 4 s: stuck */
    { "rate-just-below", {
        S_SET(2048, 3072, 0), S_SEE(3057, 1, NONE, false, 0), S_SEE(3027, 3, NONE, false, 0),
        S_SEEK(MiB(3012) + 1, 4, STUCK, true, 10) } },
    /* 100 MiB/s for 4 s, then 10 MiB/s: the window restarts at 4, so at
     * 8 the rate is 40 MiB in 4 s, stuck (over 0..8 it would be 55) */
    { "rate-slows-down", {
        S_SET(1024, 3072, 0), S_SEE(2872, 2, NONE, false, 0), S_SEE(2672, 4, NONE, false, 0),
        S_SEE(2662, 5, NONE, false, 0), S_SEE(2642, 7, NONE, false, 0),
        S_SEE(2632, 8, STUCK, true, 10) } },
    /* deflating (no rate rule) and still: stuck at exactly 5 s */
    { "still", {
        S_SET(3072, 2048, 0), S_SEE(2048, 4.9, NONE, false, 0),
        S_SEE(2048, 5, STUCK, true, 10) } },
    /* 4 MiB toward the target is within the margin: not a move */
    { "still-margin", {
        S_SET(3072, 2048, 0), S_SEE(2052, 3, NONE, false, 0),
        S_SEE(2052, 5, STUCK, true, 10) } },
    /* 4 MiB + 1 KiB is a move: the still clock restarts at 3 */
    { "still-moved", {
        S_SET(3072, 2048, 0), S_SEEK(MiB(2052) + 1, 3, NONE, false, 0),
        S_SEEK(MiB(2052) + 1, 7.9, NONE, false, 0),
        S_SEEK(MiB(2052) + 1, 8, STUCK, true, 10) } },
    /* asked for more the same way at 2: the rate window still runs from
     * 0, so at 4 it has brought 0 in 4 s */
    { "reask-same-way-rate", {
        S_SET(2048, 3072, 0), S_SEE(3072, 2, NONE, false, 0), S_SET(1900, 3072, 2),
        S_SEE(3072, 4, STUCK, true, 10) } },
    /* the same for the still clock of a deflating balloon */
    { "reask-same-way-still", {
        S_SET(3072, 2048, 0), S_SEE(2048, 3, NONE, false, 0), S_SET(3500, 2048, 3),
        S_SEE(2048, 5, STUCK, true, 10) } },
    /* asked the other way at 2: new clocks, deflating, still from 2 */
    { "reask-other-way", {
        S_SET(2048, 3072, 0), S_SEE(3072, 2, NONE, false, 0), S_SET(3500, 3072, 2),
        S_SEE(3072, 4, NONE, false, 0), S_SEE(3072, 6.9, NONE, false, 0),
        S_SEE(3072, 7, STUCK, true, 10) } },
    /* the back-off doubles while it stays stuck: 10, 20, 40, 80, 160,
     * then 300 (not 320), 300; each retry is a new set */
    { "backoff", {
        S_SET(3072, 2048, 0), S_SEE(2048, 5, STUCK, true, 10),
        S_SEE(2048, 10, NONE, true, 10), S_DUE(14.9, false), S_DUE(15, true),
        S_SET(3072, 2048, 15), S_SEE(2048, 20, STUCK, true, 20), S_DUE(39.9, false),
        S_SET(3072, 2048, 40), S_SEE(2048, 45, STUCK, true, 40),
        S_SET(3072, 2048, 85), S_SEE(2048, 90, STUCK, true, 80),
        S_SET(3072, 2048, 170), S_SEE(2048, 175, STUCK, true, 160),
        S_SET(3072, 2048, 335), S_SEE(2048, 340, STUCK, true, 300),
        S_SET(3072, 2048, 640), S_SEE(2048, 645, STUCK, true, 300),
        S_DUE(944.9, false), S_DUE(945, true) } },
    /* a stuck balloon that arrives (2 MiB short: within the margin)
     * resets the back-off: stuck again, it waits 10 s, not 20 */
    { "reached-resets", {
        S_SET(3072, 2048, 0), S_SEE(2048, 5, STUCK, true, 10),
        S_SEE(3070, 6, REACHED, false, 0), S_DUE(100, false),
        S_SET(2048, 3070, 7), S_SEE(3070, 11, STUCK, true, 10) } },
    /* a stuck balloon that moves again is no longer stuck but keeps its
     * back-off until it arrives: stuck again, 20 s */
    { "moving-again", {
        S_SET(3072, 2048, 0), S_SEE(2048, 5, STUCK, true, 10),
        S_SEE(2100, 6, MOVING, false, 10), S_SEE(2100, 10.9, NONE, false, 10),
        S_SEE(2100, 11, STUCK, true, 20) } },
    /* a working balloon: 772 MiB in 4 s, then arrives; never stuck */
    { "arrives", {
        S_SET(2048, 3072, 0), S_SEE(2900, 1, NONE, false, 0), S_SEE(2500, 3, NONE, false, 0),
        S_SEE(2300, 4, NONE, false, 0), S_SEE(2050, 5, NONE, false, 0),
        S_SEE(2050, 100, NONE, false, 0), S_DUE(100, false) } },
    /* an adopted target follows the balloon, however long it takes,
     * until one is set */
    { "adopted-follows", {
        { ADOPT, MiB(3072), 0, 0, 0, false, 0 },
        { SEE, MiB(3000), MiB(3000), 1, E(FOLLOWED), false, 0 },
        { SEE, MiB(3000), MiB(3000), 100, E(NONE), false, 0 },
        { SEE, MiB(2900), MiB(2900), 200, E(FOLLOWED), false, 0 },
        S_SET(2048, 2900, 300), S_SEE(2900, 303.9, NONE, false, 0),
        { SEE, MiB(2048), MiB(2900), 304, E(STUCK), true, 10 } } },
    /* a NaN time never marks it stuck, nor makes a retry due; a real
     * time afterwards still does */
    { "nan-time", {
        S_SET(2048, 3072, 0), S_SEE(3072, NAN, NONE, false, 0), S_SEE(3072, NAN, NONE, false, 0),
        S_SEE(3072, 4, STUCK, true, 10), S_DUE(NAN, false), S_SEE(3072, NAN, NONE, true, 10) } },
};

static void
testBalloon(gconstpointer data)
{
    const BalloonCase *c = data;
    abPolicyBalloon b = { 0 };

    abPolicyBalloonAdopt(&b, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(c->steps); i++) {
        const Step *s = &c->steps[i];
        abPolicyBalloonEvent ev;

        switch (s->op) {
        case END:
            return;
        case ADOPT:
            abPolicyBalloonAdopt(&b, s->targetKiB);
            break;
        case SET:
            abPolicyBalloonSet(&b, s->targetKiB, s->actualKiB, s->now);
            break;
        case SEE:
            ev = abPolicyBalloonObserve(&b, s->actualKiB, s->now, AB_POLICY_STUCK_STILL_S);
            if (ev != s->event || b.unresponsive != s->stuck || b.backoffSec != s->backoffSec)
                g_test_message("%s step %zu at %g: event %d stuck %d back-off %g, "
                               "want %d %d %g", c->name, i, s->now, ev, b.unresponsive,
                               b.backoffSec, s->event, s->stuck, s->backoffSec);
            g_assert_cmpint(ev, ==, s->event);
            g_assert_cmpint(b.unresponsive, ==, s->stuck);
            g_assert_cmpfloat(b.backoffSec, ==, s->backoffSec);
            if (ev == AB_POLICY_BALLOON_STUCK)
                g_assert_cmpfloat(b.retryTime, ==, s->now + s->backoffSec);
            if (s->targetKiB)
                g_assert_cmpuint(b.targetKiB, ==, s->targetKiB);
            break;
        case DUE:
            g_assert_cmpint(abPolicyBalloonRetryDue(&b, s->now), ==, s->stuck);
            break;
        }
    }
}


int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    AB_TEST_ADD_CASES("/policy/balloon", balloonCases, name, testBalloon);
    return g_test_run();
}
