/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One decision round: stats in, engine, targets out, status published. */
#include "ab-daemon-call.h"
#include "ab-daemon-priv.h"
#include "ab-daemon-backend.h"
#include "ab-namespace.h"

#include <stdlib.h>

/* Managed, running, connected domains, in a stable order (by name) so
 * that logs and the engine's tie-breaks do not depend on hash order. */
static GPtrArray *
abDaemonManagedList(abDaemon *daemon)
{
    GPtrArray *list = g_ptr_array_new();
    GHashTableIter iter;
    abDaemonDomain *d;

    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &d)) {
        if (d->managed && d->running && d->dom)
            g_ptr_array_add(list, d);
    }
    return list;
}

static int
abDaemonDomainCompareName(gconstpointer a, gconstpointer b)
{
    const abDaemonDomain *da = *(abDaemonDomain * const *) a;
    const abDaemonDomain *db = *(abDaemonDomain * const *) b;

    return g_strcmp0(da->name, db->name);
}

static abDaemonDomain *
abDaemonListFind(GPtrArray *list, virDomainPtr dom)
{
    char uuid[VIR_UUID_STRING_BUFLEN];

    if (virDomainGetUUIDString(dom, uuid) < 0)
        return NULL;
    for (guint i = 0; i < list->len; i++) {
        abDaemonDomain *d = list->pdata[i];

        if (g_str_equal(d->uuid, uuid))
            return d;
    }
    return NULL;
}

/* The stats call, made on a worker thread (ab-daemon-call.h). */
typedef struct {
    virDomainPtr *doms;              /* NULL-terminated, referenced */
    virDomainStatsRecordPtr *recs;
    int n;
    char *error;
} abDaemonStatsCall;

static void
abDaemonStatsCallRun(gpointer opaque)
{
    abDaemonStatsCall *c = opaque;

    /* NOWAIT: a guest whose monitor is busy (a call to it that has not
     * answered holds its job) is skipped, not waited for; its stats go
     * stale and the engine holds it alone */
    if ((c->n = virDomainListGetStats(c->doms, VIR_DOMAIN_STATS_BALLOON, &c->recs,
                                      VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)) < 0)
        c->error = abDaemonCallError();
}

static void
abDaemonStatsCallFree(gpointer opaque)
{
    abDaemonStatsCall *c = opaque;

    for (virDomainPtr *p = c->doms; p && *p; p++)
        virDomainFree(*p);
    g_free(c->doms);
    if (c->recs)
        virDomainStatsRecordListFree(c->recs);
    g_free(c->error);
    g_free(c);
}

/* One call for all managed guests; the hook (tests only) may add fields
 * or make a domain vanish. */
static void
abDaemonTickStats(abDaemon *daemon, GPtrArray *list)
{
    abDaemonStatsCall *c = g_new0(abDaemonStatsCall, 1);
    virDomainStatsRecordPtr *recs;
    int n, i, j;

    c->doms = g_new0(virDomainPtr, list->len + 1);
    for (guint k = 0; k < list->len; k++) {
        abDaemonDomain *d = list->pdata[k];

        d->prevActualKiB = d->actualKiB;
        virDomainRef(d->dom);
        c->doms[k] = d->dom;
    }

    if (!abDaemonCallRun(daemon, abDaemonStatsCallRun, c, abDaemonStatsCallFree, NULL,
                         AB_DAEMON_CALL_TIMEOUT_S)) {
        /* a qemu that does not answer its monitor: from the next round
         * on NOWAIT skips it, the others' stats come again */
        g_warning("no balloon stats within %g s (a QEMU monitor does not answer); "
                  "deciding without them", AB_DAEMON_CALL_TIMEOUT_S);
        daemon->nErrors[AB_DAEMON_OP_STATS]++;
        return;
    }
    if (c->n < 0) {
        g_warning("cannot get balloon stats: %s", c->error);
        daemon->nErrors[AB_DAEMON_OP_STATS]++;
        abDaemonStatsCallFree(c);
        return;
    }
    n = c->n;
    recs = c->recs;

    for (i = 0; i < n; i++) {
        abDaemonDomain *d = abDaemonListFind(list, recs[i]->dom);
        virTypedParameterPtr params = NULL;
        int nparams = 0, maxparams = 0;

        if (!d)
            continue;
        /* a private copy the hook may extend */
        for (j = 0; j < recs[i]->nparams; j++) {
            virTypedParameterPtr p = &recs[i]->params[j];

            if (p->type == VIR_TYPED_PARAM_ULLONG)
                virTypedParamsAddULLong(&params, &nparams, &maxparams, p->field, p->value.ul);
        }
        if (daemon->statsHook)
            daemon->statsHook(daemon, d->dom, &params, &nparams, &maxparams,
                              daemon->statsHookOpaque);
        abDaemonDomainParseStats(daemon, d, params, nparams);
        virTypedParamsFree(params, nparams);
    }
    abDaemonStatsCallFree(c);
}

