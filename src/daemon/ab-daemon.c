/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon object: connection with keepalive and reconnect, resync, the
 * tick timer, reload. */
#include "ab-daemon-call.h"
#include "ab-daemon-priv.h"
#include "ab-error.h"
#include "ab-qemu-monitor.h"

#include <libvirt/virterror.h>
#include <libvirt-glib/libvirt-glib.h>

#define AB_DAEMON_BACKOFF_MIN_S 1
#define AB_DAEMON_BACKOFF_MAX_S 30
#define AB_DAEMON_KEEPALIVE_INTERVAL_S 5
#define AB_DAEMON_KEEPALIVE_COUNT 3

static void
abDaemonErrorSilent(void *opaque, virErrorPtr err)
{
    /* every failure is reported where it matters, with the domain named */
}

void
abDaemonGlobalInit(void)
{
    static gsize done;

    if (g_once_init_enter(&done)) {
        gvir_init(NULL, NULL);
        gvir_event_register();
        virSetErrorFunc(NULL, abDaemonErrorSilent);
        g_once_init_leave(&done, 1);
    }
}

const char *
abDaemonLastError(void)
{
    const char *msg = virGetLastErrorMessage();

    return msg ? msg : "unknown error";
}

static double
abDaemonClockMonotonic(void *opaque)
{
    return g_get_monotonic_time() / (double) G_USEC_PER_SEC;
}

static gint64
abDaemonClockWall(void *opaque)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

double
abDaemonNow(abDaemon *daemon)
{
    return daemon->clock.monotonic(daemon->clock.opaque);
}

gint64
abDaemonWallNow(abDaemon *daemon)
{
    return daemon->clock.wall(daemon->clock.opaque);
}

static void abDaemonPressureChanged(void *opaque);

/* What the previous QEMU monitor balloon event of @dom said; kept in the
 * domain table, which forgets a domain when it goes. */
static unsigned long long
abDaemonQemuMonitorActual(virDomainPtr dom, void *opaque)
{
    abDaemonDomain *d = abDaemonDomainLookup(opaque, dom);

    return d ? d->qemuActualKiB : 0;
}

/* QEMU moved a balloon it inflates itself: that is the guest's status. */
static void
abDaemonQemuMonitorEvent(virConnectPtr conn, virDomainPtr dom,
                         const abConfStatus *st, void *opaque)
{
    abDaemon *daemon = opaque;
    abDaemonDomain *d = abDaemonDomainLookup(daemon, dom);

    if (!d)
        return;
    d->qemuActualKiB = st->actualKiB;
    if (!d->managed || !d->qemuInflates)
        return;
    d->actualKiB = st->actualKiB;
    d->targetKiB = st->targetKiB ? st->targetKiB : st->actualKiB;
    d->action = st->action == AB_STATUS_ACTION_NONE ? AB_STATUS_ACTION_HOLD : st->action;
    g_message("%s: QEMU moved the balloon to %llu KiB (%s)", d->name,
              d->actualKiB, abStatusActionToString(d->action));
    abDaemonFlushStatus(daemon, false);
}
static void abDaemonCloseCallback(virConnectPtr conn, int reason, void *opaque);

abDaemon *
abDaemonNew(const char *uri, abDaemonConfig *cfg, bool dryRun)
{
    abDaemon *daemon = g_new0(abDaemon, 1);
    const char *env = g_getenv("LIBVIRT_DEFAULT_URI");

    abDaemonGlobalInit();
    if (uri)
        daemon->uri = g_strdup(uri);
    else
        daemon->uri = g_strdup(env && *env ? env : "qemu:///system");
    daemon->cfg = cfg;
    daemon->dryRun = dryRun;
    for (size_t i = 0; i < G_N_ELEMENTS(daemon->callbackIds); i++)
        daemon->callbackIds[i] = -1;
    daemon->qemuMonitorId = -1;
    daemon->lastTickTime = -1;
    daemon->domains = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                            (GDestroyNotify) abDaemonDomainFree);
    daemon->clock = (abDaemonClock) { abDaemonClockMonotonic, abDaemonClockWall, NULL };
    daemon->backoffSec = AB_DAEMON_BACKOFF_MIN_S;
    abDaemonSetPressure(daemon, abDaemonPressureNewFixed());
    abDaemonCallRegister(daemon);
    return daemon;
}

