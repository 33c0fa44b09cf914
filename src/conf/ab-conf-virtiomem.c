/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The virtio-mem backend in domain XML: which <memory model='virtio-mem'>
 * a policy drives, what such a domain must have, and the device's sizes
 * as the daemon reads and writes them (docs/virtio-mem.md). */
#include "ab-conf-priv.h"
#include "ab-enum.h"
#include "ab-error.h"

#include <string.h>

AB_ENUM_IMPL_LIST(abConfBackend, AB_CONF_BACKEND_, AB_CONF_BACKEND_LIST);

static bool
abConfIsVirtioMem(xmlNodePtr node)
{
    g_autofree char *model = NULL;

    if (!abXmlNodeIs(node, "memory", NULL))
        return false;
    model = abXmlProp(node, "model");
    return g_strcmp0(model, "virtio-mem") == 0;
}

xmlNodePtr
abConfVirtioMemNth(xmlNodePtr devices, unsigned int index)
{
    unsigned int n = 0;

    for (xmlNodePtr cur = devices ? devices->children : NULL; cur; cur = cur->next) {
        if (abConfIsVirtioMem(cur) && n++ == index)
            return cur;
    }
    return NULL;
}

int
abConfVirtioMemFindManaged(xmlNodePtr devices, const char *domname,
                           xmlNodePtr *mem, unsigned int *index, GError **error)
{
    unsigned int n = 0;

    *mem = NULL;
    *index = 0;
    for (xmlNodePtr cur = devices ? devices->children : NULL; cur; cur = cur->next) {
        bool vmem = abConfIsVirtioMem(cur);
        bool ours;

        if (!abXmlNodeIs(cur, "memory", NULL))
            continue;
        ours = xmlHasProp(cur, BAD_CAST "autoballoon") || abXmlChild(cur, "autoballoon", NULL);
        if (ours && !vmem) {
            g_autofree char *model = abXmlProp(cur, "model");

            abConfSetError(error, AB_ERROR_UNSUPPORTED, domname,
                           "autoballoon on <memory model='%s'>: only a virtio-mem device can be resized "
                           "by the guest's driver", model ? model : "");
            return -1;
        }
        if (ours && *mem) {
            abConfSetError(error, AB_ERROR_INVALID, domname,
                           "more than one <memory model='virtio-mem'> has autoballoon: "
                           "a domain has one managed device");
            return -1;
        }
        if (ours) {
            *mem = cur;
            *index = n;
        }
        if (vmem)
            n++;
    }
    return 0;
}

xmlNodePtr
abConfVirtioMemManaged(xmlNodePtr root, unsigned int *index)
{
    g_autoptr(GError) err = NULL;
    xmlNodePtr mem = NULL;

    if (abConfVirtioMemFindManaged(abXmlChild(root, "devices", NULL), NULL, &mem, index, &err) < 0)
        return NULL;
    return mem;
}

/* A size element in KiB: 1, 0 when @node is NULL, -1 with @error. */
static int
abConfVirtioMemKiB(xmlNodePtr node, const char *domname, unsigned long long *kib,
                   GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *unit = NULL;
    unsigned long long value;
    unsigned long long bytes;

    *kib = 0;
    if (!node)
        return 0;
    if (abXmlTextSize(node, 1024, &value, &unit, &bytes, &err) < 0) {
        abConfPropagate(error, g_steal_pointer(&err), domname);
        return -1;
    }
    *kib = bytes / 1024;
    return 1;
}

static int
abConfVirtioMemParseNode(xmlNodePtr mem, const char *domname, abConfVirtioMem *dev,
                         GError **error)
{
    xmlNodePtr target = abXmlChild(mem, "target", NULL);
    int rc;

    if (!target) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "<memory model='virtio-mem'> has no <target>");
        return -1;
    }
    if ((rc = abConfVirtioMemKiB(abXmlChild(target, "size", NULL), domname,
                                 &dev->sizeKiB, error)) < 0)
        return -1;
    if (rc == 0) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "<memory model='virtio-mem'> has no <target><size>");
        return -1;
    }
    if (abConfVirtioMemKiB(abXmlChild(target, "block", NULL), domname,
                           &dev->blockKiB, error) < 0 ||
        abConfVirtioMemKiB(abXmlChild(target, "requested", NULL), domname,
                           &dev->requestedKiB, error) < 0 ||
        (rc = abConfVirtioMemKiB(abXmlChild(target, "current", NULL), domname,
                                 &dev->currentKiB, error)) < 0)
        return -1;
    dev->hasCurrent = rc > 0;
    return 0;
}

/* Checks of an enabled virtio-mem policy. VFIO is fine: QEMU keeps the
 * IOMMU mappings in step with the plugged blocks. What is not: memory
 * QEMU locks (it refuses virtio-mem with mlock), guests whose memory the
 * host cannot take back (confidential guests disable RAM discard), and
 * guests without a stats source. */
