/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-events.c: balloon-events, libvirt's domain events about ballooning
 * printed the way "virsh event" prints them. Pressure changes arrive as
 * metadata-change events of our namespaces: the event carries only the URI,
 * so the handler re-reads the element. */
#include "ab-vsh-cmds.h"
#include "ab-conf.h"
#include "ab-namespace.h"

#include <signal.h>
#include <string.h>

const abVshOptDef abVshOptsBalloonEvents[] = {
    AB_VSH_OPT_DOMAIN(0, AB_VSH_OPT_DOMAIN_HELP " (default: every domain)"),
    { "loop", AB_VSH_OT_BOOL, 0, "keep printing events until --timeout or Ctrl-C" },
    { "timeout", AB_VSH_OT_INT, 0, "stop after this many seconds (1 or more)" },
    { "timestamp", AB_VSH_OT_BOOL, 0, "prefix each event with the time it was received" },
    /* Test hook: a command run once the callbacks are registered, so that a
     * script can cause an event in the same process and connection. */
    { "after", AB_VSH_OT_STRING, AB_VSH_OFLAG_HIDDEN, "command to run once listening" },
    { NULL },
};

static char *
abVshEventPrefix(gint64 timestampUs)
{
    g_autoptr(GDateTime) dt = NULL;
    g_autofree char *str = NULL;

    if (timestampUs < 0)
        return g_strdup("");
    dt = g_date_time_new_from_unix_utc(timestampUs / G_USEC_PER_SEC);
    str = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S");
    return g_strdup_printf("%s.%03d+0000: ", str,
                           (int)((timestampUs % G_USEC_PER_SEC) / 1000));
}

char *
abVshEventFormatBalloon(const char *domname, unsigned long long actualKiB,
                        gint64 timestampUs)
{
    g_autofree char *prefix = abVshEventPrefix(timestampUs);

    return g_strdup_printf("%sevent 'balloon-change' for domain '%s': %llu KiB",
                           prefix, domname, actualKiB);
}

char *
abVshEventFormatStatus(const char *domname, const abConfStatus *st,
                       gint64 timestampUs)
{
    g_autofree char *prefix = abVshEventPrefix(timestampUs);

    if (!st)
        return g_strdup_printf("%sevent 'pressure-change' for domain '%s': no status",
                               prefix, domname);
    return g_strdup_printf("%sevent 'pressure-change' for domain '%s': %s (%s), "
                           "target %llu KiB, actual %llu KiB, action %s%s, reason %s%s%s",
                           prefix, domname, abLevelToString(st->level),
                           abStatusSourceToString(st->source),
                           st->targetKiB, st->actualKiB,
                           abStatusActionToString(st->action),
                           st->unresponsive ? " (unresponsive)" : "",
                           st->reason ? st->reason : "-",
                           st->error ? ": " : "", st->error ? st->error : "");
}

char *
abVshEventFormatInjected(const char *domname, const abConfInjected *inj,
                         gint64 timestampUs)
{
    g_autofree char *prefix = abVshEventPrefix(timestampUs);
    g_autoptr(GDateTime) dt = NULL;
    g_autofree char *until = NULL;

    if (!inj || inj->level == AB_LEVEL_NONE)
        return g_strdup_printf("%sevent 'pressure-injected' for domain '%s': none",
                               prefix, domname);
    if (inj->expires == 0)
        return g_strdup_printf("%sevent 'pressure-injected' for domain '%s': %s",
                               prefix, domname, abLevelToString(inj->level));
    dt = g_date_time_new_from_unix_utc(inj->expires);
    until = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S+0000");
    return g_strdup_printf("%sevent 'pressure-injected' for domain '%s': %s until %s",
                           prefix, domname, abLevelToString(inj->level), until);
}

typedef struct {
    abVshControl *ctl;
    bool loop;
    bool timestamp;
    unsigned int count;
    bool done;
    bool timedOut;
    const char *after;
    int afterTimer;
} abVshEventData;

