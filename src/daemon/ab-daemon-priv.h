/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-daemon-priv.h: what the daemon's source files share. */
#pragma once

#include "ab-daemon.h"
#include "ab-daemon-metrics.h"
#include "ab-daemon-test.h"
#include "ab-policy.h"
#include <libvirt/virterror.h>

typedef struct {
    char *uuid;                      /* table key */
    char *name;
    virDomainPtr dom;                /* NULL while disconnected */
    bool live;                       /* has a QEMU: running or paused */
    bool running;                    /* takes balloon commands */

    /* policy */
    abConfPolicy *policy;            /* the last valid policy; NULL: none */
    bool policyError;                /* metadata present but unreadable */
    char *policyErrorText;           /* why, for the status; NULL: no error */
    bool managed;
    bool balloonChecked;             /* manage = all: the live XML was checked */
    bool balloonRefused;             /* ... and cannot be ballooned */
    abPolicyParams params;
    unsigned long long maxKiB;

    /* injected pressure */
    bool hasInjected;
    abConfInjected injected;
    char *injectedErrorText;         /* element present but unreadable */
    double injectedDeadline;         /* its expiry on the daemon's monotonic clock */

    /* balloon */
    unsigned long long targetKiB;
    unsigned long long actualKiB;
    unsigned long long prevActualKiB;
    abPolicyBalloon balloon;         /* what it was asked, whether it moves */
    double lastGrowTime;             /* <0: never */
    bool unresponsive;               /* balloon.unresponsive, for the status */
    unsigned long long nSetMemory;   /* targets set on it (metrics) */
    /* residency: host memory its qemu holds */
    int pid;                         /* 0: not read yet, <0: unknown */
    unsigned long long residentKiB;  /* 0: unknown */
    unsigned long long residentAtSetKiB;
    unsigned long long inflateFromKiB;  /* actual when an inflation began, 0: none */
    double noGainUntil;              /* last inflation freed nothing: out of
                                      * the host pool until then */
    bool statsPeriodChecked;         /* live XML read: period and inflater */
    double statsRetryTime;           /* enabling the period failed: not before */
    double statsRetryDelay;          /* its back-off, s; 0: no failure */
    bool qemuInflates;               /* QEMU's automatic property inflates */
    unsigned long long qemuActualKiB; /* last QEMU monitor balloon event, 0: none */
    unsigned int statsPeriodSec;
    abPolicyStats stats;
    abPolicyStats prevStats;
    unsigned long long statsStamp;   /* last balloon.last-update seen */
    double statsStampMono;           /* when it was new, daemon clock */

    /* virtio-mem backend (ab-daemon-backend-virtiomem.c) */
    abConfVirtioMem vmem;            /* the managed device, as last read */
    bool vmemKnown;

    /* last decision, for the status element */
    abLevel level;
    abStatusSource levelSource;
    abStatusAction action;
    abPolicyReason reason;
    const char *reasonText;          /* overrides reason (QEMU-driven), static */

    /* status publishing */
    char *statusPublished;           /* formatted with time=0; NULL: none */
    unsigned int callsPending;       /* calls to it that missed their deadline
                                      * (ab-daemon-call.h): none more until
                                      * they answer */
    double statusWriteTime;          /* <0: never */
} abDaemonDomain;

struct _abDaemon {
    char *uri;
    abDaemonConfig *cfg;
    bool dryRun;

    virConnectPtr conn;
    int callbackIds[4];
    int qemuMonitorId;               /* -1: none (not a QEMU connection) */
    bool closeRegistered;

    GHashTable *domains;             /* uuid -> abDaemonDomain */

    abDaemonClock clock;
    abDaemonPressure *pressure;
    abDaemonStatsHook statsHook;
    void *statsHookOpaque;

    /* main loop */
    bool started;
    guint tickSource;
    guint reconnectSource;
    guint earlyTickSource;
    bool earlyTick;                  /* the round running came from an event */
    double lastTickTime;             /* <0: never */
    bool deficitOpen;                /* the last decision left a host deficit:
                                      * balloon arrivals decide again */
    /* the host's distance to its set point at the last decision, for
     * the engine's fall rate */
    abPolicyHostTrend hostTrend;
    unsigned int backoffSec;

    unsigned int nSetMemory;
    unsigned int nStatusWrites;

