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

typedef struct {
    abDaemon *daemon;
    int late;
    int freed;
    TestCall call;
} TestFixture;

static void
testSetUp(TestFixture *f, bool release)
{
    f->daemon = abDaemonNew("test:///default", abDaemonConfigNew(), false);
    f->late = f->freed = 0;
    f->call = (TestCall) { .release = release, .lateRuns = &f->late, .freed = &f->freed };
    g_mutex_init(&f->call.lock);
    g_cond_init(&f->call.cond);
}

static void
testTearDown(TestFixture *f)
{
    abDaemonFree(f->daemon);
    g_mutex_clear(&f->call.lock);
    g_cond_clear(&f->call.cond);
}

static bool
testRun(TestFixture *f, double timeoutSec)
{
    return abDaemonCallRun(f->daemon, testCallRun, &f->call, testCallFree, testCallLate,
                           timeoutSec);
}

static void
testIterateUntil(int *counter, int want)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (*counter < want && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, FALSE);
    g_assert_cmpint(*counter, ==, want);
}

/* A call that misses its deadline of @timeoutSec; then it answers. */
static void
testMissThenAnswer(TestFixture *f, double timeoutSec, bool freeDaemon)
{
    gint64 t0 = g_get_monotonic_time();

    testSetUp(f, false);
    g_assert_false(testRun(f, timeoutSec));
    /* back by the deadline, not when the call answers */
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);
    g_assert_cmpuint(abDaemonCallsBlocked(), ==, 1);
    if (freeDaemon)
        abDaemonFree(g_steal_pointer(&f->daemon));
    testCallRelease(&f->call);
    testIterateUntil(&f->freed, 1);
    g_assert_cmpuint(abDaemonCallsBlocked(), ==, 0);
}

static void
testInTime(void)
{
    TestFixture f;

    testSetUp(&f, true);
    g_assert_true(testRun(&f, 5));
    g_assert_cmpint(f.call.result, ==, 42);
    /* the caller's: neither callback ran */
    g_assert_cmpint(f.late, ==, 0);
    g_assert_cmpint(f.freed, ==, 0);
    g_assert_cmpuint(abDaemonCallsBlocked(), ==, 0);
    testTearDown(&f);
}

/* A late answer runs its callback; one that comes after its daemon is
 * gone frees its data and runs none (it would touch a freed daemon). */
static void
testLateCase(double timeoutSec, bool freeDaemon)
{
    TestFixture f;

    testMissThenAnswer(&f, timeoutSec, freeDaemon);
    g_assert_cmpint(f.late, ==, freeDaemon ? 0 : 1);
    testTearDown(&f);
}

static void
testLate(void)
{
    testLateCase(0.2, false);
}

static void
testLateAfterFree(void)
{
    testLateCase(0.1, true);
}

static const AbTestFunc tests[] = {
    { "/daemon-call/in-time", testInTime },
    { "/daemon-call/late", testLate },
    { "/daemon-call/late-after-free", testLateAfterFree },
};

AB_TEST_MAIN(tests, testLogInit)
