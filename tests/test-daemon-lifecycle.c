/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* autoballoond through a guest's life: pause, undefine while running,
 * rename, the guests' cgroup turning up when they start, and stats stamps
 * against a wall clock that stepped (fixture: test-daemon-fixture.h). */
#include "test-daemon-fixture.h"

/* cgroup = auto on a fake tree: the daemon started before any guest (and
 * before libvirt's partition existed) finds the guests' cgroup when a
 * managed guest starts, without a reload, and reopens nothing when a later
 * start leaves it where it is. */
static void
putFile(const char *root, const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* A fake root's cgroup2 host: mounts and meminfo. */
static void
putHost(const char *root)
{
    putFile(root, "proc/self/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
    putFile(root, "proc/meminfo", "MemTotal: 8000000 kB\nMemAvailable: 6000000 kB\n");
}

/* A v2 memory cgroup at @path (below /sys/fs/cgroup): 100 MiB of 1 GiB. */
static void
putCgroup(const char *root, const char *path)
{
    g_autofree char *cur = g_strdup_printf("sys/fs/cgroup/%s/memory.current", path);
    g_autofree char *max = g_strdup_printf("sys/fs/cgroup/%s/memory.max", path);

    putFile(root, cur, "104857600\n");
    putFile(root, max, "1073741824\n");
}

static void
testCgroupDiscovery(Fixture *f, gconstpointer data)
{
    g_autofree char *root = g_dir_make_tmp("ab-daemon-cgroup-XXXXXX", NULL);
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", root);
    virDomainPtr dom = virDomainLookupByName(f->conn, "vm-stopped");
    abDaemonConfig *cfg = abDaemonConfigNew();
    abDaemonPressure *p;
    const char *reopen = "guests' cgroup now /machine: reopening";
    bool onTick = GPOINTER_TO_INT(data);

    putHost(root);
    /* no guest yet, and no partition either: systemd and libvirt create
     * it when the first guest starts */
    putFile(root, "sys/fs/cgroup/cgroup.controllers", "memory\n");
    p = abDaemonPressureOpenAt(cfg, NULL, root);
    abDaemonSetPressure(f->daemon, p);
    abDaemonConfigFree(cfg);
    g_assert_cmpuint(abDaemonPressureNumSources(p), ==, 1);   /* the host's */
    tick(f, 2);

    /* a guest starts: its cgroup and its qemu appear */
    putCgroup(root, "machine");
    putFile(root, "proc/4242/cgroup", "0::/machine/qemu-1-vm-stopped.libvirt-qemu\n");
    /* libvirt's pid file names it (on a tick, the guest that runs) */
    putFile(root, onTick ? "run/libvirt/qemu/vm-on.pid" : "run/libvirt/qemu/vm-stopped.pid",
            "4242\n");
    /* what libvirt does not vouch for moves nothing: a user's process
     * named like a qemu, and a stale pid file of a guest that is not
     * running (its PID reused by a user's process) */
    putFile(root, "sys/fs/cgroup/user.slice/memory.current", "104857600\n");
    putFile(root, "proc/666/comm", "qemu-system-x86\n");
    putFile(root, "proc/666/cgroup", "0::/user.slice/user-1000.slice/evil.scope\n");
    putFile(root, "proc/667/cgroup", "0::/user.slice/user-1000.slice/evil.scope\n");
    putFile(root, "run/libvirt/qemu/vm-gone.pid", "667\n");
    if (onTick) {
        /* no event: the tick looks again, at most every 30 s */
        tick(f, 10);
        g_assert_cmpuint(abDaemonPressureNumSources(p), ==, 1);
        tick(f, 25);
    } else {
        g_assert_cmpint(virDomainCreate(dom), ==, 0);
        waitFor(info(f, "vm-stopped").managed);
    }
    g_assert_cmpuint(abDaemonPressureNumSources(p), ==, 2);
    g_assert_cmpuint(testLogCount(reopen), ==, 1);
    assertLogged("pressure source headroom on /machine");

    /* found: ticks stop looking, and another start in the same cgroup
     * reopens nothing */
    tick(f, 60);
    if (!onTick) {
        g_assert_cmpint(virDomainDestroy(dom), ==, 0);
        waitFor(!info(f, "vm-stopped").managed);
        g_assert_cmpint(virDomainCreate(dom), ==, 0);
        waitFor(info(f, "vm-stopped").managed);
    }
    g_assert_cmpuint(testLogCount(reopen), ==, 1);
    g_assert_cmpuint(abDaemonPressureNumSources(p), ==, 2);
    virDomainFree(dom);
    g_assert_cmpint(system(rm), ==, 0);
}

/* The guests' cgroup removed under the daemon (the guests moved to
 * another partition): its sources read as gone, and the next look (at
 * most every 30 s) finds the new place and reopens there. */
static void
testCgroupRemoved(Fixture *f, gconstpointer data)
{
    g_autofree char *root = g_dir_make_tmp("ab-daemon-cgroup-XXXXXX", NULL);
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", root);
    g_autofree char *old = g_build_filename(root, "sys/fs/cgroup/machine", NULL);
    g_autofree char *rmOld = g_strdup_printf("rm -rf '%s'", old);
    abDaemonConfig *cfg = abDaemonConfigNew();
    abDaemonPressure *p;

    putHost(root);
    putFile(root, "sys/fs/cgroup/cgroup.controllers", "memory\n");
    putCgroup(root, "machine");
    putFile(root, "proc/4242/cgroup", "0::/machine/qemu-1-vm-on.libvirt-qemu\n");
    putFile(root, "run/libvirt/qemu/vm-on.pid", "4242\n");
    p = abDaemonPressureOpenAt(cfg, NULL, root);
    abDaemonSetPressure(f->daemon, p);
    abDaemonConfigFree(cfg);
    tick(f, 2);
    g_assert_cmpuint(abDaemonPressureNumSources(p), ==, 2);

    /* gone, and the guest's qemu now in another partition */
    testLogClear();
    g_assert_cmpint(system(rmOld), ==, 0);
    putCgroup(root, "machine.slice");
    putFile(root, "proc/4242/cgroup", "0::/machine.slice/qemu-1-vm-on.scope\n");
    tick(f, 2);
    assertLogged("its cgroup was removed");
    tick(f, 35);
    assertLogged("guests' cgroup now /machine.slice: reopening");
    assertLogged("pressure source headroom on /machine.slice");
    g_assert_cmpuint(abDaemonPressureNumSources(p), ==, 2);
    g_assert_cmpint(system(rm), ==, 0);
}

/* Opened before the daemon knows which guests libvirt runs, cgroup = auto
 * reads every pid file libvirt has, a stale one too (its PID reused by a
 * user's process); once connected it looks again with the live guests'
 * only, here none: libvirt's partition. */
static void
testCgroupStalePidFile(Fixture *f, gconstpointer data)
{
    g_autofree char *root = g_dir_make_tmp("ab-daemon-cgroup-XXXXXX", NULL);
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", root);
    abDaemonConfig *cfg = abDaemonConfigNew();
    g_autoptr(abGuestCgroups) before = NULL;

    putHost(root);
    putCgroup(root, "machine");
    putCgroup(root, "user.slice/evil");
    putFile(root, "proc/667/cgroup", "0::/user.slice/evil/sleep\n");
    putFile(root, "run/libvirt/qemu/vm-gone.pid", "667\n");
    before = abCgroupFindGuests(root, NULL, NULL);
    g_assert_cmpstr(before->v2Path, ==, "/user.slice/evil");

    testLogClear();
    abDaemonSetPressure(f->daemon, abDaemonPressureOpenAt(cfg, NULL, root));
    abDaemonConfigFree(cfg);
    assertLogged("guests' cgroup now /machine: reopening");
    g_assert_cmpint(testLogFind("pressure source headroom on /machine", NULL), >,
                    testLogFind("pressure source headroom on /user.slice/evil", NULL));
    g_assert_cmpint(testLogFind("pressure source headroom on /user.slice/evil", NULL), >=, 0);
    g_assert_cmpint(system(rm), ==, 0);
}

/* A paused guest keeps its QEMU and its balloon: it stays managed and
 * keeps its status, it only gets no command until it runs again. */
static void
testPausedStaysManaged(Fixture *f, gconstpointer data)
{
    virDomainPtr dom = virDomainLookupByName(f->conn, "vm-on");
    abConfStatus st = { 0 };
    unsigned int n;

    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    n = abDaemonCountSetMemory(f->daemon);
    g_assert_cmpuint(n, ==, 1);
    g_assert_true(readStatus(f, "vm-on", &st));
    abConfStatusClear(&st);

    g_assert_cmpint(virDomainSuspend(dom), ==, 0);
    waitFor(!info(f, "vm-on").running);
    g_assert_true(info(f, "vm-on").live);
    g_assert_true(info(f, "vm-on").managed);
    g_assert_cmpint(testLogFind("vm-on: no longer managed", NULL), <, 0);
    for (int i = 0; i < 20; i++)
        tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n);
    g_assert_true(readStatus(f, "vm-on", &st));
    abConfStatusClear(&st);

    /* running again: commands resume, and the pause did not make the
     * balloon look unresponsive */
    g_assert_cmpint(virDomainResume(dom), ==, 0);
    waitFor(info(f, "vm-on").running);
    tick(f, 2);
    g_assert_false(info(f, "vm-on").unresponsive);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), >, n);
    virDomainFree(dom);
}