    /* metrics (ab-daemon-textfile.c) */
    unsigned long long nTicks;
    unsigned long long nDecisions;
    unsigned long long nErrors[AB_DAEMON_OP_LAST];
    double tickSec;                  /* duration of the last tick */
    bool metricsFailed;              /* the last textfile write failed */
};

double abDaemonNow(abDaemon *daemon);
gint64 abDaemonWallNow(abDaemon *daemon);
/* Decide again soon (an event changed something), at most once per
 * AB_DAEMON_EARLY_TICK_GAP_S. */
#define AB_DAEMON_EARLY_TICK_GAP_S 0.2
void abDaemonTickSoon(abDaemon *daemon);
/* Decide at @when (daemon clock) if that is before the next tick. */
void abDaemonTickAt(abDaemon *daemon, double when);
/* libvirt's last error message, never NULL */
const char *abDaemonLastError(void);

/* ab-daemon-domain.c */
abDaemonDomain *abDaemonDomainNew(const char *uuid, const char *name);
void abDaemonDomainFree(abDaemonDomain *d);
/* The table's entry of @dom (by UUID), or NULL. */
abDaemonDomain *abDaemonDomainLookup(abDaemon *daemon, virDomainPtr dom);
abDaemonDomain *abDaemonDomainFindByName(abDaemon *daemon, const char *name);
/* Add or refresh the entry for @dom: state, sizes, policy, injected. */
abDaemonDomain *abDaemonDomainUpdate(abDaemon *daemon, virDomainPtr dom,
                                     bool adoptTarget);
void abDaemonDomainReadState(abDaemon *daemon, abDaemonDomain *d);
void abDaemonDomainReadPolicy(abDaemon *daemon, abDaemonDomain *d);
void abDaemonDomainReadInjected(abDaemon *daemon, abDaemonDomain *d);
void abDaemonDomainResolve(abDaemon *daemon, abDaemonDomain *d);
/* Running, with a policy that says off: not managed, but its status says
 * 'disabled'. */
bool abDaemonDomainDisabled(const abDaemonDomain *d);
/* Whether the daemon publishes a status for @d: managed, disabled, or live
 * with metadata it cannot read (the status says what is wrong). */
bool abDaemonDomainPublishes(const abDaemonDomain *d);
/* The status reason of @d, and in *@error what is wrong with its metadata
 * (NULL: nothing). Both borrowed from @d. */
const char *abDaemonDomainStatusReason(const abDaemonDomain *d, const char **error);
/* The balloon is at @actualKiB (stats or a balloon-change event); a size
 * someone else set becomes the target. */
void abDaemonDomainSetActual(abDaemon *daemon, abDaemonDomain *d,
                             unsigned long long actualKiB);
/* Fill the stats fields from one stats record. */
void abDaemonDomainParseStats(abDaemon *daemon, abDaemonDomain *d,
                              virTypedParameterPtr params, int nparams);
void abDaemonDomainEnsureStatsPeriod(abDaemon *daemon, abDaemonDomain *d);
void abDaemonDomainClearStatus(abDaemon *daemon, abDaemonDomain *d);
/* The status element changed: when it is not what the daemon wrote (another
 * client wrote it, well formed or not), write ours again at the next flush. */
void abDaemonDomainCheckStatus(abDaemon *daemon, abDaemonDomain *d);

/* ab-daemon-events.c */
int abDaemonEventsRegister(abDaemon *daemon, GError **error);
void abDaemonEventsDeregister(abDaemon *daemon);

/* ab-daemon-textfile.c: the metrics textfile. A tick declares
 *     g_auto(abDaemonMetricsTick) mt = abDaemonMetricsTickBegin(daemon);
 * first; whichever way the tick returns, the cleanup counts it, takes its
 * duration and writes the file ([metrics] textfile; nothing when unset). */
typedef struct {
    abDaemon *daemon;
    gint64 start;
} abDaemonMetricsTick;

abDaemonMetricsTick abDaemonMetricsTickBegin(abDaemon *daemon);
void abDaemonMetricsTickEnd(abDaemonMetricsTick *t);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(abDaemonMetricsTick, abDaemonMetricsTickEnd)
/* The exposition text of the daemon's state now. */
char *abDaemonMetricsGather(abDaemon *daemon);
/* Write it to the configured textfile (temp file and rename). */
int abDaemonMetricsWrite(abDaemon *daemon, GError **error);
