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

static char *front;
static char *installedFront;
static char *realVirsh;

typedef struct {
    char *out;
    char *err;
    int status;
} Result;

static void
resultClear(Result *r)
{
    g_free(r->out);
    g_free(r->err);
}

static void
run(const char *const *argv, const char *realPath, const char *stdinText, Result *r)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                  G_SUBPROCESS_FLAGS_STDIN_PIPE);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) err = NULL;

    if (realPath)
        g_subprocess_launcher_setenv(launcher, "AB_REAL_VIRSH", realPath, TRUE);
    g_subprocess_launcher_unsetenv(launcher, "LIBVIRT_DEFAULT_URI");
    proc = g_subprocess_launcher_spawnv(launcher, argv, &err);
    g_assert_no_error(err);
    g_subprocess_communicate_utf8(proc, stdinText ? stdinText : "", NULL, &r->out, &r->err, &err);
    g_assert_no_error(err);
    r->status = g_subprocess_get_exit_status(proc);
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
    Result a = { 0 }, b = { 0 };

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
    resultClear(&a);
    resultClear(&b);
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

static void
testArgsUntouched(void)
{
    g_autofree char *dir = g_dir_make_tmp("abfront-XXXXXX", NULL);
    g_autofree char *stub = makeStub(dir);
    const char *withOpts[] = { front, "-c", "test:///default", "-q", "--readonly",
                               "list", "--all", "--name", NULL };
    const char *oneString[] = { front, "-c", "qemu:///x", "list --all; dominfo 'a b'", NULL };
    const char *interactive[] = { front, "-c", "test:///default", NULL };
    const char *help[] = { front, "--help", NULL };
    Result r = { 0 };

    run(withOpts, stub, NULL, &r);
    g_assert_cmpstr(r.out, ==, "[-c][test:///default][-q][--readonly][list][--all][--name]\n");
    g_assert_cmpstr(r.err, ==, "stub-stderr\n");
    g_assert_cmpint(r.status, ==, 42);
    resultClear(&r);

    run(oneString, stub, NULL, &r);
    g_assert_cmpstr(r.out, ==, "[-c][qemu:///x][list --all; dominfo 'a b']\n");
    g_assert_cmpint(r.status, ==, 42);
    resultClear(&r);

    /* No command: the real virsh's interactive mode. */
    run(interactive, stub, NULL, &r);
    g_assert_cmpstr(r.out, ==, "[-c][test:///default]\n");
    g_assert_cmpint(r.status, ==, 42);
    resultClear(&r);

    run(help, stub, NULL, &r);
    g_assert_cmpstr(r.out, ==, "[--help]\n");
    resultClear(&r);

    g_unlink(stub);
    g_rmdir(dir);
}

static void
testOursRunHere(void)
{
    g_autofree char *dir = g_dir_make_tmp("abfront-XXXXXX", NULL);
    g_autofree char *stub = makeStub(dir);
    const char *ours[] = { front, "-c", "test:///default", "balloon-policy", "test", NULL };
    const char *oursString[] = { front, "-c", "test:///default",
                                 "balloon-policy test --enable; balloon-policy test", NULL };
    const char *mixed[] = { front, "-c", "test:///default", "list; balloon-status", NULL };
    const char *plainDump[] = { front, "-c", "test:///default", "dumpxml", "test", NULL };
    Result r = { 0 };

    run(ours, stub, NULL, &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "Autoballoon:    off (no policy)\n"));
    resultClear(&r);

    run(oursString, stub, NULL, &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "Autoballoon:    on\n"));
    resultClear(&r);

    run(mixed, stub, NULL, &r);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpstr(r.out, ==, "");
    g_assert_true(g_str_has_prefix(r.err, "error: a command line cannot mix"));
    resultClear(&r);

    /* dumpxml without --autoballoon is the real virsh's */
    run(plainDump, stub, NULL, &r);
    g_assert_cmpint(r.status, ==, 42);
    g_assert_cmpstr(r.out, ==, "[-c][test:///default][dumpxml][test]\n");
    resultClear(&r);

    g_unlink(stub);
    g_rmdir(dir);
}

