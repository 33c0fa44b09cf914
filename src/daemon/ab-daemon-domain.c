/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain table's entries: state, policy and injected pressure read from
 * libvirt, and balloon stats read from a stats record. */
#include "ab-daemon-priv.h"
#include "ab-daemon-backend.h"
#include "ab-namespace.h"
#include "ab-qemu-balloon.h"
#include "ab-qemu-monitor.h"
#include "ab-xml.h"

#include <string.h>

abDaemonDomain *
abDaemonDomainNew(const char *uuid, const char *name)
{
    abDaemonDomain *d = g_new0(abDaemonDomain, 1);

    d->uuid = g_strdup(uuid);
    d->name = g_strdup(name);
    abPolicyBalloonAdopt(&d->balloon, 0);
    d->lastGrowTime = -1;
    d->statusWriteTime = -1;
    d->levelSource = AB_STATUS_SOURCE_NONE;
    d->action = AB_STATUS_ACTION_NONE;
    d->reason = AB_POLICY_REASON_NONE;
    return d;
}

void
abDaemonDomainFree(abDaemonDomain *d)
{
    if (!d)
        return;
    if (d->dom)
        virDomainFree(d->dom);
    abConfPolicyFree(d->policy);
    g_free(d->policyErrorText);
    g_free(d->injectedErrorText);
    abConfVirtioMemClear(&d->vmem);
    g_free(d->statusPublished);
    g_free(d->uuid);
    g_free(d->name);
    g_free(d);
}

abDaemonDomain *
abDaemonDomainLookup(abDaemon *daemon, virDomainPtr dom)
{
    char uuid[VIR_UUID_STRING_BUFLEN];

    if (virDomainGetUUIDString(dom, uuid) < 0)
        return NULL;
    return g_hash_table_lookup(daemon->domains, uuid);
}

abDaemonDomain *
abDaemonDomainFindByName(abDaemon *daemon, const char *name)
{
    GHashTableIter iter;
    abDaemonDomain *d;

    g_hash_table_iter_init(&iter, daemon->domains);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *) &d)) {
        if (g_str_equal(d->name, name))
            return d;
    }
    return NULL;
}

/* A paused (or suspending, or shutting down) guest still has its QEMU and
 * its balloon: it stays managed and keeps its status, it only takes no
 * commands until it runs again. */
static bool
abDaemonStateIsLive(int state)
{
    switch ((virDomainState) state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_SHUTDOWN:
    case VIR_DOMAIN_PMSUSPENDED:
        return true;
    default:
        return false;
    }
}

/* State and sizes. Returns false when the domain is gone. */
static bool
abDaemonDomainReadInfo(abDaemon *daemon, abDaemonDomain *d, bool adoptTarget)
{
    virDomainInfo info;
    bool wasLive = d->live;
    bool wasRunning = d->running;

    if (virDomainGetInfo(d->dom, &info) < 0)
        return false;

    d->live = abDaemonStateIsLive(info.state);
    d->running = info.state == VIR_DOMAIN_RUNNING || info.state == VIR_DOMAIN_BLOCKED;
    d->maxKiB = info.maxMem;
    if (!d->live) {
        d->running = false;
        d->stats.valid = false;
        d->prevStats.valid = false;
        d->statsPeriodChecked = false;
        d->statsRetryDelay = 0;
        d->unresponsive = false;
        /* the next qemu brings a new balloon, with no command of ours
         * and no cool-down from this one's life */
        abPolicyBalloonAdopt(&d->balloon, d->targetKiB);
        d->lastGrowTime = -1;
        d->qemuActualKiB = 0;
        d->statsStamp = 0;          /* and its own stats */
        return true;
    }
    if (!d->running) {
        /* stats stop while paused; the balloon keeps its target */
        d->stats.valid = false;
        d->prevStats.valid = false;
        return true;
    }
    if (adoptTarget || !wasLive) {
        /* libvirt's current memory is where the balloon is: adopt it as
         * the target instead of imposing one (a restart resets nothing). */
        d->targetKiB = info.memory;
        d->actualKiB = info.memory;
        d->prevActualKiB = 0;
        abPolicyBalloonAdopt(&d->balloon, info.memory);
        d->unresponsive = false;
        d->pid = 0;
        d->residentKiB = 0;
    } else if (!wasRunning && d->balloon.setTime >= 0) {
        /* resumed: the pause does not count against the balloon. Set
         * alone keeps the stall clocks of a balloon asked the same way
         * before (it was, before the pause): start them again. */
        abPolicyBalloonAdopt(&d->balloon, d->targetKiB);
        abPolicyBalloonSet(&d->balloon, d->targetKiB, d->actualKiB, abDaemonNow(daemon));
    }
    return true;
}

