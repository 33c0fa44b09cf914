/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests of autoballoond's logic against libvirt's test driver
 * (see test-daemon-fixture.h). */
#include "test-daemon-fixture.h"

/* ------------------------------------------------------------- tests */

static void
testManagedSet(Fixture *f, gconstpointer data)
{
    g_assert_true(info(f, "vm-on").managed);
    g_assert_true(info(f, "vm-on2").managed);
    g_assert_false(info(f, "vm-plain").managed);
    g_assert_false(info(f, "vm-off").managed);
    g_assert_true(info(f, "vm-stopped").known);
    g_assert_false(info(f, "vm-stopped").running);
    g_assert_false(info(f, "vm-stopped").managed);
    g_assert_true(info(f, "vm-qemu").managed);
    g_assert_cmpuint(abDaemonCountManaged(f->daemon), ==, 3);

    /* malformed policy: logged with the domain named, not managed */
    g_assert_false(info(f, "vm-bad").managed);
    g_assert_true(info(f, "vm-bad").policyError);
    assertLogged("WARNING", "vm-bad: invalid autoballoon policy metadata", "maybe");

    /* the current sizes are adopted, nothing is reset */
    g_assert_cmpuint(info(f, "vm-on").targetKiB, ==, 1024 * MiB);
    g_assert_cmpuint(info(f, "vm-on2").targetKiB, ==, 768 * MiB);
    tick(f, 2);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 0);
    g_assert_cmpuint(libvirtMemory(f, "vm-on2"), ==, 768 * MiB);
}

static void
testManageAll(Fixture *f, gconstpointer data)
{
    abDaemonConfig *cfg = abDaemonConfigNew();
    abConfStatus st = { 0 };

    g_assert_false(info(f, "vm-plain").managed);
    cfg->manage = AB_DAEMON_MANAGE_ALL;
    abDaemonReload(f->daemon, cfg);
    g_assert_true(info(f, "vm-plain").managed);
    /* an explicit off still wins */
    g_assert_false(info(f, "vm-off").managed);
    g_assert_false(info(f, "vm-bad").managed);
    g_assert_true(info(f, "vm-on").managed);

    /* a guest whose balloon cannot work is left out, said once */
    {
        virDomainPtr dom = virDomainCreateXML(f->conn,
            "<domain type='test'><name>vm-none</name><memory>1048576</memory>"
            "<os><type>hvm</type></os>"
            "<devices><memballoon model='none'/></devices></domain>", 0);

        g_assert_nonnull(dom);
        virDomainFree(dom);
        tick(f, 2);
        tick(f, 2);
        g_assert_false(info(f, "vm-none").managed);
        assertLogged("MESSAGE", "vm-none: not managed by 'manage = all'", "model='none'");
        {
            guint n = 0;

            for (guint i = 0; i < testLogs->len; i++)
                n += strstr(testLogs->pdata[i], "vm-none") != NULL;
            /* nothing else about it either: no stats or setmem failures */
            g_assert_cmpuint(n, ==, 1);
        }
    }
    /* a guest managed without a policy publishes its status too: that is
     * how balloon-status and balloon-inject-pressure --all find it */
    tick(f, 2);
    g_assert_true(readStatus(f, "vm-plain", &st));
    abConfStatusClear(&st);
}

/* The test driver returns no balloon stats; the engine must hold. */
static void
testNoStatsHolds(Fixture *f, gconstpointer data)
{
    virDomainPtr dom = virDomainLookupByName(f->conn, "vm-on");
    virDomainStatsRecordPtr *recs = NULL;
    abConfStatus st = { 0 };
    int n;

    n = virDomainListGetStats((virDomainPtr[]) { dom, NULL }, VIR_DOMAIN_STATS_BALLOON,
                              &recs, 0);
    g_assert_cmpint(n, ==, 1);
    for (int i = 0; i < recs[0]->nparams; i++)
        g_assert_false(g_str_has_prefix(recs[0]->params[i].field, "balloon."));
    virDomainStatsRecordListFree(recs);
    virDomainFree(dom);

    inject(f, "vm-on", AB_LEVEL_CRITICAL, 0);
    for (int i = 0; i < 5; i++)
        tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 0);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), ==, 1024 * MiB);
    g_assert_true(readStatus(f, "vm-on", &st));
    g_assert_cmpstr(st.reason, ==, abPolicyReasonToString(AB_POLICY_REASON_STALE_STATS));
    g_assert_cmpint(st.action, ==, AB_STATUS_ACTION_HOLD);
    abConfStatusClear(&st);
}

