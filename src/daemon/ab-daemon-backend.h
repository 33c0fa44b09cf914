/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-daemon-backend.h: the device that applies the engine's sizes.
 *
 * The engine decides a size for the whole guest; a backend applies it:
 *  - balloon: virDomainSetMemoryFlags, actual from the balloon stats;
 *  - virtio-mem: the managed <memory model='virtio-mem'> gets a
 *    requested-size (virDomainUpdateDeviceFlags, as `virsh
 *    update-memory-device --requested-size`), actual is what the device
 *    has plugged (<current>, and the MEMORY_DEVICE_SIZE_CHANGE event) on
 *    top of the memory that is not on it. The guest's memory stats still
 *    come from the balloon driver's stats queue; that balloon is never
 *    inflated. Without stats the engine holds, as for any guest.
 * A device that does not reach its size (a guest that cannot unplug
 * movable memory, a slow unplug) is held like a stuck balloon: the tick's
 * responsiveness check sees actual not move toward the target.
 */
#pragma once

#include "ab-daemon-priv.h"

bool abDaemonBackendIsVirtioMem(const abDaemonDomain *d);
/* "balloon" or "virtio-mem" */
const char *abDaemonBackendName(const abDaemonDomain *d);

/* Apply *@targetKiB to @d's backend; on success *@targetKiB is the size
 * set (block-aligned for virtio-mem). -1 with @error. */
int abDaemonBackendApply(abDaemon *daemon, abDaemonDomain *d,
                         unsigned long long *targetKiB, GError **error);

/* After the tick's stats: the virtio-mem guests of @list read their
 * device's live size into actualKiB, and their floor and ceiling become
 * at least the memory not on the device and at most <memory>. */
void abDaemonBackendReadActual(abDaemon *daemon, GPtrArray *list);

/* The MEMORY_DEVICE_SIZE_CHANGE event: the device @alias has @currentKiB. */
void abDaemonBackendDeviceSize(abDaemon *daemon, abDaemonDomain *d,
                               const char *alias, unsigned long long currentKiB);

/* Pure: the requested-size that brings a guest of @baseKiB outside the
 * device to @targetKiB: rounded to @blockKiB toward giving the host what
 * it asked for when shrinking (@shrink) and the guest when growing, and
 * within [0, @sizeKiB]. */
unsigned long long abDaemonVirtioMemRequested(unsigned long long targetKiB,
                                              unsigned long long baseKiB,
                                              unsigned long long sizeKiB,
                                              unsigned long long blockKiB,
                                              bool shrink);