int
abConfVirtioMemCheckEnabled(xmlNodePtr root, xmlNodePtr mem, xmlNodePtr balloon,
                            const char *domname, GError **error)
{
    static const char *const confidential[] = { "sev", "sev-snp", "s390-pv", "tdx", NULL };
    abConfVirtioMem dev = { 0 };
    g_autofree char *model = abXmlProp(balloon, "model");
    g_autofree char *security = abXmlProp(abXmlChild(root, "launchSecurity", NULL), "type");
    xmlNodePtr backing = abXmlChild(root, "memoryBacking", NULL);

    if (abConfVirtioMemParseNode(mem, domname, &dev, error) < 0)
        return -1;
    if (dev.sizeKiB == 0) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "autoballoon='on' on a <memory model='virtio-mem'> of size 0: nothing to plug or unplug");
        return -1;
    }
    if (abXmlChild(backing, "locked", NULL)) {
        abConfSetError(error, AB_ERROR_UNSUPPORTED, domname,
                       "autoballoon='on' on virtio-mem with <memoryBacking><locked/>: QEMU refuses virtio-mem "
                       "with locked memory");
        return -1;
    }
    if (abXmlChild(backing, "hugepages", NULL)) {
        abConfSetError(error, AB_ERROR_UNSUPPORTED, domname,
                       "autoballoon='on' on virtio-mem with <memoryBacking><hugepages/>: unplugged blocks go back "
                       "to the huge page pool, not to the host");
        return -1;
    }
    if (security && g_strv_contains(confidential, security)) {
        abConfSetError(error, AB_ERROR_UNSUPPORTED, domname,
                       "autoballoon='on' on virtio-mem with <launchSecurity type='%s'>: confidential guests "
                       "cannot give memory back to the host",
                       security);
        return -1;
    }
    /* the engine decides on the guest's own memory stats, which come from
     * the balloon driver's stats queue; that balloon is never inflated */
    if (!balloon || g_strcmp0(model, "none") == 0 || g_strcmp0(model, "xen") == 0) {
        abConfSetError(error, AB_ERROR_UNSUPPORTED, domname,
                       "autoballoon='on' on virtio-mem needs the guest's memory stats: keep a "
                       "<memballoon model='virtio'> (it is only read, never inflated)");
        return -1;
    }
    return 0;
}

void
abConfVirtioMemClear(abConfVirtioMem *dev)
{
    g_free(dev->xml);
    g_free(dev->alias);
    memset(dev, 0, sizeof(*dev));
}

int
abConfVirtioMemFromDomain(const char *xml, unsigned int index, abConfVirtioMem *dev,
                          GError **error)
{
    xmlDocPtr doc;
    xmlNodePtr root;
    xmlNodePtr mem;
    xmlNodePtr memory;
    g_autofree char *domname = NULL;
    int ret = -1;

    memset(dev, 0, sizeof(*dev));
    if (!(doc = abXmlParse(xml, "domain XML", error)))
        return -1;
    root = xmlDocGetRootElement(doc);
    domname = abXmlDomainName(doc);
    if (!(mem = abConfVirtioMemNth(abXmlChild(root, "devices", NULL), index))) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "the policy drives <memory model='virtio-mem'> number %u, but the domain has no such device",
                       index);
        goto cleanup;
    }
    if (abConfVirtioMemParseNode(mem, domname, dev, error) < 0)
        goto cleanup;
    memory = abXmlChild(root, "memory", NULL);
    if (abConfVirtioMemKiB(memory, domname, &dev->memoryKiB, error) < 0)
        goto cleanup;
    if (dev->memoryKiB < dev->sizeKiB) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "<memory> (%llu KiB) is smaller than its virtio-mem device (%llu KiB)",
                       dev->memoryKiB, dev->sizeKiB);
        goto cleanup;
    }
    dev->alias = abXmlProp(abXmlChild(mem, "alias", NULL), "name");
    dev->xml = abXmlFormatNode(mem);
    ret = 0;

 cleanup:
    if (ret < 0)
        abConfVirtioMemClear(dev);
    xmlFreeDoc(doc);
    return ret;
}

char *
abConfVirtioMemRequestXML(const abConfVirtioMem *dev, unsigned long long requestedKiB,
                          GError **error)
{
    xmlDocPtr doc;
    xmlNodePtr target;
    xmlNodePtr req;
    g_autofree char *text = g_strdup_printf("%llu", requestedKiB);
    char *ret = NULL;

    if (!(doc = abXmlParse(dev->xml, "memory device XML", error)))
        return NULL;
    if (!(target = abXmlChild(xmlDocGetRootElement(doc), "target", NULL))) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "memory device XML has no <target>");
        goto cleanup;
    }
    /* what `virsh update-memory-device --requested-size` sends: the live
     * device as libvirt gave it, with only <requested> changed */
    abXmlRemove(abXmlChild(target, "requested", NULL));
    req = xmlNewChild(target, NULL, BAD_CAST "requested", BAD_CAST text);
    xmlNewProp(req, BAD_CAST "unit", BAD_CAST "KiB");
    ret = abXmlFormatDoc(doc);

 cleanup:
    xmlFreeDoc(doc);
    return ret;
}
