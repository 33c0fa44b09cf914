/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of src/pressure against the running kernel: PSI trigger
 * registration (with the 2 s window rule) and cgroup v1 vmpressure with a
 * memory hog confined in a 64 MiB child memory cgroup. Each skips where the
 * kernel lacks the interface or we are not root. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ab-pressure.h"
#include "ab-error.h"
#include "testutils.h"
#include "test-pressure-util.h"

#define V1_MEMORY "/sys/fs/cgroup/memory"
#define HOG_LIMIT (64 * 1024 * 1024)
#define HOG_SIZE (256UL * 1024 * 1024)

static void
test_psi_trigger(void)
{
    static const char *paths[] = { "/proc/pressure/memory",
                                   "/sys/fs/cgroup/unified/memory.pressure",
                                   "/sys/fs/cgroup/memory.pressure" };
    guint tried = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
        /* 1 s needs CAP_SYS_RESOURCE, 12 s is over the 10 s maximum */
        static const guint64 windows[] = { 2000000, 1000000, 3000000, 12000000 };

        if (access(paths[i], F_OK) < 0)
            continue;
        if (access(paths[i], R_OK | W_OK) < 0) {
            /* cgroupfs files belong to root unless delegated */
            g_test_message("%s: not writable by uid %d, not tried",
                           paths[i], (int)geteuid());
            continue;
        }
        tried++;
        for (size_t w = 0; w < G_N_ELEMENTS(windows); w++) {
            abPsiTrigger t = { AB_PSI_SOME, 150000, windows[w] };
            g_autoptr(GError) err = NULL;
            bool rounded = false;
            int fd = abPsiTriggerOpen(paths[i], &t, &rounded, &err);

            g_assert_no_error(err);
            g_assert_cmpint(fd, >=, 0);
            g_test_message("%s: window %" G_GUINT64_FORMAT " us -> %s %" G_GUINT64_FORMAT " us",
                           paths[i], windows[w], rounded ? "rounded to" : "accepted as",
                           t.windowUs);
            g_assert_cmpuint(t.windowUs, <=, 10000000);
            g_assert_cmpuint(t.windowUs, >=, MIN(windows[w], 10000000));
            if (rounded)
                g_assert_cmpuint(t.windowUs % 2000000, ==, 0);
            else
                g_assert_cmpuint(t.windowUs, ==, windows[w]);
            close(fd);
        }
        /* a stall longer than its window is ours to refuse */
        {
            abPsiTrigger t = { AB_PSI_FULL, 3000000, 2000000 };
            g_autoptr(GError) err = NULL;
            g_assert_cmpint(abPsiTriggerOpen(paths[i], &t, NULL, &err), ==, -1);
            g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        }
    }
    if (tried == 0)
        g_test_skip("no writable PSI file: kernel without CONFIG_PSI, "
                    "booted with psi=0, or not allowed");
}

static void
test_psi_monitor(void)
{
    g_autoptr(abPressureMonitor) mon = abPressureMonitorNew(NULL);
    g_autoptr(GError) err = NULL;
    const abPressureSample *s;

    if (access("/proc/pressure/memory", F_OK) < 0) {
        g_test_skip("no /proc/pressure/memory");
        return;
    }
    g_assert_cmpint(abPressureMonitorAddPsi(mon, "/proc/pressure/memory", "host", &err), ==, 0);
    g_assert_no_error(err);
    s = abPressureMonitorTick(mon, g_get_monotonic_time());
    g_assert_cmpint(s->type, ==, AB_PRESSURE_SOURCE_PSI);
    g_assert_cmpfloat(s->figure, >=, 0);
    g_assert_cmpfloat(s->figure, <=, 100);
}

/* ------------------------------------------------- vmpressure with a hog */

static char cgDir[256];
static volatile pid_t hogPid;

/* async-signal-safe, so that an assertion failure still leaves the host
 * without our hog and our cgroup */
static void
cleanupHog(void)
{
    pid_t pid = hogPid;
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        hogPid = 0;
    }
    if (cgDir[0])
        rmdir(cgDir);
}

