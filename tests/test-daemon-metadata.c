/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests: metadata that any libvirt client may write (policy,
 * injected pressure) and that does not parse. The guest keeps its last
 * valid policy, the status says reason bad-policy / bad-pressure with the
 * field and value, a valid policy written afterwards applies at once.
 * Against libvirt's test driver (see test-daemon-fixture.h). */
#include "test-daemon-fixture.h"

static void
setPolicy(Fixture *f, const char *name, const char *xml)
{
    setMetadata(f, name, xml, AB_NS_POLICY_PREFIX, AB_NS_POLICY_URI);
}

/* The status as written now (not held back by the status interval). */
static void
flushedStatus(Fixture *f, const char *name, abConfStatus *st)
{
    abDaemonFlushStatus(f->daemon, true);
    g_assert_true(readStatus(f, name, st));
}

/* Malformed, out of range, duplicated, unknown: each one leaves vm-on
 * (floor 512 MiB in node.xml) managed with that floor. */
static const struct {
    const char *xml;
    const char *what;                /* must appear in the status error */
} badPolicies[] = {
    { "<policy state='on'><floor unit='parsecs'>5</floor></policy>", "parsecs" },
    { "<policy state='maybe'/>", "maybe" },
    { "<policy state='on'><floor unit='MiB'>-1</floor></policy>", "-1" },
    { "<policy state='on'><floor unit='MiB'>2048</floor></policy>", "floor" },
    { "<policy state='on'><floor unit='MiB'>900</floor><ceiling unit='MiB'>600</ceiling></policy>",
      "ceiling" },
    { "<policy state='on'><floor>1</floor><floor>2</floor></policy>", "floor" },
    { "<policy state='on'><weight>0</weight></policy>", "weight" },
    { "<policy state='on'><step level='extreme' unit='MiB'>1</step></policy>", "extreme" },
    { "<policy state='on'><floor unit='MiB'>99999999999999999999999</floor></policy>",
      "99999999999999999999999" },
    { "<policy state='on'><color>red</color></policy>", "color" },
    { "<policy state='on' colour='red'/>", "colour" },
    { "<pressure level='low'/>", "pressure" },
};

static void
testBadPolicyKeepsLast(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };
    unsigned long long now;

    g_assert_true(info(f, "vm-on").managed);
    abDaemonPressureFixedSet(f->pressure, AB_LEVEL_CRITICAL, AB_STATUS_SOURCE_PSI, 0);

    for (size_t i = 0; i < G_N_ELEMENTS(badPolicies); i++) {
        testLogClear();
        setPolicy(f, "vm-on", badPolicies[i].xml);
        waitFor(info(f, "vm-on").policyError);
        /* still managed, by the last valid policy */
        g_assert_true(info(f, "vm-on").managed);
        assertLogged("WARNING", "vm-on: invalid autoballoon policy metadata",
                     "keeping the last valid policy", badPolicies[i].what);
        for (int t = 0; t < 4; t++) {
            tick(f, 2);
            now = libvirtMemory(f, "vm-on");
            g_assert_cmpuint(now, >=, 512 * MiB);
            g_assert_cmpuint(now, <=, 1024 * MiB);
        }
        flushedStatus(f, "vm-on", &st);
        g_assert_cmpstr(st.reason, ==, AB_CONF_STATUS_REASON_BAD_POLICY);
        g_assert_nonnull(st.error);
        if (!strstr(st.error, badPolicies[i].what))
            g_error("status error '%s' does not name '%s'", st.error, badPolicies[i].what);
        abConfStatusClear(&st);

        /* the same bad policy again: not logged again */
        testLogClear();
        setPolicy(f, "vm-on", badPolicies[i].xml);
        drainEvents();
        g_assert_cmpint(testLogFind("invalid autoballoon policy", NULL), <, 0);
        /* a valid one in between, so that each bad one is news */
        setPolicy(f, "vm-on",
                  "<policy state='on'><floor unit='MiB'>512</floor></policy>");
        waitFor(!info(f, "vm-on").policyError);
    }
    /* host critical all along: the guest went to its floor and no lower */
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), ==, 512 * MiB);
}

static void
testValidPolicyAppliesAtOnce(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };

    inject(f, "vm-on", AB_LEVEL_CRITICAL, 0);
    for (int i = 0; i < 30 && libvirtMemory(f, "vm-on") > 512 * MiB; i++)
        tick(f, 2);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), ==, 512 * MiB);

    setPolicy(f, "vm-on", "<policy state='on'><floor unit='lightyears'>1</floor></policy>");
    waitFor(info(f, "vm-on").policyError);
    tick(f, 2);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), ==, 512 * MiB);

    /* a valid policy with a higher floor: the next tick brings the guest
     * up to it, and the status no longer says bad-policy */
    setPolicy(f, "vm-on", "<policy state='on'><floor unit='MiB'>800</floor></policy>");
    waitFor(!info(f, "vm-on").policyError);
    assertLogged("MESSAGE", "vm-on: valid autoballoon policy metadata again");
    tick(f, 2);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), ==, 800 * MiB);
    flushedStatus(f, "vm-on", &st);
    g_assert_cmpstr(st.reason, !=, AB_CONF_STATUS_REASON_BAD_POLICY);
    g_assert_null(st.error);
    abConfStatusClear(&st);
}

