/* The daemon's pressure object: a fixed source, and the host's sources. */
#include "ab-daemon-pressure.h"

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
    f->sample.source = "none";
    return &f->parent;
}

void
abDaemonPressureFixedSet(abDaemonPressure *p, abLevel level,
                         const char *source, unsigned long long requestKiB)
{
    abDaemonPressureFixed *f = (abDaemonPressureFixed *) p;
    bool changed = f->sample.level != level;

    f->sample.level = level;
    f->sample.source = level == AB_LEVEL_NONE ? "none" : source;
    f->sample.requestKiB = requestKiB;
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
} abDaemonPressureHost;

static const char *
abDaemonPressureSourceName(abPressureSourceType type)
{
    return type < AB_PRESSURE_SOURCE_LAST ? abPressureSourceTypeToString(type) : "none";
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
        .source = s->level == AB_LEVEL_NONE ? "none" : abDaemonPressureSourceName(s->type),
        .requestKiB = s->requestKiB,
    };
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

    abPressureMonitorDetach(h->mon);
    abPressureMonitorFree(h->mon);
    g_free(h);
}

/* Where the guests are, for cgroup = PATH: that path in each hierarchy. */
static abGuestCgroups *
abDaemonPressureCgroupAt(const char *path)
{
    g_autofree char *mounts = NULL;
    g_autofree char *v1Mount = NULL;
    g_autofree char *v2Mount = NULL;
    abGuestCgroups *g = g_new0(abGuestCgroups, 1);

    if (g_file_get_contents("/proc/self/mounts", &mounts, NULL, NULL))
        abCgroupParseMounts(mounts, &v1Mount, &v2Mount);
    if (v1Mount) {
        g_autofree char *dir = g_build_filename(v1Mount, path, NULL);

        if (g_file_test(dir, G_FILE_TEST_IS_DIR)) {
            g->v1Path = g_strdup(path);
            g->v1Dir = g_steal_pointer(&dir);
        }
    }
    if (v2Mount) {
        g_autofree char *dir = g_build_filename(v2Mount, path, NULL);

        if (g_file_test(dir, G_FILE_TEST_IS_DIR)) {
            g_autofree char *cur = g_build_filename(dir, "memory.current", NULL);
            g_autofree char *pr = g_build_filename(dir, "memory.pressure", NULL);

            g->v2Path = g_strdup(path);
            g->v2HasMemory = g_file_test(cur, G_FILE_TEST_EXISTS);
            g->v2HasPressure = g_file_test(pr, G_FILE_TEST_EXISTS);
            g->v2Dir = g_steal_pointer(&dir);
        }
    }
    if (!g->v1Dir && !g->v2Dir)
        g_warning("cgroup %s not found in any hierarchy", path);
    return g;
}

#define AB_TRY(call) \
    do { \
        if ((call) < 0) { \
            g_message("pressure source skipped: %s", err->message); \
            g_clear_error(&err); \
        } \
    } while (0)

/* An explicit sources list: each named kind, where it exists. */
static void
abDaemonPressureAddListed(abPressureMonitor *mon, const abDaemonConfig *cfg,
                          const abGuestCgroups *g)
{
    g_autoptr(GError) err = NULL;
    const bool *src = cfg->sources;

    if (cfg->systemWide && src[AB_DAEMON_SOURCE_HEADROOM])
        AB_TRY(abPressureMonitorAddHostHeadroom(mon, "/proc/meminfo", &err));
    if (cfg->systemWide && src[AB_DAEMON_SOURCE_PSI])
        AB_TRY(abPressureMonitorAddPsi(mon, "/proc/pressure/memory", "host", &err));
    if (!g)
        return;
    if (g->v1Dir && src[AB_DAEMON_SOURCE_HEADROOM])
        AB_TRY(abPressureMonitorAddCgroupHeadroom(mon, g->v1Dir, 1, g->v1Path, &err));
    if (g->v1Dir && src[AB_DAEMON_SOURCE_VMPRESSURE])
        AB_TRY(abPressureMonitorAddVmpressure(mon, g->v1Dir, g->v1Path, &err));
    if (g->v2Dir && g->v2HasMemory && src[AB_DAEMON_SOURCE_HEADROOM])
        AB_TRY(abPressureMonitorAddCgroupHeadroom(mon, g->v2Dir, 2, g->v2Path, &err));
    if (g->v2Dir && g->v2HasPressure && src[AB_DAEMON_SOURCE_PSI]) {
        g_autofree char *p = g_build_filename(g->v2Dir, "memory.pressure", NULL);

        AB_TRY(abPressureMonitorAddPsi(mon, p, g->v2Path, &err));
    }
}
#undef AB_TRY

abDaemonPressure *
abDaemonPressureOpen(const abDaemonConfig *cfg, GMainContext *ctx)
{
    abDaemonPressureHost *h;
    g_autoptr(abGuestCgroups) guests = NULL;
    g_autoptr(GError) err = NULL;
    bool any = cfg->sourceAuto;

    for (int i = 0; i < AB_DAEMON_SOURCE_LAST; i++)
        any |= cfg->sources[i];
    if (!any) {
        g_message("no host pressure sources configured: only injected pressure applies");
        return abDaemonPressureNewFixed();
    }

    if (g_str_equal(cfg->cgroup, "auto")) {
        if (!(guests = abCgroupFindGuests(NULL, NULL, &err)))
            g_message("guest cgroup not found (%s): watching the host only", err->message);
    } else {
        guests = abDaemonPressureCgroupAt(cfg->cgroup);
    }

    h = g_new0(abDaemonPressureHost, 1);
    h->parent.sample = abDaemonPressureHostSample;
    h->parent.free = abDaemonPressureHostFree;
    h->mon = abPressureMonitorNew(&cfg->pressure);
    if (cfg->sourceAuto && cfg->systemWide)
        abPressureMonitorAddDefaults(h->mon, NULL, guests);
    else if (cfg->sourceAuto)
        abDaemonPressureAddListed(h->mon, &(abDaemonConfig) {
            .systemWide = false,
            .sources = { true, true, true },
        }, guests);
    else
        abDaemonPressureAddListed(h->mon, cfg, guests);

    for (guint i = 0; i < abPressureMonitorNumSources(h->mon); i++) {
        const abPressureSample *s = abPressureMonitorSourceSample(h->mon, i);

        g_message("pressure source %s on %s",
                  abDaemonPressureSourceName(s->type), s->where ? s->where : "-");
    }
    if (abPressureMonitorNumSources(h->mon) == 0)
        g_warning("no host pressure source could be opened: only injected pressure applies");

    /* The daemon's tick samples the monitor (abPressureMonitorTick, which
     * also re-arms the fd watches); a second ticker would split the
     * vmpressure event counts between two collectors. The monitor's own
     * timer is therefore pushed out of the way: its fd watches still call
     * back at once between the daemon's ticks. */
    abPressureMonitorAttach(h->mon, ctx, AB_DAEMON_PRESSURE_IDLE_TICK_MS,
                            abDaemonPressureHostChanged, h, NULL);
    return &h->parent;
}
