/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The virsh front passes every command that is not an autoballoon command
 * to the real virsh untouched: the same stdout, stderr and exit status as
 * running the real virsh directly; arguments (global options included)
 * reach it exactly as given. */
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "ab-config.h"
#include "testutils.h"

static char *front;
static char *installedFront;
static char *realVirsh;

/* @argv with the real virsh @realPath (NULL: none given), @stdinText on
 * stdin; stdout and stderr apart. */
static void
run(const char *const *argv, const char *realPath, const char *stdinText, AbTestOutput *r)
{
    const AbTestEnv env[] = {
        { "AB_REAL_VIRSH", realPath }, { "LIBVIRT_DEFAULT_URI", NULL }, { NULL },
    };

    abTestRun(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
              G_SUBPROCESS_FLAGS_STDIN_PIPE, NULL, env, stdinText, r);
}

/* The test driver's CPU time is derived from the clock: the only field two
 * runs may not share. */
static void
maskCpuTime(char *text)
{
    char *p = strstr(text, "CPU time:");

    if (!p)
        return;
    for (p += strlen("CPU time:"); *p && *p != '\n'; p++)
        *p = 'X';
}

static void
testSameAsReal(gconstpointer data)
{
    g_auto(GStrv) args = g_strsplit(data, " ", -1);
    guint n = g_strv_length(args);
    g_autofree const char **viaFront = g_new0(const char *, n + 2);
    g_autofree const char **direct = g_new0(const char *, n + 2);
    g_auto(AbTestOutput) a = { 0 };
    g_auto(AbTestOutput) b = { 0 };

    if (!g_file_test(realVirsh, G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("no real virsh installed");
        return;
    }
    viaFront[0] = front;
    direct[0] = realVirsh;
    for (guint i = 0; i < n; i++)
        viaFront[i + 1] = direct[i + 1] = args[i];
    run(viaFront, realVirsh, NULL, &a);
    run(direct, NULL, NULL, &b);
    maskCpuTime(a.out);
    maskCpuTime(b.out);
    g_assert_cmpstr(a.out, ==, b.out);
    g_assert_cmpstr(a.err, ==, b.err);
    g_assert_cmpint(a.status, ==, b.status);
}

/* A stand-in virsh @dir/@name that prints the argv it got, runs @more and
 * exits 42. */
static char *
makeStubRunning(const char *dir, const char *name, const char *more)
{
    char *path = g_build_filename(dir, name, NULL);
    g_autofree char *script = g_strdup_printf(
        "#!/bin/sh\n"
        "for a in \"$@\"; do printf '[%%s]' \"$a\"; last=$a; done\n"
        "echo\n"
        "%s\n"
        "exit 42\n", more);
    g_autoptr(GError) err = NULL;

    g_assert_true(g_file_set_contents(path, script, -1, &err));
    g_assert_cmpint(chmod(path, 0755), ==, 0);
    return path;
}

static char *
makeStub(const char *dir)
{
    return makeStubRunning(dir, "virsh", "echo stub-stderr >&2");
}

/* A test's directory of stand-in virshes, with the one of makeStub; at
 * the end it goes with all that is in it. */
typedef struct {
    char *dir;
    char *stub;
} Stubs;

static void
stubsSetUp(Stubs *s, gconstpointer data)
{
    s->dir = g_dir_make_tmp("abfront-XXXXXX", NULL);
    g_assert_nonnull(s->dir);
    s->stub = makeStub(s->dir);
}

static void
stubsTearDown(Stubs *s, gconstpointer data)
{
    g_autoptr(GDir) d = g_dir_open(s->dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(s->dir, name, NULL);

        g_unlink(path);
    }
    g_assert_cmpint(g_rmdir(s->dir), ==, 0);
    g_free(s->dir);
    g_free(s->stub);
}

/* One run of the front with the stub as the real virsh, and what it must
 * give: the exit status, stdout exactly or a part of it, stderr exactly or
 * how it begins (NULL: not checked). */
typedef struct {
    const char *args[8];    /* after the front, ending with NULL */
    int status;
    const char *out;
    const char *outHas;
    const char *err;
    const char *errPrefix;
} StubCase;

static void
runStubCases(const Stubs *s, const StubCase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const StubCase *c = &cases[i];
        const char *argv[G_N_ELEMENTS(c->args) + 1] = { front };
        g_auto(AbTestOutput) r = { 0 };

        memcpy(argv + 1, c->args, sizeof(c->args));
        run(argv, s->stub, NULL, &r);
        g_test_message("%s %s...: exit %d\n%s%s", front, c->args[0], r.status, r.out, r.err);
        g_assert_cmpint(r.status, ==, c->status);
        if (c->out)
            g_assert_cmpstr(r.out, ==, c->out);
        if (c->outHas)
            g_assert_nonnull(strstr(r.out, c->outHas));
        if (c->err)
            g_assert_cmpstr(r.err, ==, c->err);
        if (c->errPrefix)
            g_assert_true(g_str_has_prefix(r.err, c->errPrefix));
    }
}