/* Undefining a running guest leaves it running as a transient one: it
 * stays managed; once it stops it is gone. */
static void
testUndefineRunning(Fixture *f, gconstpointer data)
{
    virDomainPtr dom = virDomainLookupByName(f->conn, "vm-on");

    g_assert_cmpint(virDomainUndefine(dom), ==, 0);
    drainEvents();
    g_assert_true(info(f, "vm-on").known);
    g_assert_true(info(f, "vm-on").managed);
    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 1);

    g_assert_cmpint(virDomainDestroy(dom), ==, 0);
    waitFor(!info(f, "vm-on").known);
    virDomainFree(dom);
}

/* A rename keeps the UUID: the entry follows the new name. */
static void
testRename(Fixture *f, gconstpointer data)
{
    virDomainPtr dom = virDomainLookupByName(f->conn, "vm-stopped");

    g_assert_cmpint(virDomainRename(dom, "vm-renamed", 0), ==, 0);
    waitFor(info(f, "vm-renamed").known);
    g_assert_false(info(f, "vm-stopped").known);
    virDomainFree(dom);
}

/* The host's wall clock stepped back an hour, so QEMU's stats stamp
 * looks an hour ahead; then the stats stop. They must go stale after
 * their periods, not an hour later. */
static void
testStatsStampAhead(Fixture *f, gconstpointer data)
{
    unsigned int n;

    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    f->hook.frozenStamp = fakeWall(&f->clock) + 3600;
    tick(f, 2);
    n = abDaemonCountSetMemory(f->daemon);
    g_assert_cmpuint(n, ==, 1);
    tick(f, 10);
    tick(f, 10);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, n);
}