/* What goes into the status's error attribute: the message, cut (on a
 * character boundary) where a client's oversized value would make it huge. */
static char *
abDaemonMetadataErrorText(const char *msg)
{
    const char *end;

    if (!g_utf8_validate(msg, -1, NULL))
        return g_utf8_make_valid(msg, AB_CONF_STATUS_ERROR_MAX);
    if (strlen(msg) <= AB_CONF_STATUS_ERROR_MAX)
        return g_strdup(msg);
    end = g_utf8_find_prev_char(msg, msg + AB_CONF_STATUS_ERROR_MAX - 2);
    return g_strdup_printf("%.*s...", (int) (end - msg), msg);
}

/* Record (or clear, @msg NULL) the error of one metadata element; true
 * when it changed, so that it is logged once, not at every read. */
static bool
abDaemonSetMetadataError(char **slot, const char *msg)
{
    g_autofree char *text = msg ? abDaemonMetadataErrorText(msg) : NULL;

    if (g_strcmp0(*slot, text) == 0)
        return false;
    g_free(*slot);
    *slot = g_steal_pointer(&text);
    return true;
}

/* Any libvirt client can write the policy (virsh metadata, a cluster
 * manager): one that does not parse or validate leaves the guest with its
 * last valid policy, so that a guest the daemon shrank is still grown back
 * when it needs it; the status says what is wrong until a valid policy (or
 * none) replaces it. */
void
abDaemonDomainReadPolicy(abDaemon *daemon, abDaemonDomain *d)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;
    abConfPolicy *def;
    virErrorPtr verr;

    xml = virDomainGetMetadata(d->dom, VIR_DOMAIN_METADATA_ELEMENT,
                               AB_NS_POLICY_URI, VIR_DOMAIN_AFFECT_CURRENT);
    if (!xml) {
        verr = virGetLastError();
        if (verr && verr->code == VIR_ERR_NO_DOMAIN_METADATA) {
            g_clear_pointer(&d->policy, abConfPolicyFree);
            d->policyError = false;
            abDaemonSetMetadataError(&d->policyErrorText, NULL);
        } else {
            /* keep what we had: a transient failure must not flip a guest
             * in or out of management */
            g_warning("%s: cannot read the autoballoon policy: %s",
                      d->name, abDaemonLastError());
        }
        return;
    }

    if (!(def = abConfPolicyParseMetadata(xml, &err)) ||
        abConfPolicyValidate(def, d->name, d->maxKiB, &err) < 0) {
        abConfPolicyFree(def);
        if (abDaemonSetMetadataError(&d->policyErrorText, err->message))
            g_warning("%s: invalid autoballoon policy metadata, %s: %s", d->name,
                      d->policy ? "keeping the last valid policy" : "domain not managed",
                      err->message);
        d->policyError = true;
        return;
    }
    if (d->policyError)
        g_message("%s: valid autoballoon policy metadata again", d->name);
    abConfPolicyFree(d->policy);
    d->policy = def;
    d->policyError = false;
    abDaemonSetMetadataError(&d->policyErrorText, NULL);
}

/* Injected pressure that does not parse is ignored (never taken for a
 * level) and reported in the status. */