/* How long a guest whose inflation freed nothing stays out of the host
 * pool. */
#define AB_DAEMON_NO_GAIN_S 60.0
/* how long after a guest's stats are due they are read */
#define AB_DAEMON_STATS_SLACK_S 0.2
/* stats gone stale under pressure: read again this often, for this long
 * after the last report */
#define AB_DAEMON_STALE_RETRY_S 0.5
#define AB_DAEMON_STALE_RETRY_FOR_S 30.0
/* qemu's own memory beside the guest's RAM (measured on TCG: 40-90 MiB) */
#define AB_DAEMON_NO_GAIN_SLACK_KIB (128ULL * 1024)

/* Where the balloon is against what it was asked: arrived, following an
 * adopted target, stuck (no more commands, retried after a back-off) or
 * moving again. */
static void
abDaemonTickBalloon(abDaemon *daemon, abDaemonDomain *d, double now)
{
    abPolicyBalloon *b = &d->balloon;

    /* a restart, a resync or a user's setmem may have moved the target */
    b->targetKiB = d->targetKiB;
    switch (abPolicyBalloonObserve(b, d->actualKiB, now, daemon->cfg->unresponsiveSec)) {
    case AB_POLICY_BALLOON_REACHED:
        g_message("%s: balloon reached its target %llu KiB", d->name, d->targetKiB);
        break;
    case AB_POLICY_BALLOON_FOLLOWED:
        g_debug("%s: adopted target %llu KiB follows the balloon to %llu KiB",
                d->name, d->targetKiB, b->targetKiB);
        d->targetKiB = b->targetKiB;
        break;
    case AB_POLICY_BALLOON_STUCK:
        g_warning("%s: balloon stuck short of target %llu KiB (actual %llu KiB); "
                  "holding, asking again in %g s",
                  d->name, d->targetKiB, d->actualKiB, b->backoffSec);
        break;
    case AB_POLICY_BALLOON_MOVING:
        g_message("%s: balloon moving again (actual %llu KiB, target %llu KiB)",
                  d->name, d->actualKiB, d->targetKiB);
        break;
    case AB_POLICY_BALLOON_NONE:
    case AB_POLICY_BALLOON_LAST:
        break;
    }
    if (abPolicyBalloonRetryDue(b, now) && !daemon->dryRun) {
        unsigned long long kib = d->targetKiB;
        g_autoptr(GError) err = NULL;

        g_message("%s: asking the stuck %s again for %llu KiB", d->name,
                  abDaemonBackendName(d), d->targetKiB);
        /* through the backend: a stuck virtio-mem device is asked again,
         * never the stats-only balloon beside it */
        if (abDaemonBackendApply(daemon, d, &kib, &err) < 0) {
            g_warning("%s: cannot set target %llu KiB: %s", d->name, d->targetKiB,
                      err->message);
            daemon->nErrors[AB_DAEMON_OP_SET_MEMORY]++;
        } else {
            daemon->nSetMemory++;
            d->nSetMemory++;
        }
        abPolicyBalloonSet(b, d->targetKiB, d->actualKiB, now);
        /* the back-off is kept: stuck again, it waits twice as long */
    }
    d->unresponsive = b->unresponsive;
}