static void
abDaemonDisconnect(abDaemon *daemon)
{
    GHashTableIter iter;
    abDaemonDomain *d;

    if (!daemon->conn)
        return;
    abDaemonEventsDeregister(daemon);
    if (daemon->qemuMonitorId >= 0) {
        abQemuMonitorDeregister(daemon->conn, daemon->qemuMonitorId, NULL);
        daemon->qemuMonitorId = -1;
    }
    if (daemon->closeRegistered) {
        virConnectUnregisterCloseCallback(daemon->conn, abDaemonCloseCallback);
        daemon->closeRegistered = false;
    }
    /* domain objects belong to the connection: drop them, keep the state */
    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &d))
        g_clear_pointer(&d->dom, virDomainFree);
    virConnectClose(daemon->conn);
    daemon->conn = NULL;
}

void
abDaemonFree(abDaemon *daemon)
{
    if (!daemon)
        return;
    abDaemonCallUnregister(daemon);
    g_clear_handle_id(&daemon->tickSource, g_source_remove);
    g_clear_handle_id(&daemon->reconnectSource, g_source_remove);
    g_clear_handle_id(&daemon->earlyTickSource, g_source_remove);
    g_hash_table_remove_all(daemon->domains);
    abDaemonDisconnect(daemon);
    g_hash_table_unref(daemon->domains);
    abDaemonPressureFree(daemon->pressure);
    abDaemonConfigFree(daemon->cfg);
    g_free(daemon->uri);
    g_free(daemon);
}

void
abDaemonSetClock(abDaemon *daemon, const abDaemonClock *clock)
{
    daemon->clock = *clock;
}

/* The guests libvirt runs (their qemu is up): where cgroup = auto looks. */
static char **
abDaemonLiveGuests(void *opaque)
{
    abDaemon *daemon = opaque;
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    GHashTableIter iter;
    abDaemonDomain *d;

    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &d)) {
        if (d->live)
            g_ptr_array_add(names, g_strdup(d->name));
    }
    g_ptr_array_add(names, NULL);
    return (char **) g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

void
abDaemonSetPressure(abDaemon *daemon, abDaemonPressure *pressure)
{
    abDaemonPressureFree(daemon->pressure);
    daemon->pressure = pressure;
    pressure->notify = abDaemonPressureChanged;
    pressure->notifyOpaque = daemon;
    pressure->liveGuests = abDaemonLiveGuests;
    /* opened without knowing which guests libvirt runs (from every pid
     * file libvirt has, stale ones too): look again with the live ones */
    if (daemon->conn)
        abDaemonPressureRediscover(pressure, abDaemonNow(daemon), true);
}

void
abDaemonSetStatsHook(abDaemon *daemon, abDaemonStatsHook hook, void *opaque)
{
    daemon->statsHook = hook;
    daemon->statsHookOpaque = opaque;
}

virConnectPtr
abDaemonGetConnection(abDaemon *daemon)
{
    return daemon->conn;
}

bool
abDaemonIsConnected(abDaemon *daemon)
{
    return daemon->conn && virConnectIsAlive(daemon->conn) == 1;
}