static void
testInjectedLowers(Fixture *f, gconstpointer data)
{
    unsigned long long prev = 1024 * MiB, now;
    int steps = 0;

    /* no pressure: nothing moves */
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 0);

    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    now = libvirtMemory(f, "vm-on");
    g_assert_cmpuint(now, <, prev);
    g_assert_cmpuint(now, ==, info(f, "vm-on").targetKiB);
    g_assert_cmpuint(prev - now, <=, AB_POLICY_STEP_MEDIUM_DEFAULT_KIB);
    assertLogged("MESSAGE", "vm-on: target 1048576 KiB -> ",
                 "(injected, level medium from injected)");
    /* only the guest the pressure was injected into gives */
    g_assert_cmpuint(libvirtMemory(f, "vm-on2"), ==, 768 * MiB);

    /* keeps shrinking, never below its floor (512 MiB in node.xml) */
    for (int i = 0; i < 30; i++) {
        prev = now;
        tick(f, 2);
        now = libvirtMemory(f, "vm-on");
        g_assert_cmpuint(now, <=, prev);
        g_assert_cmpuint(now, >=, 512 * MiB);
        steps += now < prev;
    }
    g_assert_cmpuint(now, ==, 512 * MiB);
    g_assert_cmpint(steps, >, 1);
}

/* Injects low pressure into vm-on, expiring @seconds from now on QEMU's
 * wall clock, and ticks: that one guest is set. Returns the count of
 * targets set. */
static unsigned int
injectLowOnce(Fixture *f, gint64 seconds)
{
    unsigned int n;

    inject(f, "vm-on", AB_LEVEL_LOW, fakeWall(&f->clock) + seconds);
    tick(f, 2);
    n = abDaemonCountSetMemory(f->daemon);
    g_assert_cmpuint(n, ==, 1);
    return n;
}

static void
testInjectedExpires(Fixture *f, gconstpointer data)
{
    unsigned int n = injectLowOnce(f, 3);

    tick(f, 2);   /* now past the expiry */
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n);
    assertLogged("vm-on: injected pressure low expired");
}

/* The daemon's wall clock stepped while it runs (fault 11 of issue 15):
 * an injection's expiry counts down on the monotonic clock, and stats
 * QEMU stamps with its own wall clock stay fresh while they keep coming. */
static void
testWallClockStep(Fixture *f, gconstpointer data)
{
    unsigned int n = injectLowOnce(f, 10);

    f->clock.daemonWallStep = -3600;
    for (int i = 0; i < 6; i++)
        tick(f, 2);
    assertLogged("vm-on: injected pressure low expired");
    n = abDaemonCountSetMemory(f->daemon);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n);

    /* an hour forward: every stamp QEMU gives looks an hour old */
    f->clock.daemonWallStep = 3600;
    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), >, n);
}

static void
testHostPressure(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };

    abDaemonPressureFixedSet(f->pressure, AB_LEVEL_MEDIUM, AB_STATUS_SOURCE_PSI, 32 * MiB);
    tick(f, 2);
    g_assert_cmpuint(libvirtMemory(f, "vm-on") + libvirtMemory(f, "vm-on2"), <,
                     (1024 + 768) * MiB);
    g_assert_cmpuint(libvirtMemory(f, "vm-plain"), ==, 1024 * MiB);
    assertLogged("MESSAGE", "(host-pressure, level medium from psi)");
    g_assert_true(readStatus(f, "vm-on", &st));
    g_assert_cmpint(st.source, ==, AB_STATUS_SOURCE_PSI);
    g_assert_cmpint(st.level, ==, AB_LEVEL_MEDIUM);
    abConfStatusClear(&st);
}