/* Running daemon: the metadata-change event itself schedules a tick. */
static void
testValidPolicyTicksEarly(Fixture *f, gconstpointer data)
{
    abDaemonConfig *cfg = abDaemonConfigNew();

    cfg->tickSec = 3600;
    abDaemonReload(f->daemon, cfg);
    inject(f, "vm-on", AB_LEVEL_CRITICAL, 0);
    for (int i = 0; i < 30 && libvirtMemory(f, "vm-on") > 512 * MiB; i++)
        tick(f, 2);
    g_assert_cmpuint(libvirtMemory(f, "vm-on"), ==, 512 * MiB);
    abDaemonStart(f->daemon);
    setPolicy(f, "vm-on", "<policy state='on'><floor unit='MiB'>700</floor></policy>");
    waitFor(libvirtMemory(f, "vm-on") == 700 * MiB);
}

static void
testBadPolicyNoneBefore(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };
    abDaemonConfig *cfg = abDaemonConfigNew();

    /* vm-plain had no policy: a bad one does not make it managed, even
     * with manage = all, but its status says why */
    cfg->manage = AB_DAEMON_MANAGE_ALL;
    abDaemonReload(f->daemon, cfg);
    g_assert_true(info(f, "vm-plain").managed);
    setPolicy(f, "vm-plain", "<policy state='on'><weight>-5</weight></policy>");
    waitFor(info(f, "vm-plain").policyError);
    g_assert_false(info(f, "vm-plain").managed);
    abDaemonPressureFixedSet(f->pressure, AB_LEVEL_CRITICAL, AB_STATUS_SOURCE_PSI, 0);
    tick(f, 2);
    tick(f, 2);
    g_assert_cmpuint(libvirtMemory(f, "vm-plain"), ==, 1024 * MiB);
    flushedStatus(f, "vm-plain", &st);
    g_assert_cmpstr(st.reason, ==, AB_CONF_STATUS_REASON_BAD_POLICY);
    g_assert_cmpint(st.action, ==, AB_STATUS_ACTION_NONE);
    g_assert_nonnull(strstr(st.error, "-5"));
    abConfStatusClear(&st);

    /* vm-bad (state='maybe' in node.xml) publishes the same from the start */
    flushedStatus(f, "vm-bad", &st);
    g_assert_cmpstr(st.reason, ==, AB_CONF_STATUS_REASON_BAD_POLICY);
    g_assert_nonnull(strstr(st.error, "maybe"));
    abConfStatusClear(&st);

    /* valid afterwards: managed at once */
    setPolicy(f, "vm-plain", "<policy state='on'/>");
    waitFor(info(f, "vm-plain").managed);
    tick(f, 2);
    g_assert_cmpuint(libvirtMemory(f, "vm-plain"), <, 1024 * MiB);

    /* removed: not bad any more, and (manage = all) managed with defaults */
    setPolicy(f, "vm-bad", NULL);
    waitFor(!info(f, "vm-bad").policyError);
    g_assert_true(info(f, "vm-bad").managed);
}

/* A bad policy over a policy that said off: still off, and it says so. */
static void
testBadPolicyOverOff(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };

    g_assert_false(info(f, "vm-off").managed);
    setPolicy(f, "vm-off", "<policy state='on'><floor>x</floor></policy>");
    waitFor(info(f, "vm-off").policyError);
    g_assert_false(info(f, "vm-off").managed);
    assertLogged("WARNING", "vm-off: invalid autoballoon policy metadata",
                 "keeping the last valid policy");
    flushedStatus(f, "vm-off", &st);
    g_assert_cmpstr(st.reason, ==, AB_CONF_STATUS_REASON_BAD_POLICY);
    abConfStatusClear(&st);
}

/* Oversized: the status error is bounded, the value still named. */
static void
testBadPolicyOversized(Fixture *f, gconstpointer data)
{
    g_autoptr(GString) xml = g_string_new("<policy state='on'><floor unit='");
    abConfStatus st = { 0 };

    for (int i = 0; i < 100000; i++)
        g_string_append_c(xml, 'K');
    g_string_append(xml, "'>1</floor></policy>");
    setPolicy(f, "vm-on", xml->str);
    waitFor(info(f, "vm-on").policyError);
    g_assert_true(info(f, "vm-on").managed);
    flushedStatus(f, "vm-on", &st);
    g_assert_cmpstr(st.reason, ==, AB_CONF_STATUS_REASON_BAD_POLICY);
    g_assert_cmpuint(strlen(st.error), <=, AB_CONF_STATUS_ERROR_MAX);
    g_assert_nonnull(strstr(st.error, "KKKK"));
    g_assert_true(g_str_has_suffix(st.error, "..."));
    abConfStatusClear(&st);
}

