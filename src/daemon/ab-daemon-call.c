/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-daemon-call.c: libvirt calls on a worker thread, with a deadline
 * (see ab-daemon-call.h). */
#include "ab-daemon-call.h"

typedef struct {
    gint refs;
    GMutex lock;
    GCond cond;
    bool done;
    bool abandoned;
    abDaemonCallFunc func;
    gpointer data;
    GDestroyNotify free;
    abDaemonCallLate late;
    abDaemon *daemon;
    guint64 serial;
} abDaemonCall;

/* The daemons that exist, by pointer and serial (a new daemon may reuse
 * a freed one's address); the main thread's only. */
static GHashTable *abDaemonCallLive;
static guint64 abDaemonCallSerial;
/* Threads are made as needed and kept: one a hung call holds, the others
 * reused. */
static GThreadPool *abDaemonCallPool;
/* calls past their deadline still running */
static gint abDaemonCallsLate;

static void
abDaemonCallUnref(abDaemonCall *call)
{
    if (!g_atomic_int_dec_and_test(&call->refs))
        return;
    g_mutex_clear(&call->lock);
    g_cond_clear(&call->cond);
    g_free(call);
}

static gboolean
abDaemonCallLateCb(gpointer opaque)
{
    abDaemonCall *call = opaque;
    gpointer serial = abDaemonCallLive ?
        g_hash_table_lookup(abDaemonCallLive, call->daemon) : NULL;

    if (call->late && serial && GPOINTER_TO_SIZE(serial) == call->serial)
        call->late(call->daemon, call->data);
    if (call->free)
        call->free(call->data);
    abDaemonCallUnref(call);
    return G_SOURCE_REMOVE;
}

static void
abDaemonCallWorker(gpointer opaque, gpointer unused G_GNUC_UNUSED)
{
    abDaemonCall *call = opaque;

    call->func(call->data);
    g_mutex_lock(&call->lock);
    call->done = true;
    if (call->abandoned) {
        g_atomic_int_inc(&call->refs);
        g_atomic_int_add(&abDaemonCallsLate, -1);
        g_idle_add(abDaemonCallLateCb, call);
    }
    g_cond_signal(&call->cond);
    g_mutex_unlock(&call->lock);
    abDaemonCallUnref(call);
}

bool
abDaemonCallRun(abDaemon *daemon, abDaemonCallFunc func, gpointer data,
                GDestroyNotify free, abDaemonCallLate late, double timeoutSec)
{
    abDaemonCall *call = g_new0(abDaemonCall, 1);
    gint64 deadline = g_get_monotonic_time() + (gint64) (timeoutSec * G_USEC_PER_SEC);
    bool done;

    if (!abDaemonCallPool)
        abDaemonCallPool = g_thread_pool_new(abDaemonCallWorker, NULL, -1, FALSE, NULL);
    g_mutex_init(&call->lock);
    g_cond_init(&call->cond);
    call->refs = 2;                  /* the caller's and the worker's */
    call->func = func;
    call->data = data;
    call->free = free;
    call->late = late;
    call->daemon = daemon;
    call->serial = abDaemonCallLive ?
        GPOINTER_TO_SIZE(g_hash_table_lookup(abDaemonCallLive, daemon)) : 0;
    g_thread_pool_push(abDaemonCallPool, call, NULL);

    g_mutex_lock(&call->lock);
    while (!call->done && g_cond_wait_until(&call->cond, &call->lock, deadline))
        ;
    done = call->done;
    if (!done) {
        call->abandoned = true;
        g_atomic_int_inc(&abDaemonCallsLate);
    }
    g_mutex_unlock(&call->lock);
    abDaemonCallUnref(call);
    return done;
}

void
abDaemonCallRegister(abDaemon *daemon)
{
    if (!abDaemonCallLive)
        abDaemonCallLive = g_hash_table_new(NULL, NULL);
    g_hash_table_insert(abDaemonCallLive, daemon, GSIZE_TO_POINTER(++abDaemonCallSerial));
}

void
abDaemonCallUnregister(abDaemon *daemon)
{
    if (abDaemonCallLive)
        g_hash_table_remove(abDaemonCallLive, daemon);
    /* the last daemon gone and no call still blocked: the threads end
     * (a blocked one would hold the exit; the process ends it) */
    if (abDaemonCallPool && g_hash_table_size(abDaemonCallLive) == 0 &&
        g_atomic_int_get(&abDaemonCallsLate) == 0) {
        g_thread_pool_free(g_steal_pointer(&abDaemonCallPool), FALSE, TRUE);
        g_thread_pool_set_max_unused_threads(0);
        g_thread_pool_stop_unused_threads();
    }
}

char *
abDaemonCallError(void)
{
    return g_strdup(abDaemonLastError());
}

unsigned int
abDaemonCallsBlocked(void)
{
    return (unsigned int) g_atomic_int_get(&abDaemonCallsLate);
}

abDaemonDomainCall *
abDaemonDomainCallNew(abDaemonDomain *d, abDaemonDomainCallFunc func,
                      abDaemonDomainCallLate late)
{
    abDaemonDomainCall *c = g_new(abDaemonDomainCall, 1);

    *c = (abDaemonDomainCall) { .dom = d->dom, .func = func, .late = late,
                                .uuid = g_strdup(d->uuid), .name = g_strdup(d->name) };
    virDomainRef(c->dom);
    return c;
}

void
abDaemonDomainCallFree(abDaemonDomainCall *c)
{
    if (!c)
        return;
    virDomainFree(c->dom);
    g_free(c->uuid);
    g_free(c->name);
    g_free(c->error);
    g_free(c->xml);
    g_free(c);
}

static void
abDaemonDomainCallWork(gpointer opaque)
{
    abDaemonDomainCall *c = opaque;

    if ((c->rc = c->func(c)) < 0)
        c->error = abDaemonCallError();
}

static void
abDaemonDomainCallAnswered(abDaemon *daemon, gpointer opaque)
{
    abDaemonDomainCall *c = opaque;
    abDaemonDomain *d = g_hash_table_lookup(daemon->domains, c->uuid);

    if (d && d->callsPending > 0)
        d->callsPending--;
    if (c->late)
        c->late(daemon, d, c);
}

bool
abDaemonDomainCallRun(abDaemon *daemon, abDaemonDomain *d, abDaemonDomainCall *c,
                      const char *what)
{
    if (abDaemonCallRun(daemon, abDaemonDomainCallWork, c,
                        (GDestroyNotify) abDaemonDomainCallFree, abDaemonDomainCallAnswered,
                        AB_DAEMON_CALL_TIMEOUT_S))
        return true;
    d->callsPending++;
    g_warning("%s: no answer to %s within %g s (its QEMU monitor does not answer); "
              "no more calls to it until it does", d->name, what, AB_DAEMON_CALL_TIMEOUT_S);
    return false;
}