static void
testDryRun(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };

    inject(f, "vm-on", AB_LEVEL_CRITICAL, 0);
    abDaemonPressureFixedSet(f->pressure, AB_LEVEL_CRITICAL, AB_STATUS_SOURCE_PSI, 0);
    for (int i = 0; i < 5; i++)
        tick(f, 2);
    abDaemonFlushStatus(f->daemon, true);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 0);
    g_assert_cmpuint(abDaemonCountStatusWrites(f->daemon), ==, 0);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), ==, 1024 * MiB);
    g_assert_cmpuint(libvirtMemory(f, "vm-on2"), ==, 768 * MiB);
    g_assert_false(readStatus(f, "vm-on", &st));
    assertLogged("MESSAGE", "vm-on: target 1048576 KiB -> ", "(dry run, not applied)");
}

static void
testLiveEnableDisable(Fixture *f, gconstpointer data)
{
    abConfPolicy *pol = abConfPolicyNew();
    g_autofree char *on = NULL;
    g_autofree char *off = NULL;
    abConfStatus st = { 0 };

    pol->enabled = true;
    on = abConfPolicyFormatMetadata(pol);
    pol->enabled = false;
    off = abConfPolicyFormatMetadata(pol);
    abConfPolicyFree(pol);

    g_assert_false(info(f, "vm-plain").managed);
    setMetadata(f, "vm-plain", on, AB_NS_POLICY_PREFIX, AB_NS_POLICY_URI);
    waitFor(info(f, "vm-plain").managed);
    assertLogged("vm-plain: managed");

    inject(f, "vm-plain", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    g_assert_cmpuint(libvirtMemory(f, "vm-plain"), <, 1024 * MiB);
    g_assert_true(readStatus(f, "vm-plain", &st));
    abConfStatusClear(&st);

    setMetadata(f, "vm-plain", off, AB_NS_POLICY_PREFIX, AB_NS_POLICY_URI);
    waitFor(!info(f, "vm-plain").managed);
    assertLogged("vm-plain: no longer managed");
    /* its status says why nothing happens to it any more */
    abDaemonFlushStatus(f->daemon, true);
    g_assert_true(readStatus(f, "vm-plain", &st));
    g_assert_cmpstr(st.reason, ==, "disabled");
    g_assert_cmpint(st.action, ==, AB_STATUS_ACTION_NONE);
    abConfStatusClear(&st);

    /* a policy removed altogether also stops management, and the status
     * element goes */
    g_assert_true(info(f, "vm-on").managed);
    abDaemonFlushStatus(f->daemon, true);
    g_assert_true(readStatus(f, "vm-on", &st));
    abConfStatusClear(&st);
    setMetadata(f, "vm-on", NULL, NULL, AB_NS_POLICY_URI);
    waitFor(!info(f, "vm-on").managed);
    g_assert_false(readStatus(f, "vm-on", &st));

    /* a resync without events sees the same */
    setMetadata(f, "vm-off", on, AB_NS_POLICY_PREFIX, AB_NS_POLICY_URI);
    g_assert_cmpint(abDaemonResync(f->daemon, NULL), ==, 0);
    g_assert_true(info(f, "vm-off").managed);
}

static void
testMalformedLive(Fixture *f, gconstpointer data)
{
    setMetadata(f, "vm-on",
                "<policy state='on'><floor unit='parsecs'>5</floor></policy>",
                AB_NS_POLICY_PREFIX, AB_NS_POLICY_URI);
    waitFor(info(f, "vm-on").policyError);
    /* kept managed with its last valid policy (test-daemon-metadata.c) */
    g_assert_true(info(f, "vm-on").managed);
    assertLogged("WARNING", "vm-on: invalid autoballoon policy metadata", "parsecs");

    /* malformed injected pressure: logged, ignored */
    setMetadata(f, "vm-on2", "<pressure level='apocalyptic'/>",
                AB_NS_PRESSURE_PREFIX, AB_NS_PRESSURE_URI);
    drainEvents();
    waitFor(testLogFind("vm-on2: invalid injected pressure", NULL) >= 0);
    g_assert_cmpint(info(f, "vm-on2").injected, ==, AB_LEVEL_NONE);
    tick(f, 2);
    g_assert_true(info(f, "vm-on2").managed);
}

static void
testVanish(Fixture *f, gconstpointer data)
{
    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    inject(f, "vm-on2", AB_LEVEL_MEDIUM, 0);
    f->hook.vanish = "vm-on";
    f->hook.undefine = GPOINTER_TO_INT(data);
    tick(f, 2);
    g_assert_cmpuint(f->hook.calls, ==, 2);   /* not vm-qemu: QEMU inflates it */
    /* the other guest was still handled */
    g_assert_cmpuint(libvirtMemory(f, "vm-on2"), <, 768 * MiB);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 1);
    assertLogged("WARNING", "vm-on: cannot set target 1048576 KiB -> ");
    /* the lifecycle events take it out of management */
    waitFor(!info(f, "vm-on").managed);
    if (f->hook.undefine)
        waitFor(!info(f, "vm-on").known);
    tick(f, 2);
    g_assert_cmpuint(f->hook.calls, ==, 3);
}