/* What the guest's qemu holds, from libvirt's pid file (the system
 * instance's; elsewhere residency stays unknown and the engine assumes
 * every inflation frees what it takes). */
static void
abDaemonTickResident(abDaemon *daemon, abDaemonDomain *d, double now)
{
    g_autoptr(GError) err = NULL;
    guint64 kib = 0;

    if (d->pid == 0) {
        g_autofree char *file = g_strdup_printf("/run/libvirt/qemu/%s.pid", d->name);

        if ((d->pid = abResidentReadPidFile(NULL, file, &err)) < 0)
            g_debug("%s: residency unknown: %s", d->name, err->message);
        g_clear_error(&err);
    }
    d->residentKiB = 0;
    if (d->pid > 0 && abResidentRead(NULL, d->pid, &kib, &err) < 0) {
        g_debug("%s: residency unknown: %s", d->name, err->message);
        d->pid = -1;
        return;
    }
    d->residentKiB = kib;

    /* An inflation that arrived: did the host get the memory? */
    if (d->inflateFromKiB > 0 && !d->unresponsive &&
        d->actualKiB <= d->targetKiB + AB_POLICY_MOVE_MARGIN_KIB) {
        unsigned long long expect = d->inflateFromKiB > d->actualKiB ?
                                    d->inflateFromKiB - d->actualKiB : 0;
        unsigned long long drop = d->residentAtSetKiB > kib ? d->residentAtSetKiB - kib : 0;

        /* A guest that allocates while its balloon inflates hides the
         * drop: only a qemu that still holds well over its new size
         * freed nothing (QEMU not discarding, pages pinned). */
        if (kib > 0 && d->residentAtSetKiB > 0 && expect > 0 && drop * 10 < expect &&
            kib > d->actualKiB + AB_DAEMON_NO_GAIN_SLACK_KIB + d->actualKiB / 8) {
            g_message("%s: inflating %llu KiB freed %llu KiB on the host: "
                      "not asked for host pressure for %g s",
                      d->name, expect, drop, AB_DAEMON_NO_GAIN_S);
            d->noGainUntil = now + AB_DAEMON_NO_GAIN_S;
        }
        d->inflateFromKiB = 0;
    }
}

static abLevel
abDaemonInjectedLevel(abDaemon *daemon, abDaemonDomain *d, gint64 wall)
{
    if (!d->hasInjected)
        return AB_LEVEL_NONE;
    if (d->injected.expires && d->injectedDeadline <= abDaemonNow(daemon)) {
        g_message("%s: injected pressure %s expired", d->name,
                  abLevelToString(d->injected.level));
        d->hasInjected = false;
        return AB_LEVEL_NONE;
    }
    return d->injected.level;
}

static abStatusAction
abDaemonHoldAction(abPolicyReason reason)
{
    switch (reason) {
    case AB_POLICY_REASON_NONE:
    case AB_POLICY_REASON_DISABLED:
        return AB_STATUS_ACTION_NONE;
    default:
        return AB_STATUS_ACTION_HOLD;
    }
}

