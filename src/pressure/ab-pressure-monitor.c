/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-pressure-monitor.c: several pressure sources folded into one level */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>

#include "ab-pressure.h"
#include "ab-enum.h"
#include "ab-error.h"

AB_ENUM_IMPL_LIST(abPressureSourceType, AB_PRESSURE_SOURCE_, AB_STATUS_PRESSURE_LIST);

typedef struct _abPressureSrc abPressureSrc;

typedef struct {
    abPressureSrc *src;
    abLevel level;
} abPressureWatch;

struct _abPressureSrc {
    abPressureMonitor *mon;
    abPressureSourceType type;
    char *where;
    abPressureSample sample;

    char *path;                    /* psi file, meminfo, or cgroup dir */
    int version;                   /* headroom: 0 host, 1 or 2 cgroup */
    bool warned;                   /* a failed read was logged */
    bool gone;                     /* its file or cgroup went away */

    int fds[AB_LEVEL_LAST];        /* psi triggers; -1 when not registered */
    abPsiTrigger trig[AB_LEVEL_LAST];
    abPsiHistory history;

    abVmpressure *vmp;

    abPressureWatch watchData[AB_LEVEL_LAST];
    GSource *watch[AB_LEVEL_LAST];

    /* headroom of a v1 cgroup: usage thresholds for the limit they were
     * set for (a new limit moves the marks) */
    abUsageThresholds *thr;
    guint64 thrLimitBytes;
    bool thrTried;                 /* registered, or tried, for thrLimitBytes */
    GSource *thrWatch[AB_USAGE_THRESHOLDS_MAX];

    /* headroom of a v2 cgroup: its memory.events counters */
    abMemoryEvents *mev;
    GSource *mevWatch;
};

/* After a vmpressure event or a memory.events change the watch comes back
 * this much later (not at the next tick): reclaim in the guests' cgroup
 * re-samples the headroom a few times a second at most. */
#define AB_PRESSURE_VMP_GAP_MS 200

struct _abPressureMonitor {
    abPressureConfig config;
    GPtrArray *sources;            /* abPressureSrc * */
    abPressureSample combined;
    gint64 lastEval;

    abLevel reportedLevel;
    gint reportedIdx;              /* -1: none */
    guint64 changes;
    guint64 reclaimWakes;
    guint gone;                    /* sources gone since opened */

    GMainContext *ctx;
    GSource *timer;
    GSource *rearm;                /* vmpressure watches back after a gap */
    abPressureCallback cb;
    gpointer opaque;
    GDestroyNotify freeOpaque;
};

static void abPressureMonitorArm(abPressureMonitor *mon);

void
abPressureConfigDefaults(abPressureConfig *config)
{
    abPsiConfigDefaults(&config->psi);
    abHeadroomConfigDefaults(&config->headroom);
}

static void
abPressureSrcUnwatchThresholds(abPressureSrc *src)
{
    for (guint i = 0; i < AB_USAGE_THRESHOLDS_MAX; i++) {
        if (src->thrWatch[i]) {
            g_source_destroy(src->thrWatch[i]);
            g_source_unref(src->thrWatch[i]);
            src->thrWatch[i] = NULL;
        }
    }
}

static void
abPressureSrcUnwatch(abPressureSrc *src)
{
    for (int l = 0; l < AB_LEVEL_LAST; l++) {
        if (src->watch[l]) {
            g_source_destroy(src->watch[l]);
            g_source_unref(src->watch[l]);
            src->watch[l] = NULL;
        }
    }
    abPressureSrcUnwatchThresholds(src);
    if (src->mevWatch) {
        g_source_destroy(src->mevWatch);
        g_clear_pointer(&src->mevWatch, g_source_unref);
    }
}

static void
abPressureSrcFree(gpointer opaque)
{
    abPressureSrc *src = opaque;

    abPressureSrcUnwatch(src);
    for (int l = 0; l < AB_LEVEL_LAST; l++) {
        if (src->fds[l] >= 0)
            close(src->fds[l]);
    }
    abVmpressureFree(src->vmp);
    abUsageThresholdsFree(src->thr);
    abMemoryEventsFree(src->mev);
    g_free(src->where);
    g_free(src->path);
    g_free(src);
}