void
abDaemonDomainReadInjected(abDaemon *daemon, abDaemonDomain *d)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;
    abConfInjected inj = { 0 };
    virErrorPtr verr;

    xml = virDomainGetMetadata(d->dom, VIR_DOMAIN_METADATA_ELEMENT,
                               AB_NS_PRESSURE_URI, VIR_DOMAIN_AFFECT_CURRENT);
    if (!xml) {
        verr = virGetLastError();
        if (!verr || verr->code != VIR_ERR_NO_DOMAIN_METADATA) {
            g_warning("%s: cannot read injected pressure: %s",
                      d->name, abDaemonLastError());
        } else {
            abDaemonSetMetadataError(&d->injectedErrorText, NULL);
        }
        if (d->hasInjected)
            g_message("%s: injected pressure removed", d->name);
        d->hasInjected = false;
        return;
    }
    if (abConfInjectedParse(xml, &inj, &err) < 0) {
        if (abDaemonSetMetadataError(&d->injectedErrorText, err->message))
            g_warning("%s: invalid injected pressure metadata, ignored: %s",
                      d->name, err->message);
        d->hasInjected = false;
        return;
    }
    abDaemonSetMetadataError(&d->injectedErrorText, NULL);
    if (!d->hasInjected || d->injected.level != inj.level ||
        d->injected.expires != inj.expires) {
        if (inj.expires)
            g_message("%s: injected pressure %s until %" G_GINT64_FORMAT,
                      d->name, abLevelToString(inj.level), inj.expires);
        else
            g_message("%s: injected pressure %s", d->name, abLevelToString(inj.level));
        /* The expiry is a wall-clock time (the client's): count it down on
         * the monotonic clock from now, so that the wall clock stepping
         * later neither ends it early nor makes it last an hour more. */
        d->injectedDeadline = abDaemonNow(daemon) +
                              (double) (inj.expires - abDaemonWallNow(daemon));
    }
    d->injected = inj;
    d->hasInjected = true;
}

/* manage = all takes guests without a policy: only those whose balloon
 * can work (the checks define applies to autoballoon='on'), said once per
 * start of the guest instead of failing every tick. */
static bool
abDaemonDomainCanBalloon(abDaemonDomain *d)
{
    g_autofree char *xml = NULL;
    g_autoptr(abConfPolicy) def = NULL;
    g_autoptr(GError) err = NULL;

    if (!d->live) {
        d->balloonChecked = false;
        return false;
    }
    if (d->balloonChecked)
        return !d->balloonRefused;
    if (!d->dom || !(xml = virDomainGetXMLDesc(d->dom, 0)))
        return true;            /* asked again at the next resolve */
    def = abConfPolicyNew();
    def->enabled = true;
    d->balloonChecked = true;
    d->balloonRefused = abConfDomainCheck(xml, def, &err) < 0;
    if (d->balloonRefused)
        g_message("%s: not managed by 'manage = all': %s", d->name, err->message);
    return !d->balloonRefused;
}

void
abDaemonDomainResolve(abDaemon *daemon, abDaemonDomain *d)
{
    abConfPolicy merged;
    bool wasManaged = d->managed;
    bool wanted;

    /* d->policy is the last valid policy: a bad one written since does
     * not change what the guest gets */
    if (d->policy)
        wanted = d->policy->enabled;
    else if (d->policyError)
        wanted = false;
    else
        wanted = daemon->cfg->manage == AB_DAEMON_MANAGE_ALL &&
                 abDaemonDomainCanBalloon(d);

    abConfPolicyMerge(daemon->cfg->policy, d->policy, &merged);
    merged.enabled = wanted;
    abConfPolicyResolve(&merged, d->maxKiB, &d->params);
    d->params.enabled = wanted;
    d->managed = wanted && d->live;

    if (d->managed != wasManaged) {
        g_message("%s: %s", d->name,
                  d->managed ? "managed" : "no longer managed");
        if (d->managed) {
            /* the disabled status it may carry is rewritten at the next flush */
        } else if (abDaemonDomainDisabled(d) || (d->policyError && d->live)) {
            /* switched off by its policy, or its policy does not parse:
             * say so in its status, so that balloon-status and
             * metadata-change listeners see why nothing happens to it any
             * more */
            d->level = AB_LEVEL_NONE;
            d->levelSource = AB_STATUS_SOURCE_NONE;
            d->action = AB_STATUS_ACTION_NONE;
            d->reason = AB_POLICY_REASON_DISABLED;
            d->reasonText = NULL;
            d->unresponsive = false;
        } else {
            abDaemonDomainClearStatus(daemon, d);
        }
    }
}

bool
abDaemonDomainDisabled(const abDaemonDomain *d)
{
    return d->policy && !d->policy->enabled && d->live;
}

bool
abDaemonDomainPublishes(const abDaemonDomain *d)
{
    return d->live && (d->managed || abDaemonDomainDisabled(d) || d->policyError);
}