static void
abDaemonTickApply(abDaemon *daemon, abDaemonDomain *d,
                  const abPolicyGuest *guest, const abPolicyDecision *dec,
                  const abDaemonPressureSample *host, double now)
{
    unsigned long long oldKiB = d->targetKiB;
    unsigned long long appliedKiB = dec->targetKiB;
    const char *reason = abPolicyReasonToString(dec->reason);
    g_autoptr(GError) err = NULL;

    d->level = dec->level;
    d->reason = dec->reason;
    if (dec->level == AB_LEVEL_NONE)
        d->levelSource = AB_STATUS_SOURCE_NONE;
    else if (guest->injected > host->level)
        d->levelSource = AB_STATUS_SOURCE_INJECTED;
    else
        d->levelSource = host->source;

    if (!dec->changed || dec->targetKiB == oldKiB) {
        d->action = abDaemonHoldAction(dec->reason);
        return;
    }
    if (d->callsPending) {
        g_debug("%s: holds target %llu KiB: a call to it has not answered", d->name, oldKiB);
        d->action = AB_STATUS_ACTION_HOLD;
        return;
    }

    if (daemon->dryRun) {
        g_message("%s: target %llu KiB -> %llu KiB (%s, level %s from %s) (dry run, not applied)",
                  d->name, oldKiB, dec->targetKiB, reason,
                  abLevelToString(dec->level), abStatusSourceToString(d->levelSource));
        d->action = abDaemonHoldAction(dec->reason);
        return;
    }

    if (abDaemonBackendApply(daemon, d, &appliedKiB, &err) < 0) {
        g_warning("%s: cannot set target %llu KiB -> %llu KiB (%s): %s",
                  d->name, oldKiB, dec->targetKiB, reason, err->message);
        daemon->nErrors[AB_DAEMON_OP_SET_MEMORY]++;
        d->action = AB_STATUS_ACTION_NONE;
        return;
    }
    daemon->nSetMemory++;
    d->nSetMemory++;
    g_message("%s: target %llu KiB -> %llu KiB (%s, level %s from %s)",
              d->name, oldKiB, appliedKiB, reason,
              abLevelToString(dec->level), abStatusSourceToString(d->levelSource));

    if (dec->targetKiB < oldKiB && d->inflateFromKiB == 0) {
        d->inflateFromKiB = d->actualKiB;
        d->residentAtSetKiB = d->residentKiB;
    } else if (dec->targetKiB > oldKiB) {
        d->inflateFromKiB = 0;
    }
    d->targetKiB = appliedKiB;
    abPolicyBalloonSet(&d->balloon, appliedKiB, d->actualKiB, now);
    /* growing the guest deflates the balloon; a guest that just grew is
     * protected by its cool-down */
    if (dec->targetKiB > oldKiB) {
        d->lastGrowTime = now;
        d->action = AB_STATUS_ACTION_DEFLATE;
    } else {
        d->action = AB_STATUS_ACTION_INFLATE;
    }
}

