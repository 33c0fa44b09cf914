/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's calls with a deadline (ab-daemon-call.h): one that answers
 * in time hands back its results; one that does not is left to its thread,
 * counted as blocked, and finishes later in the main context, where its
 * late callback runs only while its daemon exists. */
#include "ab-daemon-call.h"
#include "ab-daemon-config.h"
#include "testutils.h"

typedef struct {
    GMutex lock;
    GCond cond;
    bool release;                    /* the "monitor" answers */
    int result;
    int *lateRuns;
    int *freed;
} TestCall;

static void
testCallRun(gpointer opaque)
{
    TestCall *c = opaque;

    g_mutex_lock(&c->lock);
    while (!c->release)
        g_cond_wait(&c->cond, &c->lock);
    g_mutex_unlock(&c->lock);
    c->result = 42;
}

static void
testCallRelease(TestCall *c)
{
    g_mutex_lock(&c->lock);
    c->release = true;
    g_cond_signal(&c->cond);
    g_mutex_unlock(&c->lock);
}

static void
testCallLate(abDaemon *daemon G_GNUC_UNUSED, gpointer opaque)
{
    TestCall *c = opaque;

    g_assert_cmpint(c->result, ==, 42);
    (*c->lateRuns)++;
}

/* (the test keeps the struct: only count the free) */
static void
testCallFree(gpointer opaque)
{
    TestCall *c = opaque;

    (*c->freed)++;
}

static abDaemon *
testDaemon(void)
{
    return abDaemonNew("test:///default", abDaemonConfigNew(), false);
}

static void
testIterateUntil(int *counter, int want)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (*counter < want && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, FALSE);
    g_assert_cmpint(*counter, ==, want);
}

static void
testInTime(void)
{
    abDaemon *daemon = testDaemon();
    int late = 0, freed = 0;
    TestCall c = { .release = true, .lateRuns = &late, .freed = &freed };

    g_mutex_init(&c.lock);
    g_cond_init(&c.cond);
    g_assert_true(abDaemonCallRun(daemon, testCallRun, &c, testCallFree, testCallLate, 5));
    g_assert_cmpint(c.result, ==, 42);
    /* the caller's: neither callback ran */
    g_assert_cmpint(late, ==, 0);
    g_assert_cmpint(freed, ==, 0);
    g_assert_cmpuint(abDaemonCallsBlocked(), ==, 0);
    abDaemonFree(daemon);
    g_mutex_clear(&c.lock);
    g_cond_clear(&c.cond);
}

static void
testLate(void)
{
    abDaemon *daemon = testDaemon();
    int late = 0, freed = 0;
    TestCall c = { .lateRuns = &late, .freed = &freed };
    gint64 t0 = g_get_monotonic_time();

    g_mutex_init(&c.lock);
    g_cond_init(&c.cond);
    g_assert_false(abDaemonCallRun(daemon, testCallRun, &c, testCallFree, testCallLate, 0.2));
    /* back by the deadline, not when the call answers */
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);
    g_assert_cmpuint(abDaemonCallsBlocked(), ==, 1);
    testCallRelease(&c);
    testIterateUntil(&freed, 1);
    g_assert_cmpint(late, ==, 1);
    g_assert_cmpuint(abDaemonCallsBlocked(), ==, 0);
    abDaemonFree(daemon);
    g_mutex_clear(&c.lock);
    g_cond_clear(&c.cond);
}

/* A call that answers after its daemon is gone frees its data and runs
 * no late callback (it would touch a freed daemon). */
static void
testLateAfterFree(void)
{
    abDaemon *daemon = testDaemon();
    int late = 0, freed = 0;
    TestCall c = { .lateRuns = &late, .freed = &freed };

    g_mutex_init(&c.lock);
    g_cond_init(&c.cond);
    g_assert_false(abDaemonCallRun(daemon, testCallRun, &c, testCallFree, testCallLate, 0.1));
    abDaemonFree(daemon);
    testCallRelease(&c);
    testIterateUntil(&freed, 1);
    g_assert_cmpint(late, ==, 0);
    g_mutex_clear(&c.lock);
    g_cond_clear(&c.cond);
}

static const AbTestFunc tests[] = {
    { "/daemon-call/in-time", testInTime },
    { "/daemon-call/late", testLate },
    { "/daemon-call/late-after-free", testLateAfterFree },
};

AB_TEST_MAIN(tests, testLogInit)
