/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-daemon.h: autoballoond's logic, as a library the program and the
 * tests both drive.
 *
 * The daemon owns one libvirt connection (reopened with backoff when it
 * closes), a table of domains kept from lifecycle and metadata-change
 * events, a pressure object, and a tick that asks the policy engine for
 * targets, applies them, and publishes each managed domain's status into
 * its live metadata.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <libvirt/libvirt.h>

#include "ab-daemon-config.h"
#include "ab-daemon-pressure.h"
#include "ab-conf.h"

typedef struct _abDaemon abDaemon;

/* Time source: monotonic seconds (any origin) and wall-clock seconds since
 * the epoch. Tests set a fake one; the default reads the system clocks. */
typedef struct {
    double (*monotonic)(void *opaque);
    gint64 (*wall)(void *opaque);
    void *opaque;
} abDaemonClock;

/* @uri NULL: LIBVIRT_DEFAULT_URI, else qemu:///system. Takes @cfg. */
abDaemon *abDaemonNew(const char *uri, abDaemonConfig *cfg, bool dryRun);
void abDaemonFree(abDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abDaemon, abDaemonFree)

void abDaemonSetClock(abDaemon *daemon, const abDaemonClock *clock);
/* Takes @pressure. */
void abDaemonSetPressure(abDaemon *daemon, abDaemonPressure *pressure);

/* Open the connection, register the event callbacks and resync. */
int abDaemonConnect(abDaemon *daemon, GError **error);
/* Rebuild the domain table, policies, injected pressure and targets from
 * libvirt (as after a reconnect). */
int abDaemonResync(abDaemon *daemon, GError **error);
/* One decision round. Errors on single domains are logged, not returned. */
void abDaemonTick(abDaemon *daemon);
/* Write out status updates held back by the per-domain rate limit once
 * their interval has passed. Called by each tick; --once calls it too. */
void abDaemonFlushStatus(abDaemon *daemon, bool force);

/* Run on the thread-default main context: connect (retrying with backoff),
 * tick every interval, reconnect when the connection closes. */
void abDaemonStart(abDaemon *daemon);
/* Replace the configuration (SIGHUP); takes @cfg. */
void abDaemonReload(abDaemon *daemon, abDaemonConfig *cfg);

virConnectPtr abDaemonGetConnection(abDaemon *daemon);
bool abDaemonIsConnected(abDaemon *daemon);

/* Introspection for tests and logs. */
typedef struct {
    bool known;
    bool live;                       /* running or paused */
    bool running;
    bool managed;
    bool policyError;
    bool unresponsive;
    unsigned long long targetKiB;
    unsigned long long actualKiB;
    abLevel injected;
} abDaemonDomainInfo;

int abDaemonGetDomainInfo(abDaemon *daemon, const char *name,
                          abDaemonDomainInfo *info);
unsigned int abDaemonCountManaged(abDaemon *daemon);
/* Number of successful virDomainSetMemoryFlags calls so far. */
unsigned int abDaemonCountSetMemory(abDaemon *daemon);
/* Number of status metadata writes so far. */
unsigned int abDaemonCountStatusWrites(abDaemon *daemon);


/* One-time process setup: libvirt-glib's event loop implementation and a
 * libvirt error handler that keeps libvirt from printing on stderr. */
void abDaemonGlobalInit(void);

/* --verbose: also log info and debug messages, those of every module of
 * ours ("autoballoond", "autoballoon-*" log domains) and only those. Call
 * once, before anything logs. */
/* libvirt calls that missed their deadline and have not returned (a QEMU
 * monitor that does not answer; ab-daemon-call.h). */
unsigned int abDaemonCallsBlocked(void);

void abDaemonLogSetup(bool verbose);
/* GLib's own messages (file errors) quote with U+201C and U+201D, which a
 * C locale prints as '?'; the daemon's log writer prints ASCII quotes.
 * Returns the message with them, or NULL when it has none. */
char *abDaemonLogPlainQuotes(const char *msg);
/* Whether a message of @domain at @level is shown. */
bool abDaemonLogShows(const char *domain, GLogLevelFlags level, bool verbose);
