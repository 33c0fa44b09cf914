/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-pressure.h: host memory pressure sources folded into one level stream
 *
 * Sources (each one produces an abLevel, a figure and where it looked):
 *   psi        PSI triggers on /proc/pressure/memory or a cgroup2
 *              memory.pressure file; avg10 is the figure.
 *   vmpressure cgroup v1 memory.pressure_level through cgroup.event_control;
 *              the figure is the number of kernel events coalesced in a tick.
 *   headroom   free memory of the host (MemAvailable / MemTotal) or of a
 *              memory-limited cgroup (limit - usage) / limit; the figure is
 *              the free percentage and the source asks for requestKiB.
 *              A v1 cgroup wakes the monitor at usage thresholds, a v2
 *              one when its memory.events counters change.
 *   injected   a level set by hand for one domain (balloon-inject-pressure);
 *              it lives in the domain's metadata and the daemon applies it,
 *              the monitor only names the type.
 *
 * Two ways to drive it, both on the same monitor:
 *   - poll: call abPressureMonitorTick(mon, now) from your own timer; it
 *     samples every source (non-blocking) and returns the combined sample.
 *   - GLib: abPressureMonitorAttach(mon, ctx, tickMs, cb, ...) watches the
 *     PSI and vmpressure fds on @ctx, ticks every @tickMs and calls @cb
 *     whenever the combined level or its source changes. A PSI trigger
 *     causes an immediate evaluation; a vmpressure flood costs at most one
 *     wakeup per level per tick.
 *
 * Times ("now") are microseconds on one clock chosen by the caller; the
 * GLib mode uses g_get_monotonic_time().
 *
 * Paths: every function that touches the system takes a @root prefix
 * (NULL or "" for the real system) that is put in front of /proc/... and
 * /sys/fs/cgroup/..., so tests run against fake trees. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "ab-enum.h"
#include "ab-level.h"
#include "ab-status.h"

/* AB_PRESSURE_SOURCE_PSI (0), _VMPRESSURE, _HEADROOM, _INJECTED: the names
 * a status gives them. */
AB_ENUM_TYPEDEF(abPressureSourceType, AB_PRESSURE_SOURCE_, AB_STATUS_PRESSURE_LIST);

/* @path under @root (NULL or "": @path itself). */
char *abPressureJoinRoot(const char *root, const char *path);

/* ------------------------------------------------------------------ PSI */

/* AB_PSI_SOME (0), AB_PSI_FULL */
#define AB_PSI_KIND_LIST(X, P) \
    X(P, SOME, "some") \
    X(P, FULL, "full")

AB_ENUM_TYPEDEF(abPsiKind, AB_PSI_, AB_PSI_KIND_LIST);

typedef struct {
    double avg10;   /* percent of wall time stalled, last 10 s */
    double avg60;
    double avg300;
    unsigned long long total;   /* µs stalled since boot */
} abPsiLine;

typedef struct {
    abPsiLine some;
    abPsiLine full;
    bool hasFull;   /* /proc/pressure/cpu had no "full" line before 5.13 */
} abPsiStats;

/* Parses the text of a PSI file ("some avg10=0.00 avg60=... total=N" and
 * optionally a "full ..." line). Pure. */
int abPsiParse(const char *text, abPsiStats *stats, GError **error);

typedef struct {
    abPsiKind kind;
    guint64 stallUs;    /* stall time within the window that fires it */
    guint64 windowUs;   /* 500 ms .. 10 s; 2 s multiples when unprivileged */
} abPsiTrigger;

/* Triggers per level (index AB_LEVEL_LOW..AB_LEVEL_CRITICAL; [AB_LEVEL_NONE]
 * is unused; a level whose windowUs is 0 is not registered). A level holds
 * until no trigger of that level fired for quietWindows windows. Defaults
 * (abPsiConfigDefaults):
 *   low      some 150 ms / 2 s   (7.5 % of the window stalled)
 *   medium   some 350 ms / 2 s   (17.5 %)
 *   critical full 500 ms / 2 s   (25 % with every task stalled)
 *   quietWindows 2
 * 2 s windows are the smallest an unprivileged process may register. */