static abPressureSrc *
abPressureSrcNew(abPressureMonitor *mon, abPressureSourceType type,
                 const char *where, const char *path)
{
    abPressureSrc *src = g_new0(abPressureSrc, 1);

    src->mon = mon;
    src->type = type;
    src->where = g_strdup(where);
    src->path = g_strdup(path);
    for (int l = 0; l < AB_LEVEL_LAST; l++) {
        src->fds[l] = -1;
        src->watchData[l].src = src;
        src->watchData[l].level = l;
    }
    src->sample.type = type;
    src->sample.where = src->where;
    return src;
}

/* Takes @src into the monitor; an attached monitor watches its fds at once,
 * not from the next tick. */
static void
abPressureMonitorAddSrc(abPressureMonitor *mon, abPressureSrc *src)
{
    g_ptr_array_add(mon->sources, src);
    if (mon->ctx)
        abPressureMonitorArm(mon);
}

abPressureMonitor *
abPressureMonitorNew(const abPressureConfig *config)
{
    abPressureMonitor *mon = g_new0(abPressureMonitor, 1);

    if (config)
        mon->config = *config;
    else
        abPressureConfigDefaults(&mon->config);
    mon->sources = g_ptr_array_new_with_free_func(abPressureSrcFree);
    mon->reportedIdx = -1;
    mon->combined.type = AB_PRESSURE_SOURCE_LAST;
    mon->combined.where = "";
    return mon;
}

void
abPressureMonitorFree(abPressureMonitor *mon)
{
    if (!mon)
        return;
    abPressureMonitorDetach(mon);
    g_ptr_array_unref(mon->sources);
    g_free(mon);
}

int
abPressureMonitorAddPsi(abPressureMonitor *mon, const char *path,
                        const char *where, GError **error)
{
    abPressureSrc *src = abPressureSrcNew(mon, AB_PRESSURE_SOURCE_PSI, where, path);

    for (int l = AB_LEVEL_LOW; l < AB_LEVEL_LAST; l++) {
        src->trig[l] = mon->config.psi.level[l];
        if (src->trig[l].windowUs == 0)
            continue;   /* level not configured */
        if ((src->fds[l] = abPsiTriggerOpen(path, &src->trig[l], NULL, error)) < 0) {
            g_prefix_error(error, "level '%s': ", abLevelToString(l));
            abPressureSrcFree(src);
            return -1;
        }
    }
    abPressureMonitorAddSrc(mon, src);
    return 0;
}

void
abPressureMonitorAddVmpressureSource(abPressureMonitor *mon, abVmpressure *vmp,
                                     const char *where)
{
    abPressureSrc *src = abPressureSrcNew(mon, AB_PRESSURE_SOURCE_VMPRESSURE,
                                          where, NULL);
    src->vmp = vmp;
    abPressureMonitorAddSrc(mon, src);
}

int
abPressureMonitorAddVmpressure(abPressureMonitor *mon, const char *cgroupDir,
                               const char *where, GError **error)
{
    abVmpressure *vmp = abVmpressureOpen(cgroupDir, error);

    if (!vmp)
        return -1;
    abPressureMonitorAddVmpressureSource(mon, vmp, where);
    /* to tell its removal from an event */
    ((abPressureSrc *) g_ptr_array_index(mon->sources, mon->sources->len - 1))->path =
        g_strdup(cgroupDir);
    return 0;
}

int
abPressureMonitorAddHostHeadroom(abPressureMonitor *mon,
                                 const char *meminfoPath, GError **error)
{
    g_autofree char *text = NULL;
    abHeadroom hr;

    /* fail now rather than at every tick */
    if (!g_file_get_contents(meminfoPath, &text, NULL, error) ||
        abHeadroomParseMeminfo(text, &hr, error) < 0)
        return -1;
    abPressureMonitorAddSrc(mon, abPressureSrcNew(mon, AB_PRESSURE_SOURCE_HEADROOM,
                                                  "host", meminfoPath));
    return 0;
}

