/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* testutils.c: helpers shared by the tests (testutils.h) */
#include "ab-config.h"
#include "testutils.h"

#include <stdarg.h>
#include <string.h>

const char *
abTestSourceRoot(void)
{
    const char *root = g_getenv("AB_SOURCE_ROOT");

    return root && *root ? root : AB_SOURCE_ROOT;
}

char *
abTestDataPath(const char *dir, const char *file)
{
    return g_build_filename(abTestSourceRoot(), "tests", dir, file, NULL);
}

char *
abTestReadFile(const char *path)
{
    g_autoptr(GError) err = NULL;
    char *content = NULL;

    if (!g_file_get_contents(path, &content, NULL, &err))
        g_error("cannot read %s: %s", path, err->message);
    return content;
}

char *
abTestReadData(const char *dir, const char *file)
{
    g_autofree char *path = abTestDataPath(dir, file);

    return abTestReadFile(path);
}

bool
abTestRegenerate(void)
{
    return g_strcmp0(g_getenv("AB_REGENERATE"), "1") == 0;
}

void
abTestCompareToFile(const char *path, const char *actual)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *expected = NULL;
    g_auto(GStrv) a = NULL;
    g_auto(GStrv) e = NULL;
    size_t i = 0;

    if (abTestRegenerate()) {
        if (!g_file_set_contents(path, actual, -1, &err))
            g_error("cannot write %s: %s", path, err->message);
        g_test_message("regenerated %s", path);
        return;
    }
    if (!g_file_get_contents(path, &expected, NULL, NULL)) {
        g_test_message("missing golden file %s (AB_REGENERATE=1 writes it); got:\n%s",
                       path, actual);
        g_test_fail();
        return;
    }
    if (strcmp(actual, expected) == 0)
        return;
    a = g_strsplit(actual, "\n", -1);
    e = g_strsplit(expected, "\n", -1);
    while (a[i] && e[i] && strcmp(a[i], e[i]) == 0)
        i++;
    g_test_message("%s differs at line %zu:\n expected: %s\n actual:   %s\n"
                   "(AB_REGENERATE=1 rewrites it after a deliberate change); got:\n%s",
                   path, i + 1, e[i] ? e[i] : "(end)", a[i] ? a[i] : "(end)", actual);
    g_test_fail();
}

void
abTestAddFuncs(const AbTestFunc *tests, size_t ntests)
{
    for (size_t i = 0; i < ntests; i++)
        g_test_add_func(tests[i].path, tests[i].func);
}

void
abTestAddCases(const char *prefix, const void *cases, size_t n, size_t size,
               size_t nameOffset, GTestDataFunc func)
{
    for (size_t i = 0; i < n; i++) {
        const char *c = (const char *) cases + i * size;
        const char *name = *(const char *const *) (c + nameOffset);
        g_autofree char *path = g_strdup_printf("%s/%s", prefix, name);

        g_test_add_data_func(path, c, func);
    }
}

int
abTestMain(int argc, char **argv, void (*setup)(void),
           const AbTestFunc *tests, size_t ntests)
{
    g_test_init(&argc, &argv, NULL);
    if (setup)
        setup();
    abTestAddFuncs(tests, ntests);
    return g_test_run();
}

void
abTestRun(const char *const *argv, GSubprocessFlags flags, const char *cwd,
          const AbTestEnv *env, const char *stdinText, AbTestOutput *r)
{
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(flags);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) err = NULL;

    if (cwd)
        g_subprocess_launcher_set_cwd(launcher, cwd);
    for (; env && env->name; env++) {
        if (env->value)
            g_subprocess_launcher_setenv(launcher, env->name, env->value, TRUE);
        else
            g_subprocess_launcher_unsetenv(launcher, env->name);
    }
    proc = g_subprocess_launcher_spawnv(launcher, argv, &err);
    g_assert_no_error(err);
    if (flags & G_SUBPROCESS_FLAGS_STDIN_PIPE)
        stdinText = stdinText ? stdinText : "";
    else
        g_assert_null(stdinText);
    g_subprocess_communicate_utf8(proc, stdinText, NULL, &r->out, &r->err, &err);
    g_assert_no_error(err);
    r->status = g_subprocess_get_exit_status(proc);
}

void
abTestOutputClear(AbTestOutput *r)
{
    g_clear_pointer(&r->out, g_free);
    g_clear_pointer(&r->err, g_free);
}

/* ---- log recorder ------------------------------------------------------- */

GPtrArray *testLogs;

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

void
testLogInit(void)
{
    testLogs = g_ptr_array_new_with_free_func(g_free);
    g_log_set_writer_func(testLogWriter, NULL, NULL);
}

void
testLogClear(void)
{
    g_ptr_array_set_size(testLogs, 0);
}

/* Index of the first recorded message containing all of @needles (NULL
 * terminated), or -1. */
int
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

unsigned int
testLogCount(const char *needle)
{
    unsigned int n = 0;

    for (guint i = 0; i < testLogs->len; i++)
        n += strstr(testLogs->pdata[i], needle) != NULL;
    return n;
}

void
testLogDump(void)
{
    for (guint i = 0; i < testLogs->len; i++)
        g_printerr("# log: %s\n", (const char *) testLogs->pdata[i]);
}