typedef struct {
    abPsiTrigger level[AB_LEVEL_LAST];
    guint quietWindows;
} abPsiConfig;

void abPsiConfigDefaults(abPsiConfig *config);

/* When each level's trigger last fired. Pure helpers so that the quiet
 * fallback is testable without a kernel. */
typedef struct {
    bool fired[AB_LEVEL_LAST];
    gint64 lastEvent[AB_LEVEL_LAST];
} abPsiHistory;

void abPsiHistoryEvent(abPsiHistory *history, abLevel level, gint64 now);
/* The highest level whose trigger fired less than @quietWindows of its
 * window (@triggers[level].windowUs) before @now. */
abLevel abPsiHistoryLevel(const abPsiHistory *history,
                          const abPsiTrigger triggers[AB_LEVEL_LAST],
                          guint quietWindows, gint64 now);

/* "some 150000 2000000" */
char *abPsiTriggerFormat(const abPsiTrigger *trigger);

/* Kernel limits for a process without CAP_SYS_RESOURCE: the window must be
 * a multiple of 2 s, at most 10 s. Rounds @windowUs up to such a window. */
guint64 abPsiRoundWindow(guint64 windowUs);

/* True when @fd is on procfs or cgroupfs: triggers are only written there,
 * never into a regular file that a wrong path (or a test tree) names. */
bool abPressureIsKernelFile(int fd);

/* Opens @path O_RDWR|O_NONBLOCK and registers @trigger. On EINVAL the
 * window is rounded with abPsiRoundWindow and the write retried once;
 * @trigger->windowUs is then updated and *@rounded set. Returns the fd
 * (poll it for POLLPRI) or -1. */
int abPsiTriggerOpen(const char *path, abPsiTrigger *trigger, bool *rounded,
                     GError **error);

/* ----------------------------------------------------------- headroom */

/* Levels from free headroom: a level holds while the free fraction is below
 * its threshold. Defaults: low 0.20, medium 0.10, critical 0.05. */
typedef struct {
    double freeBelow[AB_LEVEL_LAST];   /* [AB_LEVEL_NONE] unused */
} abHeadroomConfig;

void abHeadroomConfigDefaults(abHeadroomConfig *config);

typedef struct {
    bool limited;          /* false: a cgroup without a memory limit */
    guint64 totalKiB;      /* MemTotal, or the cgroup limit */
    guint64 freeKiB;       /* MemAvailable, or limit - usage (0 if over)
                            * + reclaimable, at most totalKiB */
    guint64 reclaimableKiB;/* cgroup: inactive file pages counted as free */
} abHeadroom;

/* /proc/meminfo text. Pure. */
int abHeadroomParseMeminfo(const char *text, abHeadroom *headroom,
                           GError **error);

/* A cgroup v1 limit at or above this many bytes means "no limit"
 * (the kernel shows PAGE_COUNTER_MAX * PAGE_SIZE, 9223372036854771712). */
#define AB_CGROUP_V1_UNLIMITED (1ULL << 60)

/* From the contents of memory.usage_in_bytes / memory.limit_in_bytes (v1)
 * or memory.current / memory.max (v2, "max" = no limit). Pure. */
int abHeadroomFromCgroupV1(const char *usage, const char *limit,
                           abHeadroom *headroom, GError **error);
int abHeadroomFromCgroupV2(const char *current, const char *max,
                           abHeadroom *headroom, GError **error);

/* The value of @key in memory.stat text ("total_inactive_file 123"),
 * 0 when absent or bad. Pure. */
guint64 abHeadroomParseStat(const char *text, const char *key);
/* Count @bytes of reclaimable page cache as free (at most the total). */
void abHeadroomAddReclaimable(abHeadroom *headroom, guint64 bytes);

/* Reads the files in @dir (a cgroup directory, root prefix already in it):
 * usage and limit, and memory.stat's inactive file pages (v1
 * total_inactive_file, v2 inactive_file) counted as free.
 * A v2 directory without memory.current (no memory controller) fails with
 * AB_ERROR_UNSUPPORTED. */
int abHeadroomReadCgroup(const char *dir, int version, abHeadroom *headroom,
                         GError **error);

