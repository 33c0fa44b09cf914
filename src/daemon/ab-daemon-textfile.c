/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metrics textfile: gathered from the domain table and counters at the
 * end of every tick, written atomically for node_exporter's textfile
 * collector. */
#include "ab-daemon-priv.h"
#include "ab-daemon-metrics.h"

#include <errno.h>
#include <string.h>

static int
abDaemonGuestCompareName(gconstpointer a, gconstpointer b)
{
    const abDaemonMetricsGuest *ga = a;
    const abDaemonMetricsGuest *gb = b;

    return g_strcmp0(ga->name, gb->name);
}

char *
abDaemonMetricsGather(abDaemon *daemon)
{
    g_autoptr(GArray) guests = g_array_new(FALSE, TRUE, sizeof(abDaemonMetricsGuest));
    abDaemonPressureSample sample = { .level = AB_LEVEL_NONE, .source = AB_STATUS_SOURCE_NONE };
    abDaemonMetricsHost host = { 0 };
    double now = abDaemonNow(daemon);
    GHashTableIter iter;
    abDaemonDomain *d;

    daemon->pressure->sample(daemon->pressure, &sample);
    host = (abDaemonMetricsHost) {
        .connected = daemon->conn != NULL,
        .level = sample.level,
        .source = abStatusSourceToString(sample.source),
        .deficitKiB = sample.requestKiB,
        .ticks = daemon->nTicks,
        .decisions = daemon->nDecisions,
        .commands = daemon->nSetMemory,
        .statusWrites = daemon->nStatusWrites,
        .tickSec = daemon->tickSec,
    };
    memcpy(host.errors, daemon->nErrors, sizeof(host.errors));
    /* injected pressure is per guest: autoballoon_injected_pressure_level */
    for (int t = 0; t < AB_PRESSURE_SOURCE_LAST; t++) {
        if (!sample.sourceOpen[t] || t == AB_PRESSURE_SOURCE_INJECTED ||
            host.nsources >= G_N_ELEMENTS(host.sources))
            continue;
        host.sources[host.nsources].name = abPressureSourceTypeToString(t);
        host.sources[host.nsources++].level = sample.sourceLevel[t];
    }

    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &d)) {
        abDaemonMetricsGuest g;

        if (!d->managed || !d->live)
            continue;
        host.managed++;
        if (d->hasInjected && d->injected.level > host.injectedLevel)
            host.injectedLevel = d->injected.level;
        g = (abDaemonMetricsGuest) {
            .name = d->name,
            .uuid = d->uuid,
            .maxKiB = d->maxKiB,
            .targetKiB = d->targetKiB,
            .actualKiB = d->actualKiB,
            .usableKnown = d->stats.valid,
            .usableKiB = d->stats.usableKiB,
            .floorKiB = d->params.floorKiB,
            .ceilingKiB = d->params.ceilingKiB,
            .level = d->level,
            .reason = d->reasonText ? d->reasonText : abPolicyReasonToString(d->reason),
            .commands = d->nSetMemory,
            .decisionAgeSec = d->balloon.setTime >= 0 ? now - d->balloon.setTime : -1,
            .unresponsive = d->unresponsive,
        };
        g_array_append_val(guests, g);
    }
    /* stable order: the file diffs cleanly from one tick to the next */
    g_array_sort(guests, abDaemonGuestCompareName);
    return abDaemonMetricsFormat(&host, (abDaemonMetricsGuest *) guests->data,
                                 guests->len);
}

int
abDaemonMetricsWrite(abDaemon *daemon, GError **error)
{
    const char *path = daemon->cfg->metricsTextfile;
    g_autofree char *text = NULL;

    if (!path)
        return 0;
    text = abDaemonMetricsGather(daemon);
    /* a temporary file next to @path, then rename(): the collector never
     * reads half a file, and ignores the temporary (not *.prom) */
    if (!g_file_set_contents_full(path, text, -1,
                                  G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
        return -1;
    return 0;
}

abDaemonMetricsTick
abDaemonMetricsTickBegin(abDaemon *daemon)
{
    return (abDaemonMetricsTick) { daemon, g_get_monotonic_time() };
}

void
abDaemonMetricsTickEnd(abDaemonMetricsTick *t)
{
    abDaemon *daemon = t->daemon;
    g_autoptr(GError) err = NULL;

    if (!daemon)
        return;
    /* real time, not the daemon's clock: tests fake that one */
    daemon->tickSec = (g_get_monotonic_time() - t->start) / (double) G_USEC_PER_SEC;
    daemon->nTicks++;
    if (abDaemonMetricsWrite(daemon, &err) < 0) {
        /* once per failure streak, not at every tick */
        if (!daemon->metricsFailed)
            g_warning("cannot write the metrics textfile: %s", err->message);
        daemon->metricsFailed = true;
    } else if (daemon->metricsFailed) {
        g_message("metrics textfile %s written again", daemon->cfg->metricsTextfile);
        daemon->metricsFailed = false;
    }
    t->daemon = NULL;
}
