/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sim-model.h: a modelled host and its guests, stepped in simulated time.
 *
 * Everything is in MiB (doubles) and seconds. The model is deliberately
 * small: what matters to a balloon policy is how much memory each guest
 * needs (demand), how much it merely holds (page cache, freed pages that the
 * host still backs), and what the host pays when the sum does not fit.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include "ab-policy.h"

#define SIM_PAGE_KIB 4.0

typedef enum {
    SIM_POLICY_AUTOBALLOON = 0,
    SIM_POLICY_NONE,
    SIM_POLICY_MOM,
    SIM_POLICY_PROXMOX,

    SIM_POLICY_LAST
} simPolicy;

const char *simPolicyToString(simPolicy policy);

typedef enum {
    SIM_LOAD_BUILD = 0,   /* kernel-build-like: work to finish, oscillating demand */
    SIM_LOAD_IDLE,        /* holds a fixed demand and its stale cache */
    SIM_LOAD_RAMP,        /* grows from lo to hi, holds, falls back (and again
                           * every repeatSec, repeats times in all) */
    SIM_LOAD_SPIKE,       /* lo, then hi for a while, then lo */
} simLoadKind;

typedef struct {
    simLoadKind kind;
    double loMiB, hiMiB;      /* demand range */
    double periodSec;         /* BUILD: oscillation period (in work seconds) */
    double phase;             /* BUILD: 0..1 */
    double workSec;           /* BUILD: work to do at full speed */
    double startSec;          /* RAMP/SPIKE: when the change starts */
    double rampSec;           /* RAMP: how long the growth takes */
    double holdSec;           /* RAMP/SPIKE: how long the high demand lasts */
    double repeatSec;         /* RAMP: the next burst starts this long after one starts */
    unsigned int repeats;     /* RAMP: bursts in all (0: 1) */
    double rampLaterSec;      /* RAMP: rampSec of the bursts after the first (0: the same) */
    double cacheRateMiB;      /* page cache filled per second while running */
    double cacheHotMiB;       /* cache the load re-reads; less slows it down */
    double initCacheMiB;      /* cache already held at t=0 */
} simLoad;

typedef struct {
    double ramMiB;
    double swapMiB;
    double baseMiB;           /* host OS and QEMU overheads, not guests */
    double inflateMiBs;       /* balloon speed, guest -> host */
    double deflateMiBs;       /* host -> guest */
    double guestSwapMiB;      /* swap inside each guest */
    /* a process on the host that is not a guest (in the guests' cgroup):
     * ramps to otherMiB at otherRampMiBs from otherStartSec, holds it for
     * otherHoldSec and exits; 0: none */
    double otherMiB;
    double otherStartSec;
    double otherRampMiBs;
    double otherHoldSec;
} simHostModel;

typedef struct {
    char name[32];
    simLoad load;
    bool noDiscard;           /* its qemu keeps the pages its balloon takes
                               * (memory locked or pinned): inflating frees nothing */
    double maxMiB;
    double actualMiB;
    double targetMiB;
    double demandMiB;
    double cacheMiB;
    double residentMiB;       /* host pages backing it, in RAM or swap */
    double hostSwappedMiB;    /* of those, in host swap */
    double hostStallSec;      /* this second, waiting for host swap-in */
    double work;
    double doneTime;          /* <0: still running */
    double oomUntil;          /* load killed by the guest OOM killer until then */
    double deadUntil;         /* killed by the host OOM killer: rebooting */
    bool inPressure;
    double majorFaults;       /* cumulative, as the guest reports */
    double swapInKiB;
    double inflatedMiB;       /* this second, by the balloon (not deflate-on-oom) */
    double statsOffsetSec;    /* the guest samples its stats at this phase of the period */
    abPolicyStats stats;      /* its newest sample */
    /* what a daemon keeps per guest */
    double lastGrowTime;
    unsigned long long prevActualKiB;
    abPolicyStats prevStats;  /* the previous distinct sample */
    unsigned long long inflateFromKiB;   /* actual when an inflation was set (0: none) */
    unsigned long long residentAtSetKiB; /* resident then */
    double noGainUntil;       /* freesNothing until then */
    abPolicyParams params;
} simGuest;