int
abDaemonResync(abDaemon *daemon, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    virDomainPtr *doms = NULL;
    GHashTableIter iter;
    abDaemonDomain *d;
    const char *uuid;
    int n, i;

    if (!daemon->conn) {
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED, "not connected to %s", daemon->uri);
        return -1;
    }
    if ((n = virConnectListAllDomains(daemon->conn, &doms, 0)) < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED, "cannot list domains: %s",
                    abDaemonLastError());
        return -1;
    }
    for (i = 0; i < n; i++) {
        if ((d = abDaemonDomainUpdate(daemon, doms[i], true)))
            g_hash_table_add(seen, g_strdup(d->uuid));
        virDomainFree(doms[i]);
    }
    free(doms);

    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, (gpointer *) &uuid, (gpointer *) &d)) {
        if (!g_hash_table_contains(seen, uuid))
            g_hash_table_iter_remove(&iter);
    }
    g_info("resync: %u domains, %u managed", g_hash_table_size(daemon->domains),
           abDaemonCountManaged(daemon));
    /* the guests libvirt runs are known now: cgroup = auto uses theirs */
    abDaemonPressureRediscover(daemon->pressure, abDaemonNow(daemon), true);
    return 0;
}

static void abDaemonScheduleReconnect(abDaemon *daemon);

static void
abDaemonCloseCallback(virConnectPtr conn, int reason, void *opaque)
{
    abDaemon *daemon = opaque;
    static const char *reasons[] = { "error", "end of file", "keepalive timeout", "client" };

    g_warning("connection to %s closed (%s); reconnecting",
              daemon->uri,
              reason >= 0 && reason < (int) G_N_ELEMENTS(reasons) ? reasons[reason] : "unknown");
    /* libvirt holds the connection inside this callback: tear down later */
    abDaemonScheduleReconnect(daemon);
}

int
abDaemonConnect(abDaemon *daemon, GError **error)
{
    int rc;

    abDaemonDisconnect(daemon);
    if (!(daemon->conn = virConnectOpenAuth(daemon->uri, virConnectAuthPtrDefault, 0))) {
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED, "cannot connect to %s: %s",
                    daemon->uri, abDaemonLastError());
        return -1;
    }

    /* Only remote connections have keepalive; local drivers say so. */
    rc = virConnectSetKeepAlive(daemon->conn, AB_DAEMON_KEEPALIVE_INTERVAL_S,
                                AB_DAEMON_KEEPALIVE_COUNT);
    if (rc < 0)
        g_debug("keepalive not available on %s: %s", daemon->uri, abDaemonLastError());

    if (virConnectRegisterCloseCallback(daemon->conn, abDaemonCloseCallback,
                                        daemon, NULL) == 0)
        daemon->closeRegistered = true;
    else
        g_debug("no close callback on %s: %s", daemon->uri, abDaemonLastError());

    {
        g_autoptr(GError) qerr = NULL;

        /* only QEMU connections have monitor events */
        daemon->qemuMonitorId = abQemuMonitorRegister(daemon->conn, NULL,
                                                      abDaemonQemuMonitorActual,
                                                      abDaemonQemuMonitorEvent,
                                                      daemon, NULL, &qerr);
        if (daemon->qemuMonitorId < 0)
            g_debug("no QEMU monitor events on %s: %s", daemon->uri, qerr->message);
    }
    if (abDaemonEventsRegister(daemon, error) < 0 ||
        abDaemonResync(daemon, error) < 0) {
        abDaemonDisconnect(daemon);
        return -1;
    }
    g_message("connected to %s%s", daemon->uri, daemon->dryRun ? " (dry run: no changes)" : "");
    return 0;
}

static gboolean
abDaemonReconnectCb(gpointer opaque)
{
    abDaemon *daemon = opaque;
    g_autoptr(GError) err = NULL;

    daemon->reconnectSource = 0;
    if (abDaemonConnect(daemon, &err) < 0) {
        g_warning("%s; retrying in %u s", err->message, daemon->backoffSec);
        daemon->reconnectSource = g_timeout_add_seconds(daemon->backoffSec,
                                                        abDaemonReconnectCb, daemon);
        daemon->backoffSec = MIN(daemon->backoffSec * 2, AB_DAEMON_BACKOFF_MAX_S);
        return G_SOURCE_REMOVE;
    }
    daemon->backoffSec = AB_DAEMON_BACKOFF_MIN_S;
    return G_SOURCE_REMOVE;
}