static void
testBadInjected(Fixture *f, gconstpointer data)
{
    static const char *const bad[] = {
        "<pressure level='apocalyptic'/>",
        "<pressure level='CRITICAL'/>",
        "<pressure level='critical ' />",
        "<pressure/>",
        "<pressure level='critical' expires='soon'/>",
        "<pressure level='critical' expires='-1'/>",
        "<pressure level='critical'><pressure level='critical'/></pressure>",
        "<pressure level='critical' extra='1'/>",
        "<status level='critical'/>",
    };
    abConfStatus st = { 0 };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        testLogClear();
        setMetadata(f, "vm-on2", bad[i], AB_NS_PRESSURE_PREFIX, AB_NS_PRESSURE_URI);
        waitFor(testLogFind("vm-on2: invalid injected pressure", NULL) >= 0);
        /* ignored, never taken for critical (or any level) */
        g_assert_cmpint(info(f, "vm-on2").injected, ==, AB_LEVEL_NONE);
        tick(f, 2);
        tick(f, 2);
        g_assert_true(info(f, "vm-on2").managed);
        g_assert_cmpuint(libvirtMemory(f, "vm-on2"), ==, 768 * MiB);
        flushedStatus(f, "vm-on2", &st);
        g_assert_cmpstr(st.reason, ==, AB_CONF_STATUS_REASON_BAD_PRESSURE);
        g_assert_nonnull(st.error);
        g_assert_cmpint(st.level, ==, AB_LEVEL_NONE);
        abConfStatusClear(&st);
    }
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 0);

    /* a valid injection afterwards works, and the error is gone */
    inject(f, "vm-on2", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    g_assert_cmpuint(libvirtMemory(f, "vm-on2"), <, 768 * MiB);
    flushedStatus(f, "vm-on2", &st);
    g_assert_null(st.error);
    g_assert_cmpstr(st.reason, ==, abPolicyReasonToString(AB_POLICY_REASON_INJECTED));
    abConfStatusClear(&st);
}

/* Someone else overwrites the daemon's status with garbage: the daemon
 * still reads its own state, and replaces the element at the next flush. */
static void
testForeignStatus(Fixture *f, gconstpointer data)
{
    abConfStatus st = { 0 };

    unsigned int writes;

    abDaemonPressureFixedSet(f->pressure, AB_LEVEL_MEDIUM, AB_STATUS_SOURCE_PSI, 0);
    /* until the status no longer changes (at the floor) */
    for (int i = 0; i < 40; i++)
        tick(f, 2);
    writes = abDaemonCountStatusWrites(f->daemon);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountStatusWrites(f->daemon), ==, writes);

    setMetadata(f, "vm-on", "<status level='doom' target='many'/>",
                AB_NS_STATUS_PREFIX, AB_NS_STATUS_URI);
    waitFor(testLogFind("vm-on: status metadata written by another client", "doom", NULL) >= 0);
    g_assert_true(info(f, "vm-on").managed);
    tick(f, 2);
    g_assert_true(readStatus(f, "vm-on", &st));
    g_assert_cmpint(st.level, ==, AB_LEVEL_MEDIUM);
    abConfStatusClear(&st);

    /* well formed but not ours, and removed: the same */
    setMetadata(f, "vm-on", "<status level='none' source='none' target='1' actual='1' "
                "action='none' time='1'/>", AB_NS_STATUS_PREFIX, AB_NS_STATUS_URI);
    waitFor(testLogFind("vm-on: status metadata written by another client, replacing",
                        NULL) >= 0);
    tick(f, 2);
    g_assert_true(readStatus(f, "vm-on", &st));
    g_assert_cmpint(st.level, ==, AB_LEVEL_MEDIUM);
    abConfStatusClear(&st);
    setMetadata(f, "vm-on", NULL, NULL, AB_NS_STATUS_URI);
    waitFor(testLogFind("vm-on: status metadata removed by another client", NULL) >= 0);
    tick(f, 2);
    g_assert_true(readStatus(f, "vm-on", &st));
    g_assert_cmpint(st.level, ==, AB_LEVEL_MEDIUM);
    abConfStatusClear(&st);
}

static const FixtureTest tests[] = {
    { "/daemon-metadata/bad-policy-keeps-last", testBadPolicyKeepsLast },
    { "/daemon-metadata/valid-policy-applies", testValidPolicyAppliesAtOnce },
    { "/daemon-metadata/valid-policy-ticks-early", testValidPolicyTicksEarly },
    { "/daemon-metadata/bad-policy-none-before", testBadPolicyNoneBefore },
    { "/daemon-metadata/bad-policy-over-off", testBadPolicyOverOff },
    { "/daemon-metadata/bad-policy-oversized", testBadPolicyOversized },
    { "/daemon-metadata/bad-injected", testBadInjected },
    { "/daemon-metadata/foreign-status", testForeignStatus },
};

FIXTURE_MAIN(tests)