static void
testStatus(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };
    unsigned int writes;

    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    testLogClear();
    tick(f, 2);
    g_assert_true(readStatus(f, "vm-on", &st));
    g_assert_cmpint(st.level, ==, AB_LEVEL_MEDIUM);
    g_assert_cmpint(st.source, ==, AB_STATUS_SOURCE_INJECTED);
    g_assert_cmpuint(st.targetKiB, ==, libvirtMemory(f, "vm-on"));
    g_assert_cmpuint(st.targetKiB, <, 1024 * MiB);
    g_assert_cmpuint(st.actualKiB, ==, 1024 * MiB);  /* actual before the balloon moved */
    g_assert_cmpuint(st.usableKiB, ==, (1024 - 200) * MiB);
    g_assert_cmpint(st.action, ==, AB_STATUS_ACTION_INFLATE);
    g_assert_cmpstr(st.reason, ==, abPolicyReasonToString(AB_POLICY_REASON_INJECTED));
    g_assert_false(st.unresponsive);
    g_assert_cmpint(st.time, ==, fakeWall(&f->clock));
    abConfStatusClear(&st);
    /* our own write came back as a metadata-change event, and was ignored */
    g_assert_cmpint(testLogFind("policy metadata changed", NULL), <, 0);

    /* a change within the interval waits; a later tick writes it */
    writes = abDaemonCountStatusWrites(f->daemon);
    tick(f, 0.3);
    g_assert_cmpuint(abDaemonCountStatusWrites(f->daemon), ==, writes);
    tick(f, 1);
    g_assert_cmpuint(abDaemonCountStatusWrites(f->daemon), >, writes);

    /* no change but the time: no write */
    abDaemonPressureFixedSet(f->pressure, AB_LEVEL_NONE, AB_STATUS_SOURCE_NONE, 0);
    setMetadata(f, "vm-on", NULL, NULL, AB_NS_PRESSURE_URI);
    waitFor(info(f, "vm-on").injected == AB_LEVEL_NONE);
    tick(f, 2);
    tick(f, 2);
    writes = abDaemonCountStatusWrites(f->daemon);
    tick(f, 2);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountStatusWrites(f->daemon), ==, writes);
}

