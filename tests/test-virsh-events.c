/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of balloon-events' output lines. The test driver emits
 * metadata-change events (tests/virshdata/events.in covers that path end to
 * end) but never balloon-change, which only QEMU causes: its line is tested
 * here, against virsh's own "event 'balloon-change' ..." format. */
#include <glib.h>
#include "ab-vsh-cmds.h"
#include "testutils.h"

static void
testBalloon(void)
{
    g_autofree char *line = abVshEventFormatBalloon("vm1", 262144, -1);
    g_autofree char *stamped = NULL;

    g_assert_cmpstr(line, ==, "event 'balloon-change' for domain 'vm1': 262144 KiB");
    /* virsh --timestamp: UTC with milliseconds */
    stamped = abVshEventFormatBalloon("vm1", 1, 1763900000LL * G_USEC_PER_SEC + 123456);
    g_assert_cmpstr(stamped, ==,
                    "2025-11-23 12:13:20.123+0000: event 'balloon-change' for domain 'vm1': 1 KiB");
}

static void
testStatus(void)
{
    abConfStatus st = {
        .level = AB_LEVEL_CRITICAL, .source = AB_STATUS_SOURCE_HEADROOM,
        .targetKiB = 1048576, .actualKiB = 1500000, .action = AB_STATUS_ACTION_HOLD,
        .reason = (char *)"unresponsive", .unresponsive = true,
    };
    g_autofree char *line = abVshEventFormatStatus("db", &st, -1);
    g_autofree char *gone = abVshEventFormatStatus("db", NULL, -1);

    g_assert_cmpstr(line, ==,
                    "event 'pressure-change' for domain 'db': critical (headroom), "
                    "target 1048576 KiB, actual 1500000 KiB, action hold (unresponsive), "
                    "reason unresponsive");
    g_assert_cmpstr(gone, ==, "event 'pressure-change' for domain 'db': no status");
}

/* Metadata the daemon cannot read: the event names the field and value. */
static void
testStatusError(void)
{
    abConfStatus st = {
        .level = AB_LEVEL_NONE, .source = AB_STATUS_SOURCE_NONE, .action = AB_STATUS_ACTION_NONE,
        .reason = (char *)"bad-policy",
        .error = (char *)"autoballoon policy metadata: invalid <floor> unit 'parsecs'",
    };
    g_autofree char *line = abVshEventFormatStatus("db", &st, -1);

    g_assert_cmpstr(line, ==,
                    "event 'pressure-change' for domain 'db': none (none), "
                    "target 0 KiB, actual 0 KiB, action none, "
                    "reason bad-policy: autoballoon policy metadata: invalid <floor> unit 'parsecs'");
}

static void
testInjected(void)
{
    abConfInjected forever = { .level = AB_LEVEL_LOW, .expires = 0 };
    abConfInjected timed = { .level = AB_LEVEL_MEDIUM, .expires = 1763900060 };
    g_autofree char *a = abVshEventFormatInjected("vm", &forever, -1);
    g_autofree char *b = abVshEventFormatInjected("vm", &timed, -1);
    g_autofree char *c = abVshEventFormatInjected("vm", NULL, -1);

    g_assert_cmpstr(a, ==, "event 'pressure-injected' for domain 'vm': low");
    g_assert_cmpstr(b, ==, "event 'pressure-injected' for domain 'vm': medium until 2025-11-23 12:14:20+0000");
    g_assert_cmpstr(c, ==, "event 'pressure-injected' for domain 'vm': none");
}

static const AbTestFunc tests[] = {
    { "/virsh-events/balloon", testBalloon },
    { "/virsh-events/status", testStatus },
    { "/virsh-events/status-error", testStatusError },
    { "/virsh-events/injected", testInjected },
};

AB_TEST_MAIN(tests, NULL)