int
abPressureMonitorAddCgroupHeadroom(abPressureMonitor *mon, const char *dir,
                                   int version, const char *where,
                                   GError **error)
{
    abHeadroom hr;
    abPressureSrc *src;

    if (abHeadroomReadCgroup(dir, version, &hr, error) < 0)
        return -1;
    src = abPressureSrcNew(mon, AB_PRESSURE_SOURCE_HEADROOM, where, dir);
    src->version = version;
    if (version == 2) {
        g_autoptr(GError) err = NULL;

        /* without it the tick and the other sources' events sample it */
        if (!(src->mev = abMemoryEventsOpen(dir, &err)))
            g_message("pressure source headroom (%s): %s", where, err->message);
    }
    abPressureMonitorAddSrc(mon, src);
    return 0;
}

int
abPressureMonitorAddSources(abPressureMonitor *mon, const char *root,
                            const abGuestCgroups *guests, const bool *kinds,
                            bool systemWide)
{
    g_autofree char *meminfo = abPressureJoinRoot(root, "/proc/meminfo");
    g_autofree char *psi = abPressureJoinRoot(root, "/proc/pressure/memory");
    bool psiOn = !kinds || kinds[AB_PRESSURE_SOURCE_PSI];
    bool vmpOn = !kinds || kinds[AB_PRESSURE_SOURCE_VMPRESSURE];
    bool headroomOn = !kinds || kinds[AB_PRESSURE_SOURCE_HEADROOM];
    guint before = mon->sources->len;
    g_autoptr(GError) err = NULL;

#define AB_TRY(call) \
    do { \
        if ((call) < 0) { \
            g_message("pressure source skipped: %s", err->message); \
            g_clear_error(&err); \
        } \
    } while (0)

    if (systemWide && headroomOn)
        AB_TRY(abPressureMonitorAddHostHeadroom(mon, meminfo, &err));
    if (systemWide && psiOn)
        AB_TRY(abPressureMonitorAddPsi(mon, psi, "host", &err));
    if (guests && guests->v1Dir) {
        if (headroomOn)
            AB_TRY(abPressureMonitorAddCgroupHeadroom(mon, guests->v1Dir, 1,
                                                      guests->v1Path, &err));
        if (vmpOn)
            AB_TRY(abPressureMonitorAddVmpressure(mon, guests->v1Dir,
                                                  guests->v1Path, &err));
    }
    if (guests && guests->v2Dir) {
        /* a v2 hierarchy without the memory controller has no memory.current */
        if (headroomOn && guests->v2HasMemory)
            AB_TRY(abPressureMonitorAddCgroupHeadroom(mon, guests->v2Dir, 2,
                                                      guests->v2Path, &err));
        if (psiOn && guests->v2HasPressure) {
            g_autofree char *p = g_build_filename(guests->v2Dir, "memory.pressure", NULL);
            AB_TRY(abPressureMonitorAddPsi(mon, p, guests->v2Path, &err));
        }
    }
#undef AB_TRY
    return mon->sources->len - before;
}

int
abPressureMonitorAddDefaults(abPressureMonitor *mon, const char *root,
                             const abGuestCgroups *guests)
{
    return abPressureMonitorAddSources(mon, root, guests, NULL, true);
}

guint
abPressureMonitorNumSources(abPressureMonitor *mon)
{
    return mon->sources->len;
}

const abPressureSample *
abPressureMonitorSourceSample(abPressureMonitor *mon, guint idx)
{
    g_return_val_if_fail(idx < mon->sources->len, NULL);
    return &((abPressureSrc *)g_ptr_array_index(mon->sources, idx))->sample;
}

guint64
abPressureMonitorNumChanges(abPressureMonitor *mon)
{
    return mon->changes;
}

guint64
abPressureMonitorNumReclaimWakes(abPressureMonitor *mon)
{
    return mon->reclaimWakes;
}

guint
abPressureMonitorNumGone(abPressureMonitor *mon)
{
    return mon->gone;
}

static void
abPressureSrcWarn(abPressureSrc *src, GError *err)
{
    if (!src->warned)
        g_warning("pressure source %s (%s): %s",
                  abPressureSourceTypeToString(src->type), src->where, err->message);
    src->warned = true;
}

