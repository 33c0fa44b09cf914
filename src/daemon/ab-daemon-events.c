/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt domain events: lifecycle, metadata-change, balloon-change,
 * memory-device-size-change. */
#include "ab-daemon-priv.h"
#include "ab-daemon-backend.h"
#include "ab-namespace.h"
#include "ab-error.h"

enum {
    AB_DAEMON_CB_LIFECYCLE,
    AB_DAEMON_CB_METADATA,
    AB_DAEMON_CB_BALLOON,
    AB_DAEMON_CB_MEMORY_DEVICE,
};

static int
abDaemonEventLifecycle(virConnectPtr conn, virDomainPtr dom, int event,
                       int detail, void *opaque)
{
    abDaemon *daemon = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN];
    abDaemonDomain *d;

    g_debug("%s: lifecycle event %d detail %d", virDomainGetName(dom), event, detail);
    if (event == VIR_DOMAIN_EVENT_UNDEFINED) {
        /* A running guest that loses its definition runs on as a
         * transient one: only a guest that is gone leaves the table
         * (abDaemonDomainUpdate drops it when libvirt no longer has it). */
        if (virDomainGetUUIDString(dom, uuid) == 0 &&
            g_hash_table_contains(daemon->domains, uuid) &&
            !abDaemonDomainUpdate(daemon, dom, false))
            g_info("%s: undefined", virDomainGetName(dom));
        return 0;
    }
    /* A guest that (re)starts brings its own balloon: adopt it. */
    d = abDaemonDomainUpdate(daemon, dom, event == VIR_DOMAIN_EVENT_STARTED);
    /* The daemon usually starts before any guest: cgroup = auto finds the
     * guests' cgroup only once a qemu runs (and a second guest may move
     * the common parent). Reopens the sources only if it changed. */
    if (event == VIR_DOMAIN_EVENT_STARTED && d && d->managed)
        abDaemonPressureRediscover(daemon->pressure, abDaemonNow(daemon), true);
    return 0;
}

static int
abDaemonEventMetadata(virConnectPtr conn, virDomainPtr dom, int type,
                      const char *nsuri, void *opaque)
{
    abDaemon *daemon = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN];
    abDaemonDomain *d;

    if (type != VIR_DOMAIN_METADATA_ELEMENT || !nsuri)
        return 0;
    if (!g_str_equal(nsuri, AB_NS_STATUS_URI) &&
        !g_str_equal(nsuri, AB_NS_POLICY_URI) &&
        !g_str_equal(nsuri, AB_NS_PRESSURE_URI))
        return 0;

    if (virDomainGetUUIDString(dom, uuid) < 0 ||
        !(d = g_hash_table_lookup(daemon->domains, uuid))) {
        if (!g_str_equal(nsuri, AB_NS_STATUS_URI))
            abDaemonDomainUpdate(daemon, dom, false);
        return 0;
    }

    if (g_str_equal(nsuri, AB_NS_STATUS_URI)) {
        /* our own writes come back to us; another client's are replaced
         * at the next write, which needs no decision of its own */
        abDaemonDomainCheckStatus(daemon, d);
        return 0;
    }
    if (g_str_equal(nsuri, AB_NS_POLICY_URI)) {
        g_info("%s: policy metadata changed", d->name);
        abDaemonDomainReadPolicy(daemon, d);
        abDaemonDomainResolve(daemon, d);
    } else if (d->live) {
        abDaemonDomainReadInjected(daemon, d);
    }
    /* a new policy or injected level is a reason to decide now */
    abDaemonTickSoon(daemon);
    return 0;
}

static int
abDaemonEventBalloon(virConnectPtr conn, virDomainPtr dom,
                     unsigned long long actual, void *opaque)
{
    abDaemon *daemon = opaque;
    abDaemonDomain *d;

    if (!(d = abDaemonDomainLookup(daemon, dom)))
        return 0;
    g_debug("%s: balloon actual %llu KiB", d->name, actual);
    /* a virtio-mem guest's size is its device's; its balloon is only read */
    if (!abDaemonBackendIsVirtioMem(d))
        abDaemonDomainSetActual(daemon, d, actual);
    /* while the host is short, the next decision comes as the balloons
     * arrive, not at the next tick */
    if (daemon->deficitOpen)
        abDaemonTickSoon(daemon);
    return 0;
}

static void
abDaemonEventMemoryDevice(virConnectPtr conn, virDomainPtr dom, const char *alias,
                          unsigned long long size, void *opaque)
{
    abDaemon *daemon = opaque;
    abDaemonDomain *d;

    if (!(d = abDaemonDomainLookup(daemon, dom)))
        return;
    abDaemonBackendDeviceSize(daemon, d, alias, size);
    /* an arrival, like the balloon's */
    if (daemon->deficitOpen && abDaemonBackendIsVirtioMem(d))
        abDaemonTickSoon(daemon);
}

int
abDaemonEventsRegister(abDaemon *daemon, GError **error)
{
    struct {
        int id;
        virConnectDomainEventGenericCallback cb;
    } events[] = {
        [AB_DAEMON_CB_LIFECYCLE] = { VIR_DOMAIN_EVENT_ID_LIFECYCLE,
            VIR_DOMAIN_EVENT_CALLBACK(abDaemonEventLifecycle) },
        [AB_DAEMON_CB_METADATA] = { VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
            VIR_DOMAIN_EVENT_CALLBACK(abDaemonEventMetadata) },
        [AB_DAEMON_CB_BALLOON] = { VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE,
            VIR_DOMAIN_EVENT_CALLBACK(abDaemonEventBalloon) },
        [AB_DAEMON_CB_MEMORY_DEVICE] = { VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE,
            VIR_DOMAIN_EVENT_CALLBACK(abDaemonEventMemoryDevice) },
    };
    size_t i;

    G_STATIC_ASSERT(G_N_ELEMENTS(events) == G_N_ELEMENTS(daemon->callbackIds));
    for (i = 0; i < G_N_ELEMENTS(events); i++) {
        daemon->callbackIds[i] =
            virConnectDomainEventRegisterAny(daemon->conn, NULL, events[i].id,
                                             events[i].cb, daemon, NULL);
        if (daemon->callbackIds[i] < 0) {
            g_set_error(error, AB_ERROR, AB_ERROR_FAILED,
                        "cannot register for domain events: %s",
                        abDaemonLastError());
            abDaemonEventsDeregister(daemon);
            return -1;
        }
    }
    return 0;
}

void
abDaemonEventsDeregister(abDaemon *daemon)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(daemon->callbackIds); i++) {
        if (daemon->callbackIds[i] >= 0 && daemon->conn)
            virConnectDomainEventDeregisterAny(daemon->conn, daemon->callbackIds[i]);
        daemon->callbackIds[i] = -1;
    }
}
