/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-daemon-util.h: shared by the daemon tests: a log recorder. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <string.h>

/* Every log message the process writes, in order, as "LEVEL message
 * @domain". GLib's
 * g_test_expect_message does not see structured logging, so the tests
 * record messages themselves and search them. */
static GPtrArray *testLogs;

static GLogWriterOutput
testLogWriter(GLogLevelFlags level, const GLogField *fields, gsize nfields,
              gpointer opaque)
{
    const char *domain = NULL, *message = NULL;

    for (gsize i = 0; i < nfields; i++) {
        if (g_str_equal(fields[i].key, "GLIB_DOMAIN"))
            domain = fields[i].value;
        else if (g_str_equal(fields[i].key, "MESSAGE"))
            message = fields[i].value;
    }
    if (message && (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
                             G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE |
                             G_LOG_LEVEL_INFO))) {
        const char *tag = (level & G_LOG_LEVEL_WARNING) ? "WARNING" :
                          (level & G_LOG_LEVEL_CRITICAL) ? "CRITICAL" :
                          (level & G_LOG_LEVEL_MESSAGE) ? "MESSAGE" : "INFO";

        g_ptr_array_add(testLogs, g_strdup_printf("%s %s @%s", tag, message,
                                                  domain ? domain : "(none)"));
    }
    if (level & G_LOG_LEVEL_CRITICAL)
        g_error("unexpected critical from %s: %s", domain ? domain : "?", message);
    if (g_getenv("AB_TEST_VERBOSE"))
        return g_log_writer_standard_streams(level, fields, nfields, opaque);
    return G_LOG_WRITER_HANDLED;
}

static void
testLogInit(void)
{
    testLogs = g_ptr_array_new_with_free_func(g_free);
    g_log_set_writer_func(testLogWriter, NULL, NULL);
}

static void
testLogClear(void)
{
    g_ptr_array_set_size(testLogs, 0);
}

/* Index of the first recorded message containing all of @needles (NULL
 * terminated), or -1. */
static G_GNUC_NULL_TERMINATED int
testLogFind(const char *first, ...)
{
    for (guint i = 0; i < testLogs->len; i++) {
        const char *line = testLogs->pdata[i];
        const char *n = first;
        bool all = true;
        va_list ap;

        va_start(ap, first);
        while (n) {
            if (!strstr(line, n)) {
                all = false;
                break;
            }
            n = va_arg(ap, const char *);
        }
        va_end(ap);
        if (all)
            return i;
    }
    return -1;
}

/* Number of recorded messages containing @needle. */
static G_GNUC_UNUSED guint
testLogCount(const char *needle)
{
    guint n = 0;

    for (guint i = 0; i < testLogs->len; i++)
        n += strstr(testLogs->pdata[i], needle) != NULL;
    return n;
}

static void
testLogDump(void)
{
    for (guint i = 0; i < testLogs->len; i++)
        g_printerr("# log: %s\n", (const char *) testLogs->pdata[i]);
}

#define assertLogged(...) \
    do { \
        if (testLogFind(__VA_ARGS__, NULL) < 0) { \
            testLogDump(); \
            g_assert_not_reached(); \
        } \
    } while (0)
