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
#include <limits.h>
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

static char *
editor(const char *name)
{
    return g_build_filename(datadir, "editors", name, NULL);
}

/* One run without a terminal (stdin is an empty pipe); stdout and stderr
 * as they interleave. */
static void
run(const char *editorName, const char *visual, const char *line, AbTestOutput *r)
{
    g_autofree char *ed = editorName ? editor(editorName) : NULL;
    g_autofree char *vis = visual ? editor(visual) : NULL;
    const char *argv[] = { program, line, NULL };
    const AbTestEnv env[] = {
        { "LIBVIRT_DEFAULT_URI", uri }, { "AB_SCHEMA_DIR", NULL },
        { "EDITOR", ed }, { "VISUAL", vis }, { NULL },
    };

    abTestRun(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE |
              G_SUBPROCESS_FLAGS_STDIN_PIPE, NULL, env, "", r);
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
runTty(const char *editorName, const char *line, const char *answers, AbTestOutput *r)
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

/* What a run's output must show: @text from @min to @max times. */
typedef struct {
    const char *text;
    int min, max;
} Want;

#define HAS(text) { text, 1, INT_MAX }
#define LACKS(text) { text, 0, 0 }
#define TIMES(text, n) { text, n, n }
#define AT_LEAST(text, n) { text, n, INT_MAX }
/* The run defined vm1 with the floor @floor, or left it as it was. */
#define EDITED(floor) HAS("Domain 'vm1' XML configuration edited."), HAS(floor)
#define KEPT LACKS("XML configuration edited."), HAS(FLOOR_512)

#define ANY_STATUS (-1)

/* One run and what it must give. */
typedef struct {
    const char *editor;
    const char *visual;     /* without a terminal only */
    const char *line;
    const char *answers;    /* keys typed on a terminal; NULL: no terminal */
    int status;             /* the exit status, or ANY_STATUS */
    Want want[6];
} EditCase;

/* A test of runs: its name and its runs, up to one without a line. */
typedef struct {
    const char *name;
    const EditCase *runs;
} RunTest;

static void
testRuns(gconstpointer data)
{
    const RunTest *t = data;

    for (const EditCase *c = t->runs; c->line; c++) {
        g_auto(AbTestOutput) r = { 0 };

        if (c->answers)
            runTty(c->editor, c->line, c->answers, &r);
        else
            run(c->editor, c->visual, c->line, &r);
        for (size_t j = 0; j < G_N_ELEMENTS(c->want) && c->want[j].text; j++) {
            const Want *w = &c->want[j];
            int found = countOf(r.out, w->text);

            if (found < w->min || found > w->max)
                g_error("expected '%s' %d to %d times, not %d, in:\n%s",
                        w->text, w->min, w->max, found, r.out);
        }
        if (c->status != ANY_STATUS)
            g_assert_cmpint(r.status, ==, c->status);
    }
}

static const EditCase unchanged[] = {
    /* vm4's policy has no 512 MiB floor: the script changes nothing */
    { .editor = "set-floor.sh", .line = "edit vm4", .status = 0,
      .want = { HAS("Domain 'vm4' XML configuration not changed.") } },
    { NULL },
};

static const EditCase edited[] = {
    { .editor = "set-floor.sh", .line = "edit vm1" DUMP, .status = ANY_STATUS,
      .want = { EDITED(FLOOR_768), HAS("autoballoon=\"on\""), LACKS(FLOOR_512) } },
    /* $VISUAL before $EDITOR */
    { .editor = "bad-floor.sh", .visual = "set-floor.sh", .line = "edit vm1" DUMP,
      .status = ANY_STATUS, .want = { EDITED(FLOOR_768) } },
    /* by id too, and a domain without a policy gets one */
    { .editor = "enable.sh", .line = "edit vm2; balloon-policy vm2 --config",
      .status = ANY_STATUS,
      .want = { HAS("Domain 'vm2' XML configuration edited."), HAS("256") } },
    { NULL },
};

/* No terminal: virsh's answer is n. The error names the value, nothing is
 * defined. */
static const EditCase refusedNoTty[] = {
    { .editor = "bad-floor.sh", .line = "edit vm1", .status = 1,
      .want = { HAS("error: "), HAS("999999"), HAS("error: Failed."),
                LACKS("Try again?") } },
    { .editor = "bad-floor.sh", .line = "edit vm1" DUMP, .status = ANY_STATUS,
      .want = { KEPT } },
    /* the editor failed: nothing changed either */
    { .editor = "fail.sh", .line = "edit vm1" DUMP, .status = ANY_STATUS,
      .want = { HAS("edit failed"), KEPT } },
    { NULL },
};

static const EditCase tryAgain[] = {
    /* y: the editor again, on what was saved; the second edit is good */
    { .editor = "bad-then-good.sh", .line = "edit vm1" DUMP, .answers = "y",
      .status = ANY_STATUS,
      .want = { HAS("999999"), HAS("Failed. Try again? [y,n,i,f,?]: "),
                EDITED(FLOOR_768) } },
    /* ?: help, then n: nothing changed */
    { .editor = "bad-floor.sh", .line = "edit vm1" DUMP, .answers = "?n",
      .status = ANY_STATUS,
      .want = { HAS("y - yes, start editor again"),
                HAS("i - turn off validation and try to redefine again"),
                TIMES("Failed. Try again?", 2), KEPT } },
    /* f: the same document again, refused again */
    { .editor = "bad-floor.sh", .line = "edit vm1", .answers = "fn", .status = 1,
      .want = { AT_LEAST("999999", 2) } },
    { NULL },
};

/* i: without the schema; our own checks stay. */
static const EditCase skipSchema[] = {
    { .editor = "schema-only.sh", .line = "edit vm1" DUMP, .answers = "i",
      .status = ANY_STATUS,
      .want = { HAS("refuses the document"), EDITED(FLOOR_768) } },
    /* once validation is off, i is not offered again */
    { .editor = "bad-floor.sh", .line = "edit vm1 --skip-validate", .answers = "n",
      .status = ANY_STATUS,
      .want = { HAS("999999"), HAS("Failed. Try again? [y,n,f,?]: ") } },
    { .editor = "schema-only.sh", .line = "edit vm1 --skip-validate" DUMP,
      .status = ANY_STATUS, .want = { EDITED(FLOOR_768) } },
    { NULL },
};

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
        const char *argv[] = { front, "-c", uri, "edit", cases[i].domain, NULL };
        const AbTestEnv env[] = {
            { "AB_REAL_VIRSH", fake }, { "EDITOR", "true" }, { "VISUAL", NULL },
            { "LIBVIRT_DEFAULT_URI", NULL }, { NULL },
        };
        g_auto(AbTestOutput) r = { 0 };

        abTestRun(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE |
                  G_SUBPROCESS_FLAGS_STDIN_PIPE, NULL, env, "", &r);
        g_test_message("edit %s: %s", cases[i].domain, r.out);
        if (cases[i].ours) {
            g_assert_nonnull(strstr(r.out, "XML configuration not changed."));
            g_assert_null(strstr(r.out, "real virsh"));
        } else {
            g_autofree char *want = g_strdup_printf("real virsh: -c %s edit %s", uri,
                                                    cases[i].domain);

            g_assert_nonnull(strstr(r.out, want));
        }
    }
    g_unlink(fake);
}

static const RunTest runTests[] = {
    { "unchanged", unchanged },
    { "edited", edited },
    { "refused-no-tty", refusedNoTty },
    { "try-again", tryAgain },
    { "skip-schema", skipSchema },
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

    AB_TEST_ADD_CASES("/virsh-edit", runTests, name, testRuns);
    g_test_add_func("/virsh-edit/front-routes", testFrontRoutes);
    ret = g_test_run();
    g_free(datadir);
    g_free(uri);
    return ret;
}