static void
testUnresponsive(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };
    unsigned int n;

    f->hook.stuck = "vm-on";
    f->hook.stuckKiB = 1024 * MiB;
    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    n = abDaemonCountSetMemory(f->daemon);
    g_assert_cmpuint(n, ==, 1);
    /* the balloon does not inflate: stuck once the rate window (4 s) shows
     * less than 15 MiB/s */
    tick(f, 2);
    g_assert_false(info(f, "vm-on").unresponsive);
    tick(f, 2);
    g_assert_true(info(f, "vm-on").unresponsive);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n);
    assertLogged("WARNING", "vm-on: balloon stuck short of target");
    abDaemonFlushStatus(f->daemon, true);
    g_assert_true(readStatus(f, "vm-on", &st));
    g_assert_true(st.unresponsive);
    abConfStatusClear(&st);

    /* asked again once its back-off (10 s) is over, not before */
    for (int i = 0; i < 4; i++)
        tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n + 1);
    assertLogged("MESSAGE", "vm-on: asking the stuck balloon again");
    /* still stuck 4 s later: the next back-off is twice as long (20 s) */
    tick(f, 4);
    g_assert_true(info(f, "vm-on").unresponsive);
    tick(f, 19.5);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n + 1);
    tick(f, 0.5);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n + 2);
    n = abDaemonCountSetMemory(f->daemon);

    /* it moves at last: commands resume */
    f->hook.stuck = NULL;
    tick(f, 2);
    g_assert_false(info(f, "vm-on").unresponsive);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), >, n);
}

/* A target adopted at connect time from libvirt's last balloon-change
 * size follows the balloon until the daemon sets one itself: otherwise a
 * balloon still moving at connect time leaves the guest 'pending' for
 * good and pressure never shrinks it. */
static void
testAdoptedTargetFollows(Fixture *f, gconstpointer data)
{
    f->hook.stuck = "vm-on";
    f->hook.stuckKiB = 768 * MiB;      /* libvirt still says 1024 MiB */
    tick(f, 2);
    g_assert_cmpuint(info(f, "vm-on").targetKiB, ==, 768 * MiB);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 0);

    /* and pressure acts from there (the balloon stays where it is in this
     * test): the medium step is 64 MiB */
    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 1);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), ==, (768 - 64) * MiB);
}

/* A user who sets a managed guest's size by hand (virsh setmem) is not
 * fought: below the daemon's target the size becomes the target, the
 * balloon is not called unresponsive, no command pulls it back, and
 * pressure shrinks it from there; above it, the guest keeps it. */
static void
testUserSetmem(Fixture *f, gconstpointer data)
{
    virDomainPtr dom = virDomainLookupByName(f->conn, "vm-on");
    unsigned int n;

    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    inject(f, "vm-on", AB_LEVEL_NONE, 0);
    n = abDaemonCountSetMemory(f->daemon);
    g_assert_cmpuint(n, ==, 1);
    g_assert_cmpuint(info(f, "vm-on").targetKiB, <, 1024 * MiB);

    g_assert_cmpint(virDomainSetMemoryFlags(dom, 800 * MiB, VIR_DOMAIN_AFFECT_LIVE), ==, 0);
    virDomainFree(dom);
    for (int i = 0; i < 10; i++)
        tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n);
    g_assert_false(info(f, "vm-on").unresponsive);
    g_assert_cmpuint(info(f, "vm-on").targetKiB, ==, 800 * MiB);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), ==, 800 * MiB);
    assertLogged("MESSAGE", "vm-on: balloon at 819200 KiB, below the target",
                 "set by someone else, taken as the target");

    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n + 1);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), <, 800 * MiB);
    inject(f, "vm-on", AB_LEVEL_NONE, 0);

    /* memory given back (by the user here; deflate-on-oom looks the same)
     * between two ticks: the size is the target, not a stuck balloon to
     * ask again */
    dom = virDomainLookupByName(f->conn, "vm-on");
    g_assert_cmpint(virDomainSetMemoryFlags(dom, 1000 * MiB, VIR_DOMAIN_AFFECT_LIVE), ==, 0);
    virDomainFree(dom);
    n = abDaemonCountSetMemory(f->daemon);
    tick(f, 2);
    g_assert_cmpuint(info(f, "vm-on").targetKiB, ==, 1000 * MiB);
    assertLogged("MESSAGE", "vm-on: balloon at 1024000 KiB, above the target",
                 "taken as the target");
    for (int i = 0; i < 10; i++)
        tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n);
    g_assert_false(info(f, "vm-on").unresponsive);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), ==, 1000 * MiB);
}