/* The kernel took the source away (its cgroup was removed: a PSI trigger
 * then polls POLLERR|POLLPRI for ever, a vmpressure eventfd fires once).
 * That is no pressure: the source reads none from now on, its fds are
 * closed so that nothing re-arms them, and the owner may look for the
 * guests' cgroup again (abPressureMonitorNumGone). */
static void
abPressureSrcGone(abPressureSrc *src, const char *why)
{
    if (src->gone)
        return;
    g_warning("pressure source %s on %s is gone (%s): it reads as no pressure "
              "until the guests' cgroup is found again",
              abPressureSourceTypeToString(src->type), src->where, why);
    abPressureSrcUnwatch(src);
    for (int l = 0; l < AB_LEVEL_LAST; l++) {
        if (src->fds[l] >= 0)
            close(src->fds[l]);
        src->fds[l] = -1;
    }
    g_clear_pointer(&src->vmp, abVmpressureFree);
    g_clear_pointer(&src->thr, abUsageThresholdsFree);
    g_clear_pointer(&src->mev, abMemoryEventsFree);
    memset(&src->history, 0, sizeof(src->history));
    src->sample.level = AB_LEVEL_NONE;
    src->sample.figure = 0;
    src->sample.requestKiB = 0;
    src->gone = true;
    src->mon->gone++;
}

static bool
abPressureSrcDirGone(abPressureSrc *src)
{
    return src->path && !g_file_test(src->path, G_FILE_TEST_IS_DIR);
}

static void
abPressurePsiSample(abPressureSrc *src, gint64 now)
{
    struct pollfd pfd[AB_LEVEL_LAST];
    abLevel which[AB_LEVEL_LAST];
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    abPsiStats stats;
    int n = 0;

    for (int l = AB_LEVEL_LOW; l < AB_LEVEL_LAST; l++) {
        if (src->fds[l] < 0)
            continue;
        pfd[n] = (struct pollfd){ .fd = src->fds[l], .events = POLLPRI };
        which[n++] = l;
    }
    if (src->gone)
        return;
    if (n > 0 && poll(pfd, n, 0) > 0) {
        /* an error comes with POLLPRI: never count it as a trigger */
        for (int i = 0; i < n; i++) {
            if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
                abPressureSrcGone(src, "its PSI trigger reports an error");
                return;
            }
        }
        for (int i = 0; i < n; i++) {
            if (pfd[i].revents & POLLPRI)
                abPsiHistoryEvent(&src->history, which[i], now);
        }
    }
    if (!g_file_get_contents(src->path, &text, NULL, &err) ||
        abPsiParse(text, &stats, &err) < 0)
        abPressureSrcWarn(src, err);
    else
        src->sample.figure = stats.some.avg10;
}

/* (Re)register the usage marks of a v1 cgroup whose limit is now
 * @limitBytes (0: none). A failure is logged once: the tick still
 * samples the headroom. */
static void
abPressureSrcThresholds(abPressureSrc *src, guint64 limitBytes)
{
    guint64 marks[AB_USAGE_THRESHOLDS_MAX];
    g_autoptr(GError) err = NULL;
    guint n;

    /* once per limit: a cgroup that refused them (a test tree) is not
     * opened and written again at every sample */
    if (src->thrTried && limitBytes == src->thrLimitBytes)
        return;
    abPressureSrcUnwatchThresholds(src);
    g_clear_pointer(&src->thr, abUsageThresholdsFree);
    src->thrLimitBytes = limitBytes;
    src->thrTried = true;
    n = abUsageThresholdsMarks(limitBytes, src->mon->config.headroom.freeBelow[AB_LEVEL_LOW],
                               marks);
    if (n == 0)
        return;
    if (!(src->thr = abUsageThresholdsOpen(src->path, marks, n, &err))) {
        /* not a kernel cgroup (a test tree): the tick samples it alone */
        if (g_error_matches(err, AB_ERROR, AB_ERROR_UNSUPPORTED))
            g_debug("%s", err->message);
        else
            abPressureSrcWarn(src, err);
        return;
    }
    g_debug("usage thresholds on %s: %u marks from %" G_GUINT64_FORMAT " bytes",
            src->path, n, marks[0]);
    if (src->mon->ctx)
        abPressureMonitorArm(src->mon);
}