/* Paused while its balloon was still on its way (fault 5 of issue 15): the
 * pause does not count as time the balloon stood still, so the first
 * tick after the resume does not call it stuck. */
static void
testResumedMidMove(Fixture *f, gconstpointer data)
{
    virDomainPtr dom = virDomainLookupByName(f->conn, "vm-on");

    f->hook.stuck = "vm-on";
    f->hook.stuckKiB = 1000 * MiB;
    inject(f, "vm-on", AB_LEVEL_MEDIUM, 0);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), ==, 1);
    tick(f, 2);
    g_assert_false(info(f, "vm-on").unresponsive);

    g_assert_cmpint(virDomainSuspend(dom), ==, 0);
    waitFor(!info(f, "vm-on").running);
    for (int i = 0; i < 10; i++)
        tick(f, 2);
    g_assert_cmpint(virDomainResume(dom), ==, 0);
    waitFor(info(f, "vm-on").running);
    tick(f, 2);
    g_assert_false(info(f, "vm-on").unresponsive);
    g_assert_cmpint(testLogFind("vm-on: balloon stuck", NULL), <, 0);
    virDomainFree(dom);
}

static const FixtureTest tests[] = {
    { "/daemon-lifecycle/undefine-running", testUndefineRunning },
    { "/daemon-lifecycle/rename", testRename },
    { "/daemon-lifecycle/stats-stamp-ahead", testStatsStampAhead },
    { "/daemon-lifecycle/cgroup-found-on-start", testCgroupDiscovery, GINT_TO_POINTER(0) },
    { "/daemon-lifecycle/cgroup-found-on-tick", testCgroupDiscovery, GINT_TO_POINTER(1) },
    { "/daemon-lifecycle/cgroup-stale-pid-file", testCgroupStalePidFile },
    { "/daemon-lifecycle/cgroup-removed", testCgroupRemoved },
    { "/daemon-lifecycle/paused-stays-managed", testPausedStaysManaged },
    { "/daemon-lifecycle/resumed-mid-move", testResumedMidMove },
};

FIXTURE_MAIN(tests)
