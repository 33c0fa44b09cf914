/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virsh-autoballoon edit on the test driver (tests/virshdata/testnode.xml),
 * with $EDITOR set to the scripts in tests/virshdata/editors. Each run is
 * one process (the test driver keeps its state per process), so a run
 * edits and then dumps the domain: "edit vm1; dumpxml ...". The question
 * virsh asks after a failed define needs a terminal: those runs get a
 * pseudo-terminal and answer it. Also: the virsh front routes edit here
 * only for a domain with a policy. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <pty.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutils.h"

static const char *program;
static const char *front;
static char *datadir;
static char *uri;

#define DUMP "; dumpxml --autoballoon --inactive vm1"
#define FLOOR_512 "<floor unit=\"MiB\">512</floor>"
#define FLOOR_768 "<floor unit=\"MiB\">768</floor>"

typedef struct {
    char *out;       /* stdout and stderr as they interleave */
    int status;
} Result;

static void
resultClear(Result *r)
{
    g_free(r->out);
}

static char *
editor(const char *name)
{
    return g_build_filename(datadir, "editors", name, NULL);
}

/* One run without a terminal (stdin is an empty pipe). */
static void
run(const char *editorName, const char *visual, const char *line, Result *r)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                  G_SUBPROCESS_FLAGS_STDERR_MERGE |
                                  G_SUBPROCESS_FLAGS_STDIN_PIPE);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *ed = editorName ? editor(editorName) : NULL;
    g_autofree char *vis = visual ? editor(visual) : NULL;

    g_subprocess_launcher_setenv(launcher, "LIBVIRT_DEFAULT_URI", uri, TRUE);
    g_subprocess_launcher_unsetenv(launcher, "AB_SCHEMA_DIR");
    if (ed)
        g_subprocess_launcher_setenv(launcher, "EDITOR", ed, TRUE);
    else
        g_subprocess_launcher_unsetenv(launcher, "EDITOR");
    if (vis)
        g_subprocess_launcher_setenv(launcher, "VISUAL", vis, TRUE);
    else
        g_subprocess_launcher_unsetenv(launcher, "VISUAL");
    proc = g_subprocess_launcher_spawn(launcher, &err, program, line, NULL);
    g_assert_no_error(err);
    g_subprocess_communicate_utf8(proc, "", NULL, &r->out, NULL, &err);
    g_assert_no_error(err);
    r->status = g_subprocess_get_exit_status(proc);
    g_test_message("%s\n%s[exit %d]", line, r->out, r->status);
}

static int
countOf(const char *haystack, const char *needle)
{
    int n = 0;

    for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* One run on a pseudo-terminal: each time the question is asked, the next
 * key of @answers is typed. Fails after 60 s. */
static void
runTty(const char *editorName, const char *line, const char *answers, Result *r)
{
    g_autofree char *ed = editor(editorName);
    g_autofree char *state = g_build_filename(g_get_tmp_dir(), "ab-edit-stateXXXXXX", NULL);
    g_autoptr(GString) out = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    size_t answered = 0;
    int master, fd, status;
    pid_t pid;

    fd = g_mkstemp(state);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_unlink(state);
    pid = forkpty(&master, NULL, NULL, NULL);
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        setenv("LIBVIRT_DEFAULT_URI", uri, 1);
        setenv("EDITOR", ed, 1);
        setenv("AB_EDIT_STATE", state, 1);
        unsetenv("VISUAL");
        unsetenv("AB_SCHEMA_DIR");
        execl(program, program, line, (char *) NULL);
        _exit(127);
    }
    for (;;) {
        struct pollfd pfd = { .fd = master, .events = POLLIN };
        char buf[4096];
        ssize_t n;

        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        if (poll(&pfd, 1, 1000) <= 0)
            continue;
        n = read(master, buf, sizeof(buf));
        if (n <= 0)
            break;   /* EIO: the child closed the terminal */
        g_string_append_len(out, buf, n);
        while ((size_t) countOf(out->str, "Try again? [") > answered) {
            g_assert_cmpuint(answered, <, strlen(answers));
            g_assert_cmpint(write(master, answers + answered, 1), ==, 1);
            answered++;
        }
    }
    close(master);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_unlink(state);
    r->out = g_string_free(g_steal_pointer(&out), FALSE);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    g_test_message("%s (answers %s)\n%s[exit %d]", line, answers, r->out, r->status);
    g_assert_cmpuint(answered, ==, strlen(answers));
}

