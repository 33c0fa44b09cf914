/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* testutils.h: what every test shares: paths into the source tree, files,
 * golden files with one regeneration rule, running a program, and a log
 * recorder.
 *
 * Golden files: abTestCompareToFile compares a result with its file, and
 * under AB_REGENERATE=1 (that value, nothing else) rewrites the file
 * instead. Never edit a golden file by hand. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

/* The source tree: $AB_SOURCE_ROOT (meson test sets it), else the one the
 * build was configured from. */
const char *abTestSourceRoot(void);

/* tests/@dir/@file in the source tree. */
char *abTestDataPath(const char *dir, const char *file);

/* The contents of @path; the test aborts when it cannot be read. */
char *abTestReadFile(const char *path);

/* The contents of tests/@dir/@file. */
char *abTestReadData(const char *dir, const char *file);

/* AB_REGENERATE=1: golden files are rewritten, not compared. */
bool abTestRegenerate(void);

/* Compare @actual with the golden file @path (or rewrite it): on a
 * difference the test fails, naming the first line that differs. */
void abTestCompareToFile(const char *path, const char *actual);

/* A test program's table: each test's TAP path and its function. */
typedef struct {
    const char *path;
    GTestFunc func;
} AbTestFunc;

/* g_test_add_func for each of the @ntests of @tests, in order. */
void abTestAddFuncs(const AbTestFunc *tests, size_t ntests);

/* g_test_add_data_func for each of the @n cases of a table of structs of
 * @size bytes, named @prefix/NAME where NAME is the string at @nameOffset
 * of each case; AB_TEST_ADD_CASES takes the table and its name member. */
void abTestAddCases(const char *prefix, const void *cases, size_t n, size_t size,
                    size_t nameOffset, GTestDataFunc func);
#define AB_TEST_ADD_CASES(prefix, cases, member, func) \
    abTestAddCases(prefix, cases, G_N_ELEMENTS(cases), sizeof((cases)[0]), \
                   (size_t) ((const char *) &(cases)[0].member - \
                             (const char *) &(cases)[0]), func)

/* The main() of a program that is only its table: g_test_init, @setup
 * (when not NULL), the tests of @tests, g_test_run. */
int abTestMain(int argc, char **argv, void (*setup)(void),
               const AbTestFunc *tests, size_t ntests);
#define AB_TEST_MAIN(tests, setup) \
    int main(int argc, char **argv) \
    { \
        return abTestMain(argc, argv, setup, tests, G_N_ELEMENTS(tests)); \
    }

/* One variable of a child's environment: @value NULL unsets it. */
typedef struct {
    const char *name;
    const char *value;
} AbTestEnv;

/* What one run of a program gave. */
typedef struct {
    char *out;      /* stdout; with G_SUBPROCESS_FLAGS_STDERR_MERGE, stderr too */
    char *err;      /* stderr with G_SUBPROCESS_FLAGS_STDERR_PIPE, else NULL */
    int status;     /* the exit status */
} AbTestOutput;

/* Runs @argv (NULL terminated) to its end with the pipes of @flags, in
 * @cwd (NULL: this process's), its environment this process's changed by
 * @env (ended by { NULL }, or NULL). A stdin pipe gets @stdinText (NULL:
 * nothing) and is closed. The test aborts when the program cannot be
 * started or read. */
void abTestRun(const char *const *argv, GSubprocessFlags flags, const char *cwd,
               const AbTestEnv *env, const char *stdinText, AbTestOutput *r);
void abTestOutputClear(AbTestOutput *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AbTestOutput, abTestOutputClear)

/* Every log message the process writes, in order, as "LEVEL message
 * @domain". GLib's g_test_expect_message does not see structured logging,
 * so the tests record messages themselves and search them. A critical
 * aborts the test. AB_TEST_VERBOSE also prints them. */
extern GPtrArray *testLogs;
void testLogInit(void);
void testLogClear(void);
/* Index of the first recorded message containing all of @first... (NULL
 * terminated), or -1. */
int testLogFind(const char *first, ...) G_GNUC_NULL_TERMINATED;
/* Number of recorded messages containing @needle. */
unsigned int testLogCount(const char *needle);
void testLogDump(void);

#define assertLogged(...) \
    do { \
        if (testLogFind(__VA_ARGS__, NULL) < 0) { \
            testLogDump(); \
            g_assert_not_reached(); \
        } \
    } while (0)
