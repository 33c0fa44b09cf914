/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-daemon-metrics.h: the daemon's metrics in Prometheus text format.
 *
 * Pure: plain structs in, text out (no I/O, no clock). The daemon fills
 * the structs from its domain table and counters at the end of each tick
 * and writes the text into a node_exporter textfile-collector file
 * ([metrics] textfile). docs/metrics.md lists every name.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "ab-enum.h"
#include "ab-level.h"
#include "ab-pressure.h"

/* The libvirt operations whose failures are counted: AB_DAEMON_OP_STATS (0)
 * .. AB_DAEMON_OP_STATUS. */
#define AB_DAEMON_OP_LIST(X, P) \
    X(P, STATS, "stats")              /* virDomainListGetStats */ \
    X(P, SET_MEMORY, "set_memory")    /* virDomainSetMemoryFlags */ \
    X(P, STATUS, "status")            /* virDomainSetMetadata (status) */

AB_ENUM_TYPEDEF(abDaemonOp, AB_DAEMON_OP_, AB_DAEMON_OP_LIST);

/* One managed guest. */
typedef struct {
    const char *name;
    const char *uuid;
    unsigned long long maxKiB;
    unsigned long long targetKiB;
    unsigned long long actualKiB;
    bool usableKnown;                /* the guest reported stats */
    unsigned long long usableKiB;
    unsigned long long floorKiB;
    unsigned long long ceilingKiB;
    abLevel level;                   /* effective level of the last decision */
    const char *reason;              /* of the last decision */
    unsigned long long commands;     /* balloon targets set on it */
    double decisionAgeSec;           /* since its target was last set; <0: never */
    bool unresponsive;
} abDaemonMetricsGuest;

/* The host and the daemon. */
typedef struct {
    bool connected;
    abLevel level;                   /* combined host level */
    const char *source;              /* source that sets it, "none" */
    abLevel injectedLevel;           /* highest injected level on a managed guest */
    /* each open kind of host source with its level (psi, vmpressure, headroom) */
    size_t nsources;
    struct {
        const char *name;
        abLevel level;
    } sources[AB_PRESSURE_SOURCE_LAST];
    unsigned long long deficitKiB;   /* what the host asks back, 0: none said */
    unsigned int managed;
    unsigned long long ticks;
    unsigned long long decisions;    /* engine decisions (one per guest per tick) */
    unsigned long long commands;     /* balloon targets set */
    unsigned long long statusWrites;
    unsigned long long errors[AB_DAEMON_OP_LAST];
    double tickSec;                  /* duration of the last tick */
} abDaemonMetricsHost;

/* Escape @value for a label value: backslash, double quote, newline. */
char *abDaemonMetricsEscapeLabel(const char *value);

/* The whole exposition: HELP and TYPE once per family, families in a fixed
 * order, one series per guest in the order given. Never NULL. */
char *abDaemonMetricsFormat(const abDaemonMetricsHost *host,
                            const abDaemonMetricsGuest *guests,
                            size_t nguests);