static void
assertHas(const Result *r, const char *text)
{
    if (!strstr(r->out, text))
        g_error("expected '%s' in:\n%s", text, r->out);
}

static void
assertLacks(const Result *r, const char *text)
{
    if (strstr(r->out, text))
        g_error("did not expect '%s' in:\n%s", text, r->out);
}

/* The run defined vm1 with the floor @floor, or left it as it was. */
static void
assertEdited(const Result *r, const char *floor)
{
    assertHas(r, "Domain 'vm1' XML configuration edited.");
    assertHas(r, floor);
}

static void
assertKept(const Result *r)
{
    assertLacks(r, "XML configuration edited.");
    assertHas(r, FLOOR_512);
}

static void
testUnchanged(void)
{
    Result r = { 0 };

    run("set-floor.sh", NULL, "edit vm4", &r);
    /* vm4's policy has no 512 MiB floor: the script changes nothing */
    assertHas(&r, "Domain 'vm4' XML configuration not changed.");
    g_assert_cmpint(r.status, ==, 0);
    resultClear(&r);
}

static void
testEdited(void)
{
    Result r = { 0 };

    run("set-floor.sh", NULL, "edit vm1" DUMP, &r);
    assertHas(&r, "Domain 'vm1' XML configuration edited.");
    assertHas(&r, "autoballoon=\"on\"");
    assertHas(&r, FLOOR_768);
    assertLacks(&r, FLOOR_512);
    resultClear(&r);

    /* $VISUAL before $EDITOR */
    run("bad-floor.sh", "set-floor.sh", "edit vm1" DUMP, &r);
    assertEdited(&r, FLOOR_768);
    resultClear(&r);

    /* by id too, and a domain without a policy gets one */
    run("enable.sh", NULL, "edit vm2; balloon-policy vm2 --config", &r);
    assertHas(&r, "Domain 'vm2' XML configuration edited.");
    assertHas(&r, "256");
    resultClear(&r);
}

/* No terminal: virsh's answer is n. The error names the value, nothing is
 * defined. */
static void
testRefusedNoTty(void)
{
    Result r = { 0 };

    run("bad-floor.sh", NULL, "edit vm1", &r);
    assertHas(&r, "error: ");
    assertHas(&r, "999999");
    assertHas(&r, "error: Failed.");
    assertLacks(&r, "Try again?");
    g_assert_cmpint(r.status, ==, 1);
    resultClear(&r);

    run("bad-floor.sh", NULL, "edit vm1" DUMP, &r);
    assertKept(&r);
    resultClear(&r);

    /* the editor failed: nothing changed either */
    run("fail.sh", NULL, "edit vm1" DUMP, &r);
    assertHas(&r, "edit failed");
    assertKept(&r);
    resultClear(&r);
}

static void
testTryAgain(void)
{
    Result r = { 0 };

    /* y: the editor again, on what was saved; the second edit is good */
    runTty("bad-then-good.sh", "edit vm1" DUMP, "y", &r);
    assertHas(&r, "999999");
    assertHas(&r, "Failed. Try again? [y,n,i,f,?]: ");
    assertEdited(&r, FLOOR_768);
    resultClear(&r);

    /* ?: help, then n: nothing changed */
    runTty("bad-floor.sh", "edit vm1" DUMP, "?n", &r);
    assertHas(&r, "y - yes, start editor again");
    assertHas(&r, "i - turn off validation and try to redefine again");
    g_assert_cmpint(countOf(r.out, "Failed. Try again?"), ==, 2);
    assertKept(&r);
    resultClear(&r);

    /* f: the same document again, refused again */
    runTty("bad-floor.sh", "edit vm1", "fn", &r);
    g_assert_cmpint(countOf(r.out, "999999"), >=, 2);
    g_assert_cmpint(r.status, ==, 1);
    resultClear(&r);
}

