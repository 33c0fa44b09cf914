/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the host can get back: a qemu's resident size, and the page cache
 * the kernel drops cheaply that headroom counts as free. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
#include "ab-pressure.h"
#include "testutils.h"
#include "test-pressure-util.h"

static void
test_resident_parse(void)
{
    g_autoptr(GError) err = NULL;
    guint64 kib = 0;

    /* an excerpt of /proc/PID/status of a qemu-system-x86_64 */
    g_assert_cmpint(abResidentParseStatus("Name:\tqemu-system-x86\nVmRSS:\t  900000 kB\n"
                                          "RssAnon:\t  812340 kB\nRssFile:\t   80000 kB\n"
                                          "RssShmem:\t    7660 kB\n", &kib, &err), ==, 0);
    g_assert_cmpuint(kib, ==, 812340 + 7660);
    /* RssFile is not counted: the balloon cannot free it */
    g_assert_cmpint(abResidentParseStatus("RssFile:\t 5 kB\nRssAnon:\t 10 kB\n", &kib, NULL), ==, 0);
    g_assert_cmpuint(kib, ==, 10);
    /* a key only at the start of a line */
    g_assert_cmpint(abResidentParseStatus("XRssAnon:\t 7 kB\nRssAnon:\t 3 kB\n", &kib, NULL), ==, 0);
    g_assert_cmpuint(kib, ==, 3);
    g_assert_cmpint(abResidentParseStatus("VmRSS:\t 10 kB\n", &kib, &err), ==, -1);
    g_clear_error(&err);
    g_assert_cmpint(abResidentParseStatus("RssAnon:\t lots kB\n", &kib, &err), ==, -1);
    g_clear_error(&err);
    g_assert_cmpint(abResidentParseStatus("RssAnon:\t 18446744073709551615 kB\n"
                                          "RssShmem:\t 2 kB\n", &kib, &err), ==, -1);
}