typedef struct {
    double hostSwapOutPages;
    double hostSwapInPages;
    unsigned int hostOom;
    double guestPressureSec;
    unsigned int guestOom;
    double returnedGiBs;      /* integral of the memory held by balloons */
    double returnedPeakGiB;
    double reclaimedGiB;      /* host pages the balloons actually freed */
    double inflatedGiB;       /* what the balloons inflated in all */
    double convergeSec;       /* <0: never */
    unsigned int commands;
    double runMeanSec;        /* BUILD loads only; <0: none */
    double runMaxSec;
    double hostSwapPeakGiB;
    double hostFreeMinGiB;
    double hostUsedPeakPct;   /* peak RAM used from the disturbance on, % of the
                               * host's (the cgroup's limit) */
    double nearLimitSec;      /* seconds with less than 16 MiB free */
    unsigned int otherOom;    /* the non-guest process killed by the host OOM killer */
    unsigned int decisions;   /* autoballoon: engine calls */
    unsigned int violations;  /* broken invariants (with check) */
} simMetrics;

/* Tunables of the autoballoon policy the sweeps vary. Zero: the engine default. */
typedef struct {
    double stepScale;         /* multiplies the three steps; 0: 1 */
    double shrinkStepScale;   /* multiplies the medium and critical steps only */
    double reservePct;        /* >0: reserve = this share of max, at least the default */
    long reserveMiB;          /* <0: default */
    long cooldownSec;         /* <0: default */
    int floorPct;             /* <=0: default */
    bool noAutodeflate;
    /* the daemon's feeding, to measure what each part is worth */
    bool tickOnly;            /* decide only at the tick, not on events */
    bool noResidency;         /* residentKiB 0 (unknown) and freesNothing never */
    bool growCharged;         /* trial: a grow is asked of the pool in the same decision */
    /* engine constants, through the variant of sim-engine.c; 0: the engine's */
    double cooldownReserves;
    double growHorizonPeriods;
} simAbTuning;

typedef struct {
    const char *name;
    const char *title;
    simHostModel host;
    double durationSec;
    double disturbSec;        /* when the disturbance starts (for convergence) */
    guint32 seed;
    guint nguests;
    simGuest *guests;         /* initial state; the run copies it */
} simScenario;

typedef struct {
    FILE *series;             /* CSV time series, or NULL */
    double seriesEverySec;
    bool check;               /* check the model's invariants every step */
    FILE *trace;              /* autoballoon's runs second by second, or NULL */
} simOutput;

void simRun(const simScenario *sc, simPolicy policy, const simAbTuning *tuning,
            const simOutput *out, simMetrics *m);

/* sim-policies.c: one tick of each policy; return the number of commands */
typedef struct {
    const simAbTuning *tuning;   /* NULL: defaults */
    bool deficitOpen;            /* the last decision left a host deficit */
    abLevel level;               /* the host's level at the last decision */
    abPolicyHostTrend hostTrend; /* for the host's fall, as the daemon */
} simAbState;
abLevel simHostLevel(const simHostModel *host, double freeMiB,
                     unsigned long long *requestKiB);
unsigned int simPolicyAutoballoon(const simHostModel *host, double now,
                                  simGuest *guests, guint n, double freeMiB,
                                  simAbState *state);
unsigned int simPolicyMom(const simHostModel *host, double now,
                          simGuest *guests, guint n, double freeMiB);
unsigned int simPolicyProxmox(const simHostModel *host, double now,
                              simGuest *guests, guint n, double freeMiB);
double simPolicyPeriod(simPolicy policy);

/* sim-engine.c: src/policy/ab-policy.c compiled again with
 * AB_POLICY_COOLDOWN_RESERVES and AB_POLICY_GROW_HORIZON_PERIODS as these
 * variables (set to the engine's values until a sweep changes them) */
extern double simEngineCooldownReserves;
extern double simEngineGrowHorizonPeriods;
unsigned long long simEngineDecide(const abPolicyHost *host,
                                   const abPolicyGuest *guests,
                                   size_t nguests, abPolicyDecision *out);
unsigned long long simEngineInflight(const abPolicyGuest *guests, size_t nguests);
unsigned long long simEngineHostFall(long long prevPosKiB, double prevTime,
                                    long long posKiB, double now);
unsigned long long simEngineHostTrendUpdate(abPolicyHostTrend *trend, bool roomKnown,
                                            unsigned long long roomKiB,
                                            unsigned long long requestKiB, double now);
const char *simEngineReasonToString(abPolicyReason reason);
int simEngineReasonFromString(const char *name);

/* the guest's balloon stats, derived from the model */
void simGuestStats(const simGuest *g, double now, bool autodeflate,
                   abPolicyStats *st);

/* sim-scenarios.c */
simScenario *simScenarioBuild(char which);
void simScenarioFree(simScenario *sc);
