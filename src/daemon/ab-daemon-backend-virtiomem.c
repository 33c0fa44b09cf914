/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backends: the balloon's one call, and virtio-mem's device resize. */
#include "ab-daemon-backend.h"
#include "ab-daemon-call.h"
#include "ab-error.h"

#include <string.h>

/* libvirt's default block for virtio-mem on x86 (the THP size), should a
 * live definition lack <block>. */
#define AB_DAEMON_VIRTIO_MEM_BLOCK_DEFAULT_KIB 2048ULL

bool
abDaemonBackendIsVirtioMem(const abDaemonDomain *d)
{
    return d->policy && d->policy->backend == AB_CONF_BACKEND_VIRTIO_MEM;
}

const char *
abDaemonBackendName(const abDaemonDomain *d)
{
    return abConfBackendToString(abDaemonBackendIsVirtioMem(d) ?
                                 AB_CONF_BACKEND_VIRTIO_MEM : AB_CONF_BACKEND_BALLOON);
}

unsigned long long
abDaemonVirtioMemRequested(unsigned long long targetKiB, unsigned long long baseKiB,
                           unsigned long long sizeKiB, unsigned long long blockKiB,
                           bool shrink)
{
    unsigned long long want;

    if (blockKiB == 0)
        blockKiB = AB_DAEMON_VIRTIO_MEM_BLOCK_DEFAULT_KIB;
    if (targetKiB <= baseKiB)
        return 0;
    want = targetKiB - baseKiB;
    if (want >= sizeKiB)
        return sizeKiB - sizeKiB % blockKiB;
    if (shrink)
        return want - want % blockKiB;
    want += (blockKiB - want % blockKiB) % blockKiB;
    return MIN(want, sizeKiB - sizeKiB % blockKiB);
}

/* The device as the live XML has it now. */
static int
abDaemonVirtioMemRead(abDaemonDomain *d, GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(d->dom, 0);

    abConfVirtioMemClear(&d->vmem);
    d->vmemKnown = false;
    if (!xml) {
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED, "cannot read the live XML: %s",
                    abDaemonLastError());
        return -1;
    }
    if (abConfVirtioMemFromDomain(xml, d->policy->device, &d->vmem, error) < 0)
        return -1;
    d->vmemKnown = true;
    return 0;
}

static unsigned long long
abDaemonVirtioMemBase(const abDaemonDomain *d)
{
    return d->vmem.memoryKiB - d->vmem.sizeKiB;
}

/* actual, floor and ceiling from what was read */
static void
abDaemonVirtioMemAdopt(abDaemonDomain *d)
{
    unsigned long long base = abDaemonVirtioMemBase(d);
    unsigned long long current = d->vmem.hasCurrent ? d->vmem.currentKiB : d->vmem.requestedKiB;

    d->actualKiB = base + current;
    d->maxKiB = d->vmem.memoryKiB;
    /* the guest's boot memory is not on the device: no target below it */
    d->params.floorKiB = MAX(d->params.floorKiB, base);
    d->params.ceilingKiB = MIN(MAX(d->params.ceilingKiB, d->params.floorKiB), d->vmem.memoryKiB);
}

void
abDaemonBackendReadActual(abDaemon *daemon, GPtrArray *list)
{
    for (guint i = 0; i < list->len; i++) {
        abDaemonDomain *d = list->pdata[i];
        g_autoptr(GError) err = NULL;

        if (!abDaemonBackendIsVirtioMem(d))
            continue;
        if (abDaemonVirtioMemRead(d, &err) < 0) {
            g_warning("%s: cannot read its virtio-mem device: %s", d->name, err->message);
            continue;
        }
        abDaemonVirtioMemAdopt(d);
        g_debug("%s: virtio-mem %s plugged %llu KiB of %llu KiB (requested %llu KiB, block %llu KiB), guest %llu KiB",
                d->name, d->vmem.alias ? d->vmem.alias : "-", d->vmem.currentKiB,
                d->vmem.sizeKiB, d->vmem.requestedKiB, d->vmem.blockKiB, d->actualKiB);
    }
}

