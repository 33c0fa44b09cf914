/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's pressure object: a fixed source, and the host's sources. */
#include "ab-daemon-pressure.h"

#include <string.h>

void
abDaemonPressureFree(abDaemonPressure *p)
{
    if (p && p->free)
        p->free(p);
}

typedef struct {
    abDaemonPressure parent;
    abDaemonPressureSample sample;
} abDaemonPressureFixed;

static void
abDaemonPressureFixedSample(abDaemonPressure *p, abDaemonPressureSample *out)
{
    *out = ((abDaemonPressureFixed *) p)->sample;
}

static void
abDaemonPressureFixedFree(abDaemonPressure *p)
{
    g_free(p);
}

abDaemonPressure *
abDaemonPressureNewFixed(void)
{
    abDaemonPressureFixed *f = g_new0(abDaemonPressureFixed, 1);

    f->parent.sample = abDaemonPressureFixedSample;
    f->parent.free = abDaemonPressureFixedFree;
    f->sample.level = AB_LEVEL_NONE;
    f->sample.source = AB_STATUS_SOURCE_NONE;
    return &f->parent;
}

void
abDaemonPressureFixedSet(abDaemonPressure *p, abLevel level,
                         abStatusSource source, unsigned long long requestKiB)
{
    abDaemonPressureFixed *f = (abDaemonPressureFixed *) p;
    bool changed = f->sample.level != level;
    int type;

    f->sample.level = level;
    f->sample.source = level == AB_LEVEL_NONE ? AB_STATUS_SOURCE_NONE : source;
    f->sample.requestKiB = requestKiB;
    memset(f->sample.sourceOpen, 0, sizeof(f->sample.sourceOpen));
    memset(f->sample.sourceLevel, 0, sizeof(f->sample.sourceLevel));
    if ((type = abPressureSourceTypeFromString(abStatusSourceToString(source))) >= 0) {
        f->sample.sourceOpen[type] = true;
        f->sample.sourceLevel[type] = level;
    }
    if (changed && p->notify)
        p->notify(p->notifyOpaque);
}

/* The host's sources: src/pressure's monitor on the main context. The
 * daemon samples it at each of its ticks; its PSI watches call back at
 * once on a level change between ticks, and the daemon then ticks early. */
#define AB_DAEMON_PRESSURE_IDLE_TICK_MS (3600 * 1000)

typedef struct {
    abDaemonPressure parent;
    abPressureMonitor *mon;
    bool sampling;

    /* what the sources were opened from, to open them again when the
     * guests' cgroup turns up or moves */
    GMainContext *ctx;
    char *root;                      /* NULL: "/" (tests: a fake tree) */
    bool sourceAuto;
    bool sources[AB_PRESSURE_SOURCE_LAST];
    bool systemWide;
    abPressureConfig pressure;
    char *cgroup;                    /* "auto" or a path */
    char *v1Path;                    /* guests' cgroup in use; NULL: none */
    char *v2Path;
    double lastDiscovery;            /* daemon clock; <0: never */
} abDaemonPressureHost;

static const char *
abDaemonPressureSourceName(abPressureSourceType type)
{
    return type < AB_PRESSURE_SOURCE_LAST ? abPressureSourceTypeToString(type) : "none";
}

/* The status word of a source: the same names (ab-status.h). */
static abStatusSource
abDaemonPressureStatusSource(abPressureSourceType type)
{
    int s = abStatusSourceFromString(abDaemonPressureSourceName(type));

    return s < 0 ? AB_STATUS_SOURCE_NONE : s;
}