/* i: without the schema; our own checks stay. */
static void
testSkipSchema(void)
{
    Result r = { 0 };

    runTty("schema-only.sh", "edit vm1" DUMP, "i", &r);
    assertHas(&r, "refuses the document");
    assertEdited(&r, FLOOR_768);
    resultClear(&r);

    /* once validation is off, i is not offered again */
    runTty("bad-floor.sh", "edit vm1 --skip-validate", "n", &r);
    assertHas(&r, "999999");
    assertHas(&r, "Failed. Try again? [y,n,f,?]: ");
    resultClear(&r);

    run("schema-only.sh", NULL, "edit vm1 --skip-validate" DUMP, &r);
    assertEdited(&r, FLOOR_768);
    resultClear(&r);
}

/* The front: edit of a domain with a policy is ours; any other goes to the
 * real virsh (a stand-in script here) untouched. */
static void
testFrontRoutes(void)
{
    g_autofree char *fake = g_build_filename(g_get_tmp_dir(), "ab-fake-virshXXXXXX", NULL);
    int fd = g_mkstemp(fake);
    const char *script = "#!/bin/sh\necho \"real virsh: $*\"\n";
    struct {
        const char *domain;
        bool ours;
    } cases[] = {
        { "vm1", true },
        { "--domain=vm1", true },
        { "1b2a3c4d-0000-4000-8000-000000000001", true },
        { "vm2", false },              /* no policy */
        { "nosuch", false },           /* the real virsh says so */
    };

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, script, strlen(script)), ==, (ssize_t) strlen(script));
    close(fd);
    g_assert_cmpint(g_chmod(fake, 0755), ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GSubprocessLauncher) launcher =
            g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                      G_SUBPROCESS_FLAGS_STDERR_MERGE |
                                      G_SUBPROCESS_FLAGS_STDIN_PIPE);
        g_autoptr(GSubprocess) proc = NULL;
        g_autoptr(GError) err = NULL;
        g_autofree char *out = NULL;

        g_subprocess_launcher_setenv(launcher, "AB_REAL_VIRSH", fake, TRUE);
        g_subprocess_launcher_setenv(launcher, "EDITOR", "true", TRUE);
        g_subprocess_launcher_unsetenv(launcher, "VISUAL");
        g_subprocess_launcher_unsetenv(launcher, "LIBVIRT_DEFAULT_URI");
        proc = g_subprocess_launcher_spawn(launcher, &err, front, "-c", uri, "edit",
                                           cases[i].domain, NULL);
        g_assert_no_error(err);
        g_subprocess_communicate_utf8(proc, "", NULL, &out, NULL, &err);
        g_assert_no_error(err);
        g_test_message("edit %s: %s", cases[i].domain, out);
        if (cases[i].ours) {
            g_assert_nonnull(strstr(out, "XML configuration not changed."));
            g_assert_null(strstr(out, "real virsh"));
        } else {
            g_autofree char *want = g_strdup_printf("real virsh: -c %s edit %s", uri,
                                                    cases[i].domain);

            g_assert_nonnull(strstr(out, want));
        }
    }
    g_unlink(fake);
}

static const AbTestFunc tests[] = {
    { "/virsh-edit/unchanged", testUnchanged },
    { "/virsh-edit/edited", testEdited },
    { "/virsh-edit/refused-no-tty", testRefusedNoTty },
    { "/virsh-edit/try-again", testTryAgain },
    { "/virsh-edit/skip-schema", testSkipSchema },
    { "/virsh-edit/front-routes", testFrontRoutes },
};

int
main(int argc, char **argv)
{
    const char *root = g_getenv("AB_BUILD_ROOT");
    g_autofree char *prog = NULL;
    g_autofree char *frontPath = NULL;
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_assert_nonnull(root);
    prog = g_build_filename(root, "tools", "virsh-autoballoon", NULL);
    frontPath = g_build_filename(root, "tools", "virsh-front", NULL);
    program = prog;
    front = frontPath;
    datadir = g_build_filename(abTestSourceRoot(), "tests", "virshdata", NULL);
    uri = g_strdup_printf("test://%s/testnode.xml", datadir);

    abTestAddFuncs(tests, G_N_ELEMENTS(tests));
    ret = g_test_run();
    g_free(datadir);
    g_free(uri);
    return ret;
}