void
abDaemonTick(abDaemon *daemon)
{
    g_auto(abDaemonMetricsTick) metrics = abDaemonMetricsTickBegin(daemon);
    g_autoptr(GPtrArray) list = NULL;
    g_autofree abPolicyGuest *guests = NULL;
    g_autofree abPolicyDecision *out = NULL;
    abDaemonPressureSample sample = { .level = AB_LEVEL_NONE, .source = AB_STATUS_SOURCE_NONE };
    abPolicyHost host;
    double now = abDaemonNow(daemon);
    gint64 wall = abDaemonWallNow(daemon);
    unsigned long long fallKiBps;
    guint i;

    if (!daemon->conn)
        return;
    daemon->lastTickTime = now;
    daemon->deficitOpen = false;
    /* a guest that started while no event could reach us (or before
     * the connection) still gets its cgroup watched */
    abDaemonPressureRediscover(daemon->pressure, now, false);
    daemon->pressure->sample(daemon->pressure, &sample);
    fallKiBps = abPolicyHostTrendUpdate(&daemon->hostTrend, sample.roomKnown, sample.roomKiB,
                                        sample.requestKiB, now);

    list = abDaemonManagedList(daemon);
    g_ptr_array_sort(list, abDaemonDomainCompareName);
    if (list->len == 0) {
        abDaemonFlushStatus(daemon, false);
        return;
    }

    for (i = 0; i < list->len; i++)
        abDaemonDomainEnsureStatsPeriod(daemon, list->pdata[i]);
    /* Where QEMU inflates by itself the daemon sets no target; QEMU's
     * monitor events keep its status (abDaemonQemuMonitorEvent). */
    for (i = list->len; i-- > 0;) {
        if (((abDaemonDomain *) list->pdata[i])->qemuInflates)
            g_ptr_array_remove_index(list, i);
    }
    if (list->len == 0) {
        abDaemonFlushStatus(daemon, false);
        return;
    }
    abDaemonTickStats(daemon, list);
    abDaemonBackendReadActual(daemon, list);

    host = (abPolicyHost) {
        .now = now,
        .level = sample.level,
        .requestKiB = sample.requestKiB,
        .roomKnown = sample.roomKnown,
        .roomKiB = sample.roomKiB,
        .fallKiBps = fallKiBps,
    };
    guests = g_new0(abPolicyGuest, list->len);
    out = g_new0(abPolicyDecision, list->len);
    for (i = 0; i < list->len; i++) {
        abDaemonDomain *d = list->pdata[i];

        abDaemonTickBalloon(daemon, d, now);
        abDaemonTickResident(daemon, d, now);
        guests[i] = (abPolicyGuest) {
            .name = d->name,
            .params = d->params,
            .maxKiB = d->maxKiB,
            .targetKiB = d->targetKiB,
            .actualKiB = d->actualKiB,
            .prevActualKiB = d->prevActualKiB,
            .stats = d->stats,
            .prevStats = d->prevStats,
            .statsPeriodSec = d->statsPeriodSec,
            .injected = abDaemonInjectedLevel(daemon, d, wall),
            .lastGrowTime = d->lastGrowTime,
            .unresponsive = d->unresponsive,
            .residentKiB = d->residentKiB,
            .freesNothing = now < d->noGainUntil,
        };
    }

    abPolicyDecide(&host, guests, list->len, out);
    /* A guest that grows for its load decides again on its next stats,
     * not on the next tick: at 2 s ticks and 2 s stats the second grow
     * would come up to 4 s after the first, long after a fast load used
     * it. */
    for (i = 0; i < list->len; i++) {
        abDaemonDomain *d = list->pdata[i];

        if ((out[i].reason == AB_POLICY_REASON_GUEST_PRESSURE ||
             (out[i].reason == AB_POLICY_REASON_PENDING && d->actualKiB < d->targetKiB)) &&
            d->statsPeriodSec > 0 && d->stats.valid)
            abDaemonTickAt(daemon, d->stats.lastUpdate + d->statsPeriodSec +
                           AB_DAEMON_STATS_SLACK_S);
        /* Under pressure, a guest whose stats have just gone stale (a
         * guest busy with its own work, a daemon that started while it
         * was) is asked again soon: its next report may be a second
         * away, the tick two. One that sends none for a while waits for
         * the tick. */
        else if (out[i].reason == AB_POLICY_REASON_STALE_STATS &&
                 out[i].level != AB_LEVEL_NONE && d->stats.valid &&
                 now - d->stats.lastUpdate < AB_DAEMON_STALE_RETRY_FOR_S)
            abDaemonTickAt(daemon, now + AB_DAEMON_STALE_RETRY_S);
    }
    daemon->nDecisions += list->len;
    /* While the host is short of its set point, the next decision comes
     * as the balloons arrive (abDaemonEventBalloon), not at the tick. */
    daemon->deficitOpen = sample.level != AB_LEVEL_NONE && sample.requestKiB > 0;

    for (i = 0; i < list->len; i++) {
        abDaemonDomain *d = list->pdata[i];

        /* "on tick" or "on event": tests count ticks of the clock */
        g_debug("%s: %s, target %llu KiB, actual %llu KiB, level %s, on %s",
                d->name, abPolicyReasonToString(out[i].reason),
                out[i].targetKiB, d->actualKiB, abLevelToString(out[i].level),
                daemon->earlyTick ? "event" : "tick");
        abDaemonTickApply(daemon, d, &guests[i], &out[i], &sample, now);
    }
    abDaemonFlushStatus(daemon, false);
}