static void
abDaemonPressureHostSample(abDaemonPressure *p, abDaemonPressureSample *out)
{
    abDaemonPressureHost *h = (abDaemonPressureHost *) p;
    const abPressureSample *s;

    h->sampling = true;
    s = abPressureMonitorTick(h->mon, g_get_monotonic_time());
    h->sampling = false;
    *out = (abDaemonPressureSample) {
        .level = s->level,
        .source = s->level == AB_LEVEL_NONE ? AB_STATUS_SOURCE_NONE :
                  abDaemonPressureStatusSource(s->type),
        .requestKiB = s->requestKiB,
        .roomKnown = s->roomKnown,
        .roomKiB = s->roomKiB,
    };
    for (guint i = 0; i < abPressureMonitorNumSources(h->mon); i++) {
        const abPressureSample *src = abPressureMonitorSourceSample(h->mon, i);

        if (src->type >= AB_PRESSURE_SOURCE_LAST)
            continue;
        out->sourceOpen[src->type] = true;
        out->sourceLevel[src->type] = MAX(out->sourceLevel[src->type], src->level);
    }
}

static void
abDaemonPressureHostChanged(abPressureMonitor *mon, const abPressureSample *s,
                            gpointer opaque)
{
    abDaemonPressureHost *h = opaque;

    g_info("host pressure %s from %s (%s, %.1f)", abLevelToString(s->level),
           abDaemonPressureSourceName(s->type), s->where ? s->where : "-",
           s->figure);
    /* the daemon is asking already: no need to wake it */
    if (!h->sampling && h->parent.notify)
        h->parent.notify(h->parent.notifyOpaque);
}

static void
abDaemonPressureHostFree(abDaemonPressure *p)
{
    abDaemonPressureHost *h = (abDaemonPressureHost *) p;

    if (h->mon) {
        abPressureMonitorDetach(h->mon);
        abPressureMonitorFree(h->mon);
    }
    g_free(h->root);
    g_free(h->cgroup);
    g_free(h->v1Path);
    g_free(h->v2Path);
    g_free(h);
}

/* The daemon's tick samples the monitor (abPressureMonitorTick, which
 * also re-arms the fd watches); a second ticker would split the
 * vmpressure event counts between two collectors. The monitor's own
 * timer is therefore pushed out of the way: its fd watches still call
 * back at once between the daemon's ticks. */
static void
abDaemonPressureHostBuild(abDaemonPressureHost *h, const abGuestCgroups *guests)
{
    abPressureMonitor *mon = abPressureMonitorNew(&h->pressure);

    abPressureMonitorAddSources(mon, h->root, guests,
                                h->sourceAuto ? NULL : h->sources, h->systemWide);
    for (guint i = 0; i < abPressureMonitorNumSources(mon); i++) {
        const abPressureSample *s = abPressureMonitorSourceSample(mon, i);

        g_message("pressure source %s on %s",
                  abDaemonPressureSourceName(s->type), s->where ? s->where : "-");
    }
    if (abPressureMonitorNumSources(mon) == 0)
        g_warning("no host pressure source could be opened: only injected pressure applies");

    /* the new sources are open before the old ones close: no gap */
    if (h->mon) {
        abPressureMonitorDetach(h->mon);
        abPressureMonitorFree(h->mon);
    }
    h->mon = mon;
    g_free(h->v1Path);
    g_free(h->v2Path);
    h->v1Path = guests ? g_strdup(guests->v1Path) : NULL;
    h->v2Path = guests ? g_strdup(guests->v2Path) : NULL;
    abPressureMonitorAttach(h->mon, h->ctx, AB_DAEMON_PRESSURE_IDLE_TICK_MS,
                            abDaemonPressureHostChanged, h, NULL);
}

/* How often cgroup = auto looks for the guests again while it has found
 * none (guest starts also trigger a look). */
#define AB_DAEMON_PRESSURE_REDISCOVER_S 30.0

/* libvirt's partition may not exist before the first guest (systemd
 * creates machine.slice when the first machine registers), and a second
 * guest may move the common parent: look again when a guest starts. */