const char *
abDaemonDomainStatusReason(const abDaemonDomain *d, const char **error)
{
    *error = NULL;
    if (d->policyErrorText) {
        *error = d->policyErrorText;
        return AB_CONF_STATUS_REASON_BAD_POLICY;
    }
    if (d->reasonText)
        return d->reasonText;
    if (d->injectedErrorText) {
        *error = d->injectedErrorText;
        return AB_CONF_STATUS_REASON_BAD_PRESSURE;
    }
    return abPolicyReasonToString(d->reason);
}

abDaemonDomain *
abDaemonDomainUpdate(abDaemon *daemon, virDomainPtr dom, bool adoptTarget)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    abDaemonDomain *d;
    bool isNew = false;

    if (virDomainGetUUIDString(dom, uuid) < 0)
        return NULL;

    if (!(d = g_hash_table_lookup(daemon->domains, uuid))) {
        d = abDaemonDomainNew(uuid, virDomainGetName(dom));
        g_hash_table_insert(daemon->domains, d->uuid, d);
        isNew = true;
    }
    if (!isNew && g_strcmp0(d->name, virDomainGetName(dom)) != 0) {
        /* renamed: the UUID stays, logs and the engine see the new name */
        g_message("%s: renamed to %s", d->name, virDomainGetName(dom));
        g_free(d->name);
        d->name = g_strdup(virDomainGetName(dom));
    }
    if (d->dom != dom) {
        virDomainRef(dom);
        if (d->dom)
            virDomainFree(d->dom);
        d->dom = dom;
    }

    if (!abDaemonDomainReadInfo(daemon, d, adoptTarget || isNew)) {
        g_info("%s: gone (%s)", d->name, abDaemonLastError());
        d->live = false;
        d->running = false;
        d->managed = false;
        g_hash_table_remove(daemon->domains, uuid);
        return NULL;
    }
    abDaemonDomainReadPolicy(daemon, d);
    if (d->live)
        abDaemonDomainReadInjected(daemon, d);
    else
        d->hasInjected = false;
    abDaemonDomainResolve(daemon, d);
    return d;
}

void
abDaemonDomainSetActual(abDaemon *daemon, abDaemonDomain *d,
                        unsigned long long actualKiB)
{
    const abPolicyBalloon *b = &d->balloon;
    bool set = b->setTime >= 0;
    unsigned long long lo = d->targetKiB, hi = d->targetKiB;

    d->actualKiB = actualKiB;
    /* a stopping qemu's last word, or a new one's first, says nothing of
     * a command; a virtio-mem guest's size is its device's (the tick
     * reads it after the stats) */
    if (!d->live || abDaemonBackendIsVirtioMem(d))
        return;
    /* Our command moves the balloon toward our target and stops there
     * (moveKiB: where it was at its last move toward it); an adopted
     * target follows the balloon anyway. */
    if (set) {
        lo = MIN(lo, b->moveKiB);
        hi = MAX(hi, b->moveKiB);
    }
    if (actualKiB > hi + AB_POLICY_MOVE_MARGIN_KIB) {
        /* The guest took memory back (deflate-on-oom) or a user gave it
         * (virsh setmem). Balloon-change events arrive between decisions,
         * so the engine, which compares with the previous decision's
         * size, would not see the jump: record it here, with the
         * cool-down of a grow. */
        g_message("%s: balloon at %llu KiB, above the target %llu KiB: given back "
                  "(deflate-on-oom or virsh setmem), taken as the target",
                  d->name, actualKiB, d->targetKiB);
        d->lastGrowTime = abDaemonNow(daemon);
    } else if (set && actualKiB + AB_POLICY_MOVE_MARGIN_KIB < lo) {
        /* A guest never inflates its own balloon: a user's virsh setmem
         * did. Take it instead of calling the balloon stuck and asking
         * it again for our target. */
        g_message("%s: balloon at %llu KiB, below the target %llu KiB it was set to: "
                  "set by someone else, taken as the target", d->name, actualKiB,
                  d->targetKiB);
    } else {
        return;
    }
    d->targetKiB = actualKiB;
    abPolicyBalloonAdopt(&d->balloon, actualKiB);
    d->unresponsive = false;
}

static bool
abDaemonParam(virTypedParameterPtr params, int nparams, const char *name,
              unsigned long long *value)
{
    return virTypedParamsGetULLong(params, nparams, name, value) == 1;
}