static volatile sig_atomic_t abVshEventInterrupted;

static void
abVshEventSigint(int sig)
{
    abVshEventInterrupted = 1;
}

static gint64
abVshEventTime(const abVshEventData *data)
{
    if (!data->timestamp)
        return -1;
    if (g_getenv("AB_VSH_NOW"))
        return abVshNow() * G_USEC_PER_SEC;
    return g_get_real_time();
}

static void
abVshEventEmit(abVshEventData *data, char *line)
{
    /* one dispatch may deliver several events: without --loop, only the
     * first counts */
    if (data->done) {
        g_free(line);
        return;
    }
    abVshPrint(data->ctl, "%s\n", line);
    fflush(stdout);
    g_free(line);
    data->count++;
    if (!data->loop)
        data->done = true;
}

static int
abVshEventBalloon(virConnectPtr conn, virDomainPtr dom,
                  unsigned long long actual, void *opaque)
{
    abVshEventData *data = opaque;

    abVshEventEmit(data, abVshEventFormatBalloon(virDomainGetName(dom), actual,
                                                 abVshEventTime(data)));
    return 0;
}

static int
abVshEventMetadata(virConnectPtr conn, virDomainPtr dom, int type,
                   const char *nsuri, void *opaque)
{
    abVshEventData *data = opaque;
    const char *name = virDomainGetName(dom);
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;
    int rc;

    if (type != VIR_DOMAIN_METADATA_ELEMENT || !nsuri)
        return 0;

    if (strcmp(nsuri, AB_NS_STATUS_URI) == 0) {
        abConfStatus st = { 0 };

        if ((rc = abVshGetMetadata(data->ctl, dom, nsuri, VIR_DOMAIN_AFFECT_LIVE, &xml)) < 0)
            return 0;
        if (rc == 0) {
            abVshEventEmit(data, abVshEventFormatStatus(name, NULL, abVshEventTime(data)));
        } else if (abConfStatusParse(xml, &st, &err) < 0) {
            abVshError(data->ctl, "invalid status in the metadata of domain '%s': %s",
                       name, err->message);
        } else {
            abVshEventEmit(data, abVshEventFormatStatus(name, &st, abVshEventTime(data)));
        }
        abConfStatusClear(&st);
    } else if (strcmp(nsuri, AB_NS_PRESSURE_URI) == 0) {
        abConfInjected inj = { 0 };

        if ((rc = abVshGetMetadata(data->ctl, dom, nsuri, VIR_DOMAIN_AFFECT_LIVE, &xml)) < 0)
            return 0;
        if (rc > 0 && abConfInjectedParse(xml, &inj, &err) < 0) {
            abVshError(data->ctl, "invalid injected pressure in the metadata of domain '%s': %s",
                       name, err->message);
            return 0;
        }
        abVshEventEmit(data, abVshEventFormatInjected(name, rc > 0 ? &inj : NULL,
                                                      abVshEventTime(data)));
    } else if (strcmp(nsuri, AB_NS_POLICY_URI) == 0) {
        g_autofree char *prefix = abVshEventPrefix(abVshEventTime(data));

        abVshEventEmit(data, g_strdup_printf("%sevent 'policy-change' for domain '%s'",
                                             prefix, name));
    }
    return 0;
}

static void
abVshEventTimeout(int timer, void *opaque)
{
    abVshEventData *data = opaque;

    data->timedOut = true;
    data->done = true;
}

static void
abVshEventTick(int timer, void *opaque)
{
    abVshEventData *data = opaque;

    if (abVshEventInterrupted)
        data->done = true;
}

static void
abVshEventAfter(int timer, void *opaque)
{
    abVshEventData *data = opaque;
    g_autoptr(abVshCmd) cmd = NULL;
    bool empty;

    virEventRemoveTimeout(timer);
    data->afterTimer = -1;
    if ((cmd = abVshCommandStringParse(data->ctl, data->after, &empty)))
        abVshCommandRun(data->ctl, cmd);
}

