/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-daemon-pressure.h: how the daemon sees host pressure.
 *
 * One object the daemon samples at every tick, plus a callback the object
 * calls when its level changes so the daemon can tick early instead of
 * waiting out the interval. The real one wraps src/pressure; tests plug in
 * a fake whose level they set.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include "ab-level.h"
#include "ab-status.h"
#include "ab-daemon-config.h"

typedef struct {
    abLevel level;
    abStatusSource source;
    unsigned long long requestKiB;   /* 0: let the engine use the sum of steps */
    bool roomKnown;                  /* headroom knows roomKiB */
    unsigned long long roomKiB;      /* headroom above the low mark */
    /* each kind of source on its own (metrics): open, and its level,
     * the highest of its sources (host and guests' cgroup) */
    bool sourceOpen[AB_PRESSURE_SOURCE_LAST];
    abLevel sourceLevel[AB_PRESSURE_SOURCE_LAST];
} abDaemonPressureSample;

typedef void (*abDaemonPressureNotify)(void *opaque);

typedef struct _abDaemonPressure abDaemonPressure;
struct _abDaemonPressure {
    /* Fill @out with the current combined level. */
    void (*sample)(abDaemonPressure *p, abDaemonPressureSample *out);
    void (*free)(abDaemonPressure *p);
    /* Optional: look for the guests' cgroup again (cgroup = auto) and
     * reopen the sources if it moved or turned up; true when reopened.
     * Without @force it only looks while none was found, at most every
     * 30 s of @now (the daemon's monotonic seconds). */
    bool (*rediscover)(abDaemonPressure *p, double now, bool force);
    /* Set by the daemon: call when the level changes. */
    abDaemonPressureNotify notify;
    void *notifyOpaque;
    /* Set by the daemon (called with notifyOpaque): the names of the
     * guests libvirt runs now, NULL-terminated, freed by the caller.
     * Rediscovery takes their qemu PIDs from libvirt's pid files; unset:
     * every pid file libvirt has. */
    char **(*liveGuests)(void *opaque);
};

void abDaemonPressureFree(abDaemonPressure *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abDaemonPressure, abDaemonPressureFree)

/* Open the host's sources as configured, their fds watched on @ctx. Never
 * fails: a source that cannot be
 * opened is logged and left out; with none left the level stays none. */
abDaemonPressure *abDaemonPressureOpen(const abDaemonConfig *cfg,
                                       GMainContext *ctx);

/* The same under @root (tests: a fake tree with proc/ and the cgroup
 * mounts; NULL: "/"). */
abDaemonPressure *abDaemonPressureOpenAt(const abDaemonConfig *cfg,
                                         GMainContext *ctx, const char *root);
bool abDaemonPressureRediscover(abDaemonPressure *p, double now, bool force);
/* Number of open host sources (0 for a fixed source). */
guint abDaemonPressureNumSources(abDaemonPressure *p);

/* A source with a fixed level that tests (and --dry-run experiments) set. */
abDaemonPressure *abDaemonPressureNewFixed(void);
void abDaemonPressureFixedSet(abDaemonPressure *p, abLevel level,
                              abStatusSource source,
                              unsigned long long requestKiB);