void
abDaemonDomainParseStats(abDaemon *daemon, abDaemonDomain *d,
                         virTypedParameterPtr params, int nparams)
{
    abPolicyStats st = { 0 };
    unsigned long long v;
    unsigned long long lastUpdate = 0;
    bool haveUsable, haveUnused;

    if (abDaemonParam(params, nparams, "balloon.current", &v))
        abDaemonDomainSetActual(daemon, d, v);
    if (abDaemonParam(params, nparams, "balloon.maximum", &v) && v)
        d->maxKiB = v;

    haveUsable = abDaemonParam(params, nparams, "balloon.usable", &st.usableKiB);
    haveUnused = abDaemonParam(params, nparams, "balloon.unused", &st.unusedKiB);
    abDaemonParam(params, nparams, "balloon.available", &st.availableKiB);
    abDaemonParam(params, nparams, "balloon.disk_caches", &st.diskCachesKiB);
    abDaemonParam(params, nparams, "balloon.major_fault", &st.majorFaults);
    abDaemonParam(params, nparams, "balloon.swap_in", &st.swapIn);

    /* Without a guest timestamp nothing says the numbers are current, and
     * without usable (or unused) there is nothing to decide on: both mean
     * no stats, and the engine holds. */
    if (abDaemonParam(params, nparams, "balloon.last-update", &lastUpdate) &&
        lastUpdate > 0 && (haveUsable || haveUnused)) {
        if (!haveUsable)
            st.usableKiB = st.unusedKiB + st.diskCachesKiB;
        /* QEMU stamps with the host's wall clock; the engine runs on the
         * monotonic one. Convert a stamp once, when it is new: a stamp
         * that does not change then ages on the monotonic clock even if
         * the wall clock stepped back and the stamp looks to be in the
         * future, where it would count as fresh for as long. */
        if (lastUpdate != d->statsStamp || !d->stats.valid) {
            gint64 age = abDaemonWallNow(daemon) - (gint64) MIN(lastUpdate, (unsigned long long) G_MAXINT64);

            /* A stamp that changed since the last one seen is a report
             * the guest made since then, whatever the two wall clocks
             * say: a wall clock stepped forward must not make every new
             * report look an hour old. Only a stamp seen first (or again
             * after stats went away) is judged by its age. */
            if (lastUpdate != d->statsStamp && d->statsStamp != 0)
                age = 0;

            d->statsStamp = lastUpdate;
            d->statsStampMono = abDaemonNow(daemon) - (double) MAX(age, 0);
            st.lastUpdate = d->statsStampMono;
            /* What the guest used is measured against the balloon of the
             * moment its numbers are new. While it inflates, libvirt's
             * size lags (QEMU's balloon-change events are rate-limited)
             * and the guest's numbers may already show the inflation:
             * measured against the old size it would seem to use the
             * inflated pages itself, and to grow at that rate. The target
             * is the size it is going to; the lower bound of its use. */
            st.actualAtKiB = d->actualKiB > d->targetKiB + AB_POLICY_MOVE_MARGIN_KIB ?
                             d->targetKiB : d->actualKiB;
            st.valid = true;
            /* decisions now come faster than stats: the previous sample
             * is the previous distinct one, or faults and growth rates
             * would compare a sample with itself */
            d->prevStats = d->stats;
            d->stats = st;
        }
        return;
    }
    d->stats = st;
}

/* The stats period the live XML sets (0 when none), and who inflates. */
static int
abDaemonDomainReadXML(abDaemonDomain *d, unsigned int *period, bool *qemuInflates)
{
    g_autofree char *xml = NULL;
    g_autofree char *value = NULL;
    g_autoptr(xmlDoc) doc = NULL;

    *period = 0;
    if (!(xml = virDomainGetXMLDesc(d->dom, 0)) ||
        !(doc = abXmlParse(xml, "domain XML", NULL)))
        return -1;
    value = abXmlProp(abXmlChildPath(xmlDocGetRootElement(doc), "devices", "memballoon",
                                     "stats", NULL), "period");
    if (value && abXmlNodeIs(xmlDocGetRootElement(doc), "domain", NULL))
        *period = (unsigned int) g_ascii_strtoull(value, NULL, 10);
    *qemuInflates = abQemuBalloonInflater(doc) == AB_QEMU_INFLATER_QEMU;
    return 0;
}