static void
abPressureHeadroomSample(abPressureSrc *src)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    abHeadroom hr;
    int rc;

    if (src->gone)
        return;
    if (src->version > 0 && abPressureSrcDirGone(src)) {
        abPressureSrcGone(src, "its cgroup was removed");
        return;
    }
    if (src->version == 0)
        rc = g_file_get_contents(src->path, &text, NULL, &err) ?
             abHeadroomParseMeminfo(text, &hr, &err) : -1;
    else
        rc = abHeadroomReadCgroup(src->path, src->version, &hr, &err);
    if (rc < 0) {
        abPressureSrcWarn(src, err);
        src->sample.level = AB_LEVEL_NONE;
        src->sample.requestKiB = 0;
        src->sample.roomKnown = false;
        return;
    }
    src->sample.level = abHeadroomLevel(&src->mon->config.headroom, &hr,
                                        &src->sample.requestKiB,
                                        &src->sample.figure);
    /* an unlimited cgroup has no mark: it says nothing about room */
    src->sample.roomKnown = hr.limited;
    src->sample.roomKiB = abHeadroomRoom(&src->mon->config.headroom, &hr);
    if (src->version == 1)
        abPressureSrcThresholds(src, hr.limited ? hr.totalKiB * 1024 : 0);
}

/* Folds the per-source samples into mon->combined; returns true when the
 * level or the source that gives it changed since the last report. */
static bool
abPressureMonitorCombine(abPressureMonitor *mon, gint64 now)
{
    abPressureSample *c = &mon->combined;
    gint best = -1;

    memset(c, 0, sizeof(*c));
    c->type = AB_PRESSURE_SOURCE_LAST;
    c->where = "";
    c->time = now;
    for (guint i = 0; i < mon->sources->len; i++) {
        abPressureSrc *src = g_ptr_array_index(mon->sources, i);
        if (src->type == AB_PRESSURE_SOURCE_PSI && !src->gone)
            src->sample.level = abPsiHistoryLevel(&src->history, src->trig,
                                                  mon->config.psi.quietWindows,
                                                  now);
        src->sample.time = now;
        if (best < 0 || src->sample.level > c->level) {
            best = i;
            c->level = src->sample.level;
            c->type = src->type;
            c->where = src->where;
            c->figure = src->sample.figure;
        }
        c->requestKiB = MAX(c->requestKiB, src->sample.requestKiB);
        if (src->sample.roomKnown && !src->gone) {
            c->roomKiB = c->roomKnown ? MIN(c->roomKiB, src->sample.roomKiB)
                                      : src->sample.roomKiB;
            c->roomKnown = true;
        }
    }
    if (c->level == mon->reportedLevel && best == mon->reportedIdx)
        return false;
    mon->reportedLevel = c->level;
    mon->reportedIdx = best;
    mon->changes++;
    return true;
}

static bool
abPressureMonitorSample(abPressureMonitor *mon, gint64 now)
{
    for (guint i = 0; i < mon->sources->len; i++) {
        abPressureSrc *src = g_ptr_array_index(mon->sources, i);
        guint64 events = 0;

        switch (src->type) {
        case AB_PRESSURE_SOURCE_PSI:
            abPressurePsiSample(src, now);
            break;
        case AB_PRESSURE_SOURCE_VMPRESSURE:
            /* the kernel signals every eventfd of a cgroup it removes */
            if (!src->gone && abPressureSrcDirGone(src))
                abPressureSrcGone(src, "its cgroup was removed");
            if (src->gone)
                break;
            src->sample.level = abVmpressureCollect(src->vmp, &events);
            src->sample.figure = events;
            break;
        case AB_PRESSURE_SOURCE_HEADROOM:
            abPressureHeadroomSample(src);
            break;
        case AB_PRESSURE_SOURCE_INJECTED:
        case AB_PRESSURE_SOURCE_LAST:
            break;
        }
    }
    return abPressureMonitorCombine(mon, now);
}

const abPressureSample *
abPressureMonitorTick(abPressureMonitor *mon, gint64 now)
{
    bool changed = abPressureMonitorSample(mon, now);

    if (mon->ctx) {
        abPressureMonitorArm(mon);
        if (changed && mon->cb)
            mon->cb(mon, &mon->combined, mon->opaque);
    }
    return &mon->combined;
}