static void
testArgsUntouched(Stubs *s, gconstpointer data)
{
    static const StubCase cases[] = {
        { .args = { "-c", "test:///default", "-q", "--readonly", "list", "--all", "--name" },
          .status = 42, .out = "[-c][test:///default][-q][--readonly][list][--all][--name]\n",
          .err = "stub-stderr\n" },
        { .args = { "-c", "qemu:///x", "list --all; dominfo 'a b'" },
          .status = 42, .out = "[-c][qemu:///x][list --all; dominfo 'a b']\n" },
        /* No command: the real virsh's interactive mode. */
        { .args = { "-c", "test:///default" }, .status = 42, .out = "[-c][test:///default]\n" },
        { .args = { "--help" }, .status = 42, .out = "[--help]\n" },
    };

    runStubCases(s, cases, G_N_ELEMENTS(cases));
}

static void
testOursRunHere(Stubs *s, gconstpointer data)
{
    static const StubCase cases[] = {
        { .args = { "-c", "test:///default", "balloon-policy", "test" },
          .status = 0, .outHas = "Autoballoon:    off (no policy)\n" },
        { .args = { "-c", "test:///default", "balloon-policy test --enable; balloon-policy test" },
          .status = 0, .outHas = "Autoballoon:    on\n" },
        { .args = { "-c", "test:///default", "list; balloon-status" },
          .status = 1, .out = "", .errPrefix = "error: a command line cannot mix" },
        /* dumpxml without --autoballoon is the real virsh's */
        { .args = { "-c", "test:///default", "dumpxml", "test" },
          .status = 42, .out = "[-c][test:///default][dumpxml][test]\n" },
    };

    runStubCases(s, cases, G_N_ELEMENTS(cases));
}

#define EXTENDED_XML "<domain type='test'><name>x</name><memory>1048576</memory>" \
    "<devices><memballoon model='virtio' autoballoon='on'/></devices></domain>\n"

/* define/create peek only at regular files: stdin, a FIFO and /dev/zero
 * reach the real virsh untouched (the front used to read them empty, or
 * without bound). */