static void
testStatsPeriodEnabled(Fixture *f, gconstpointer data)
{
    virDomainPtr dom = virDomainLookupByName(f->conn, "vm-on2");
    g_autofree char *before = virDomainGetXMLDesc(dom, 0);
    g_autofree char *after = NULL;

    /* vm-on2 has a balloon without a stats period in node.xml */
    g_assert_null(strstr(before, "<stats period"));
    tick(f, 2);
    after = virDomainGetXMLDesc(dom, 0);
    g_assert_nonnull(strstr(after, "<stats period='2'/>"));
    assertLogged("vm-on2: balloon stats enabled every 2 s");
    virDomainFree(dom);
}

/* A failed virDomainSetMemoryStatsPeriod is tried again, backing off (10 s,
 * then 20 s), not once and never again, and not at every tick either. The
 * test driver refuses it on a guest without a balloon. */
static void
testStatsPeriodRetried(Fixture *f, gconstpointer data)
{
    const char *xml =
        "<domain type='test'><name>vm-noballoon</name>"
        "<metadata><autoballoon:policy xmlns:autoballoon='" AB_NS_POLICY_URI "' state='on'/></metadata>"
        "<memory unit='MiB'>1024</memory><vcpu>1</vcpu><os><type>hvm</type></os>"
        "<devices><memballoon model='none'/></devices></domain>";
    const char *failed = "vm-noballoon: cannot enable balloon stats";
    virDomainPtr dom = virDomainCreateXML(f->conn, xml, 0);
    guint n;

    g_assert_nonnull(dom);
    waitFor(info(f, "vm-noballoon").managed);
    tick(f, 2);
    g_assert_cmpuint((n = testLogCount(failed)), ==, 1);
    for (int i = 0; i < 4; i++)
        tick(f, 2);                 /* +8 s */
    g_assert_cmpuint(testLogCount(failed), ==, n);
    tick(f, 2);                     /* +10 s */
    g_assert_cmpuint(testLogCount(failed), ==, n + 1);
    assertLogged("trying again in 20 s");
    for (int i = 0; i < 9; i++)
        tick(f, 2);                 /* +18 s */
    g_assert_cmpuint(testLogCount(failed), ==, n + 1);
    tick(f, 2);
    g_assert_cmpuint(testLogCount(failed), ==, n + 2);
    g_assert_cmpint(virDomainDestroy(dom), ==, 0);
    virDomainFree(dom);
}

/* A reconnect (here to a fresh copy of the node, as after a libvirtd
 * restart that lost live state) resyncs: sizes are adopted from libvirt,
 * policies and status rebuilt. */
static void
testReconnectResync(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) err = NULL;
    abConfStatus st = { 0 };

    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    g_assert_cmpuint(info(f, "vm-on").targetKiB, <, 1024 * MiB);

    g_assert_cmpint(abDaemonConnect(f->daemon, &err), ==, 0);
    g_assert_no_error(err);
    f->conn = abDaemonGetConnection(f->daemon);
    g_assert_cmpuint(info(f, "vm-on").targetKiB, ==, 1024 * MiB);
    g_assert_cmpint(info(f, "vm-on").injected, ==, AB_LEVEL_NONE);
    g_assert_true(info(f, "vm-on").managed);
    g_assert_false(readStatus(f, "vm-on", &st));
    tick(f, 2);
    g_assert_true(readStatus(f, "vm-on", &st));
    g_assert_cmpuint(st.targetKiB, ==, 1024 * MiB);
    abConfStatusClear(&st);
    /* and events flow on the new connection */
    inject(f, "vm-on", AB_LEVEL_LOW, 0);
}

/* Under the main loop a level change runs a tick at once, not at the
 * next interval (an hour here). */
static void
testLevelChangeTicksEarly(Fixture *f, gconstpointer data)
{
    abDaemonConfig *cfg = abDaemonConfigNew();

    cfg->tickSec = 3600;
    abDaemonReload(f->daemon, cfg);
    abDaemonStart(f->daemon);
    drainEvents();
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 0);
    abDaemonPressureFixedSet(f->pressure, AB_LEVEL_CRITICAL, AB_STATUS_SOURCE_PSI, 0);
    waitFor(abDaemonCountSetMemory(f->daemon) > 0);
    assertLogged("(host-pressure, level critical from psi)");
}

