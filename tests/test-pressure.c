/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for src/pressure: parsing on fake files, headroom levels,
 * combination, vmpressure coalescing with real eventfds. */
#include <glib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ab-pressure.h"
#include "ab-error.h"
#include "testutils.h"
#include "test-pressure-util.h"

#define dataPath(rel) abTestDataPath("pressuredata", rel)
#define dataRead(rel) abTestReadData("pressuredata", rel)

/* ------------------------------------------------------------------ PSI */

static void
test_psi_parse(void)
{
    g_autofree char *busy = dataRead("psi/memory-busy");
    g_autofree char *nofull = dataRead("psi/cpu-nofull");
    g_autoptr(GError) err = NULL;
    abPsiStats st;

    g_assert_cmpint(abPsiParse(busy, &st, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpfloat_with_epsilon(st.some.avg10, 12.50, 1e-9);
    g_assert_cmpfloat_with_epsilon(st.some.avg60, 4.21, 1e-9);
    g_assert_cmpfloat_with_epsilon(st.some.avg300, 1.07, 1e-9);
    g_assert_cmpuint(st.some.total, ==, 83412345);
    g_assert_true(st.hasFull);
    g_assert_cmpfloat_with_epsilon(st.full.avg10, 3.75, 1e-9);
    g_assert_cmpuint(st.full.total, ==, 20112345);

    g_assert_cmpint(abPsiParse(nofull, &st, &err), ==, 0);
    g_assert_false(st.hasFull);
    g_assert_cmpfloat_with_epsilon(st.some.avg10, 0.37, 1e-9);
}

static void
test_psi_parse_bad(void)
{
    static const struct { const char *file; const char *needle; } cases[] = {
        { "psi/bad-value", "avg10=abc" },
        { "psi/bad-missing", "avg300" },
        { "psi/bad-nosome", "no 'some' line" },
        { "psi/bad-nan", "avg10=nan" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = dataRead(cases[i].file);
        g_autoptr(GError) err = NULL;
        abPsiStats st;
        g_assert_cmpint(abPsiParse(text, &st, &err), ==, -1);
        g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        if (!strstr(err->message, cases[i].needle))
            g_error("%s: '%s' lacks '%s'", cases[i].file, err->message, cases[i].needle);
    }
}

static void
test_psi_trigger_format(void)
{
    abPsiConfig cfg;
    g_autofree char *low = NULL;
    g_autofree char *crit = NULL;

    abPsiConfigDefaults(&cfg);
    low = abPsiTriggerFormat(&cfg.level[AB_LEVEL_LOW]);
    crit = abPsiTriggerFormat(&cfg.level[AB_LEVEL_CRITICAL]);
    g_assert_cmpstr(low, ==, "some 150000 2000000");
    g_assert_cmpstr(crit, ==, "full 500000 2000000");
    g_assert_cmpuint(cfg.quietWindows, ==, 2);
}

static void
test_psi_round(void)
{
    static const guint64 cases[][2] = {
        { 500000, 2000000 }, { 1000000, 2000000 }, { 2000000, 2000000 },
        { 2000001, 4000000 }, { 3000000, 4000000 }, { 10000000, 10000000 },
        { 12000000, 10000000 }, { 0, 2000000 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_cmpuint(abPsiRoundWindow(cases[i][0]), ==, cases[i][1]);
}

static void
test_psi_refuses_regular_file(void)
{
    /* a wrong path must never get a trigger line written into it */
    g_autofree char *path = dataPath("psi/memory-idle");
    g_autofree char *before = dataRead("psi/memory-idle");
    g_autofree char *after = NULL;
    g_autoptr(GError) err = NULL;
    abPsiTrigger t = { AB_PSI_SOME, 150000, 2000000 };

    g_assert_cmpint(abPsiTriggerOpen(path, &t, NULL, &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_UNSUPPORTED);
    after = dataRead("psi/memory-idle");
    g_assert_cmpstr(before, ==, after);
}

static void
test_psi_history(void)
{
    abPsiConfig cfg;
    abPsiHistory h = { 0 };

    abPsiConfigDefaults(&cfg);
    cfg.level[AB_LEVEL_CRITICAL].windowUs = 4000000;
    g_assert_cmpint(abPsiHistoryLevel(&h, cfg.level, 2, 0), ==, AB_LEVEL_NONE);

    abPsiHistoryEvent(&h, AB_LEVEL_LOW, 10000000);
    g_assert_cmpint(abPsiHistoryLevel(&h, cfg.level, 2, 10000000), ==, AB_LEVEL_LOW);
    /* low holds for 2 x 2 s after its last event */
    g_assert_cmpint(abPsiHistoryLevel(&h, cfg.level, 2, 13999999), ==, AB_LEVEL_LOW);
    g_assert_cmpint(abPsiHistoryLevel(&h, cfg.level, 2, 14000000), ==, AB_LEVEL_NONE);
    g_assert_cmpint(abPsiHistoryLevel(&h, cfg.level, 1, 12000000), ==, AB_LEVEL_NONE);

    /* critical (4 s window) outlives low, then falls straight to none */
    abPsiHistoryEvent(&h, AB_LEVEL_LOW, 20000000);
    abPsiHistoryEvent(&h, AB_LEVEL_CRITICAL, 20000000);
    g_assert_cmpint(abPsiHistoryLevel(&h, cfg.level, 2, 21000000), ==, AB_LEVEL_CRITICAL);
    g_assert_cmpint(abPsiHistoryLevel(&h, cfg.level, 2, 27999999), ==, AB_LEVEL_CRITICAL);
    g_assert_cmpint(abPsiHistoryLevel(&h, cfg.level, 2, 28000000), ==, AB_LEVEL_NONE);

    /* a medium event under a held critical changes nothing; after critical
     * expires, a fresh medium shows */
    abPsiHistoryEvent(&h, AB_LEVEL_MEDIUM, 30000000);
    g_assert_cmpint(abPsiHistoryLevel(&h, cfg.level, 2, 31000000), ==, AB_LEVEL_MEDIUM);
}

/* ----------------------------------------------------------- headroom */

static void
test_meminfo(void)
{
    g_autofree char *idle = dataRead("meminfo/idle");
    g_autofree char *old = dataRead("meminfo/old-kernel");
    g_autoptr(GError) err = NULL;
    abHeadroom hr;

    g_assert_cmpint(abHeadroomParseMeminfo(idle, &hr, &err), ==, 0);
    g_assert_true(hr.limited);
    g_assert_cmpuint(hr.totalKiB, ==, 24684084);
    g_assert_cmpuint(hr.freeKiB, ==, 24370920);

    g_assert_cmpint(abHeadroomParseMeminfo(old, &hr, &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
    g_assert_nonnull(strstr(err->message, "MemAvailable"));
}

static void
test_cgroup_v1_headroom(void)
{
    g_autoptr(GError) err = NULL;
    abHeadroom hr;

    g_assert_cmpint(abHeadroomFromCgroupV1("60000000\n", "67108864\n", &hr, &err), ==, 0);
    g_assert_true(hr.limited);
    g_assert_cmpuint(hr.totalKiB, ==, 65536);
    g_assert_cmpuint(hr.freeKiB, ==, 6942);   /* 7108864 B */

    /* the kernel's "no limit" */
    g_assert_cmpint(abHeadroomFromCgroupV1("60000000\n", "9223372036854771712\n", &hr, &err), ==, 0);
    g_assert_false(hr.limited);

    /* usage above the limit (kmem, races): no negative headroom */
    g_assert_cmpint(abHeadroomFromCgroupV1("70000000", "67108864", &hr, &err), ==, 0);
    g_assert_cmpuint(hr.freeKiB, ==, 0);

    g_assert_cmpint(abHeadroomFromCgroupV1("x12", "67108864", &hr, &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
    g_assert_nonnull(strstr(err->message, "memory.usage_in_bytes"));
    g_assert_nonnull(strstr(err->message, "x12"));
}

static void
test_cgroup_v2_headroom(void)
{
    g_autoptr(GError) err = NULL;
    abHeadroom hr;

    g_assert_cmpint(abHeadroomFromCgroupV2("1048576000\n", "max\n", &hr, &err), ==, 0);
    g_assert_false(hr.limited);
    g_assert_cmpint(abHeadroomFromCgroupV2("1048576000\n", "1073741824\n", &hr, &err), ==, 0);
    g_assert_true(hr.limited);
    g_assert_cmpuint(hr.totalKiB, ==, 1048576);
    g_assert_cmpuint(hr.freeKiB, ==, 24576);
    g_assert_cmpint(abHeadroomFromCgroupV2("1", "lots", &hr, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "memory.max"));
}

static void
test_cgroup_v2_no_memory_controller(void)
{
    g_autofree char *dir = dataPath("root-hybrid/sys/fs/cgroup/unified/machine");
    g_autoptr(GError) err = NULL;
    abHeadroom hr;

    g_assert_cmpint(abHeadroomReadCgroup(dir, 2, &hr, &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_UNSUPPORTED);
}

static void
test_headroom_level(void)
{
    /* thresholds 20/10/5 % of a 100000 KiB total; request = what brings the
     * free memory back to 20000 KiB */
    static const struct {
        guint64 freeKiB;
        abLevel level;
        guint64 request;
    } cases[] = {
        { 100000, AB_LEVEL_NONE, 0 },
        { 20000, AB_LEVEL_NONE, 0 },
        { 19999, AB_LEVEL_LOW, 1 },
        { 10000, AB_LEVEL_LOW, 10000 },
        { 9999, AB_LEVEL_MEDIUM, 10001 },
        { 5000, AB_LEVEL_MEDIUM, 15000 },
        { 4999, AB_LEVEL_CRITICAL, 15001 },
        { 0, AB_LEVEL_CRITICAL, 20000 },
    };
    abHeadroomConfig cfg;

    abHeadroomConfigDefaults(&cfg);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        abHeadroom hr = { true, 100000, cases[i].freeKiB };
        guint64 req = 99;
        double pct = -1;
        abLevel l = abHeadroomLevel(&cfg, &hr, &req, &pct);
        g_test_message("free %" G_GUINT64_FORMAT " -> %s, request %" G_GUINT64_FORMAT,
                       cases[i].freeKiB, abLevelToString(l), req);
        g_assert_cmpint(l, ==, cases[i].level);
        g_assert_cmpuint(req, ==, cases[i].request);
        g_assert_cmpfloat_with_epsilon(pct, cases[i].freeKiB / 1000.0, 1e-9);
    }

    /* unlimited cgroup: nothing to say */
    {
        abHeadroom hr = { false, 0, 0 };
        guint64 req = 99;
        g_assert_cmpint(abHeadroomLevel(&cfg, &hr, &req, NULL), ==, AB_LEVEL_NONE);
        g_assert_cmpuint(req, ==, 0);
    }
    /* configurable: a stricter low threshold */
    {
        abHeadroom hr = { true, 100000, 25000 };
        guint64 req = 0;
        cfg.freeBelow[AB_LEVEL_LOW] = 0.30;
        g_assert_cmpint(abHeadroomLevel(&cfg, &hr, &req, NULL), ==, AB_LEVEL_LOW);
        g_assert_cmpuint(req, ==, 5000);
    }
}

/* --------------------------------------------------- where guests are */

static void
test_proc_cgroup(void)
{
    static const struct { const char *file; const char *v1; const char *v2; } cases[] = {
        { "cgroup/proc-v1", "/machine/qemu-1-vm1.libvirt-qemu", "/machine/qemu-1-vm1.libvirt-qemu" },
        { "cgroup/proc-v2", NULL, "/machine.slice/machine-qemu\\x2d2\\x2dvm2.scope/libvirt/emulator" },
        { "cgroup/proc-v1-colon", "/machine/qemu-3-odd:name.libvirt-qemu", NULL },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = dataRead(cases[i].file);
        g_autofree char *v1 = NULL;
        g_autofree char *v2 = NULL;
        g_autoptr(GError) err = NULL;
        g_assert_cmpint(abCgroupParseProcCgroup(text, &v1, &v2, &err), ==, 0);
        g_assert_cmpstr(v1, ==, cases[i].v1);
        g_assert_cmpstr(v2, ==, cases[i].v2);
    }
    {
        g_autofree char *text = dataRead("cgroup/proc-bad");
        g_autofree char *v1 = NULL;
        g_autofree char *v2 = NULL;
        g_autoptr(GError) err = NULL;
        g_assert_cmpint(abCgroupParseProcCgroup(text, &v1, &v2, &err), ==, -1);
        g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        g_assert_null(v1);
    }
}

static void
test_mounts(void)
{
    g_autofree char *hybrid = dataRead("root-hybrid/proc/self/mounts");
    g_autofree char *v2only = dataRead("root-v2/proc/self/mounts");
    g_autofree char *m1 = NULL;
    g_autofree char *m2 = NULL;

    abCgroupParseMounts(hybrid, &m1, &m2);
    g_assert_cmpstr(m1, ==, "/sys/fs/cgroup/memory");
    g_assert_cmpstr(m2, ==, "/sys/fs/cgroup/unified");
    g_clear_pointer(&m1, g_free);
    g_clear_pointer(&m2, g_free);
    abCgroupParseMounts(v2only, &m1, &m2);
    g_assert_null(m1);
    g_assert_cmpstr(m2, ==, "/sys/fs/cgroup");
}

static void
test_common_parent(void)
{
    static const struct { const char *paths[3]; const char *parent; } cases[] = {
        { { "/machine/qemu-1-a.libvirt-qemu", "/machine/qemu-2-b.libvirt-qemu" }, "/machine" },
        { { "/machine/qemu-1-a.libvirt-qemu" }, "/machine" },
        { { "/machine.slice/machine-qemu\\x2d1\\x2da.scope/libvirt/emulator" }, "/machine.slice" },
        { { "/machine.slice/machine-qemu\\x2d1\\x2da.scope/libvirt/emulator",
            "/machine.slice/machine-qemu\\x2d2\\x2db.scope/libvirt/emulator" }, "/machine.slice" },
        { { "/vms/a", "/vms/b", "/vms/c" }, "/vms" },
        { { "/vms/a" }, "/vms" },
        { { "/a/x", "/b/y" }, "/" },
        { { "/" }, "/" },
        /* a custom partition under machine stays at libvirt's top level */
        { { "/machine/prod/qemu-1-a.libvirt-qemu", "/machine/test/qemu-2-b.libvirt-qemu" }, "/machine" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint n = 0;
        g_autofree char *p = NULL;
        while (n < 3 && cases[i].paths[n])
            n++;
        p = abCgroupCommonParent(cases[i].paths, n);
        g_assert_cmpstr(p, ==, cases[i].parent);
    }
    g_assert_null(abCgroupCommonParent(NULL, 0));
}

static void
test_find_guests_hybrid(void)
{
    g_autofree char *root = dataPath("root-hybrid");
    g_autoptr(GArray) fromFiles = abCgroupReadPidFiles(root, AB_LIBVIRT_QEMU_RUN_DIR, NULL);
    g_autoptr(abGuestCgroups) g = NULL;
    g_autoptr(abGuestCgroups) byDefault = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *v1Dir = g_build_filename(root, "sys/fs/cgroup/memory/machine", NULL);
    g_autofree char *v2Dir = g_build_filename(root, "sys/fs/cgroup/unified/machine", NULL);

    /* libvirt's pid files only: bash (500) is not a guest, nor is 600, a
     * user's process named qemu-system-x86 in /user */
    g_assert_cmpuint(fromFiles->len, ==, 2);
    g_assert_cmpint(g_array_index(fromFiles, int, 0), ==, 4242);
    g_assert_cmpint(g_array_index(fromFiles, int, 1), ==, 4343);

    g = abCgroupFindGuests(root, fromFiles, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(g->npids, ==, 2);
    g_assert_cmpstr(g->v1Path, ==, "/machine");
    g_assert_cmpstr(g->v1Dir, ==, v1Dir);
    g_assert_cmpstr(g->v2Path, ==, "/machine");
    g_assert_cmpstr(g->v2Dir, ==, v2Dir);
    /* the unified hierarchy here has no memory controller */
    g_assert_false(g->v2HasMemory);
    g_assert_true(g->v2HasPressure);

    /* the same without PIDs given: the impostor does not pull the common
     * parent up to / */
    byDefault = abCgroupFindGuests(root, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(byDefault->npids, ==, 2);
    g_assert_cmpstr(byDefault->v1Path, ==, "/machine");
    g_assert_cmpstr(byDefault->v2Path, ==, "/machine");
}

/* The pid files of the guests libvirt runs, by name; names that would
 * leave the directory are skipped. */
static void
test_pid_files_named(void)
{
    g_autofree char *root = dataPath("root-hybrid");
    const char *one[] = { "vm1", "vm-unknown", NULL };
    const char *bad[] = { "../qemu/vm1", ".", "", "vm1.xml", NULL };
    const char *none[] = { NULL };
    g_autoptr(GArray) a = abCgroupReadPidFiles(root, AB_LIBVIRT_QEMU_RUN_DIR, one);
    g_autoptr(GArray) b = abCgroupReadPidFiles(root, AB_LIBVIRT_QEMU_RUN_DIR, bad);
    g_autoptr(GArray) c = abCgroupReadPidFiles(root, AB_LIBVIRT_QEMU_RUN_DIR, none);
    g_autoptr(abGuestCgroups) g = NULL;

    g_assert_cmpuint(a->len, ==, 1);
    g_assert_cmpint(g_array_index(a, int, 0), ==, 4242);
    g_assert_cmpuint(b->len, ==, 0);
    /* no guest runs: libvirt's partition, whatever else runs */
    g_assert_cmpuint(c->len, ==, 0);
    g = abCgroupFindGuests(root, c, NULL);
    g_assert_nonnull(g);
    g_assert_cmpuint(g->npids, ==, 0);
    g_assert_cmpstr(g->v1Path, ==, "/machine");
}

static void
test_find_guests_v2(void)
{
    g_autofree char *root = dataPath("root-v2");
    g_autoptr(abGuestCgroups) g = abCgroupFindGuests(root, NULL, NULL);

    g_assert_nonnull(g);
    g_assert_cmpuint(g->npids, ==, 1);
    g_assert_null(g->v1Path);
    g_assert_cmpstr(g->v2Path, ==, "/machine.slice");
    g_assert_true(g->v2HasMemory);
}

static void
test_find_guests_none(void)
{
    g_autofree char *root = dataPath("root-hybrid");
    g_autofree char *bare = dataPath("meminfo");
    g_autofree char *v1Dir = g_build_filename(root, "sys/fs/cgroup/memory/machine", NULL);
    g_autoptr(GArray) pids = g_array_new(FALSE, FALSE, sizeof(int));
    g_autoptr(abGuestCgroups) g = NULL;
    g_autoptr(GError) err = NULL;
    int gone = 999999;

    /* no guest runs yet: libvirt's partition, where they will be */
    g_array_append_val(pids, gone);
    g = abCgroupFindGuests(root, pids, &err);
    g_assert_no_error(err);
    g_assert_nonnull(g);
    g_assert_cmpuint(g->npids, ==, 0);
    g_assert_cmpstr(g->v1Path, ==, "/machine");
    g_assert_cmpstr(g->v1Dir, ==, v1Dir);
    g_assert_cmpstr(g->v2Path, ==, "/machine");

    /* no partition either (no cgroup mounts at all) */
    g_assert_null(abCgroupFindGuests(bare, pids, &err));
    g_assert_error(err, AB_ERROR, AB_ERROR_UNSUPPORTED);
}

static void
test_guests_at(void)
{
    g_autofree char *root = dataPath("root-v2");
    g_autoptr(abGuestCgroups) g = abCgroupGuestsAt(root, "/machine.slice");
    g_autoptr(abGuestCgroups) missing = abCgroupGuestsAt(root, "/nowhere");

    g_assert_nonnull(g);
    g_assert_null(g->v1Dir);
    g_assert_cmpstr(g->v2Path, ==, "/machine.slice");
    g_assert_true(g_str_has_prefix(g->v2Dir, root));
    g_assert_true(g->v2HasMemory);
    g_assert_null(missing);
}

/* Only the kinds asked for, and the host's files only system-wide. */
static void
test_monitor_sources_kinds(void)
{
    g_autofree char *root = dataPath("root-v2");
    g_autoptr(abGuestCgroups) g = abCgroupFindGuests(root, NULL, NULL);
    bool headroomOnly[AB_PRESSURE_SOURCE_LAST] = { [AB_PRESSURE_SOURCE_HEADROOM] = true };
    bool psiOnly[AB_PRESSURE_SOURCE_LAST] = { [AB_PRESSURE_SOURCE_PSI] = true };
    g_autoptr(abPressureMonitor) a = abPressureMonitorNew(NULL);
    g_autoptr(abPressureMonitor) b = abPressureMonitorNew(NULL);
    g_autoptr(abPressureMonitor) c = abPressureMonitorNew(NULL);

    g_assert_nonnull(g);
    /* the guests' cgroup headroom, without the host's */
    g_assert_cmpint(abPressureMonitorAddSources(a, root, g, headroomOnly, false), ==, 1);
    g_assert_cmpstr(abPressureMonitorSourceSample(a, 0)->where, ==, "/machine.slice");
    /* host and cgroup headroom */
    g_assert_cmpint(abPressureMonitorAddSources(b, root, g, headroomOnly, true), ==, 2);
    g_assert_cmpstr(abPressureMonitorSourceSample(b, 0)->where, ==, "host");
    /* PSI is not a kernel file in the fake tree: nothing */
    g_assert_cmpint(abPressureMonitorAddSources(c, root, g, psiOnly, true), ==, 0);
}

/* ------------------------------------------------------------ monitor */

static void
test_monitor_defaults_hybrid(void)
{
    g_autofree char *root = dataPath("root-hybrid");
    g_autoptr(abGuestCgroups) g = abCgroupFindGuests(root, NULL, NULL);
    g_autoptr(abPressureMonitor) mon = abPressureMonitorNew(NULL);
    const abPressureSample *s;

    g_assert_nonnull(g);
    /* host headroom and the v1 cgroup's headroom; PSI (absent), vmpressure
     * and the v2 memory.pressure (regular files here) are skipped */
    g_assert_cmpint(abPressureMonitorAddDefaults(mon, root, g), ==, 2);
    s = abPressureMonitorTick(mon, 1);
    /* /machine: 60000000 of 64 MiB used, 10.6 % free -> low */
    g_assert_cmpint(s->level, ==, AB_LEVEL_LOW);
    g_assert_cmpint(s->type, ==, AB_PRESSURE_SOURCE_HEADROOM);
    g_assert_cmpstr(s->where, ==, "/machine");
    g_assert_cmpfloat_with_epsilon(s->figure, 6942 * 100.0 / 65536, 1e-6);
    /* ceil(0.2 * 65536) - 6942 */
    g_assert_cmpuint(s->requestKiB, ==, 6166);
    g_assert_cmpuint(abPressureMonitorNumSources(mon), ==, 2);
    g_assert_cmpstr(abPressureMonitorSourceSample(mon, 0)->where, ==, "host");
    g_assert_cmpint(abPressureMonitorSourceSample(mon, 0)->level, ==, AB_LEVEL_NONE);
}

static void
test_monitor_defaults_v2(void)
{
    g_autofree char *root = dataPath("root-v2");
    g_autoptr(abGuestCgroups) g = abCgroupFindGuests(root, NULL, NULL);
    g_autoptr(abPressureMonitor) mon = abPressureMonitorNew(NULL);
    const abPressureSample *s;

    g_assert_cmpint(abPressureMonitorAddDefaults(mon, root, g), ==, 2);
    s = abPressureMonitorTick(mon, 1);
    /* host 8 % free (medium, request 120000) against machine.slice 2.3 %
     * free (critical, request ceil(0.2 * 1048576) - 24576 = 185140) */
    g_assert_cmpint(s->level, ==, AB_LEVEL_CRITICAL);
    g_assert_cmpstr(s->where, ==, "/machine.slice");
    g_assert_cmpuint(s->requestKiB, ==, 185140);
    g_assert_cmpint(abPressureMonitorSourceSample(mon, 0)->level, ==, AB_LEVEL_MEDIUM);
    g_assert_cmpuint(abPressureMonitorSourceSample(mon, 0)->requestKiB, ==, 120000);
}

typedef struct {
    int fds[3];
    abVmpressure *vmp;
} vmpFixture;

static void
vmpFixtureInit(vmpFixture *f)
{
    for (int i = 0; i < 3; i++) {
        f->fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        g_assert_cmpint(f->fds[i], >=, 0);
    }
    f->vmp = abVmpressureNewFromFds(f->fds);
}

static void
flood(int fd, guint n)
{
    for (guint i = 0; i < n; i++)
        g_assert_cmpint(eventfd_write(fd, 1), ==, 0);
}

static void
test_vmpressure_coalesce(void)
{
    vmpFixture f;
    g_autoptr(abPressureMonitor) mon = abPressureMonitorNew(NULL);
    const abPressureSample *s;
    guint64 changesBefore;

    vmpFixtureInit(&f);
    abPressureMonitorAddVmpressureSource(mon, f.vmp, "/machine");

    /* 100000 kernel-style events, mostly low, some critical, in one tick */
    flood(f.fds[0], 90000);
    flood(f.fds[2], 10000);
    changesBefore = abPressureMonitorNumChanges(mon);
    s = abPressureMonitorTick(mon, 1000);
    g_assert_cmpint(s->level, ==, AB_LEVEL_CRITICAL);
    g_assert_cmpstr(s->where, ==, "/machine");
    g_assert_cmpfloat(s->figure, ==, 100000);
    g_assert_cmpuint(abPressureMonitorNumChanges(mon) - changesBefore, ==, 1);
    g_assert_cmpuint(abVmpressureTotal(f.vmp, AB_LEVEL_LOW), ==, 90000);

    /* the flood goes on at low: one change (critical -> low), then steady */
    flood(f.fds[0], 5000);
    s = abPressureMonitorTick(mon, 2000);
    g_assert_cmpint(s->level, ==, AB_LEVEL_LOW);
    flood(f.fds[0], 5000);
    s = abPressureMonitorTick(mon, 3000);
    g_assert_cmpint(s->level, ==, AB_LEVEL_LOW);
    g_assert_cmpuint(abPressureMonitorNumChanges(mon) - changesBefore, ==, 2);

    /* a quiet tick falls back to none */
    s = abPressureMonitorTick(mon, 4000);
    g_assert_cmpint(s->level, ==, AB_LEVEL_NONE);
    g_assert_cmpfloat(s->figure, ==, 0);
}

static gboolean
floodTimerCb(gpointer opaque)
{
    int *fd = opaque;
    flood(*fd, 2000);
    return G_SOURCE_CONTINUE;
}

static void
test_vmpressure_glib_flood(void)
{
    /* 100000 events written from inside the loop while the monitor ticks
     * every 20 ms: the level changes once (none -> low), not per event */
    vmpFixture f;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(abPressureMonitor) mon = abPressureMonitorNew(NULL);
    g_autoptr(GSource) feeder = g_timeout_source_new(1);
    PressureRecord st = { 0 };
    gint64 start;

    vmpFixtureInit(&f);
    abPressureMonitorAddVmpressureSource(mon, f.vmp, "/machine");
    abPressureMonitorAttach(mon, ctx, 20, pressureRecordCb, &st, NULL);
    g_source_set_callback(feeder, floodTimerCb, &f.fds[0], NULL);
    g_source_attach(feeder, ctx);

    start = g_get_monotonic_time();
    while (abVmpressureTotal(f.vmp, AB_LEVEL_LOW) < 100000 &&
           g_get_monotonic_time() - start < 20 * G_USEC_PER_SEC)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(feeder);
    g_assert_cmpuint(abVmpressureTotal(f.vmp, AB_LEVEL_LOW), >=, 100000);
    g_test_message("%" G_GUINT64_FORMAT " events, %u level changes",
                   abVmpressureTotal(f.vmp, AB_LEVEL_LOW), st.calls);
    g_assert_cmpuint(st.calls, ==, 1);
    g_assert_cmpint(st.last, ==, AB_LEVEL_LOW);

    /* the flood stopped: the next tick reports none */
    while (st.calls < 2 && g_get_monotonic_time() - start < 20 * G_USEC_PER_SEC)
        g_main_context_iteration(ctx, TRUE);
    g_assert_cmpuint(st.calls, ==, 2);
    g_assert_cmpint(st.last, ==, AB_LEVEL_NONE);
    abPressureMonitorDetach(mon);
}

static void
test_monitor_highest_wins(void)
{
    /* ties go to the source added first; the higher one always wins */
    g_autofree char *tight = dataPath("meminfo/tight");  /* 8 % free: medium */
    g_autoptr(abPressureMonitor) mon = abPressureMonitorNew(NULL);
    vmpFixture f;
    const abPressureSample *s;

    vmpFixtureInit(&f);
    g_assert_cmpint(abPressureMonitorAddHostHeadroom(mon, tight, NULL), ==, 0);
    abPressureMonitorAddVmpressureSource(mon, f.vmp, "/machine");

    flood(f.fds[1], 3);
    s = abPressureMonitorTick(mon, 1);
    g_assert_cmpint(s->level, ==, AB_LEVEL_MEDIUM);
    g_assert_cmpint(s->type, ==, AB_PRESSURE_SOURCE_HEADROOM);
    g_assert_cmpuint(s->requestKiB, ==, 120000);

    flood(f.fds[2], 1);
    s = abPressureMonitorTick(mon, 2);
    g_assert_cmpint(s->level, ==, AB_LEVEL_CRITICAL);
    g_assert_cmpint(s->type, ==, AB_PRESSURE_SOURCE_VMPRESSURE);
    g_assert_cmpstr(s->where, ==, "/machine");
    g_assert_cmpfloat(s->figure, ==, 1);
    /* the request still comes from the headroom source */
    g_assert_cmpuint(s->requestKiB, ==, 120000);
}

static const AbTestFunc tests[] = {
    { "/pressure/psi/parse", test_psi_parse },
    { "/pressure/psi/parse-bad", test_psi_parse_bad },
    { "/pressure/psi/trigger-format", test_psi_trigger_format },
    { "/pressure/psi/round-window", test_psi_round },
    { "/pressure/psi/history", test_psi_history },
    { "/pressure/psi/refuses-regular-file", test_psi_refuses_regular_file },
    { "/pressure/headroom/meminfo", test_meminfo },
    { "/pressure/headroom/cgroup-v1", test_cgroup_v1_headroom },
    { "/pressure/headroom/cgroup-v2", test_cgroup_v2_headroom },
    { "/pressure/headroom/cgroup-v2-no-memory", test_cgroup_v2_no_memory_controller },
    { "/pressure/headroom/level", test_headroom_level },
    { "/pressure/cgroup/proc-cgroup", test_proc_cgroup },
    { "/pressure/cgroup/mounts", test_mounts },
    { "/pressure/cgroup/common-parent", test_common_parent },
    { "/pressure/cgroup/find-hybrid", test_find_guests_hybrid },
    { "/pressure/cgroup/pid-files-named", test_pid_files_named },
    { "/pressure/cgroup/find-v2", test_find_guests_v2 },
    { "/pressure/cgroup/find-none", test_find_guests_none },
    { "/pressure/cgroup/guests-at", test_guests_at },
    { "/pressure/monitor/sources-kinds", test_monitor_sources_kinds },
    { "/pressure/monitor/defaults-hybrid", test_monitor_defaults_hybrid },
    { "/pressure/monitor/defaults-v2", test_monitor_defaults_v2 },
    { "/pressure/monitor/highest-wins", test_monitor_highest_wins },
    { "/pressure/vmpressure/coalesce", test_vmpressure_coalesce },
    { "/pressure/vmpressure/glib-flood", test_vmpressure_glib_flood },
};

AB_TEST_MAIN(tests, NULL)