static void
testStreamsUntouched(Stubs *s, gconstpointer data)
{
    /* prints what it reads from the file named last */
    g_autofree char *stub = makeStubRunning(s->dir, "virsh-cat", "cat \"$last\"");
    g_autofree char *plain = makeStubRunning(s->dir, "virsh-plain", ":");
    g_autofree char *fifo = g_build_filename(s->dir, "fifo", NULL);
    g_autofree char *xmlFile = g_build_filename(s->dir, "ext.xml", NULL);
    const char *fromStdin[] = { front, "define", "/dev/stdin", NULL };
    const char *fromFifo[] = { front, "create", fifo, NULL };
    const char *writer[] = { "sh", "-c", "cat \"$0\" > \"$1\"", xmlFile, fifo, NULL };
    const char *zero[] = { front, "define", "/dev/zero", "--validate", NULL };
    g_autofree char *fifoOut = g_strconcat("[create][", fifo, "]\n", EXTENDED_XML, NULL);
    g_autoptr(GSubprocess) w = NULL;
    g_autoptr(GError) err = NULL;
    g_auto(AbTestOutput) r = { 0 };

    run(fromStdin, stub, EXTENDED_XML, &r);
    g_assert_cmpint(r.status, ==, 42);
    g_assert_cmpstr(r.out, ==, "[define][/dev/stdin]\n" EXTENDED_XML);
    abTestOutputClear(&r);

    /* the writer blocks until a reader opens the FIFO: the real virsh */
    g_assert_true(g_file_set_contents(xmlFile, EXTENDED_XML, -1, NULL));
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    w = g_subprocess_newv(writer, G_SUBPROCESS_FLAGS_NONE, &err);
    g_assert_no_error(err);
    run(fromFifo, stub, NULL, &r);
    g_assert_cmpint(r.status, ==, 42);
    g_assert_cmpstr(r.out, ==, fifoOut);
    abTestOutputClear(&r);
    g_assert_true(g_subprocess_wait_check(w, NULL, &err));
    g_assert_no_error(err);

    /* read by nobody */
    run(zero, plain, NULL, &r);
    g_assert_cmpint(r.status, ==, 42);
    g_assert_cmpstr(r.out, ==, "[define][/dev/zero][--validate]\n");
}

/* The installed front never takes the real virsh from the environment
 * (sudo -E would run $AB_REAL_VIRSH as root): only the build tree's does. */
static void
testInstalledIgnoresEnv(Stubs *s, gconstpointer data)
{
    const char *args[] = { installedFront, "--version", NULL };
    g_auto(AbTestOutput) r = { 0 };

    run(args, s->stub, NULL, &r);
    g_assert_true(strstr(r.out, "[--version]") == NULL);
    g_assert_true(strstr(r.err, "stub-stderr") == NULL);
    g_assert_cmpint(r.status, !=, 42);
    if (r.status != 0)
        g_assert_nonnull(strstr(r.err, AB_REAL_VIRSH));
}

int
main(int argc, char **argv)
{
    const char *buildroot = g_getenv("AB_BUILD_ROOT");

    g_test_init(&argc, &argv, NULL);
    g_assert_nonnull(buildroot);
    front = g_build_filename(buildroot, "tools", "virsh-front", NULL);
    installedFront = g_build_filename(buildroot, "tools", "virsh", NULL);
    realVirsh = g_strdup(AB_REAL_VIRSH);

    g_test_add_data_func("/virsh-front/real/list", "-c test:///default list --all", testSameAsReal);
    g_test_add_data_func("/virsh-front/real/dominfo", "-c test:///default dominfo test", testSameAsReal);
    g_test_add_data_func("/virsh-front/real/dominfo-nosuch", "-c test:///default dominfo nosuch", testSameAsReal);
    g_test_add_data_func("/virsh-front/real/bad-option", "-c test:///default list --bogus", testSameAsReal);
    g_test_add_data_func("/virsh-front/real/version", "--version", testSameAsReal);
    g_test_add("/virsh-front/args-untouched", Stubs, NULL, stubsSetUp, testArgsUntouched,
               stubsTearDown);
    g_test_add("/virsh-front/ours-run-here", Stubs, NULL, stubsSetUp, testOursRunHere,
               stubsTearDown);
    g_test_add("/virsh-front/streams-untouched", Stubs, NULL, stubsSetUp, testStreamsUntouched,
               stubsTearDown);
    g_test_add("/virsh-front/installed-ignores-env", Stubs, NULL, stubsSetUp,
               testInstalledIgnoresEnv, stubsTearDown);
    return g_test_run();
}