static char *
abDaemonStatusFormat(abDaemonDomain *d, gint64 time)
{
    const char *error;
    const char *reason = abDaemonDomainStatusReason(d, &error);
    abConfStatus st = {
        .level = d->level,
        .source = d->levelSource,
        .targetKiB = d->targetKiB,
        .actualKiB = d->actualKiB,
        .usableKiB = d->stats.valid ? d->stats.usableKiB : 0,
        .action = d->action,
        .reason = (char *) reason,
        .error = (char *) error,
        .unresponsive = d->unresponsive,
        .time = time,
    };

    return abConfStatusFormat(&st);
}

/* The status write, on a worker thread (ab-daemon-call.h): libvirt
 * takes the domain's job for it, which a call to a hung QEMU holds. */
static int
abDaemonStatusRun(abDaemonDomainCall *c)
{
    return virDomainSetMetadata(c->dom, VIR_DOMAIN_METADATA_ELEMENT, c->xml,
                                AB_NS_STATUS_PREFIX, AB_NS_STATUS_URI, VIR_DOMAIN_AFFECT_LIVE);
}

static void
abDaemonStatusLate(abDaemon *daemon, abDaemonDomain *d, abDaemonDomainCall *c)
{
    if (c->rc >= 0)
        return;
    g_warning("%s: cannot write the status metadata (answered late): %s", c->name, c->error);
    daemon->nErrors[AB_DAEMON_OP_STATUS]++;
    /* written again by the next flush */
    if (d)
        g_clear_pointer(&d->statusPublished, g_free);
}

/* 0: written, or on its way (no answer by the deadline: the domain takes
 * no more calls until it answers); -1: refused, logged. */
static int
abDaemonStatusWrite(abDaemon *daemon, abDaemonDomain *d, const char *xml)
{
    abDaemonDomainCall *c = abDaemonDomainCallNew(d, abDaemonStatusRun, abDaemonStatusLate);
    int rc;

    c->xml = g_strdup(xml);
    if (!abDaemonDomainCallRun(daemon, d, c, "the status write"))
        return 0;
    if ((rc = c->rc) < 0)
        g_warning("%s: cannot write the status metadata: %s", d->name, c->error);
    abDaemonDomainCallFree(c);
    return rc < 0 ? -1 : 0;
}

void
abDaemonFlushStatus(abDaemon *daemon, bool force)
{
    GHashTableIter iter;
    abDaemonDomain *d;
    double now = abDaemonNow(daemon);

    if (!daemon->conn || daemon->dryRun)
        return;

    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &d)) {
        g_autofree char *key = NULL;
        g_autofree char *xml = NULL;

        if (!abDaemonDomainPublishes(d) || !d->dom)
            continue;
        /* compare without the time, or every write would be a change */
        key = abDaemonStatusFormat(d, 0);
        if (g_strcmp0(key, d->statusPublished) == 0)
            continue;
        /* at most one write per interval per domain; the change stays
         * pending and a later tick writes it */
        if (!force && d->statusWriteTime >= 0 &&
            now - d->statusWriteTime < daemon->cfg->statusIntervalSec)
            continue;

        if (d->callsPending)
            continue;
        xml = abDaemonStatusFormat(d, abDaemonWallNow(daemon));
        if (!xml || abDaemonStatusWrite(daemon, d, xml) < 0) {
            daemon->nErrors[AB_DAEMON_OP_STATUS]++;
            /* do not retry a vanished domain at once; the next tick does */
            d->statusWriteTime = now;
            continue;
        }
        daemon->nStatusWrites++;
        g_free(d->statusPublished);
        d->statusPublished = g_steal_pointer(&key);
        d->statusWriteTime = now;
    }
}