/* Level of @headroom; *@requestKiB (may be NULL) gets how many KiB must be
 * freed to bring the free fraction back to the low threshold (0 when it is
 * already there); *@freePercent (may be NULL) the free percentage.
 * Unlimited cgroups are always AB_LEVEL_NONE with a request of 0. Pure. */
abLevel abHeadroomLevel(const abHeadroomConfig *config,
                        const abHeadroom *headroom,
                        guint64 *requestKiB, double *freePercent);

/* How many KiB @headroom has above its low threshold (0 at or below it,
 * and for an unlimited cgroup, which has no mark; a low threshold of 0
 * puts the mark at 0 free). Pure. */
guint64 abHeadroomRoom(const abHeadroomConfig *config, const abHeadroom *headroom);

/* --------------------------------------------------------- vmpressure */

typedef struct _abVmpressure abVmpressure;

/* Registers one eventfd per level on @cgroupDir/memory.pressure_level
 * (cgroup v1, root prefix already in @cgroupDir). */
abVmpressure *abVmpressureOpen(const char *cgroupDir, GError **error);
/* Takes ownership of three eventfds (low, medium, critical); for tests. */
abVmpressure *abVmpressureNewFromFds(const int fds[3]);
void abVmpressureFree(abVmpressure *vmp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abVmpressure, abVmpressureFree)

/* eventfd of @level (LOW..CRITICAL), for a poll loop. */
int abVmpressureFd(abVmpressure *vmp, abLevel level);
/* Reads (non-blocking) the counter of @level and adds it to the pending
 * counts; returns the number read. */
guint64 abVmpressureDrain(abVmpressure *vmp, abLevel level);
/* Drains every eventfd, then returns the highest level that fired since the
 * previous collect (AB_LEVEL_NONE if none) and resets the pending counts;
 * *@events (may be NULL) gets how many kernel events that covered. */
abLevel abVmpressureCollect(abVmpressure *vmp, guint64 *events);
/* Events seen since open, per level. */
guint64 abVmpressureTotal(abVmpressure *vmp, abLevel level);

/* --------------------------------------------------- where guests are */

/* Parses /proc/PID/cgroup text: *@v1Memory gets the path in the v1 memory
 * hierarchy ("N:memory:/machine/qemu-1-vm.libvirt-qemu" and also
 * "N:cpu,memory:..."), *@v2 the unified path ("0::/machine.slice/..."). Either
 * may be left NULL when absent. Pure. */
int abCgroupParseProcCgroup(const char *text, char **v1Memory, char **v2,
                            GError **error);

/* Parses /proc/self/mounts text: mount point of the v1 memory hierarchy and
 * of cgroup2. Pure. */
void abCgroupParseMounts(const char *text, char **v1MemoryMount,
                         char **v2Mount);

/* The cgroup that holds all guests of @paths: the longest common prefix,
 * cut after its first component named machine or machine.slice when there
 * is one (libvirt's partition), else the parent of a single guest's cgroup.
 * "/machine/qemu-1-a.libvirt-qemu" + "/machine/qemu-2-b.libvirt-qemu" ->
 * "/machine". Pure. */
char *abCgroupCommonParent(const char * const *paths, guint npaths);

typedef struct {
    guint npids;          /* guests whose cgroup was read */
    char *v1Path;         /* "/machine", or NULL: no v1 memory hierarchy */
    char *v1Dir;          /* root + mount + v1Path */
    char *v2Path;
    char *v2Dir;
    bool v2HasMemory;     /* v2Dir has memory.current (memory controller) */
    bool v2HasPressure;   /* v2Dir has memory.pressure */
} abGuestCgroups;

void abGuestCgroupsFree(abGuestCgroups *guests);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abGuestCgroups, abGuestCgroupsFree)

/* Where libvirt's QEMU driver keeps a pid file per running domain
 * (NAME.pid), written by libvirtd (root only). */
#define AB_LIBVIRT_QEMU_RUN_DIR "/run/libvirt/qemu"

