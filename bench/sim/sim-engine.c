/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sim-engine.c: the engine's own source (src/policy/ab-policy.c), compiled
 * a second time under other names with two of its constants turned into
 * variables, so that the sweeps can try other values without a second
 * engine. The default runs call the real library (abPolicyDecide); with
 * the variables at the engine's values this copy decides identically,
 * which `sim --check` verifies on every scenario. */
#include "sim-model.h"

double simEngineCooldownReserves = AB_POLICY_COOLDOWN_RESERVES;
double simEngineGrowHorizonPeriods = AB_POLICY_GROW_HORIZON_PERIODS;

#undef AB_POLICY_COOLDOWN_RESERVES
#undef AB_POLICY_GROW_HORIZON_PERIODS
#define AB_POLICY_COOLDOWN_RESERVES simEngineCooldownReserves
#define AB_POLICY_GROW_HORIZON_PERIODS simEngineGrowHorizonPeriods
#define abPolicyDecide simEngineDecide
#define abPolicyInflight simEngineInflight
#define abPolicyHostFall simEngineHostFall
#define abPolicyHostTrendUpdate simEngineHostTrendUpdate
#define abPolicyReasonToString simEngineReasonToString
#define abPolicyReasonFromString simEngineReasonFromString

#include "../../src/policy/ab-policy.c"
