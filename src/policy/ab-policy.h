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
#include "ab-enum.h"
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
/* In its cool-down a guest keeps this many reserves of usable memory:
 * what it grew for and is still using stays, what it freed since goes. */
#define AB_POLICY_COOLDOWN_RESERVES    2
/* Growth covers the guest's recent growth rate over this many stats
 * periods (the time until the next decision can see the result). */
#define AB_POLICY_GROW_HORIZON_PERIODS 2
/* While the host's free memory keeps falling under pressure (a ramp the
 * balloons have not caught yet), the request leads by what this many
 * seconds of that fall add: about the time a balloon takes to return a
 * few hundred MiB. At most the deficit itself again. */
#define AB_POLICY_HOST_LEAD_S          1.0
/* The fall is measured between decisions at most this far apart. */
#define AB_POLICY_HOST_FALL_WINDOW_S   5.0
/* Stuck balloons (abPolicyBalloonObserve). */
#define AB_POLICY_STUCK_RATE_KIB_S     (15ULL * 1024) /* slower inflation: stuck */
#define AB_POLICY_STUCK_RATE_WINDOW_S  4.0
#define AB_POLICY_STUCK_STILL_S        5.0  /* no move at all for this long: stuck */
#define AB_POLICY_STUCK_BACKOFF_MIN_S  10.0 /* first retry of a stuck balloon */
#define AB_POLICY_STUCK_BACKOFF_MAX_S  300.0

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
    unsigned long long actualAtKiB;  /* balloon actual when these stats were
                                      * new (0: unknown, actual now is used):
                                      * what the guest used then is
                                      * actualAt - usable */
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
    unsigned long long residentKiB;  /* host memory its qemu holds (0: unknown) */
    bool freesNothing;               /* its last inflation freed no host memory */
} abPolicyGuest;

typedef struct {
    double now;
    abLevel level;                   /* host level, highest of the sources */
    unsigned long long requestKiB;   /* how far the host is short of its set
                                      * point (headroom), 0: not known */
    bool roomKnown;                  /* headroom knows roomKiB */
    unsigned long long roomKiB;      /* how far the host is above its set
                                      * point: what guests may grow into
                                      * before the others must give */
    unsigned long long fallKiBps;    /* how fast its free memory fell since
                                      * the previous decision, net of what
                                      * the balloons returned (0: steady,
                                      * rising or not known) */
} abPolicyHost;

/* AB_POLICY_REASON_NONE (0) .. AB_POLICY_REASON_NO_GAIN */
#define AB_POLICY_REASON_LIST(X, P) \
    X(P, NONE, "none")                        /* nothing to do */ \
    X(P, DISABLED, "disabled")                /* autoballoon off for this guest */ \
    X(P, HOST_PRESSURE, "host-pressure")      /* shrunk: host pressure */ \
    X(P, INJECTED, "injected")                /* shrunk: injected pressure */ \
    X(P, GUEST_PRESSURE, "guest-pressure")    /* grown: guest pressure */ \
    X(P, OOM_DEFLATE, "oom-deflate")          /* guest deflated on OOM: target follows */ \
    X(P, COOLDOWN, "cooldown")                /* would shrink, but grew recently */ \
    X(P, AT_FLOOR, "at-floor")                /* would shrink, but at floor or reserve */ \
    X(P, AT_CEILING, "at-ceiling")            /* would grow, but at ceiling */ \
    X(P, STALE_STATS, "stale-stats")          /* no fresh stats: hold */ \
    X(P, UNRESPONSIVE, "unresponsive")        /* balloon does not move: hold */ \
    X(P, PENDING, "pending")                  /* balloon still moving to its target */ \
    X(P, CRITICAL_HOLD, "critical-hold")      /* guest pressure, not severe, host critical */ \
    X(P, CLAMPED, "clamped")                  /* target outside [floor, ceiling]: brought back */ \
    X(P, NO_GAIN, "no-gain")                  /* would give, but inflating frees no host memory */