static void
abDaemonScheduleReconnect(abDaemon *daemon)
{
    if (daemon->reconnectSource)
        return;
    daemon->reconnectSource = g_timeout_add_seconds(daemon->backoffSec,
                                                    abDaemonReconnectCb, daemon);
    daemon->backoffSec = MIN(daemon->backoffSec * 2, AB_DAEMON_BACKOFF_MAX_S);
}

static gboolean
abDaemonTickCb(gpointer opaque)
{
    abDaemon *daemon = opaque;

    if (!daemon->conn || daemon->reconnectSource)
        return G_SOURCE_CONTINUE;
    if (virConnectIsAlive(daemon->conn) != 1) {
        /* the close callback may not fire for every driver */
        abDaemonScheduleReconnect(daemon);
        return G_SOURCE_CONTINUE;
    }
    abDaemonTick(daemon);
    return G_SOURCE_CONTINUE;
}

static gboolean
abDaemonEarlyTickCb(gpointer opaque)
{
    abDaemon *daemon = opaque;

    daemon->earlyTickSource = 0;
    daemon->earlyTick = true;
    abDaemonTickCb(daemon);
    daemon->earlyTick = false;
    return G_SOURCE_REMOVE;
}

void
abDaemonTickSoon(abDaemon *daemon)
{
    double since;

    if (!daemon->started || daemon->earlyTickSource)
        return;
    /* Events come in bursts (a balloon reports every few MiB, vmpressure
     * thousands a second): one decision per burst, at most one each
     * AB_DAEMON_EARLY_TICK_GAP_S, and the first of a quiet spell at once. */
    since = abDaemonNow(daemon) - daemon->lastTickTime;
    if (daemon->lastTickTime < 0 || !(since < AB_DAEMON_EARLY_TICK_GAP_S))
        daemon->earlyTickSource = g_idle_add(abDaemonEarlyTickCb, daemon);
    else
        daemon->earlyTickSource =
            g_timeout_add((guint) ((AB_DAEMON_EARLY_TICK_GAP_S - since) * 1000) + 1,
                          abDaemonEarlyTickCb, daemon);
}

void
abDaemonTickAt(abDaemon *daemon, double when)
{
    double wait = when - abDaemonNow(daemon);

    /* an early decision already on its way comes sooner; a time already
     * past (stats overdue) is the regular tick's */
    if (!daemon->started || daemon->earlyTickSource || !(wait > 0) ||
        !(wait < daemon->cfg->tickSec))
        return;
    if (wait < AB_DAEMON_EARLY_TICK_GAP_S) {
        abDaemonTickSoon(daemon);
        return;
    }
    daemon->earlyTickSource = g_timeout_add((guint) (wait * 1000) + 1,
                                            abDaemonEarlyTickCb, daemon);
}

static void
abDaemonPressureChanged(void *opaque)
{
    /* React to a new level now rather than at the next interval. */
    abDaemonTickSoon(opaque);
}

static void
abDaemonStartTimer(abDaemon *daemon)
{
    g_clear_handle_id(&daemon->tickSource, g_source_remove);
    daemon->tickSource = g_timeout_add((guint) (daemon->cfg->tickSec * 1000),
                                       abDaemonTickCb, daemon);
}

void
abDaemonStart(abDaemon *daemon)
{
    daemon->started = true;
    daemon->backoffSec = AB_DAEMON_BACKOFF_MIN_S;
    if (!daemon->conn) {
        g_autoptr(GError) err = NULL;

        if (abDaemonConnect(daemon, &err) < 0) {
            g_warning("%s; retrying in %u s", err->message, daemon->backoffSec);
            abDaemonScheduleReconnect(daemon);
        }
    }
    abDaemonStartTimer(daemon);
}

