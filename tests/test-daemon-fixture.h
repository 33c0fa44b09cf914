/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-daemon-fixture.h: the daemon integration tests' fixture: libvirt's
 * test driver (tests/daemondata/node.xml, opened as test:///ABS_PATH: every
 * open gets a fresh copy of that node), a fake clock, a fixed host
 * pressure source and a stats hook. libvirt's events are real: they reach
 * the daemon through libvirt-glib on the GLib main context the tests
 * iterate. */
#pragma once

#include "ab-config.h"
#include "ab-daemon.h"
#include "ab-daemon-test.h"
#include "ab-namespace.h"
#include "ab-policy.h"
#include "testutils.h"

#include <libvirt/virterror.h>
#include <stdlib.h>

#define MiB 1024ULL
#define WALL_BASE 1763900000

typedef struct {
    double mono;
    gint64 daemonWallStep;          /* the daemon's wall clock set off by this */
} FakeClock;

static inline double
fakeMono(void *opaque)
{
    return ((FakeClock *) opaque)->mono;
}

/* The wall clock of QEMU and of the clients */
static inline gint64
fakeWall(void *opaque)
{
    return WALL_BASE + (gint64) ((FakeClock *) opaque)->mono;
}

static inline gint64
fakeDaemonWall(void *opaque)
{
    return fakeWall(opaque) + ((FakeClock *) opaque)->daemonWallStep;
}

/* TEST STATS HOOK. libvirt's test driver reports no balloon.* stats at
 * all (checked in testNoStatsHolds). Where a test needs the decision paths
 * that depend on stats, this hook supplies what a Linux guest with a
 * virtio balloon reports: current = the size libvirt has, usable = that
 * minus the guest's own use, a fresh timestamp. */
typedef struct {
    FakeClock *clock;
    unsigned long long usedKiB;     /* memory the guest uses */
    const char *stuck;              /* domain whose balloon.current never moves */
    unsigned long long stuckKiB;
    const char *vanish;             /* domain destroyed between listing and setmem */
    bool undefine;                  /* and undefined too */
    gint64 frozenStamp;             /* last-update to report, 0: now */
    /* a balloon libvirt reports late (its size comes from QEMU's
     * rate-limited events): current stays at lagKiB while the guest's own
     * numbers already show the size libvirt has set */
    const char *lagging;
    unsigned long long lagKiB;
    unsigned long long majorFaults; /* reported as balloon.major_fault */
    unsigned int calls;
} StatsHook;

static inline void
statsHook(abDaemon *daemon, virDomainPtr dom, virTypedParameterPtr *params,
          int *nparams, int *maxparams, void *opaque)
{
    StatsHook *h = opaque;
    const char *name = virDomainGetName(dom);
    virDomainInfo info;
    unsigned long long cur;

    h->calls++;
    g_assert_cmpint(virDomainGetInfo(dom, &info), ==, 0);
    cur = info.memory;
    if (h->stuck && g_str_equal(name, h->stuck))
        cur = h->stuckKiB;
    virTypedParamsAddULLong(params, nparams, maxparams, "balloon.current",
                            h->lagging && g_str_equal(name, h->lagging) ? h->lagKiB : cur);
    virTypedParamsAddULLong(params, nparams, maxparams, "balloon.maximum", info.maxMem);
    virTypedParamsAddULLong(params, nparams, maxparams, "balloon.available", cur);
    virTypedParamsAddULLong(params, nparams, maxparams, "balloon.usable", cur - h->usedKiB);
    virTypedParamsAddULLong(params, nparams, maxparams, "balloon.unused", cur - h->usedKiB);
    virTypedParamsAddULLong(params, nparams, maxparams, "balloon.major_fault", h->majorFaults);
    virTypedParamsAddULLong(params, nparams, maxparams, "balloon.swap_in", 0);
    virTypedParamsAddULLong(params, nparams, maxparams, "balloon.last-update",
                            h->frozenStamp ? h->frozenStamp : fakeWall(h->clock));
    /* stats in hand, the domain goes before the daemon sets its target */
    if (h->vanish && g_str_equal(name, h->vanish)) {
        if (h->undefine)
            g_assert_cmpint(virDomainUndefine(dom), ==, 0);
        g_assert_cmpint(virDomainDestroy(dom), ==, 0);
    }
}

typedef struct {
    abDaemon *daemon;
    virConnectPtr conn;
    FakeClock clock;
    abDaemonPressure *pressure;     /* owned by the daemon */
    StatsHook hook;
} Fixture;

static inline char *
nodeURI(void)
{
    g_autofree char *path = g_build_filename(AB_SOURCE_ROOT, "tests", "daemondata",
                                             "node.xml", NULL);
    return g_strdup_printf("test://%s", path);
}

static inline void
fixtureSetupWith(Fixture *f, abDaemonConfig *cfg, bool dryRun, bool hook)
{
    g_autofree char *uri = nodeURI();
    g_autoptr(GError) err = NULL;
    abDaemonClock clock = { fakeMono, fakeDaemonWall, &f->clock };

    testLogClear();
    f->clock.mono = 1000;
    f->daemon = abDaemonNew(uri, cfg, dryRun);
    abDaemonSetClock(f->daemon, &clock);
    f->pressure = abDaemonPressureNewFixed();
    abDaemonSetPressure(f->daemon, f->pressure);
    f->hook = (StatsHook) { .clock = &f->clock, .usedKiB = 200 * MiB };
    if (hook)
        abDaemonSetStatsHook(f->daemon, statsHook, &f->hook);
    g_assert_no_error(err);
    g_assert_cmpint(abDaemonConnect(f->daemon, &err), ==, 0);
    g_assert_no_error(err);
    f->conn = abDaemonGetConnection(f->daemon);
}