/* PIDs from libvirt's pid files under root + @dir, sorted: those of the
 * domains @names (NULL-terminated; a name that is not a plain file name is
 * skipped) or, with @names NULL, of every NAME.pid there. Only regular
 * files holding one PID count. Process names are never looked at: any
 * user can call a process qemu-system-x86_64. */
GArray *abCgroupReadPidFiles(const char *root, const char *dir,
                             const char * const *names);

/* Where the guests @pids (NULL: every pid file of libvirt's, see
 * abCgroupReadPidFiles) are. With no guest
 * running (yet), libvirt's default partition (/machine.slice, else /machine)
 * where it exists, so that a daemon started before its guests still
 * watches where they will be; npids is 0 then. Fails with
 * AB_ERROR_UNSUPPORTED when neither gives a cgroup. */
abGuestCgroups *abCgroupFindGuests(const char *root, GArray *pids,
                                   GError **error);

/* The cgroup @path ("/machine.slice") in each hierarchy mounted under @root
 * (/proc/self/mounts) where that directory exists; NULL when in none. */
abGuestCgroups *abCgroupGuestsAt(const char *root, const char *path);

/* -------------------------------------------- cgroup v1 usage thresholds */

#define AB_USAGE_THRESHOLDS_MAX 16

typedef struct _abUsageThresholds abUsageThresholds;

/* The marks for a cgroup limited to @limitBytes: its low mark (used
 * 1 - @freeBelow) and every 2.5 % of the limit above it; none for an
 * unlimited cgroup. Fills @bytes (AB_USAGE_THRESHOLDS_MAX entries), returns
 * how many. Pure. */
guint abUsageThresholdsMarks(guint64 limitBytes, double freeBelow, guint64 *bytes);
/* Registers an eventfd per mark on @cgroupDir's memory.usage_in_bytes. */
abUsageThresholds *abUsageThresholdsOpen(const char *cgroupDir, const guint64 *bytes,
                                         guint n, GError **error);
void abUsageThresholdsFree(abUsageThresholds *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abUsageThresholds, abUsageThresholdsFree)
guint abUsageThresholdsCount(const abUsageThresholds *t);
int abUsageThresholdsFd(const abUsageThresholds *t, guint i);
/* Reads every eventfd; returns how many crossings they counted. */
guint64 abUsageThresholdsDrain(abUsageThresholds *t);

/* ------------------------------------------------ cgroup v2 memory.events */

/* The sum of memory.events' counters (low, high, max, oom, oom_kill; an
 * absent or bad one counts 0): it changes when one of them does. Pure. */
guint64 abMemoryEventsParse(const char *text);

typedef struct _abMemoryEvents abMemoryEvents;

/* Watches @cgroupDir/memory.events with inotify (IN_MODIFY, which the kernel
 * raises when a counter changes). AB_ERROR_UNSUPPORTED without the file. */
abMemoryEvents *abMemoryEventsOpen(const char *cgroupDir, GError **error);
void abMemoryEventsFree(abMemoryEvents *ev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abMemoryEvents, abMemoryEventsFree)
/* The inotify fd, for a poll loop (readable after a change). */
int abMemoryEventsFd(const abMemoryEvents *ev);
/* Drains the fd and reads the file: 1 when a counter changed since the last
 * collect (or open), 0 when not, -1 when the file cannot be read. */
int abMemoryEventsCollect(abMemoryEvents *ev);

/* ---------------------------------------------------------- residency */

/* RssAnon + RssShmem in KiB from /proc/PID/status text. Pure. */
int abResidentParseStatus(const char *text, guint64 *kib, GError **error);
/* The same for @pid under @root. */
int abResidentRead(const char *root, int pid, guint64 *kib, GError **error);
/* The pid in @file (root prefix added), e.g. libvirt's
 * /run/libvirt/qemu/NAME.pid; returns it or -1. */
int abResidentReadPidFile(const char *root, const char *file, GError **error);

/* ------------------------------------------------------------ monitor */