AB_ENUM_TYPEDEF(abPolicyReason, AB_POLICY_REASON_, AB_POLICY_REASON_LIST);

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

/* Host memory the pool is already getting back: what the balloons of
 * responsive guests still have to inflate to reach their targets (not
 * those that deflated on OOM: their targets follow them). */
unsigned long long abPolicyInflight(const abPolicyGuest *guests, size_t nguests);

/* The host's fall in KiB/s from its distance to the set point (room minus
 * deficit) at two decisions: 0 when it rose, held, or the two are not
 * (0, AB_POLICY_HOST_FALL_WINDOW_S] seconds apart. */
unsigned long long abPolicyHostFall(long long prevPosKiB, double prevTime,
                                    long long posKiB, double now);

/* The host's distance to its set point at the last decision that knew
 * it, kept by the caller between decisions (zeroed: none yet). */
typedef struct {
    bool known;
    long long posKiB;
    double time;
} abPolicyHostTrend;

/* abPolicyHostFall since the decision @trend recorded, from this one's
 * headroom figures at @now, which @trend then records; without a room
 * figure 0, and the record is dropped. */
unsigned long long abPolicyHostTrendUpdate(abPolicyHostTrend *trend, bool roomKnown,
                                           unsigned long long roomKiB,
                                           unsigned long long requestKiB, double now);

/* The balloon of one guest, as the caller tracks it between decisions:
 * the target it was given, whether it moves toward it, and the back-off
 * of a stuck one. Pure: the caller passes the time. */
typedef struct {
    unsigned long long targetKiB;
    double setTime;                  /* <0: target adopted, not set by us */
    unsigned long long winKiB;       /* actual at the start of the rate window */
    double winTime;
    unsigned long long moveKiB;      /* actual at the last move */
    double moveTime;
    bool unresponsive;
    double retryTime;                /* a stuck balloon is asked again then */
    double backoffSec;               /* 0: never stuck since it last arrived */
} abPolicyBalloon;

typedef enum {
    AB_POLICY_BALLOON_NONE = 0,      /* nothing new */
    AB_POLICY_BALLOON_REACHED,       /* a stuck balloon arrived at last */
    AB_POLICY_BALLOON_FOLLOWED,      /* adopted target moved with the balloon */
    AB_POLICY_BALLOON_STUCK,         /* too slow or still: now unresponsive */
    AB_POLICY_BALLOON_MOVING,        /* a stuck balloon moves again */

    AB_POLICY_BALLOON_LAST
} abPolicyBalloonEvent;

/* A target the caller did not set (start, resync): follow the balloon. */
void abPolicyBalloonAdopt(abPolicyBalloon *b, unsigned long long targetKiB);
/* The caller set @targetKiB at @now while the balloon was at @actualKiB. */
void abPolicyBalloonSet(abPolicyBalloon *b, unsigned long long targetKiB,
                        unsigned long long actualKiB, double now);
/* The balloon is at @actualKiB at @now. A balloon asked for more that
 * inflates slower than AB_POLICY_STUCK_RATE_KIB_S over
 * AB_POLICY_STUCK_RATE_WINDOW_S, or does not move at all for @stillSec,
 * is stuck: unresponsive, retried after a back-off that doubles from
 * AB_POLICY_STUCK_BACKOFF_MIN_S up to AB_POLICY_STUCK_BACKOFF_MAX_S. */
abPolicyBalloonEvent abPolicyBalloonObserve(abPolicyBalloon *b,
                                            unsigned long long actualKiB,
                                            double now, double stillSec);
/* Whether a stuck balloon's back-off is over: the caller sends its target
 * again (abPolicyBalloonSet keeps the back-off, so the next stall waits
 * twice as long). */
bool abPolicyBalloonRetryDue(const abPolicyBalloon *b, double now);