static inline void
fixtureSetup(Fixture *f, gconstpointer data)
{
    fixtureSetupWith(f, abDaemonConfigNew(), false, true);
}

static inline void
fixtureSetupNoHook(Fixture *f, gconstpointer data)
{
    fixtureSetupWith(f, abDaemonConfigNew(), false, false);
}

static inline void
fixtureSetupDryRun(Fixture *f, gconstpointer data)
{
    fixtureSetupWith(f, abDaemonConfigNew(), true, true);
}

static inline void
fixtureTeardown(Fixture *f, gconstpointer data)
{
    abDaemonFree(f->daemon);
}

typedef void (*FixtureFunc)(Fixture *f, gconstpointer data);

/* One test on the fixture: its path, the test and its data; setup NULL is
 * fixtureSetup and teardown NULL fixtureTeardown. */
typedef struct {
    const char *path;
    FixtureFunc fn;
    gconstpointer data;
    FixtureFunc setup;
    FixtureFunc teardown;
} FixtureTest;

/* The main of a daemon test program: GLib's test setup, the log recorder,
 * the daemon's global setup, the tests of @tests in order, g_test_run. */
static inline int
fixtureMain(int argc, char **argv, const FixtureTest *tests, size_t ntests)
{
    g_test_init(&argc, &argv, NULL);
    testLogInit();
    abDaemonGlobalInit();
    for (size_t i = 0; i < ntests; i++)
        g_test_add(tests[i].path, Fixture, tests[i].data,
                   tests[i].setup ? tests[i].setup : fixtureSetup, tests[i].fn,
                   tests[i].teardown ? tests[i].teardown : fixtureTeardown);
    return g_test_run();
}
#define FIXTURE_MAIN(tests) \
    int main(int argc, char **argv) \
    { \
        return fixtureMain(argc, argv, tests, G_N_ELEMENTS(tests)); \
    }

static inline gboolean
wakeup(gpointer opaque)
{
    return G_SOURCE_CONTINUE;
}

/* Run the main context until @cond holds; fail after 10 s. */
#define waitFor(cond) \
    do { \
        gint64 deadline_ = g_get_monotonic_time() + 10 * G_USEC_PER_SEC; \
        guint src_ = g_timeout_add(10, wakeup, NULL); \
        while (!(cond)) { \
            if (g_get_monotonic_time() > deadline_) { \
                testLogDump(); \
                g_error("timed out waiting for %s", #cond); \
            } \
            g_main_context_iteration(NULL, TRUE); \
        } \
        g_source_remove(src_); \
    } while (0)

/* Let every queued libvirt event reach the daemon: the test driver queues
 * events and dispatches them from a zero timeout on the main context. */
static inline void
drainEvents(void)
{
    for (int i = 0; i < 10; i++)
        while (g_main_context_iteration(NULL, FALSE))
            ;
}

static inline abDaemonDomainInfo
info(Fixture *f, const char *name)
{
    abDaemonDomainInfo i;

    abDaemonGetDomainInfo(f->daemon, name, &i);
    return i;
}

static inline unsigned long long
libvirtMemory(Fixture *f, const char *name)
{
    virDomainPtr dom = virDomainLookupByName(f->conn, name);
    virDomainInfo i;

    g_assert_nonnull(dom);
    g_assert_cmpint(virDomainGetInfo(dom, &i), ==, 0);
    virDomainFree(dom);
    return i.memory;
}

static inline void
setMetadata(Fixture *f, const char *name, const char *xml, const char *prefix,
            const char *uri)
{
    virDomainPtr dom = virDomainLookupByName(f->conn, name);

    g_assert_nonnull(dom);
    if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml, prefix, uri,
                             VIR_DOMAIN_AFFECT_LIVE) < 0)
        g_error("set metadata on %s: %s", name, virGetLastErrorMessage());
    virDomainFree(dom);
}

static inline void
inject(Fixture *f, const char *name, abLevel level, gint64 expires)
{
    abConfInjected inj = { .level = level, .expires = expires };
    g_autofree char *xml = abConfInjectedFormat(&inj);

    setMetadata(f, name, xml, AB_NS_PRESSURE_PREFIX, AB_NS_PRESSURE_URI);
    waitFor(info(f, name).injected == level);
}

static inline bool
readStatus(Fixture *f, const char *name, abConfStatus *st)
{
    virDomainPtr dom = virDomainLookupByName(f->conn, name);
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_nonnull(dom);
    xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, AB_NS_STATUS_URI,
                               VIR_DOMAIN_AFFECT_LIVE);
    virDomainFree(dom);
    if (!xml)
        return false;
    g_assert_cmpint(abConfStatusParse(xml, st, &err), ==, 0);
    g_assert_no_error(err);
    return true;
}

static inline void
tick(Fixture *f, double advance)
{
    f->clock.mono += advance;
    abDaemonTick(f->daemon);
    drainEvents();
}