typedef struct {
    abLevel level;
    abPressureSourceType type;   /* AB_PRESSURE_SOURCE_LAST: no source */
    const char *where;           /* "host" or a cgroup path; owned by the
                                    monitor, valid until it is freed */
    double figure;               /* psi: some avg10 %; headroom: free %;
                                    vmpressure: events this tick */
    guint64 requestKiB;          /* combined: the largest headroom request */
    bool roomKnown;              /* a headroom source gives roomKiB */
    guint64 roomKiB;             /* headroom above the low mark; combined:
                                    the smallest of the sources' */
    gint64 time;                 /* the now of the tick */
} abPressureSample;

typedef struct {
    abPsiConfig psi;
    abHeadroomConfig headroom;
} abPressureConfig;

void abPressureConfigDefaults(abPressureConfig *config);

typedef struct _abPressureMonitor abPressureMonitor;

typedef void (*abPressureCallback)(abPressureMonitor *mon,
                                   const abPressureSample *sample,
                                   gpointer opaque);

abPressureMonitor *abPressureMonitorNew(const abPressureConfig *config);
void abPressureMonitorFree(abPressureMonitor *mon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abPressureMonitor, abPressureMonitorFree)

/* Sources. @where names it in samples ("host" or the cgroup path). On a
 * tie the source added first wins, so add the host headroom first to have
 * a quiet host report its free percentage. */
int abPressureMonitorAddPsi(abPressureMonitor *mon, const char *path,
                            const char *where, GError **error);
int abPressureMonitorAddVmpressure(abPressureMonitor *mon, const char *cgroupDir,
                                   const char *where, GError **error);
/* Adopts @vmp (tests). */
void abPressureMonitorAddVmpressureSource(abPressureMonitor *mon,
                                          abVmpressure *vmp, const char *where);
int abPressureMonitorAddHostHeadroom(abPressureMonitor *mon,
                                     const char *meminfoPath, GError **error);
int abPressureMonitorAddCgroupHeadroom(abPressureMonitor *mon, const char *dir,
                                       int version, const char *where,
                                       GError **error);

/* Adds what this host offers of the kinds @kinds (indexed by
 * abPressureSourceType; NULL: every kind; injected is not a file and is
 * ignored): with @systemWide the host's headroom and PSI, and for @guests
 * (may be NULL) the v1 memory cgroup's headroom and vmpressure and the v2
 * cgroup's headroom and memory.pressure where they exist. Sources that the
 * kernel refuses are logged and skipped; returns how many were added. */
int abPressureMonitorAddSources(abPressureMonitor *mon, const char *root,
                                const abGuestCgroups *guests,
                                const bool *kinds, bool systemWide);
/* Every kind, system-wide too. */
int abPressureMonitorAddDefaults(abPressureMonitor *mon, const char *root,
                                 const abGuestCgroups *guests);

guint abPressureMonitorNumSources(abPressureMonitor *mon);
/* The latest sample of source @idx (from the last tick or event). */
const abPressureSample *abPressureMonitorSourceSample(abPressureMonitor *mon,
                                                      guint idx);

/* Samples every source at @now without blocking and returns the combined
 * sample (owned by the monitor, valid until the next tick). */
const abPressureSample *abPressureMonitorTick(abPressureMonitor *mon,
                                              gint64 now);

/* GLib mode; see the top of this file. @tickMs 0 means 1000; @ctx NULL is
 * the thread-default context. The callback must not free the monitor. */
void abPressureMonitorAttach(abPressureMonitor *mon, GMainContext *ctx,
                             guint tickMs, abPressureCallback cb,
                             gpointer opaque, GDestroyNotify freeOpaque);
void abPressureMonitorDetach(abPressureMonitor *mon);
/* Number of times the callback ran (figures and tests). */
guint64 abPressureMonitorNumChanges(abPressureMonitor *mon);
/* Number of vmpressure events that re-sampled the headroom at once
 * (reclaim in a cgroup full of page cache moves no usage mark). */
guint64 abPressureMonitorNumReclaimWakes(abPressureMonitor *mon);
/* Sources the kernel took away since they were added (their cgroup was
 * removed: a PSI trigger polls POLLERR, a cgroup directory is gone). A gone
 * source reads as no pressure, never as an error turned into a level; the
 * owner should look for the guests' cgroup again and reopen. */
guint abPressureMonitorNumGone(abPressureMonitor *mon);