/* ------------------------------------------------------------ GLib mode */

static gboolean
abPressureTimerCb(gpointer opaque)
{
    abPressureMonitorTick(opaque, g_get_monotonic_time());
    return G_SOURCE_CONTINUE;
}

static gboolean
abPressurePsiWatchCb(gint fd, GIOCondition cond, gpointer opaque)
{
    abPressureWatch *w = opaque;
    abPressureSrc *src = w->src;
    abPressureMonitor *mon = src->mon;
    gint64 now = g_get_monotonic_time();

    if (cond & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
        /* the cgroup went away: no pressure, and nothing to re-arm */
        abPressureSrcGone(src, "its PSI trigger reports an error");
        if (abPressureMonitorCombine(mon, now) && mon->cb)
            mon->cb(mon, &mon->combined, mon->opaque);
        return G_SOURCE_REMOVE;
    }
    abPsiHistoryEvent(&src->history, w->level, now);
    /* a PSI trigger is rare and meaningful: report it now, not at the tick */
    if (abPressureMonitorCombine(mon, now) && mon->cb)
        mon->cb(mon, &mon->combined, mon->opaque);
    return G_SOURCE_CONTINUE;
}

static void abPressureHeadroomSample(abPressureSrc *src);

static gboolean
abPressureRearmCb(gpointer opaque)
{
    abPressureMonitor *mon = opaque;

    g_clear_pointer(&mon->rearm, g_source_unref);
    abPressureMonitorArm(mon);
    return G_SOURCE_REMOVE;
}

/* The kernel reclaims in a cgroup whose headroom is watched: the usage
 * marks cannot say it (a cgroup full of page cache is over them before
 * the load starts, and eviction keeps its usage flat), so sample the
 * headroom now, and tell the caller when there is something to act on. */
static void
abPressureReclaimSeen(abPressureMonitor *mon)
{
    abLevel before = mon->combined.level;

    mon->reclaimWakes++;
    for (guint i = 0; i < mon->sources->len; i++) {
        abPressureSrc *src = g_ptr_array_index(mon->sources, i);

        if (src->type == AB_PRESSURE_SOURCE_HEADROOM)
            abPressureHeadroomSample(src);
    }
    abPressureMonitorCombine(mon, g_get_monotonic_time());
    if (mon->cb && (mon->combined.level != before || mon->combined.requestKiB > 0))
        mon->cb(mon, &mon->combined, mon->opaque);
}

/* The end of a reclaim watch's callback: the watch *@watch is dropped and
 * comes back in AB_PRESSURE_VMP_GAP_MS (a flood then costs a few wakeups a
 * second), after the headroom was sampled when @seen. */
static gboolean
abPressureReclaimWatchDone(abPressureMonitor *mon, GSource **watch, bool seen)
{
    g_clear_pointer(watch, g_source_unref);
    if (seen)
        abPressureReclaimSeen(mon);
    if (!mon->rearm) {
        mon->rearm = g_timeout_source_new(AB_PRESSURE_VMP_GAP_MS);
        g_source_set_callback(mon->rearm, abPressureRearmCb, mon, NULL);
        g_source_attach(mon->rearm, mon->ctx);
    }
    return G_SOURCE_REMOVE;
}

/* A vmpressure event: counted, and the vmpressure level itself changes at
 * most once per tick. */
static gboolean
abPressureVmpWatchCb(gint fd, GIOCondition cond, gpointer opaque)
{
    abPressureWatch *w = opaque;

    abVmpressureDrain(w->src->vmp, w->level);
    return abPressureReclaimWatchDone(w->src->mon, &w->src->watch[w->level], true);
}

/* A memory.events counter of a v2 headroom source changed: the guests'
 * cgroup met its high or max boundary (or its low one, or OOM). An
 * unreadable file (the cgroup went) samples too: the headroom source then
 * finds its directory gone. */
static gboolean
abPressureMevWatchCb(gint fd, GIOCondition cond, gpointer opaque)
{
    abPressureSrc *src = opaque;

    return abPressureReclaimWatchDone(src->mon, &src->mevWatch,
                                      abMemoryEventsCollect(src->mev) != 0);
}