static void
test_resident_self(void)
{
    g_autoptr(GError) err = NULL;
    guint64 kib = 0;

    /* this test process holds some anonymous memory */
    g_assert_cmpint(abResidentRead(NULL, getpid(), &kib, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(kib, >, 0);
    g_assert_cmpint(abResidentRead(NULL, -5, &kib, &err), ==, -1);
}

static void
test_pidfile(void)
{
    g_autofree char *dir = g_dir_make_tmp("ab-pid-XXXXXX", NULL);
    g_autofree char *good = g_build_filename(dir, "vm.pid", NULL);
    g_autofree char *bad = g_build_filename(dir, "bad.pid", NULL);
    g_autoptr(GError) err = NULL;

    g_assert_true(g_file_set_contents(good, "4242\n", -1, NULL));
    g_assert_true(g_file_set_contents(bad, "42x", -1, NULL));
    g_assert_cmpint(abResidentReadPidFile(NULL, good, &err), ==, 4242);
    g_assert_cmpint(abResidentReadPidFile(NULL, bad, &err), ==, -1);
    g_clear_error(&err);
    g_assert_cmpint(abResidentReadPidFile(NULL, "/nonexistent/x.pid", &err), ==, -1);
    g_unlink(good);
    g_unlink(bad);
    g_rmdir(dir);
}

static void
test_stat_parse(void)
{
    const char *v1 = "cache 100\ninactive_file 4096\ntotal_cache 200\n"
                     "total_inactive_file 1048576\n";

    g_assert_cmpuint(abHeadroomParseStat(v1, "total_inactive_file"), ==, 1048576);
    /* not the key's prefix of a longer key, nor a suffix */
    g_assert_cmpuint(abHeadroomParseStat(v1, "inactive_file"), ==, 4096);
    g_assert_cmpuint(abHeadroomParseStat(v1, "total"), ==, 0);
    g_assert_cmpuint(abHeadroomParseStat("inactive_file x\n", "inactive_file"), ==, 0);
    g_assert_cmpuint(abHeadroomParseStat("", "inactive_file"), ==, 0);
}

typedef const char *FakeFile[2];   /* name, contents */

/* A temporary directory holding @n files: a cgroup as a test tree. */
static char *
fakeCgroupNew(const FakeFile *files, size_t n)
{
    char *dir = g_dir_make_tmp("ab-cg-XXXXXX", NULL);

    g_assert_nonnull(dir);
    for (size_t i = 0; i < n; i++) {
        g_autofree char *p = g_build_filename(dir, files[i][0], NULL);
        g_assert_true(g_file_set_contents(p, files[i][1], -1, NULL));
    }
    return dir;
}

/* Removes what fakeCgroupNew made (a file already gone is fine). */
static void
fakeCgroupRemove(char *dir, const FakeFile *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_autofree char *p = g_build_filename(dir, files[i][0], NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
    g_free(dir);
}

/* A cgroup v1 at 90 % of its limit, half of it clean inactive page cache,
 * is not under pressure. Worked out: limit 1000 MiB, usage 900 MiB:
 * free 100 MiB (10 %); with 300 MiB inactive file free 400 MiB
 * (40 %, none); without it exactly 10 % free is low. */
static void
test_cgroup_reclaimable(void)
{
    static const FakeFile files[] = {
        { "memory.usage_in_bytes", "943718400\n" },
        { "memory.limit_in_bytes", "1048576000\n" },
        { "memory.stat", "cache 0\ntotal_inactive_file 314572800\n" },
    };
    abHeadroomConfig cfg;
    abHeadroom hr;
    guint64 request;

    char *dir = fakeCgroupNew(files, G_N_ELEMENTS(files));

    abHeadroomConfigDefaults(&cfg);
    g_assert_cmpint(abHeadroomReadCgroup(dir, 1, &hr, NULL), ==, 0);
    g_assert_cmpuint(hr.totalKiB, ==, 1000 * 1024);
    g_assert_cmpuint(hr.reclaimableKiB, ==, 300 * 1024);
    g_assert_cmpuint(hr.freeKiB, ==, 400 * 1024);
    g_assert_cmpint(abHeadroomLevel(&cfg, &hr, &request, NULL), ==, AB_LEVEL_NONE);
    g_assert_cmpuint(request, ==, 0);

    /* without memory.stat: 10 % free is low (medium is below 10 %), and
     * 100 MiB short of the 20 % mark */
    {
        g_autofree char *p = g_build_filename(dir, "memory.stat", NULL);
        g_unlink(p);
    }
    g_assert_cmpint(abHeadroomReadCgroup(dir, 1, &hr, NULL), ==, 0);
    g_assert_cmpuint(hr.freeKiB, ==, 100 * 1024);
    g_assert_cmpint(abHeadroomLevel(&cfg, &hr, &request, NULL), ==, AB_LEVEL_LOW);
    g_assert_cmpuint(request, ==, 100 * 1024);

    /* reclaimable never makes free exceed the limit */
    abHeadroomAddReclaimable(&hr, 2000ULL << 20);
    g_assert_cmpuint(hr.freeKiB, ==, hr.totalKiB);

    fakeCgroupRemove(dir, files, G_N_ELEMENTS(files));
}

/* The room above the low mark (20 % free by default), what a guest may
 * grow into before the others must give (docs/policy.md rule 12): of a
 * 1000 MiB limit, the mark is 200 MiB = 204800 KiB free. A mark that is
 * not a whole KiB rounds up as the request of abHeadroomLevel does, so
 * that room and request are never both above 0: of 100001 KiB it is
 * ceil(20000.2) = 20001. */
static void
test_headroom_room(void)
{
    static const struct { guint64 totalKiB, freeKiB, roomKiB, requestKiB; } cases[] = {
        { 1024000, 307200, 102400, 0 },    /* 300 MiB free: 100 MiB above */
        { 1024000, 204801, 1, 0 },         /* one KiB above the mark */
        { 1024000, 204800, 0, 0 },         /* at the mark */
        { 1024000, 204799, 0, 1 },         /* one KiB below it */
        { 1024000, 0, 0, 204800 },
        { 1024000, 1024000, 819200, 0 },   /* all free: 800 MiB */
        { 100001, 20002, 1, 0 },
        { 100001, 20001, 0, 0 },
        { 100001, 20000, 0, 1 },
    };
    abHeadroomConfig cfg;

    abHeadroomConfigDefaults(&cfg);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        abHeadroom hr = { .limited = true, .totalKiB = cases[i].totalKiB,
                          .freeKiB = cases[i].freeKiB };
        guint64 request = 99;

        abHeadroomLevel(&cfg, &hr, &request, NULL);
        g_assert_cmpuint(abHeadroomRoom(&cfg, &hr), ==, cases[i].roomKiB);
        g_assert_cmpuint(request, ==, cases[i].requestKiB);
    }

    /* an unlimited cgroup has no mark: no room, whatever it holds */
    {
        abHeadroom hr = { .limited = false, .totalKiB = 1024000, .freeKiB = 307200 };
        abHeadroom zero = { .limited = true, .totalKiB = 0, .freeKiB = 0 };

        g_assert_cmpuint(abHeadroomRoom(&cfg, &hr), ==, 0);
        g_assert_cmpuint(abHeadroomRoom(&cfg, &zero), ==, 0);
    }

    /* the mark follows the configured low threshold: at 50 % of 1000 MiB
     * it is 500 MiB, 300 MiB free is below it; at 10 % it is 100 MiB,
     * 200 MiB above; at 0 (headroom-low = 0) all 300 MiB free is room */
    {
        abHeadroom hr = { .limited = true, .totalKiB = 1024000, .freeKiB = 307200 };

        cfg.freeBelow[AB_LEVEL_LOW] = 0.5;
        g_assert_cmpuint(abHeadroomRoom(&cfg, &hr), ==, 0);
        cfg.freeBelow[AB_LEVEL_LOW] = 0.1;
        g_assert_cmpuint(abHeadroomRoom(&cfg, &hr), ==, 204800);
        cfg.freeBelow[AB_LEVEL_LOW] = 0;
        g_assert_cmpuint(abHeadroomRoom(&cfg, &hr), ==, 307200);
    }
}

/* Marks for a 1000 MiB limit with the low mark at 20 % free: 800 MiB,
 * then every 25 MiB: 800, 825, ..., 975 (8 marks; 1000 is the limit
 * itself, where the kernel acts anyway). */
static void
test_threshold_marks(void)
{
    guint64 marks[AB_USAGE_THRESHOLDS_MAX];
    guint64 limit = 1000ULL << 20;
    guint n = abUsageThresholdsMarks(limit, 0.20, marks);

    g_assert_cmpuint(n, ==, 8);
    for (guint i = 0; i < n; i++) {
        guint64 want = (guint64) ((double) limit * (0.80 + 0.025 * i));
        g_assert_cmpuint(marks[i], ==, want);
    }
    g_assert_cmpuint(marks[0], ==, 800ULL << 20);
    /* none without a limit or with a nonsense mark */
    g_assert_cmpuint(abUsageThresholdsMarks(0, 0.2, marks), ==, 0);
    g_assert_cmpuint(abUsageThresholdsMarks(AB_CGROUP_V1_UNLIMITED, 0.2, marks), ==, 0);
    g_assert_cmpuint(abUsageThresholdsMarks(limit, 0, marks), ==, 0);
    g_assert_cmpuint(abUsageThresholdsMarks(limit, 0.0 / 0.0, marks), ==, 0);
    /* a low mark at 60 % free would need 24 marks: capped */
    g_assert_cmpuint(abUsageThresholdsMarks(limit, 0.6, marks), ==, AB_USAGE_THRESHOLDS_MAX);
}

static bool
writeKnob(const char *path, const char *value)
{
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(value, f) >= 0;

    return f ? fclose(f) == 0 && ok : false;
}

/* A real v1 cgroup: a child that allocates past a mark signals it. */
static void
test_threshold_kernel(void)
{
    const char *base = "/sys/fs/cgroup/memory";
    g_autofree char *dir = g_strdup_printf("%s/ab-test-thr-%d", base, getpid());
    g_autofree char *limitPath = g_build_filename(dir, "memory.limit_in_bytes", NULL);
    g_autofree char *tasks = g_build_filename(dir, "tasks", NULL);
    g_autoptr(abUsageThresholds) thr = NULL;
    g_autoptr(GError) err = NULL;
    guint64 mark = 32ULL << 20;
    GPid pid;
    int status;

    g_autofree char *ctl = g_build_filename(base, "cgroup.event_control", NULL);

    if (!g_file_test(ctl, G_FILE_TEST_EXISTS) ||
        geteuid() != 0) {
        g_test_skip("needs root and a cgroup v1 memory hierarchy");
        return;
    }
    g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
    g_assert_true(writeKnob(limitPath, "268435456"));
    thr = abUsageThresholdsOpen(dir, &mark, 1, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(abUsageThresholdsCount(thr), ==, 1);
    g_assert_cmpuint(abUsageThresholdsDrain(thr), ==, 0);

    /* the child joins the cgroup, touches 64 MiB and exits */
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        g_autofree char *me = g_strdup_printf("%d", getpid());
        char *p;

        if (!writeKnob(tasks, me))
            _exit(2);
        p = g_malloc(64 << 20);
        for (size_t i = 0; i < (64 << 20); i += 4096)
            p[i] = 1;
        _exit(0);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* crossed up (and back down when its memory went): at least once */
    g_assert_cmpuint(abUsageThresholdsDrain(thr), >=, 1);
    g_clear_pointer(&thr, abUsageThresholdsFree);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
test_events_parse(void)
{
    g_assert_cmpuint(abMemoryEventsParse("low 0\nhigh 3\nmax 2\noom 0\noom_kill 1\n"), ==, 6);
    g_assert_cmpuint(abMemoryEventsParse("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"), ==, 0);
    /* older kernels lack oom_group_kill and newer ones add keys: only the
     * five counted, a bad value counts 0 */
    g_assert_cmpuint(abMemoryEventsParse("max 4\noom_group_kill 9\n"), ==, 4);
    g_assert_cmpuint(abMemoryEventsParse("max x\nhigh 1\n"), ==, 1);
    g_assert_cmpuint(abMemoryEventsParse(""), ==, 0);
}

/* A v2 cgroup (a test tree: inotify reports a write to a regular file as
 * the kernel reports a counter's change on cgroupfs) of 1000 MiB at
 * 950 MiB: 50 MiB free, 150 MiB = 153600 KiB short of the 20 % mark.
 * Usage alone wakes nothing (v2 has no thresholds, and the tick is a
 * minute away); a memory.events change samples the headroom at once. */
static void
test_events_wake(void)
{
    static const FakeFile files[] = {
        { "memory.current", "838860800\n" },   /* 800 MiB: at the mark */
        { "memory.max", "1048576000\n" },
        { "memory.stat", "inactive_file 0\n" },
        { "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n" },
    };
    char *dir = fakeCgroupNew(files, G_N_ELEMENTS(files));
    g_autofree char *events = g_build_filename(dir, "memory.events", NULL);
    g_autofree char *current = g_build_filename(dir, "memory.current", NULL);
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(abPressureMonitor) mon = abPressureMonitorNew(NULL);
    PressureRecord st = { 0 };

    g_assert_cmpint(abPressureMonitorAddCgroupHeadroom(mon, dir, 2, "/machine.slice",
                                                       NULL), ==, 0);
    abPressureMonitorAttach(mon, ctx, 60000, pressureRecordCb, &st, NULL);

    g_assert_true(writeKnob(current, "996147200\n"));   /* 950 MiB */
    pressureRecordWait(ctx, &st, 1, 300);
    g_assert_cmpuint(st.calls, ==, 0);

    /* the cgroup met its limit */
    g_assert_true(writeKnob(events, "low 0\nhigh 0\nmax 1\noom 0\noom_kill 0\n"));
    pressureRecordWait(ctx, &st, 1, 5000);
    g_assert_cmpuint(st.calls, ==, 1);
    g_assert_cmpuint(st.requestKiB, ==, 153600);
    g_assert_cmpuint(abPressureMonitorNumReclaimWakes(mon), ==, 1);

    /* a write that changes no counter wakes nothing */
    g_assert_true(writeKnob(events, "low 0\nhigh 0\nmax 1\noom 0\noom_kill 0\n"));
    pressureRecordWait(ctx, &st, 2, 600);
    g_assert_cmpuint(st.calls, ==, 1);

    /* two changes inside the 200 ms gap: the watch comes back and the
     * second is seen then, not lost */
    g_assert_true(writeKnob(events, "low 0\nhigh 0\nmax 2\noom 0\noom_kill 0\n"));
    pressureRecordWait(ctx, &st, 2, 5000);
    g_assert_true(writeKnob(events, "low 0\nhigh 0\nmax 3\noom 0\noom_kill 0\n"));
    pressureRecordWait(ctx, &st, 3, 5000);
    g_assert_cmpuint(st.calls, ==, 3);
    g_assert_cmpuint(abPressureMonitorNumReclaimWakes(mon), ==, 3);

    abPressureMonitorDetach(mon);
    fakeCgroupRemove(dir, files, G_N_ELEMENTS(files));
}

static const AbTestFunc tests[] = {
    { "/pressure/resident/parse", test_resident_parse },
    { "/pressure/resident/self", test_resident_self },
    { "/pressure/resident/pidfile", test_pidfile },
    { "/pressure/headroom/stat-parse", test_stat_parse },
    { "/pressure/headroom/reclaimable", test_cgroup_reclaimable },
    { "/pressure/headroom/room", test_headroom_room },
    { "/pressure/threshold/marks", test_threshold_marks },
    { "/pressure/threshold/kernel", test_threshold_kernel },
    { "/pressure/events/parse", test_events_parse },
    { "/pressure/events/wake", test_events_wake },
};

AB_TEST_MAIN(tests, NULL)