#define AB_VSH_EVENTS_TIMEOUT_MAX_S (G_MAXINT / 1000)

bool
abVshCmdBalloonEvents(abVshControl *ctl, const abVshCmd *cmd)
{
    g_autoptr(virDomain) dom = NULL;
    abVshEventData data = { .ctl = ctl, .afterTimer = -1 };
    struct sigaction sa = { .sa_handler = abVshEventSigint };
    struct sigaction oldsa;
    unsigned int timeout = 0;
    const char *domstr = NULL;
    int rc;
    int cbBalloon, cbMeta;
    int timer = -1;
    int tick;

    if (abVshCommandOptString(cmd, "domain", &domstr) > 0 &&
        !(dom = abVshLookupDomain(ctl, domstr)))
        return false;
    if ((rc = abVshCommandOptUInt(ctl, cmd, "timeout", &timeout)) < 0)
        return false;
    /* as virsh event: at least 1 s, and no more than fits in the
     * millisecond timer (about 24.8 days) */
    if (rc > 0 && (timeout < 1 || timeout > AB_VSH_EVENTS_TIMEOUT_MAX_S)) {
        abVshError(ctl, "invalid timeout '%u': expected 1 to %d seconds",
                   timeout, AB_VSH_EVENTS_TIMEOUT_MAX_S);
        return false;
    }
    data.loop = abVshCommandOptBool(cmd, "loop");
    data.timestamp = abVshCommandOptBool(cmd, "timestamp");
    abVshCommandOptString(cmd, "after", &data.after);

    cbBalloon = virConnectDomainEventRegisterAny(ctl->conn, dom,
                                                 VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE,
                                                 VIR_DOMAIN_EVENT_CALLBACK(abVshEventBalloon),
                                                 &data, NULL);
    cbMeta = virConnectDomainEventRegisterAny(ctl->conn, dom,
                                              VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                              VIR_DOMAIN_EVENT_CALLBACK(abVshEventMetadata),
                                              &data, NULL);
    if (cbBalloon < 0 || cbMeta < 0) {
        abVshError(ctl, "failed to register the domain event callbacks");
        abVshReportLibvirtError(ctl);
        if (cbBalloon >= 0)
            virConnectDomainEventDeregisterAny(ctl->conn, cbBalloon);
        if (cbMeta >= 0)
            virConnectDomainEventDeregisterAny(ctl->conn, cbMeta);
        return false;
    }

    abVshEventInterrupted = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &oldsa);
    if (timeout)
        timer = virEventAddTimeout((int) timeout * 1000, abVshEventTimeout, &data, NULL);
    /* SIGINT interrupts poll() only to be retried by libvirt's loop: look
     * at the flag a few times a second. */
    tick = virEventAddTimeout(200, abVshEventTick, &data, NULL);
    if (data.after)
        data.afterTimer = virEventAddTimeout(0, abVshEventAfter, &data, NULL);

    while (!data.done) {
        if (virEventRunDefaultImpl() < 0) {
            abVshReportLibvirtError(ctl);
            break;
        }
    }

    if (data.afterTimer >= 0)
        virEventRemoveTimeout(data.afterTimer);
    if (timer >= 0)
        virEventRemoveTimeout(timer);
    virEventRemoveTimeout(tick);
    sigaction(SIGINT, &oldsa, NULL);
    virConnectDomainEventDeregisterAny(ctl->conn, cbBalloon);
    virConnectDomainEventDeregisterAny(ctl->conn, cbMeta);

    if (abVshEventInterrupted)
        abVshPrint(ctl, "event loop interrupted\n");
    else if (data.timedOut)
        abVshPrint(ctl, "event loop timed out\n");
    abVshPrint(ctl, "events received: %u\n", data.count);
    /* as 'virsh event': no event is a failure, whatever ended the wait */
    return data.count > 0;
}