void
abDaemonReload(abDaemon *daemon, abDaemonConfig *cfg)
{
    GHashTableIter iter;
    abDaemonDomain *d;
    bool retime = daemon->cfg->tickSec != cfg->tickSec;

    abDaemonConfigFree(daemon->cfg);
    daemon->cfg = cfg;
    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &d)) {
        if (d->dom)
            abDaemonDomainResolve(daemon, d);
    }
    if (retime && daemon->started)
        abDaemonStartTimer(daemon);
    g_message("configuration reloaded: tick %g s, manage %s, %u managed",
              cfg->tickSec, abDaemonManageToString(cfg->manage),
              abDaemonCountManaged(daemon));
}

int
abDaemonGetDomainInfo(abDaemon *daemon, const char *name,
                      abDaemonDomainInfo *info)
{
    abDaemonDomain *d = abDaemonDomainFindByName(daemon, name);

    *info = (abDaemonDomainInfo) { 0 };
    if (!d)
        return -1;
    *info = (abDaemonDomainInfo) {
        .known = true,
        .live = d->live,
        .running = d->running,
        .managed = d->managed,
        .policyError = d->policyError,
        .unresponsive = d->unresponsive,
        .targetKiB = d->targetKiB,
        .actualKiB = d->actualKiB,
        .injected = d->hasInjected ? d->injected.level : AB_LEVEL_NONE,
    };
    return 0;
}

unsigned int
abDaemonCountManaged(abDaemon *daemon)
{
    GHashTableIter iter;
    abDaemonDomain *d;
    unsigned int n = 0;

    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &d))
        n += d->managed;
    return n;
}

unsigned int
abDaemonCountSetMemory(abDaemon *daemon)
{
    return daemon->nSetMemory;
}

unsigned int
abDaemonCountStatusWrites(abDaemon *daemon)
{
    return daemon->nStatusWrites;
}

/* Every module of ours logs under its own "autoballoon-*" domain (the
 * daemon under "autoballoond"). */
static bool
abDaemonLogDomainIsOurs(const char *domain)
{
    return domain && g_str_has_prefix(domain, "autoballoon");
}

bool
abDaemonLogShows(const char *domain, GLogLevelFlags level, bool verbose)
{
    if (!(level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)))
        return true;
    return verbose && abDaemonLogDomainIsOurs(domain);
}

char *
abDaemonLogPlainQuotes(const char *msg)
{
    g_autoptr(GString) s = NULL;

    if (!msg || (!strstr(msg, "\u201c") && !strstr(msg, "\u201d")))
        return NULL;
    s = g_string_new(msg);
    g_string_replace(s, "\u201c", "'", 0);
    g_string_replace(s, "\u201d", "'", 0);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static GLogWriterOutput
abDaemonLogWriter(GLogLevelFlags level, const GLogField *fields, gsize nfields,
                  gpointer opaque)
{
    const char *domain = NULL;
    bool verbose = GPOINTER_TO_INT(opaque);
    g_autofree GLogField *copy = NULL;
    g_autofree char *plain = NULL;

    for (gsize i = 0; i < nfields; i++) {
        if (g_str_equal(fields[i].key, "GLIB_DOMAIN"))
            domain = fields[i].value;
        else if (g_str_equal(fields[i].key, "MESSAGE") && fields[i].length < 0 &&
                 (plain = abDaemonLogPlainQuotes(fields[i].value))) {
            copy = g_memdup2(fields, nfields * sizeof(*fields));
            copy[i].value = plain;
        }
    }
    if (copy)
        fields = copy;
    /* GLib's default writer drops info and debug unless G_MESSAGES_DEBUG
     * names the domain; ours bypass that filter, the libraries' do not. */
    if ((level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) &&
        abDaemonLogShows(domain, level, verbose)) {
        if (g_log_writer_is_journald(fileno(stderr)) &&
            g_log_writer_journald(level, fields, nfields, opaque) == G_LOG_WRITER_HANDLED)
            return G_LOG_WRITER_HANDLED;
        return g_log_writer_standard_streams(level, fields, nfields, opaque);
    }
    return g_log_writer_default(level, fields, nfields, opaque);
}

void
abDaemonLogSetup(bool verbose)
{
    g_log_set_writer_func(abDaemonLogWriter, GINT_TO_POINTER(verbose), NULL);
}
