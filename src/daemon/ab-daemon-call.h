/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-daemon-call.h: libvirt calls that can block on a guest's QEMU
 * monitor, run on a worker thread with a deadline.
 *
 * libvirt waits for a QEMU monitor reply without a timeout: one qemu that
 * stops answering (SIGSTOP, a host in trouble) would hold the daemon's
 * only thread, every other guest's decisions and SIGTERM with it. A call
 * made here returns to the caller by its deadline; one that has not
 * answered by then goes on in its thread, and the domain it was for is
 * left alone (abDaemonDomain.callsPending) until it does. */
#pragma once

#include "ab-daemon-priv.h"

/* How long the daemon waits for a call before it goes on without it. The
 * calls take milliseconds; a loaded host can take longer, which only
 * delays their answer, not the daemon. */
#define AB_DAEMON_CALL_TIMEOUT_S 1.0

typedef void (*abDaemonCallFunc)(gpointer data);
/* In the main context, after a call that missed its deadline returned
 * (only while its daemon lives); then its data is freed. */
typedef void (*abDaemonCallLate)(abDaemon *daemon, gpointer data);

/* Runs @func(@data) on a worker thread and waits for it until
 * @timeoutSec. true: it returned, @data holds its results and stays the
 * caller's. false: it did not return in time; @data now belongs to the
 * call, which runs @late (if not NULL) and then @free on it once @func
 * has returned. */
bool abDaemonCallRun(abDaemon *daemon, abDaemonCallFunc func, gpointer data,
                     GDestroyNotify free, abDaemonCallLate late, double timeoutSec);

/* A call for one domain. */
typedef struct _abDaemonDomainCall abDaemonDomainCall;
/* On the worker: the libvirt call, its return value. */
typedef int (*abDaemonDomainCallFunc)(abDaemonDomainCall *c);
/* In the main context, when a call that missed its deadline answered;
 * @d is NULL when its domain is gone. */
typedef void (*abDaemonDomainCallLate)(abDaemon *daemon, abDaemonDomain *d,
                                       abDaemonDomainCall *c);

struct _abDaemonDomainCall {
    virDomainPtr dom;                /* referenced */
    char *uuid;
    char *name;
    abDaemonDomainCallFunc func;
    abDaemonDomainCallLate late;
    int rc;                          /* the call's answer */
    char *error;                     /* its libvirt error when rc < 0 */
    /* the calls' arguments */
    unsigned long long kib;
    char *xml;
};

abDaemonDomainCall *abDaemonDomainCallNew(abDaemonDomain *d, abDaemonDomainCallFunc func,
                                          abDaemonDomainCallLate late);
void abDaemonDomainCallFree(abDaemonDomainCall *c);
/* Runs @c for @d with AB_DAEMON_CALL_TIMEOUT_S. true: it answered
 * (c->rc, c->error), @c stays the caller's to free. false: no answer by
 * the deadline, logged as "no answer to @what"; @d takes no more calls
 * (callsPending) until it answers and @c's late callback has run. */
bool abDaemonDomainCallRun(abDaemon *daemon, abDaemonDomain *d, abDaemonDomainCall *c,
                           const char *what);

/* The daemon exists for the calls' late callbacks from abDaemonNew to
 * abDaemonFree. */
void abDaemonCallRegister(abDaemon *daemon);
void abDaemonCallUnregister(abDaemon *daemon);

/* The libvirt error of the calling thread, copied (libvirt keeps errors
 * per thread). */
char *abDaemonCallError(void);