void
abDaemonBackendDeviceSize(abDaemon *daemon, abDaemonDomain *d,
                          const char *alias, unsigned long long currentKiB)
{
    if (!abDaemonBackendIsVirtioMem(d) || !d->vmemKnown ||
        g_strcmp0(alias, d->vmem.alias) != 0)
        return;
    g_debug("%s: virtio-mem %s now has %llu KiB plugged", d->name, alias, currentKiB);
    d->vmem.currentKiB = currentKiB;
    d->vmem.hasCurrent = true;
    d->actualKiB = abDaemonVirtioMemBase(d) + currentKiB;
}

static int
abDaemonVirtioMemApply(abDaemonDomain *d, unsigned long long *targetKiB, GError **error)
{
    g_autofree char *devxml = NULL;
    unsigned long long requested;
    unsigned long long base;

    if (!d->vmemKnown && abDaemonVirtioMemRead(d, error) < 0)
        return -1;
    base = abDaemonVirtioMemBase(d);
    requested = abDaemonVirtioMemRequested(*targetKiB, base, d->vmem.sizeKiB,
                                           d->vmem.blockKiB, *targetKiB < d->actualKiB);
    if (requested == d->vmem.requestedKiB) {
        /* the same block boundary: nothing to send */
        *targetKiB = base + requested;
        return 0;
    }
    if (!(devxml = abConfVirtioMemRequestXML(&d->vmem, requested, error)))
        return -1;
    if (virDomainUpdateDeviceFlags(d->dom, devxml, VIR_DOMAIN_AFFECT_LIVE) < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED,
                    "cannot set requested-size %llu KiB on virtio-mem %s: %s",
                    requested, d->vmem.alias ? d->vmem.alias : "-", abDaemonLastError());
        return -1;
    }
    d->vmem.requestedKiB = requested;
    *targetKiB = base + requested;
    return 0;
}

/* The balloon's call, on a worker thread (ab-daemon-call.h). */
static int
abDaemonSetMemRun(abDaemonDomainCall *c)
{
    return virDomainSetMemoryFlags(c->dom, c->kib, VIR_DOMAIN_AFFECT_LIVE);
}

/* Its QEMU answered at last (or the domain went away). */
static void
abDaemonSetMemLate(abDaemon *daemon, abDaemonDomain *d G_GNUC_UNUSED, abDaemonDomainCall *c)
{
    if (c->rc < 0) {
        g_warning("%s: target %llu KiB, answered late, failed: %s", c->name, c->kib, c->error);
        daemon->nErrors[AB_DAEMON_OP_SET_MEMORY]++;
    } else {
        g_message("%s: target %llu KiB answered late", c->name, c->kib);
    }
}

int
abDaemonBackendApply(abDaemon *daemon, abDaemonDomain *d,
                     unsigned long long *targetKiB, GError **error)
{
    abDaemonDomainCall *c;
    g_autofree char *what = NULL;

    if (abDaemonBackendIsVirtioMem(d))
        return abDaemonVirtioMemApply(d, targetKiB, error);
    c = abDaemonDomainCallNew(d, abDaemonSetMemRun, abDaemonSetMemLate);
    c->kib = *targetKiB;
    what = g_strdup_printf("target %llu KiB", c->kib);
    /* no answer in time: with libvirt, on its way to QEMU, taken as sent */
    if (!abDaemonDomainCallRun(daemon, d, c, what))
        return 0;
    if (c->rc < 0) {
        g_set_error_literal(error, AB_ERROR, AB_ERROR_FAILED, c->error);
        abDaemonDomainCallFree(c);
        return -1;
    }
    abDaemonDomainCallFree(c);
    return 0;
}