/* The guests' cgroup crossed a usage mark: sample it and tell the caller
 * now, level change or not (the deficit grew or shrank). */
static gboolean
abPressureThrWatchCb(gint fd, GIOCondition cond, gpointer opaque)
{
    abPressureSrc *src = opaque;
    abPressureMonitor *mon = src->mon;
    abUsageThresholds *thr = src->thr;

    abUsageThresholdsDrain(src->thr);
    abPressureHeadroomSample(src);
    abPressureMonitorCombine(mon, g_get_monotonic_time());
    if (mon->cb)
        mon->cb(mon, &mon->combined, mon->opaque);
    /* a new limit replaced the thresholds, and this watch with them */
    return thr == src->thr ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static GSource *
abPressureAddWatch(abPressureMonitor *mon, int fd, GIOCondition cond,
                   GUnixFDSourceFunc func, gpointer opaque)
{
    GSource *s = g_unix_fd_source_new(fd, cond);
    g_source_set_callback(s, G_SOURCE_FUNC(func), opaque, NULL);
    g_source_attach(s, mon->ctx);
    return s;
}

static void
abPressureMonitorArm(abPressureMonitor *mon)
{
    for (guint i = 0; i < mon->sources->len; i++) {
        abPressureSrc *src = g_ptr_array_index(mon->sources, i);
        for (int l = AB_LEVEL_LOW; l < AB_LEVEL_LAST; l++) {
            if (src->watch[l])
                continue;
            if (src->type == AB_PRESSURE_SOURCE_PSI && src->fds[l] >= 0) {
                src->watch[l] = abPressureAddWatch(mon, src->fds[l], G_IO_PRI,
                                                   abPressurePsiWatchCb,
                                                   &src->watchData[l]);
            } else if (src->type == AB_PRESSURE_SOURCE_VMPRESSURE && src->vmp) {
                src->watch[l] = abPressureAddWatch(mon, abVmpressureFd(src->vmp, l),
                                                   G_IO_IN, abPressureVmpWatchCb,
                                                   &src->watchData[l]);
            }
        }
        for (guint t = 0; t < abUsageThresholdsCount(src->thr); t++) {
            if (!src->thrWatch[t])
                src->thrWatch[t] = abPressureAddWatch(mon, abUsageThresholdsFd(src->thr, t),
                                                      G_IO_IN, abPressureThrWatchCb, src);
        }
        if (src->mev && !src->mevWatch)
            src->mevWatch = abPressureAddWatch(mon, abMemoryEventsFd(src->mev), G_IO_IN,
                                               abPressureMevWatchCb, src);
    }
}

void
abPressureMonitorAttach(abPressureMonitor *mon, GMainContext *ctx,
                        guint tickMs, abPressureCallback cb,
                        gpointer opaque, GDestroyNotify freeOpaque)
{
    abPressureMonitorDetach(mon);
    mon->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref_thread_default();
    mon->cb = cb;
    mon->opaque = opaque;
    mon->freeOpaque = freeOpaque;
    mon->timer = g_timeout_source_new(tickMs ? tickMs : 1000);
    g_source_set_callback(mon->timer, abPressureTimerCb, mon, NULL);
    g_source_attach(mon->timer, mon->ctx);
    abPressureMonitorArm(mon);
}

void
abPressureMonitorDetach(abPressureMonitor *mon)
{
    if (!mon->ctx)
        return;
    for (guint i = 0; i < mon->sources->len; i++)
        abPressureSrcUnwatch(g_ptr_array_index(mon->sources, i));
    g_source_destroy(mon->timer);
    g_clear_pointer(&mon->timer, g_source_unref);
    if (mon->rearm) {
        g_source_destroy(mon->rearm);
        g_clear_pointer(&mon->rearm, g_source_unref);
    }
    g_clear_pointer(&mon->ctx, g_main_context_unref);
    if (mon->freeOpaque)
        mon->freeOpaque(mon->opaque);
    mon->cb = NULL;
    mon->opaque = NULL;
    mon->freeOpaque = NULL;
}