/* Back-off of the retries after a failed virDomainSetMemoryStatsPeriod. */
#define AB_DAEMON_STATS_RETRY_MIN_S 10.0
#define AB_DAEMON_STATS_RETRY_MAX_S 600.0

/* Managed guests need balloon stats; turn polling on where it is off, and
 * try again (backing off) where that failed. */
void
abDaemonDomainEnsureStatsPeriod(abDaemon *daemon, abDaemonDomain *d)
{
    unsigned int period;
    bool qemuInflates = false;
    double now = abDaemonNow(daemon);

    /* (a call to a guest that has not answered holds its job) */
    if (d->statsPeriodChecked || d->callsPending)
        return;
    if (d->statsRetryDelay > 0 && now < d->statsRetryTime)
        return;
    if (abDaemonDomainReadXML(d, &period, &qemuInflates) < 0) {
        g_warning("%s: cannot read the balloon stats period: %s",
                  d->name, abDaemonLastError());
        return;
    }
    d->statsPeriodChecked = true;
    d->statsPeriodSec = period;
    if (qemuInflates != d->qemuInflates) {
        d->qemuInflates = qemuInflates;
        d->reasonText = qemuInflates ? AB_QEMU_MONITOR_REASON : NULL;
        if (qemuInflates)
            g_message("%s: QEMU inflates this balloon itself: status only, no targets",
                      d->name);
    }
    if (period > 0)
        return;
    if (daemon->dryRun) {
        g_message("%s: would enable balloon stats every %u s (dry run)",
                  d->name, daemon->cfg->statsPeriodSec);
        return;
    }
    if (virDomainSetMemoryStatsPeriod(d->dom, daemon->cfg->statsPeriodSec,
                                      VIR_DOMAIN_AFFECT_LIVE) < 0) {
        d->statsRetryDelay = d->statsRetryDelay > 0 ?
            MIN(d->statsRetryDelay * 2, AB_DAEMON_STATS_RETRY_MAX_S) :
            AB_DAEMON_STATS_RETRY_MIN_S;
        d->statsRetryTime = now + d->statsRetryDelay;
        d->statsPeriodChecked = false;
        g_warning("%s: cannot enable balloon stats (trying again in %.0f s): %s",
                  d->name, d->statsRetryDelay, abDaemonLastError());
        return;
    }
    d->statsRetryDelay = 0;
    d->statsPeriodSec = daemon->cfg->statsPeriodSec;
    g_message("%s: balloon stats enabled every %u s", d->name, d->statsPeriodSec);
}

void
abDaemonDomainClearStatus(abDaemon *daemon, abDaemonDomain *d)
{
    if (!d->statusPublished || daemon->dryRun || !d->dom)
        return;
    /* Removing the element tells clients the daemon no longer manages the
     * guest; a stopped guest lost its live metadata anyway. */
    if (d->live &&
        virDomainSetMetadata(d->dom, VIR_DOMAIN_METADATA_ELEMENT, NULL,
                             NULL, AB_NS_STATUS_URI, VIR_DOMAIN_AFFECT_LIVE) < 0)
        g_warning("%s: cannot remove the status metadata: %s",
                  d->name, abDaemonLastError());
    g_clear_pointer(&d->statusPublished, g_free);
    d->statusWriteTime = -1;
}


void
abDaemonDomainCheckStatus(abDaemon *daemon, abDaemonDomain *d)
{
    g_autofree char *xml = NULL;
    g_autofree char *key = NULL;
    g_autoptr(GError) err = NULL;
    abConfStatus st = { 0 };

    if (!d->statusPublished || !d->live || !d->dom)
        return;
    xml = virDomainGetMetadata(d->dom, VIR_DOMAIN_METADATA_ELEMENT,
                               AB_NS_STATUS_URI, VIR_DOMAIN_AFFECT_LIVE);
    if (xml && abConfStatusParse(xml, &st, &err) == 0) {
        st.time = 0;
        key = abConfStatusFormat(&st);
        abConfStatusClear(&st);
        if (g_strcmp0(key, d->statusPublished) == 0)
            return;
    }
    if (!xml)
        g_message("%s: status metadata removed by another client, writing it again", d->name);
    else
        g_message("%s: status metadata written by another client%s%s, replacing it",
                  d->name, err ? ": " : "", err ? err->message : "");
    g_clear_pointer(&d->statusPublished, g_free);
}
