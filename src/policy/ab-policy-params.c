/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Defaults of the per-domain policy. docs/policy.md gives the figure behind
 * each one. */
#include "ab-policy.h"

void
abPolicyParamsDefaults(abPolicyParams *params, unsigned long long maxKiB)
{
    /* split so that a huge maximum cannot overflow and 4 GiB gives exactly 1 GiB */
    unsigned long long floorKiB = maxKiB / 100 * AB_POLICY_FLOOR_DEFAULT_PCT +
                                  maxKiB % 100 * AB_POLICY_FLOOR_DEFAULT_PCT / 100;
    unsigned long long reserveKiB;

    if (floorKiB < AB_POLICY_FLOOR_DEFAULT_MIN_KIB)
        floorKiB = AB_POLICY_FLOOR_DEFAULT_MIN_KIB;
    if (floorKiB > maxKiB)
        floorKiB = maxKiB;
    reserveKiB = MAX(maxKiB / AB_POLICY_RESERVE_DEFAULT_DIV, AB_POLICY_RESERVE_DEFAULT_MIN_KIB);

    *params = (abPolicyParams) {
        .enabled = false,
        .floorKiB = floorKiB,
        .ceilingKiB = maxKiB,
        .reserveKiB = reserveKiB,
        .stepKiB = {
            [AB_LEVEL_NONE] = 0,
            [AB_LEVEL_LOW] = AB_POLICY_STEP_LOW_DEFAULT_KIB,
            [AB_LEVEL_MEDIUM] = AB_POLICY_STEP_MEDIUM_DEFAULT_KIB,
            [AB_LEVEL_CRITICAL] = AB_POLICY_STEP_CRITICAL_DEFAULT_KIB,
        },
        .weight = AB_POLICY_WEIGHT_DEFAULT,
        .cooldownSec = AB_POLICY_COOLDOWN_DEFAULT_S,
    };
}