/* A guest whose QEMU inflates by itself (abqemu:balloon inflater='qemu',
 * written by src/qemu) gets no target from the daemon, only a status. */
static void
testQemuInflates(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };

    inject(f, "vm-qemu", AB_LEVEL_CRITICAL, 0);
    abDaemonPressureFixedSet(f->pressure, AB_LEVEL_CRITICAL, AB_STATUS_SOURCE_PSI, 0);
    tick(f, 2);
    tick(f, 2);
    g_assert_cmpuint(libvirtMemory(f, "vm-qemu"), ==, 1024 * MiB);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), <, 1024 * MiB);
    assertLogged("vm-qemu: QEMU inflates this balloon itself");
    g_assert_true(readStatus(f, "vm-qemu", &st));
    g_assert_cmpstr(st.reason, ==, "qemu-automatic");
    abConfStatusClear(&st);
}

/* Found with make demo: right after an inflation libvirt still reports
 * the balloon's old size (QEMU's balloon-change events are rate-limited)
 * while the guest's stats already show the inflation. Measured against the
 * old size, the guest seemed to use the inflated pages itself and to grow
 * at that rate, and a guest whose page cache faulted back in was grown
 * back by much more than a step. While a balloon inflates its stats are
 * measured against the target: used = target - usable, no growth. */
static void
testLaggingBalloon(Fixture *f, gconstpointer data)
{
    unsigned long long before, after;

    f->hook.usedKiB = 200 * MiB;
    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    before = info(f, "vm-on").targetKiB;
    tick(f, 2);
    after = info(f, "vm-on").targetKiB;
    g_assert_cmpuint(after, <, before);
    inject(f, "vm-on", AB_LEVEL_NONE, 0);

    /* libvirt still says the old size; the guest's numbers are new, and
     * its page cache faults back in: guest pressure */
    f->hook.lagging = "vm-on";
    f->hook.lagKiB = before;
    f->hook.majorFaults = 1000;
    tick(f, 2);
    /* faults alone grow a guest by its low step (32 MiB), not by a rate
     * made of the lag (64 MiB in 2 s over a 4 s horizon: 128 MiB) */
    g_assert_cmpuint(info(f, "vm-on").targetKiB, <=, after + 32 * MiB);
    g_assert_cmpuint(info(f, "vm-on").targetKiB, >, after);
}

static const FixtureTest tests[] = {
    { "/daemon/managed-set", testManagedSet },
    { "/daemon/lagging-balloon-no-false-growth", testLaggingBalloon },
    { "/daemon/manage-all-reload", testManageAll },
    { "/daemon/no-stats-holds", testNoStatsHolds, NULL, fixtureSetupNoHook },
    { "/daemon/injected-lowers-within-floor", testInjectedLowers },
    { "/daemon/injected-expires", testInjectedExpires },
    { "/daemon/wall-clock-step", testWallClockStep },
    { "/daemon/host-pressure", testHostPressure },
    { "/daemon/dry-run", testDryRun, NULL, fixtureSetupDryRun },
    { "/daemon/live-enable-disable", testLiveEnableDisable },
    { "/daemon/malformed-metadata", testMalformedLive },
    { "/daemon/vanish-destroy", testVanish, GINT_TO_POINTER(0) },
    { "/daemon/vanish-undefine", testVanish, GINT_TO_POINTER(1) },
    { "/daemon/status", testStatus },
    { "/daemon/unresponsive", testUnresponsive },
    { "/daemon/adopted-target-follows", testAdoptedTargetFollows },
    { "/daemon/level-change-ticks-early", testLevelChangeTicksEarly },
    { "/daemon/qemu-inflates", testQemuInflates },
    { "/daemon/reconnect-resync", testReconnectResync },
    { "/daemon/user-setmem", testUserSetmem },
    { "/daemon/stats-period-enabled", testStatsPeriodEnabled },
    { "/daemon/stats-period-retried", testStatsPeriodRetried },
};

FIXTURE_MAIN(tests)
