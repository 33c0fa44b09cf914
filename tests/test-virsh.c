/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command tests of virsh-autoballoon, in libvirt's style: each
 * tests/virshdata/NAME.in holds command lines, each run as one invocation
 * against the test driver node tests/virshdata/testnode.xml; their output
 * (stdout and stderr as they interleave) and exit status are compared with
 * NAME.out. A line "<<<" feeds the rest of the file on stdin instead.
 * AB_REGENERATE=1 rewrites the .out files. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "testutils.h"

/* The clock the tests see: status ages and expiry times print stably. */
#define TEST_NOW "1763900000"

static const char *datadir;
static const char *program;
static char *uri;       /* the node's */

/* One invocation of @line, or of none with @stdinText on stdin: how it
 * was called, its output (stdout and stderr as they interleave) and exit
 * status, as the .out files have them. */
static char *
runOne(const char *line, const char *stdinText)
{
    g_auto(GStrv) args = NULL;
    g_autofree const char **argv = NULL;
    const AbTestEnv env[] = {
        { "LIBVIRT_DEFAULT_URI", uri }, { "AB_VSH_NOW", TEST_NOW },
        { "AB_SCHEMA_DIR", NULL }, { NULL },
    };
    g_auto(AbTestOutput) r = { 0 };
    GString *res = g_string_new(NULL);
    int argc = 0;

    if (stdinText) {
        g_string_append(res, "$ virsh-autoballoon <<EOF\n");
        g_string_append(res, stdinText);
        g_string_append(res, "EOF\n");
    } else if (line[0] == '-') {
        /* Global options: the line is split like a shell would. */
        g_autoptr(GError) err = NULL;

        g_assert_true(g_shell_parse_argv(line, &argc, &args, &err));
        g_assert_no_error(err);
        g_string_append_printf(res, "$ virsh-autoballoon %s\n", line);
    } else {
        argc = 1;
        args = g_strdupv((char *[]) { (char *) line, NULL });
        g_string_append_printf(res, "$ virsh-autoballoon '%s'\n", line);
    }
    argv = g_new0(const char *, argc + 2);
    argv[0] = program;
    for (int i = 0; i < argc; i++)
        argv[i + 1] = args[i];
    abTestRun(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE |
              (stdinText ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0), datadir, env, stdinText, &r);
    /* The source tree's path varies between checkouts. */
    {
        g_auto(GStrv) parts = g_strsplit(r.out, g_getenv("AB_SOURCE_ROOT"), -1);
        g_autofree char *masked = g_strjoinv("@SRCDIR@", parts);
        g_string_append(res, masked);
    }
    g_string_append_printf(res, "[exit %d]\n\n", r.status);
    return g_string_free(res, FALSE);
}

static void
testCommandFile(gconstpointer data)
{
    const char *name = data;
    g_autofree char *inpath = g_strdup_printf("%s/%s.in", datadir, name);
    g_autofree char *outpath = g_strdup_printf("%s/%s.out", datadir, name);
    g_autofree char *input = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GString) actual = g_string_new(NULL);
    g_autoptr(GError) err = NULL;

    g_assert_true(g_file_get_contents(inpath, &input, NULL, &err));
    lines = g_strsplit(input, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        g_autofree char *res = NULL;
        const char *line = g_strstrip(lines[i]);

        if (!*line || line[0] == '#')
            continue;
        if (strcmp(line, "<<<") == 0) {
            g_autofree char *rest = g_strjoinv("\n", lines + i + 1);
            res = runOne(NULL, rest);
            g_string_append(actual, res);
            break;
        }
        res = runOne(line, NULL);
        g_string_append(actual, res);
    }

    abTestCompareToFile(outpath, actual->str);
}

/* stdout of one invocation with -q and a command string; exit status 0. */
static char *
runQuiet(const char *cmdline)
{
    const char *argv[] = { program, "-q", cmdline, NULL };
    const AbTestEnv env[] = { { "LIBVIRT_DEFAULT_URI", uri }, { NULL } };
    AbTestOutput r = { 0 };

    abTestRun(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, datadir, env, NULL, &r);
    g_assert_cmpint(r.status, ==, 0);
    return r.out;
}

