/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-policy-balloon.c: is a balloon doing what it was asked?
 *
 * Two ways to be stuck (docs/policy.md, "Stuck balloons"): inflating far
 * slower than a working balloon while asked for more (a guest that
 * cannot find pages, a driver that gave up), or not moving at all. A
 * stuck balloon's memory is not counted as coming back, the engine sends
 * it nothing, and the caller asks it again after a back-off.
 */
#include "ab-policy.h"

static unsigned long long
abPolicyBalloonDist(unsigned long long a, unsigned long long b)
{
    return a > b ? a - b : b - a;
}

void
abPolicyBalloonAdopt(abPolicyBalloon *b, unsigned long long targetKiB)
{
    double backoff = b->backoffSec;

    *b = (abPolicyBalloon) { .targetKiB = targetKiB, .setTime = -1 };
    b->backoffSec = backoff;
}

void
abPolicyBalloonSet(abPolicyBalloon *b, unsigned long long targetKiB,
                   unsigned long long actualKiB, double now)
{
    /* Asked for more the same way before it arrived: the clocks of the
     * stall keep running, or a balloon asked again at every decision
     * would never be found stuck. */
    bool same = b->setTime >= 0 && !b->unresponsive &&
                (targetKiB < actualKiB) == (b->targetKiB < actualKiB) &&
                abPolicyBalloonDist(b->targetKiB, actualKiB) > AB_POLICY_MOVE_MARGIN_KIB;

    b->targetKiB = targetKiB;
    b->setTime = now;
    b->unresponsive = false;
    if (same)
        return;
    b->winKiB = b->moveKiB = actualKiB;
    b->winTime = b->moveTime = now;
}

static void
abPolicyBalloonStuck(abPolicyBalloon *b, double now)
{
    b->unresponsive = true;
    if (b->backoffSec <= 0)
        b->backoffSec = AB_POLICY_STUCK_BACKOFF_MIN_S;
    else if (b->backoffSec * 2 < AB_POLICY_STUCK_BACKOFF_MAX_S)
        b->backoffSec *= 2;
    else
        b->backoffSec = AB_POLICY_STUCK_BACKOFF_MAX_S;
    b->retryTime = now + b->backoffSec;
}

abPolicyBalloonEvent
abPolicyBalloonObserve(abPolicyBalloon *b, unsigned long long actualKiB,
                       double now, double stillSec)
{
    unsigned long long dist = abPolicyBalloonDist(b->targetKiB, actualKiB);
    bool moved;

    if (dist <= AB_POLICY_MOVE_MARGIN_KIB) {
        bool was = b->unresponsive;

        b->unresponsive = false;
        b->backoffSec = 0;
        b->moveKiB = b->winKiB = actualKiB;
        b->moveTime = b->winTime = now;
        return was ? AB_POLICY_BALLOON_REACHED : AB_POLICY_BALLOON_NONE;
    }
    /* libvirt's size comes from QEMU's rate-limited balloon-change events:
     * a target adopted at a start or a resync may be a size the balloon
     * was only passing through. Follow it until the caller sets one. */
    if (b->setTime < 0) {
        b->targetKiB = actualKiB;
        return AB_POLICY_BALLOON_FOLLOWED;
    }

    /* toward the target by more than the margin since the last move */
    moved = abPolicyBalloonDist(b->targetKiB, b->moveKiB) >
            dist + AB_POLICY_MOVE_MARGIN_KIB;
    if (moved) {
        b->moveKiB = actualKiB;
        b->moveTime = now;
    }
    if (b->unresponsive) {
        if (!moved)
            return AB_POLICY_BALLOON_NONE;
        b->unresponsive = false;
        b->winKiB = actualKiB;
        b->winTime = now;
        return AB_POLICY_BALLOON_MOVING;
    }

    /* Written so that a NaN time never marks a balloon stuck. */
    if (now - b->moveTime >= stillSec) {
        abPolicyBalloonStuck(b, now);
        return AB_POLICY_BALLOON_STUCK;
    }
    if (actualKiB > b->targetKiB && now - b->winTime >= AB_POLICY_STUCK_RATE_WINDOW_S) {
        double rate = b->winKiB > actualKiB ?
                      (double)(b->winKiB - actualKiB) / (now - b->winTime) : 0;

        if (rate < (double)AB_POLICY_STUCK_RATE_KIB_S) {
            abPolicyBalloonStuck(b, now);
            return AB_POLICY_BALLOON_STUCK;
        }
        b->winKiB = actualKiB;
        b->winTime = now;
    }
    return AB_POLICY_BALLOON_NONE;
}

bool
abPolicyBalloonRetryDue(const abPolicyBalloon *b, double now)
{
    return b->unresponsive && now >= b->retryTime;
}
