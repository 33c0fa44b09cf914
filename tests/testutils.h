/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* testutils.h: what every test shares: paths into the source tree, files,
 * golden files with one regeneration rule, and a log recorder.
 *
 * Golden files: abTestCompareToFile compares a result with its file, and
 * under AB_REGENERATE=1 (that value, nothing else) rewrites the file
 * instead. Never edit a golden file by hand. */
#pragma once

#include <glib.h>
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

/* The main() of a program that is only its table: g_test_init, @setup
 * (when not NULL), the tests of @tests, g_test_run. */
int abTestMain(int argc, char **argv, void (*setup)(void),
               const AbTestFunc *tests, size_t ntests);
#define AB_TEST_MAIN(tests, setup) \
    int main(int argc, char **argv) \
    { \
        return abTestMain(argc, argv, setup, tests, G_N_ELEMENTS(tests)); \
    }

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