static char *
stripIndent(const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (size_t i = 0; lines[i]; i++)
        g_strchug(lines[i]);
    return g_strjoinv("", lines);
}

/* "dumpxml DOM > f; define f" restores the domain: each test-driver process
 * starts afresh, so the second one defines from what the first saved and
 * both must show the same, native and extended. */
static void
testDumpDefine(gconstpointer data)
{
    const char *prep = data;
    g_auto(GStrv) parts = g_strsplit(prep, "|", 2);
    const char *dom = parts[1];
    g_autofree char *tmpdir = g_dir_make_tmp("virsh-XXXXXX", NULL);
    g_autofree char *saved = g_build_filename(tmpdir, "saved.xml", NULL);
    g_autofree char *show = g_strdup_printf("dumpxml %s --inactive; dumpxml %s --inactive --autoballoon; balloon-policy %s --config",
                                            dom, dom, dom);
    g_autofree char *dump = NULL;
    g_autofree char *first = NULL;
    g_autofree char *second = NULL;
    g_autofree char *cmd1 = NULL;
    g_autofree char *cmd2 = NULL;
    g_autoptr(GError) err = NULL;
    char *tmp;

    g_assert_nonnull(tmpdir);
    cmd1 = g_strdup_printf("%s%sdumpxml %s --inactive", parts[0], *parts[0] ? "; " : "", dom);
    dump = runQuiet(cmd1);
    g_assert_true(g_file_set_contents(saved, dump, -1, &err));
    cmd1 = (g_free(cmd1), g_strdup_printf("%s%s%s", parts[0], *parts[0] ? "; " : "", show));
    first = runQuiet(cmd1);
    cmd2 = g_strdup_printf("define %s; %s", saved, show);
    second = runQuiet(cmd2);
    /* libvirt keeps the whitespace of metadata as it was set */
    first = (tmp = stripIndent(first), g_free(first), tmp);
    second = (tmp = stripIndent(second), g_free(second), tmp);
    g_assert_cmpstr(second, ==, first);
    g_assert_true(g_strstr_len(first, -1, "autoballoon=") != NULL);
    g_unlink(saved);
    g_rmdir(tmpdir);
}

static gint
compareNames(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
    g_autofree char *dir = NULL;
    g_autofree char *prog = NULL;
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *srcroot = g_getenv("AB_SOURCE_ROOT");
    const char *buildroot = g_getenv("AB_BUILD_ROOT");
    const char *entry;
    int ret;

    g_test_init(&argc, &argv, NULL);
    if (!srcroot || !buildroot) {
        g_printerr("AB_SOURCE_ROOT and AB_BUILD_ROOT must be set (meson test does)\n");
        return 1;
    }
    dir = g_build_filename(srcroot, "tests", "virshdata", NULL);
    /* virsh-autoballoon with its test hooks (tests/virsh-autoballoon-test.c) */
    prog = g_build_filename(buildroot, "tests", "virsh-autoballoon-test", NULL);
    datadir = dir;
    program = prog;
    uri = g_strdup_printf("test://%s/testnode.xml", datadir);

    d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    while ((entry = g_dir_read_name(d))) {
        if (g_str_has_suffix(entry, ".in"))
            g_ptr_array_add(names, g_strndup(entry, strlen(entry) - 3));
    }
    g_ptr_array_sort(names, compareNames);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_strdup_printf("/virsh/%s", (char *)names->pdata[i]);
        g_test_add_data_func(path, names->pdata[i], testCommandFile);
    }
    /* defined here from the extended XML; in the node as native XML */
    g_test_add_data_func("/virsh/dump-define/extended", "define vm6.xml|vm6", testDumpDefine);
    g_test_add_data_func("/virsh/dump-define/node", "|vm4", testDumpDefine);
    g_test_add_data_func("/virsh/dump-define/changed",
                         "define vm6.xml; balloon-policy vm6 --weight 10 --config|vm6", testDumpDefine);
    ret = g_test_run();
    g_free(uri);
    return ret;
}