#define EXTENDED_XML "<domain type='test'><name>x</name><memory>1048576</memory>" \
    "<devices><memballoon model='virtio' autoballoon='on'/></devices></domain>\n"

/* define/create peek only at regular files: stdin, a FIFO and /dev/zero
 * reach the real virsh untouched (the front used to read them empty, or
 * without bound). */
static void
testStreamsUntouched(void)
{
    g_autofree char *dir = g_dir_make_tmp("abfront-XXXXXX", NULL);
    /* prints what it reads from the file named last */
    g_autofree char *stub = makeStubRunning(dir, "virsh-cat", "cat \"$last\"");
    g_autofree char *plain = makeStubRunning(dir, "virsh-plain", ":");
    g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
    g_autofree char *xmlFile = g_build_filename(dir, "ext.xml", NULL);
    const char *fromStdin[] = { front, "define", "/dev/stdin", NULL };
    const char *fromFifo[] = { front, "create", fifo, NULL };
    const char *writer[] = { "sh", "-c", "cat \"$0\" > \"$1\"", xmlFile, fifo, NULL };
    const char *zero[] = { front, "define", "/dev/zero", "--validate", NULL };
    g_autofree char *fifoOut = g_strconcat("[create][", fifo, "]\n", EXTENDED_XML, NULL);
    g_autoptr(GSubprocess) w = NULL;
    g_autoptr(GError) err = NULL;
    Result r = { 0 };

    run(fromStdin, stub, EXTENDED_XML, &r);
    g_assert_cmpint(r.status, ==, 42);
    g_assert_cmpstr(r.out, ==, "[define][/dev/stdin]\n" EXTENDED_XML);
    resultClear(&r);

    /* the writer blocks until a reader opens the FIFO: the real virsh */
    g_assert_true(g_file_set_contents(xmlFile, EXTENDED_XML, -1, NULL));
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    w = g_subprocess_newv(writer, G_SUBPROCESS_FLAGS_NONE, &err);
    g_assert_no_error(err);
    run(fromFifo, stub, NULL, &r);
    g_assert_cmpint(r.status, ==, 42);
    g_assert_cmpstr(r.out, ==, fifoOut);
    resultClear(&r);
    g_assert_true(g_subprocess_wait_check(w, NULL, &err));
    g_assert_no_error(err);

    /* read by nobody */
    run(zero, plain, NULL, &r);
    g_assert_cmpint(r.status, ==, 42);
    g_assert_cmpstr(r.out, ==, "[define][/dev/zero][--validate]\n");
    resultClear(&r);

    g_unlink(stub);
    g_unlink(plain);
    g_unlink(fifo);
    g_unlink(xmlFile);
    g_rmdir(dir);
}

/* The installed front never takes the real virsh from the environment
 * (sudo -E would run $AB_REAL_VIRSH as root): only the build tree's does. */
static void
testInstalledIgnoresEnv(void)
{
    g_autofree char *dir = g_dir_make_tmp("abfront-XXXXXX", NULL);
    g_autofree char *stub = makeStub(dir);
    const char *args[] = { installedFront, "--version", NULL };
    Result r = { 0 };

    run(args, stub, NULL, &r);
    g_assert_true(strstr(r.out, "[--version]") == NULL);
    g_assert_true(strstr(r.err, "stub-stderr") == NULL);
    g_assert_cmpint(r.status, !=, 42);
    if (r.status != 0)
        g_assert_nonnull(strstr(r.err, AB_REAL_VIRSH));
    resultClear(&r);
    g_unlink(stub);
    g_rmdir(dir);
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
    g_test_add_func("/virsh-front/args-untouched", testArgsUntouched);
    g_test_add_func("/virsh-front/ours-run-here", testOursRunHere);
    g_test_add_func("/virsh-front/streams-untouched", testStreamsUntouched);
    g_test_add_func("/virsh-front/installed-ignores-env", testInstalledIgnoresEnv);
    return g_test_run();
}
