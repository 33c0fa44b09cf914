/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-qemu-monitor.h: balloon events straight from QEMU's monitor.
 *
 * Where QEMU itself inflates (the automatic property, see ab-qemu-balloon.h)
 * the daemon no longer sets targets, but must still publish what happens.
 * QEMU reports every balloon move as the QMP event BALLOON_CHANGE
 * ({"actual": bytes}); the automatic-ballooning patches of 2013/2014 added
 * no event of their own (they moved the balloon and QEMU emitted
 * BALLOON_CHANGE), so that is the one name registered by default. The
 * events arrive through libvirt-qemu's virConnectDomainQemuMonitorEventRegister
 * (which libvirt documents as unsupported for production use, but which is
 * read-only and the only way to see QMP events libvirt does not map) and are
 * turned into the abConfStatus the daemon publishes.
 *
 * Needs a running libvirt event loop (virEventRegisterDefaultImpl or
 * libvirt-glib's gvir_event_register) like every libvirt event.
 */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "ab-conf.h"

/* NULL-terminated QMP event names registered by abQemuMonitorRegister. */
extern const char * const abQemuMonitorBalloonEvents[];

/* The status fields set for QEMU-driven ballooning: the event came from
 * QEMU (which does not say what pressure it saw: level none), and the
 * reason tells who moved the balloon. */
#define AB_QEMU_MONITOR_REASON AB_CONF_STATUS_REASON_QEMU

/* Pure: one monitor event to a status. @details is the event's JSON data
 * object as libvirt passes it; @prevActualKiB the balloon size last seen
 * (0: unknown), which decides inflate/deflate/hold. @st is overwritten
 * (its strings are newly allocated: free them with abConfStatusClear).
 * -1 if the event is not a balloon event or its data has no "actual". */
int abQemuMonitorEventToStatus(const char *event, long long seconds,
                               const char *details,
                               unsigned long long prevActualKiB,
                               abConfStatus *st, GError **error);

/* Called from the libvirt event loop, once per balloon event. @st is only
 * valid during the call. */
typedef void (*abQemuMonitorStatusFunc)(virConnectPtr conn, virDomainPtr dom,
                                        const abConfStatus *st, void *opaque);
/* The balloon size (KiB) @dom's last balloon event gave, 0 when unknown:
 * it decides inflate/deflate/hold. The module keeps nothing per domain, so
 * the caller's table, which forgets domains that go, is the only one. */
typedef unsigned long long (*abQemuMonitorActualFunc)(virDomainPtr dom, void *opaque);

/* Listen to the balloon events of @dom (NULL: every domain of @conn).
 * Returns the libvirt callback id (>= 0) for abQemuMonitorDeregister, or -1.
 * @actualFunc (may be NULL: always unknown) and @func get @opaque;
 * @freeFunc (may be NULL) releases @opaque when the callback goes away. */
int abQemuMonitorRegister(virConnectPtr conn, virDomainPtr dom,
                          abQemuMonitorActualFunc actualFunc,
                          abQemuMonitorStatusFunc func, void *opaque,
                          GDestroyNotify freeFunc, GError **error);
int abQemuMonitorDeregister(virConnectPtr conn, int callbackID, GError **error);
