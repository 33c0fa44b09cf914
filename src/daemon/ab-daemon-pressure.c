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

abDaemonPressure *
abDaemonPressureOpen(const abDaemonConfig *cfg, GMainContext *ctx)
{
    /* src/pressure is not built yet: only injected pressure drives the
     * daemon until it is. */
    g_message("host pressure sources are not available in this build: only injected pressure applies");
    return abDaemonPressureNewFixed();
}