static bool
abDaemonPressureHostRediscover(abDaemonPressure *p, double now, bool force)
{
    abDaemonPressureHost *h = (abDaemonPressureHost *) p;
    g_autoptr(abGuestCgroups) guests = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(GArray) pids = NULL;
    g_auto(GStrv) names = NULL;
    /* a source whose cgroup was removed counts as not found */
    bool lost = h->mon && abPressureMonitorNumGone(h->mon) > 0;
    bool found = (h->v1Path || h->v2Path) && !lost;

    if (!g_str_equal(h->cgroup, "auto"))
        return false;
    if (!force && (found || (h->lastDiscovery >= 0 &&
                             now - h->lastDiscovery < AB_DAEMON_PRESSURE_REDISCOVER_S)))
        return false;
    h->lastDiscovery = now;
    names = p->liveGuests ? p->liveGuests(p->notifyOpaque) : NULL;
    pids = abCgroupReadPidFiles(h->root, AB_LIBVIRT_QEMU_RUN_DIR, (const char * const *) names);
    if (!(guests = abCgroupFindGuests(h->root, pids, &err))) {
        g_debug("guest cgroup still not found: %s", err->message);
        return false;
    }
    /* same place: the open sources already watch it */
    if (!lost && g_strcmp0(guests->v1Path, h->v1Path) == 0 &&
        g_strcmp0(guests->v2Path, h->v2Path) == 0)
        return false;
    g_message("guests' cgroup now %s%s%s: reopening the pressure sources",
              guests->v1Path ? guests->v1Path : "",
              guests->v1Path && guests->v2Path ? " and " : "",
              guests->v2Path ? guests->v2Path : "");
    abDaemonPressureHostBuild(h, guests);
    return true;
}

bool
abDaemonPressureRediscover(abDaemonPressure *p, double now, bool force)
{
    return p && p->rediscover ? p->rediscover(p, now, force) : false;
}

abDaemonPressure *
abDaemonPressureOpenAt(const abDaemonConfig *cfg, GMainContext *ctx,
                       const char *root)
{
    abDaemonPressureHost *h;
    g_autoptr(abGuestCgroups) guests = NULL;
    g_autoptr(GError) err = NULL;
    bool any = cfg->sourceAuto;

    for (int i = 0; i < AB_PRESSURE_SOURCE_LAST; i++)
        any |= cfg->sources[i];
    if (!any) {
        g_message("no host pressure sources configured: only injected pressure applies");
        return abDaemonPressureNewFixed();
    }

    if (g_str_equal(cfg->cgroup, "auto")) {
        if (!(guests = abCgroupFindGuests(root, NULL, &err)))
            g_message("guest cgroup not found (%s): watching the host only until a guest starts",
                      err->message);
    } else if (!(guests = abCgroupGuestsAt(root, cfg->cgroup))) {
        g_warning("cgroup %s not found in any hierarchy", cfg->cgroup);
    }

    h = g_new0(abDaemonPressureHost, 1);
    h->parent.sample = abDaemonPressureHostSample;
    h->parent.free = abDaemonPressureHostFree;
    h->parent.rediscover = abDaemonPressureHostRediscover;
    h->ctx = ctx;
    h->root = g_strdup(root);
    h->sourceAuto = cfg->sourceAuto;
    memcpy(h->sources, cfg->sources, sizeof(h->sources));
    h->systemWide = cfg->systemWide;
    h->pressure = cfg->pressure;
    h->cgroup = g_strdup(cfg->cgroup);
    h->lastDiscovery = -1;
    abDaemonPressureHostBuild(h, guests);
    return &h->parent;
}

abDaemonPressure *
abDaemonPressureOpen(const abDaemonConfig *cfg, GMainContext *ctx)
{
    return abDaemonPressureOpenAt(cfg, ctx, NULL);
}

guint
abDaemonPressureNumSources(abDaemonPressure *p)
{
    if (!p || p->sample != abDaemonPressureHostSample)
        return 0;
    return abPressureMonitorNumSources(((abDaemonPressureHost *) p)->mon);
}
