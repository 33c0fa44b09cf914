/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-policy.h: the decision engine.
 *
 * Pure and deterministic: no I/O, no clock reads, no global state. The
 * caller (daemon, tests, simulator) passes the time and everything it knows
 * about the host and each guest, and gets a target per guest with a reason.
 * All sizes are in KiB (libvirt's unit for balloon sizes); times in seconds
 * on any monotonic scale the caller chooses.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "ab-level.h"

/* Defaults of the per-domain policy; docs/policy.md says which figure chose
 * each one. */
#define AB_POLICY_FLOOR_MIN_KIB        (32ULL * 1024)   /* smallest floor accepted */
#define AB_POLICY_FLOOR_DEFAULT_PCT    25               /* of the maximum */
#define AB_POLICY_FLOOR_DEFAULT_MIN_KIB (128ULL * 1024)
#define AB_POLICY_RESERVE_DEFAULT_DIV  8                /* 12.5 % of the maximum */
#define AB_POLICY_RESERVE_DEFAULT_MIN_KIB (128ULL * 1024)
#define AB_POLICY_STEP_LOW_DEFAULT_KIB      (32ULL * 1024)
#define AB_POLICY_STEP_MEDIUM_DEFAULT_KIB   (64ULL * 1024)
#define AB_POLICY_STEP_CRITICAL_DEFAULT_KIB (256ULL * 1024)
#define AB_POLICY_STEP_MAX_KIB         (64ULL * 1024 * 1024) /* 64 GiB: larger is absurd */
#define AB_POLICY_WEIGHT_DEFAULT       100
#define AB_POLICY_WEIGHT_MIN           1
#define AB_POLICY_WEIGHT_MAX           10000
#define AB_POLICY_COOLDOWN_DEFAULT_S   60               /* as in the 2014 QEMU patches */
#define AB_POLICY_COOLDOWN_MAX_S       86400
#define AB_POLICY_STALE_PERIODS        3    /* stats older than this many periods are stale */
#define AB_POLICY_MOVE_MARGIN_KIB      (4ULL * 1024) /* |actual - target| below this: reached */

/* The effective policy of one guest: every field resolved (defaults applied). */
typedef struct {
    bool enabled;
    unsigned long long floorKiB;
    unsigned long long ceilingKiB;
    unsigned long long reserveKiB;
    unsigned long long stepKiB[AB_LEVEL_LAST];  /* [AB_LEVEL_NONE] is 0 */
    unsigned int weight;
    unsigned int cooldownSec;
} abPolicyParams;

/* Fill @params with the defaults for a guest whose maximum is @maxKiB. */
void abPolicyParamsDefaults(abPolicyParams *params, unsigned long long maxKiB);

typedef struct {
    bool valid;                      /* the guest reported stats at all */
    unsigned long long usableKiB;    /* VIR_DOMAIN_MEMORY_STAT_USABLE */
    unsigned long long availableKiB; /* ..._AVAILABLE (guest's MemTotal) */
    unsigned long long unusedKiB;    /* ..._UNUSED (MemFree) */
    unsigned long long diskCachesKiB;
    unsigned long long majorFaults;
    unsigned long long swapIn;       /* KiB */
    double lastUpdate;               /* guest's stats timestamp, caller's time scale */
} abPolicyStats;

typedef struct {
    const char *name;                /* for reasons and logs only */
    abPolicyParams params;
    unsigned long long maxKiB;       /* <memory> */
    unsigned long long targetKiB;    /* current balloon target */
    unsigned long long actualKiB;    /* balloon actual now */
    unsigned long long prevActualKiB;/* actual at the previous tick (0: unknown) */
    abPolicyStats stats;             /* this tick */
    abPolicyStats prevStats;         /* previous tick (valid=false: none) */
    unsigned int statsPeriodSec;     /* 0: stats polling off */
    abLevel injected;                /* pressure injected for this guest (or all) */
    double lastGrowTime;             /* last time its target was raised (<0: never) */
    bool unresponsive;               /* balloon did not move toward its target in time */
} abPolicyGuest;

typedef struct {
    double now;
    abLevel level;                   /* host level, highest of the sources */
    unsigned long long requestKiB;   /* how much the host wants back (0: the sum of steps) */
    unsigned long long totalKiB;     /* informational */
    unsigned long long availableKiB; /* informational */
} abPolicyHost;

typedef enum {
    AB_POLICY_REASON_NONE = 0,        /* nothing to do */
    AB_POLICY_REASON_DISABLED,        /* autoballoon off for this guest */
    AB_POLICY_REASON_HOST_PRESSURE,   /* shrunk: host pressure */
    AB_POLICY_REASON_INJECTED,        /* shrunk: injected pressure */
    AB_POLICY_REASON_GUEST_PRESSURE,  /* grown: guest pressure */
    AB_POLICY_REASON_OOM_DEFLATE,     /* guest deflated on OOM: target follows */
    AB_POLICY_REASON_COOLDOWN,        /* would shrink, but grew recently */
    AB_POLICY_REASON_AT_FLOOR,        /* would shrink, but at floor or reserve */
    AB_POLICY_REASON_AT_CEILING,      /* would grow, but at ceiling */
    AB_POLICY_REASON_STALE_STATS,     /* no fresh stats: hold */
    AB_POLICY_REASON_UNRESPONSIVE,    /* balloon does not move: hold */
    AB_POLICY_REASON_PENDING,         /* balloon still moving to its target */
    AB_POLICY_REASON_CRITICAL_HOLD,   /* guest pressure, not severe, host critical */
    AB_POLICY_REASON_CLAMPED,         /* target outside [floor, ceiling]: brought back */

    AB_POLICY_REASON_LAST
} abPolicyReason;

const char *abPolicyReasonToString(abPolicyReason reason);
int abPolicyReasonFromString(const char *name);

typedef struct {
    unsigned long long targetKiB;    /* new target (== guest target if unchanged) */
    bool changed;
    abPolicyReason reason;
    abLevel level;                   /* effective level for this guest */
    bool grew;                       /* raised for the guest's sake (guest
                                      * pressure, OOM deflate): the caller
                                      * sets lastGrowTime = now */
} abPolicyDecision;

/* Decide a target for each of @nguests guests. @out has @nguests entries.
 * Returns the total KiB taken from guests this tick by pressure (reasons
 * HOST_PRESSURE and INJECTED; a CLAMPED target is not counted). The result
 * depends only on the inputs; for a given order of @guests it is exact, and
 * reordering them moves at most a few KiB of rounding remainder between the
 * guests of the host-pressure pool (docs/policy.md). */
unsigned long long abPolicyDecide(const abPolicyHost *host,
                                  const abPolicyGuest *guests,
                                  size_t nguests,
                                  abPolicyDecision *out);

/* Whether a balloon that was given @targetKiB at @targetTime, when its actual
 * was @actualAtSet, has failed to move toward it by @now (timeout
 * @timeoutSec). Pure helper for the daemon. */
bool abPolicyBalloonUnresponsive(unsigned long long targetKiB,
                                 unsigned long long actualAtSetKiB,
                                 unsigned long long actualNowKiB,
                                 double targetTime, double now,
                                 double timeoutSec);
