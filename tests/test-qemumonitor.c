/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for src/qemu/ab-qemu-monitor: QEMU balloon events to status. */
#include <glib.h>
#include <libvirt/libvirt.h>

#include "ab-conf.h"
#include "ab-error.h"
#include "ab-qemu-monitor.h"
#include "testutils.h"

#define GiB_BYTES "1073741824"

typedef struct {
    const char *details;
    unsigned long long prevKiB;
    unsigned long long actualKiB;
    const char *action;
} EventCase;

static void
testEvents(void)
{
    static const EventCase cases[] = {
        { "{\"actual\": " GiB_BYTES "}", 0, 1048576, "hold" },
        { "{\"actual\":" GiB_BYTES "}", 1048576, 1048576, "hold" },
        { "{\"actual\": " GiB_BYTES "}", 2097152, 1048576, "inflate" },
        { "{\"actual\": " GiB_BYTES "}", 524288, 1048576, "deflate" },
        { "{ \"other\": 5, \"actual\" : 536870912 }", 1048576, 524288, "inflate" },
        { "{\"actual\": 1023}", 1, 0, "inflate" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        abConfStatus st = { 0 };

        g_assert_cmpint(abQemuMonitorEventToStatus("BALLOON_CHANGE", 1763900000,
                                                   cases[i].details, cases[i].prevKiB,
                                                   &st, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpuint(st.actualKiB, ==, cases[i].actualKiB);
        g_assert_cmpuint(st.targetKiB, ==, cases[i].actualKiB);
        g_assert_cmpstr(abStatusActionToString(st.action), ==, cases[i].action);
        g_assert_cmpint(st.source, ==, AB_STATUS_SOURCE_QEMU);
        g_assert_cmpstr(st.reason, ==, "qemu-automatic");
        g_assert_cmpint(st.time, ==, 1763900000);
        g_assert_cmpint(st.level, ==, AB_LEVEL_NONE);
        abConfStatusClear(&st);
    }
}

static void
testBadEvents(void)
{
    static const struct { const char *event; const char *details; } bad[] = {
        { "SHUTDOWN", "{\"guest\": true}" },
        { NULL, "{\"actual\": 1}" },
        { "BALLOON_CHANGE", "{}" },
        { "BALLOON_CHANGE", NULL },
        { "BALLOON_CHANGE", "{\"actual\": -5}" },
        { "BALLOON_CHANGE", "{\"actual\": \"1024\"}" },
        { "BALLOON_CHANGE", "{\"actual\": 12ab}" },
        { "BALLOON_CHANGE", "{\"actual\": 99999999999999999999999}" },
        { "balloon_change", "{\"actual\": 1}" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        abConfStatus st = { 0 };

        g_assert_cmpint(abQemuMonitorEventToStatus(bad[i].event, 0, bad[i].details,
                                                   0, &st, &err), ==, -1);
        g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        g_assert_cmpint(st.source, ==, AB_STATUS_SOURCE_NONE);
    }
}

/* What the daemon publishes must survive the conf module's status format. */
static void
testPublishable(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = NULL;
    abConfStatus st = { 0 };
    abConfStatus back = { 0 };

    g_assert_cmpint(abQemuMonitorEventToStatus("BALLOON_CHANGE", 1763900000,
                                               "{\"actual\": " GiB_BYTES "}",
                                               2097152, &st, &err), ==, 0);
    xml = abConfStatusFormat(&st);
    g_assert_nonnull(xml);
    g_assert_cmpint(abConfStatusParse(xml, &back, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(back.source, ==, AB_STATUS_SOURCE_QEMU);
    g_assert_cmpstr(back.reason, ==, "qemu-automatic");
    g_assert_cmpint(back.action, ==, AB_STATUS_ACTION_INFLATE);
    g_assert_cmpuint(back.actualKiB, ==, 1048576);
    abConfStatusClear(&st);
    abConfStatusClear(&back);
}

static void
countFree(void *opaque)
{
    (*(int *)opaque)++;
}

static void
onStatus(virConnectPtr conn, virDomainPtr dom, const abConfStatus *st, void *opaque)
{
}

/* The test driver has no QEMU monitor: registration fails cleanly, names
 * the events, and does not release the caller's data twice. */
static void
testRegisterUnsupported(void)
{
    g_autoptr(GError) err = NULL;
    virConnectPtr conn = virConnectOpen("test:///default");
    int freed = 0;

    g_assert_nonnull(conn);
    g_assert_cmpint(abQemuMonitorRegister(conn, NULL, NULL, onStatus, &freed, countFree,
                                          &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_FAILED);
    g_assert_nonnull(strstr(err->message, "BALLOON_CHANGE"));
    g_assert_cmpint(freed, ==, 0);
    virConnectClose(conn);
}

static const AbTestFunc tests[] = {
    { "/qemumonitor/events", testEvents },
    { "/qemumonitor/bad-events", testBadEvents },
    { "/qemumonitor/publishable", testPublishable },
    { "/qemumonitor/register-unsupported", testRegisterUnsupported },
};

static void
setupEvents(void)
{
    virEventRegisterDefaultImpl();
}

AB_TEST_MAIN(tests, setupEvents)