static void
onAbort(int sig)
{
    cleanupHog();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int
writeFile(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;
    if (fd < 0)
        return -1;
    n = write(fd, text, strlen(text));
    close(fd);
    return n < 0 ? -1 : 0;
}

static G_NORETURN void
hogMain(void)
{
    char path[300];
    char pid[32];

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    snprintf(path, sizeof(path), "%s/cgroup.procs", cgDir);
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    if (writeFile(path, pid) < 0)
        _exit(2);
    for (;;) {
        char *p = mmap(NULL, HOG_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            _exit(3);
        for (size_t off = 0; off < HOG_SIZE; off += 4096)
            p[off] = 1;
        munmap(p, HOG_SIZE);
    }
}

static pid_t
startHog(void)
{
    pid_t pid = fork();
    if (pid == 0)
        hogMain();
    return pid;
}

/* Restarts the hog when the cgroup's OOM killer took it. */
static void
reapHog(guint *restarts)
{
    int status;
    if (hogPid > 0 && waitpid(hogPid, &status, WNOHANG) == hogPid) {
        hogPid = startHog();
        (*restarts)++;
    }
}

/* Creates the 64 MiB child cgroup; false (test skipped) when this host
 * cannot, *failure set when it should have but failed. */
static bool
hogCgroupCreate(const char **failure)
{
    g_autofree char *limit = g_strdup_printf("%d", HOG_LIMIT);
    g_autofree char *limitPath = NULL;

    if (geteuid() != 0) {
        g_test_skip("not root: cannot create a memory cgroup");
        return false;
    }
    if (access(V1_MEMORY "/cgroup.event_control", F_OK) < 0) {
        g_test_skip("no cgroup v1 memory hierarchy at " V1_MEMORY);
        return false;
    }
    snprintf(cgDir, sizeof(cgDir), V1_MEMORY "/autoballoon-test-%d", (int)getpid());
    if (mkdir(cgDir, 0755) < 0) {
        g_autofree char *msg = g_strdup_printf("cannot create %s: %s", cgDir,
                                               g_strerror(errno));
        g_test_skip(msg);
        cgDir[0] = '\0';
        return false;
    }
    signal(SIGABRT, onAbort);
    atexit(cleanupHog);
    limitPath = g_build_filename(cgDir, "memory.limit_in_bytes", NULL);
    if (writeFile(limitPath, limit) < 0)
        *failure = "cannot set memory.limit_in_bytes";
    return true;
}

/* Kills the hog and removes the cgroup after @mon closed its fds. */
static void
hogCgroupRemove(abPressureMonitor **mon)
{
    cleanupHog();
    signal(SIGABRT, SIG_DFL);
    if (*mon)
        abPressureMonitorDetach(*mon);
    g_clear_pointer(mon, abPressureMonitorFree);   /* closes the eventfds */
    if (cgDir[0] && rmdir(cgDir) < 0 && errno != ENOENT)
        g_test_message("rmdir %s: %s", cgDir, g_strerror(errno));
    cgDir[0] = '\0';
}

/* A monitor of the test cgroup's vmpressure (and, with @headroom, its
 * headroom first); NULL with @error set when the kernel refuses. */
static abPressureMonitor *
hogMonitorNew(bool headroom, abVmpressure **vmp, GError **error)
{
    g_autoptr(abPressureMonitor) mon = abPressureMonitorNew(NULL);

    if (headroom && abPressureMonitorAddCgroupHeadroom(mon, cgDir, 1, "test", error) < 0)
        return NULL;
    if (!(*vmp = abVmpressureOpen(cgDir, error)))
        return NULL;
    abPressureMonitorAddVmpressureSource(mon, *vmp, cgDir);
    return g_steal_pointer(&mon);
}

static void
test_vmpressure_hog(void)
{
    g_autoptr(GMainContext) ctx = NULL;
    g_autoptr(abPressureMonitor) mon = NULL;
    g_autoptr(GError) err = NULL;
    abVmpressure *vmp;
    PressureRecord st = { 0 };
    guint restarts = 0;
    gint64 start = g_get_monotonic_time(), firstEventUs = -1, measureEnd;
    guint64 events = 0;
    guint64 perLevel[AB_LEVEL_LAST] = { 0 };
    guint callsInWindow = 0;
    const guint tickMs = 100;
    const char *failure = NULL;

    if (!hogCgroupCreate(&failure))
        return;
    if (failure)
        goto cleanup;
    if (!(mon = hogMonitorNew(false, &vmp, &err))) {
        failure = err->message;
        goto cleanup;
    }
    ctx = g_main_context_new();
    abPressureMonitorAttach(mon, ctx, tickMs, pressureRecordCb, &st, NULL);

    start = g_get_monotonic_time();
    hogPid = startHog();
    if (hogPid < 0) {
        failure = "fork failed";
        goto cleanup;
    }
    /* wait for the first kernel event, deadline 20 s */
    while (g_get_monotonic_time() - start < 20 * G_USEC_PER_SEC) {
        if (abVmpressureTotal(vmp, AB_LEVEL_LOW) > 0) {
            firstEventUs = g_get_monotonic_time() - start;
            break;
        }
        reapHog(&restarts);
        /* wakes on a vmpressure eventfd or the 100 ms tick */
        g_main_context_iteration(ctx, TRUE);
    }
    if (firstEventUs < 0) {
        failure = "no vmpressure event within 20 s";
        goto cleanup;
    }
    /* keep the hog going for 2 s and count what the kernel sends against
     * what the monitor reports */
    measureEnd = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    callsInWindow = st.calls;
    while (g_get_monotonic_time() < measureEnd) {
        reapHog(&restarts);
        g_main_context_iteration(ctx, TRUE);
    }
    callsInWindow = st.calls - callsInWindow;
    for (abLevel l = AB_LEVEL_LOW; l < AB_LEVEL_LAST; l++) {
        perLevel[l] = abVmpressureTotal(vmp, l);
        events += perLevel[l];
    }

 cleanup:
    hogCgroupRemove(&mon);
    if (failure)
        g_error("%s", failure);

    g_test_message("first vmpressure event %.1f ms after the hog started; "
                   "%" G_GUINT64_FORMAT " events (low %" G_GUINT64_FORMAT
                   ", medium %" G_GUINT64_FORMAT ", critical %" G_GUINT64_FORMAT
                   ") in %.1f s, %u level changes reported, %u hog restarts",
                   firstEventUs / 1000.0, events,
                   perLevel[AB_LEVEL_LOW], perLevel[AB_LEVEL_MEDIUM],
                   perLevel[AB_LEVEL_CRITICAL],
                   (g_get_monotonic_time() - start) / 1e6, st.calls, restarts);
    g_assert_cmpint(st.max, >, AB_LEVEL_NONE);
    /* at most one change per tick, over the 2 s window (+1 for a tick that
     * straddles its start) */
    g_assert_cmpuint(callsInWindow, <=, 2000 / tickMs + 1);
}

/* Fills the cgroup with clean page cache: a child in it writes and syncs
 * a file of @mib MiB (then the cgroup's usage sits near its limit, over
 * every usage mark, before any load). */
static bool
fillPageCache(const char *file, int mib)
{
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        char path[300], me[32];
        static char buf[1 << 20];
        int fd;

        snprintf(path, sizeof(path), "%s/cgroup.procs", cgDir);
        snprintf(me, sizeof(me), "%d", (int)getpid());
        if (writeFile(path, me) < 0 ||
            (fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
            _exit(2);
        memset(buf, 1, sizeof(buf));
        for (int i = 0; i < mib; i++) {
            if (write(fd, buf, sizeof(buf)) != (ssize_t) sizeof(buf))
                _exit(3);
        }
        _exit(fsync(fd) == 0 && close(fd) == 0 ? 0 : 4);
    }
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

/* A cgroup full of clean page cache, a load that evicts it: vmpressure
 * reports the reclaim and the monitor samples the headroom at once (a
 * reclaim wake), so the deficit is reported long before the (10 s) tick.
 * (In this small cgroup the usage marks may report it too: the usage dips
 * as the cache goes; in a large one full of cache they need not.) */
static void
test_vmpressure_wakes_headroom(void)
{
    g_autoptr(GMainContext) ctx = NULL;
    g_autoptr(abPressureMonitor) mon = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *file = g_strdup_printf("/var/tmp/autoballoon-test-cache-%d", (int)getpid());
    PressureRecord st = { 0 };
    const char *failure = NULL;
    guint restarts = 0;
    gint64 start = 0;
    guint64 wakes = 0;
    abVmpressure *vmp;

    if (!hogCgroupCreate(&failure))
        return;
    if (failure)
        goto cleanup;
    if (!fillPageCache(file, 56)) {
        failure = "cannot fill the cgroup's page cache";
        goto cleanup;
    }
    if (!(mon = hogMonitorNew(true, &vmp, &err))) {
        failure = err->message;
        goto cleanup;
    }
    ctx = g_main_context_new();
    abPressureMonitorAttach(mon, ctx, 10000, pressureRecordCb, &st, NULL);
    /* the cache alone is no deficit (it counts as free) */
    abPressureMonitorTick(mon, g_get_monotonic_time());
    st.deficitAt = 0;

    start = g_get_monotonic_time();
    hogPid = startHog();
    while (st.deficitAt == 0 && g_get_monotonic_time() - start < 5 * G_USEC_PER_SEC) {
        reapHog(&restarts);
        g_main_context_iteration(ctx, FALSE);
        g_usleep(1000);
    }
    wakes = abPressureMonitorNumReclaimWakes(mon);

 cleanup:
    hogCgroupRemove(&mon);
    unlink(file);
    if (failure)
        g_error("%s", failure);
    g_test_message("deficit of %" G_GUINT64_FORMAT " KiB reported %.0f ms after the load "
                   "started (tick 10 s), %" G_GUINT64_FORMAT " reclaim wakes",
                   st.deficitKiB, st.deficitAt ? (st.deficitAt - start) / 1000.0 : -1.0,
                   wakes);
    g_assert_cmpint(st.deficitAt, >, 0);
    g_assert_cmpuint(wakes, >, 0);
}

static void
test_psi_event(void)
{
    /* memcg reclaim in the hog's cgroup stalls it, and PSI counts that
     * system-wide; a sensitive low trigger should fire within seconds */
    g_autoptr(GMainContext) ctx = NULL;
    g_autoptr(abPressureMonitor) mon = NULL;
    g_autoptr(GError) err = NULL;
    abPressureConfig cfg;
    PressureRecord st = { 0 };
    const abPressureSample *last = NULL;
    const char *failure = NULL;
    gint64 start = g_get_monotonic_time(), firedUs = -1;
    guint restarts = 0;

    if (access("/proc/pressure/memory", F_OK) < 0) {
        g_test_skip("no /proc/pressure/memory");
        return;
    }
    if (!hogCgroupCreate(&failure))
        return;
    if (failure)
        goto cleanup;

    abPressureConfigDefaults(&cfg);
    cfg.psi.level[AB_LEVEL_LOW] = (abPsiTrigger){ AB_PSI_SOME, 50000, 2000000 };
    cfg.psi.level[AB_LEVEL_MEDIUM].windowUs = 0;     /* not registered */
    cfg.psi.level[AB_LEVEL_CRITICAL].windowUs = 0;
    mon = abPressureMonitorNew(&cfg);
    if (abPressureMonitorAddPsi(mon, "/proc/pressure/memory", "host", &err) < 0) {
        failure = err->message;
        goto cleanup;
    }
    ctx = g_main_context_new();
    abPressureMonitorAttach(mon, ctx, 100, pressureRecordCb, &st, NULL);
    hogPid = startHog();
    while (g_get_monotonic_time() - start < 20 * G_USEC_PER_SEC) {
        if (st.firstAt) {
            firedUs = st.firstAt - start;
            break;
        }
        reapHog(&restarts);
        g_main_context_iteration(ctx, TRUE);
    }
    if (firedUs >= 0)
        last = abPressureMonitorSourceSample(mon, 0);
    if (last && (last->type != AB_PRESSURE_SOURCE_PSI || strcmp(last->where, "host") != 0))
        failure = "PSI sample names the wrong source";

 cleanup:
    hogCgroupRemove(&mon);
    if (failure)
        g_error("%s", failure);
    if (firedUs < 0) {
        /* the kernel accepted the trigger, and a hog reclaiming in a
         * 64 MiB cgroup stalls far beyond 50 ms in 2 s: no event is a
         * failure of the monitor (or of PSI), not a reason to skip */
        g_test_message("the kernel accepted 'some 50000 2000000' on /proc/pressure/memory, "
                       "but the hog caused no trigger event within 20 s (%u hog restarts)",
                       restarts);
        g_test_fail();
        return;
    }
    g_test_message("PSI trigger 'some 50000 2000000' fired %.1f ms after the "
                   "hog started (%u hog restarts)", firedUs / 1000.0, restarts);
    g_assert_cmpint(st.first, ==, AB_LEVEL_LOW);
}

/* Warnings that a source is gone, counted rather than fatal. */
static guint goneWarnings;

static GLogWriterOutput
countGoneWriter(GLogLevelFlags level, const GLogField *fields, gsize n,
                gpointer opaque)
{
    for (gsize i = 0; i < n; i++) {
        if (g_str_equal(fields[i].key, "MESSAGE") && fields[i].length < 0 &&
            strstr(fields[i].value, " is gone (")) {
            goneWarnings++;
            return G_LOG_WRITER_HANDLED;
        }
    }
    return g_log_writer_default(level, fields, n, opaque);
}

/* A source whose cgroup is removed: a PSI trigger then polls
 * POLLERR|POLLPRI, a vmpressure eventfd is signalled once. Neither is
 * pressure: the source is reported gone and reads none, and nothing re-arms
 * it (one warning, not one a tick). */
static void
removedCgroupCheck(const char *dir, abPressureSourceType type)
{
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(abPressureMonitor) mon = abPressureMonitorNew(NULL);
    g_autoptr(GError) err = NULL;
    const abPressureSample *s;
    int rc;

    /* not root, or no such hierarchy: nothing to test here */
    if (mkdir(dir, 0755) < 0) {
        g_autofree char *msg = g_strdup_printf("cannot create %s: %s", dir, g_strerror(errno));

        g_test_skip(msg);
        return;
    }
    if (type == AB_PRESSURE_SOURCE_PSI) {
        g_autofree char *file = g_build_filename(dir, "memory.pressure", NULL);

        rc = abPressureMonitorAddPsi(mon, file, dir, &err);
    } else if (type == AB_PRESSURE_SOURCE_HEADROOM) {
        /* a limit of its own: the source registers usage thresholds,
         * eventfds the kernel signals when it removes the cgroup */
        g_autofree char *limit = g_build_filename(dir, "memory.limit_in_bytes", NULL);

        g_assert_cmpint(writeFile(limit, "67108864"), ==, 0);
        rc = abPressureMonitorAddCgroupHeadroom(mon, dir, 1, dir, &err);
    } else {
        rc = abPressureMonitorAddVmpressure(mon, dir, dir, &err);
    }
    if (rc < 0)
        rmdir(dir);
    g_assert_no_error(err);
    abPressureMonitorAttach(mon, ctx, 100000, NULL, NULL, NULL);
    s = abPressureMonitorTick(mon, 1);
    g_assert_cmpint(s->level, ==, AB_LEVEL_NONE);
    g_assert_cmpuint(abPressureMonitorNumGone(mon), ==, 0);

    g_assert_cmpint(rmdir(dir), ==, 0);
    goneWarnings = 0;
    /* the tick sees the error first (its poll), then the fd watches */
    for (int i = 0; i < 5; i++) {
        s = abPressureMonitorTick(mon, 2 + i);
        g_assert_cmpint(s->level, ==, AB_LEVEL_NONE);
        g_assert_cmpint(abPressureMonitorSourceSample(mon, 0)->level, ==, AB_LEVEL_NONE);
        while (g_main_context_iteration(ctx, FALSE))
            ;
    }
    g_assert_cmpuint(goneWarnings, ==, 1);
    g_assert_cmpuint(abPressureMonitorNumGone(mon), ==, 1);
}

static void
test_psi_removed_cgroup(void)
{
    static const char *const parents[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
    g_autofree char *dir = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(parents) && !dir; i++) {
        g_autofree char *probe = g_build_filename(parents[i], "cgroup.pressure", NULL);

        if (access(probe, F_OK) == 0)
            dir = g_strdup_printf("%s/autoballoon-gone-%d", parents[i], (int) getpid());
    }
    if (!dir) {
        g_test_skip("no cgroup2 hierarchy with PSI");
        return;
    }
    removedCgroupCheck(dir, AB_PRESSURE_SOURCE_PSI);
}

static void
test_v1_removed_cgroup(gconstpointer data)
{
    g_autofree char *dir = g_strdup_printf(V1_MEMORY "/autoballoon-gone-%d", (int) getpid());

    if (access(V1_MEMORY "/cgroup.event_control", F_OK) < 0) {
        g_test_skip("no cgroup v1 memory hierarchy at " V1_MEMORY);
        return;
    }
    removedCgroupCheck(dir, GPOINTER_TO_INT(data));
}

static const AbTestFunc tests[] = {
    { "/pressure/kernel/psi-trigger", test_psi_trigger },
    { "/pressure/kernel/psi-monitor", test_psi_monitor },
    { "/pressure/kernel/vmpressure-hog", test_vmpressure_hog },
    { "/pressure/kernel/vmpressure-wakes-headroom", test_vmpressure_wakes_headroom },
    { "/pressure/kernel/psi-event", test_psi_event },
    { "/pressure/kernel/psi-removed-cgroup", test_psi_removed_cgroup },
};

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_log_set_writer_func(countGoneWriter, NULL, NULL);
    abTestAddFuncs(tests, G_N_ELEMENTS(tests));
    g_test_add_data_func("/pressure/kernel/vmpressure-removed-cgroup",
                         GINT_TO_POINTER(AB_PRESSURE_SOURCE_VMPRESSURE), test_v1_removed_cgroup);
    g_test_add_data_func("/pressure/kernel/headroom-removed-cgroup",
                         GINT_TO_POINTER(AB_PRESSURE_SOURCE_HEADROOM), test_v1_removed_cgroup);
    return g_test_run();
}
