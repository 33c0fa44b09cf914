/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Extended <-> libvirt-native domain XML. Both directions edit the libxml2
 * tree and touch only what autoballoon owns, so everything else in the
 * document comes out as it went in. */
#include "ab-conf-priv.h"
#include "ab-namespace.h"
#include "ab-error.h"
#include "ab-size.h"

#include <string.h>

typedef struct {
    xmlDocPtr doc;
    xmlNodePtr root;
    xmlNodePtr devices;
    xmlNodePtr balloon;              /* the <memballoon>, or NULL */
    xmlNodePtr vmem;                 /* the managed virtio-mem <memory>, or NULL */
    char *name;
} abConfDomain;

static void
abConfDomainClear(abConfDomain *dom)
{
    g_free(dom->name);
}

static int
abConfDomainLoad(abConfDomain *dom, xmlDocPtr doc, GError **error)
{
    memset(dom, 0, sizeof(*dom));
    dom->doc = doc;
    dom->root = xmlDocGetRootElement(doc);
    if (!abXmlNodeIs(dom->root, "domain", NULL)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "not a domain XML: the root element is <%s>, expected <domain>",
                    dom->root ? (const char *)dom->root->name : "(none)");
        return -1;
    }
    dom->name = abXmlDomainName(doc);
    dom->devices = abXmlChild(dom->root, "devices", NULL);
    if (abXmlChildCount(dom->devices, "memballoon", NULL) > 1) {
        abConfSetError(error, AB_ERROR_INVALID, dom->name,
                       "more than one <memballoon>: libvirt supports a single balloon device");
        return -1;
    }
    dom->balloon = abXmlChild(dom->devices, "memballoon", NULL);
    return 0;
}

/* <memory> in KiB; 0 when absent (libvirt then takes it from NUMA cells). */
static int
abConfDomainMemory(abConfDomain *dom, unsigned long long *kib, GError **error)
{
    xmlNodePtr mem = abXmlChild(dom->root, "memory", NULL);
    g_autofree char *unit = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    unsigned long long bytes;

    *kib = 0;
    if (!mem)
        return 0;
    unit = abXmlProp(mem, "unit");
    text = abXmlText(mem);
    if (abSizeParse("<memory>", text, unit, 1024, &bytes, &err) < 0) {
        abConfPropagate(error, g_steal_pointer(&err), dom->name);
        return -1;
    }
    *kib = bytes / 1024 + (bytes % 1024 ? 1 : 0);
    return 0;
}

static bool
abConfModelIsVirtio(const char *model)
{
    return model && (strcmp(model, "virtio") == 0 ||
                     strcmp(model, "virtio-transitional") == 0 ||
                     strcmp(model, "virtio-non-transitional") == 0);
}

/* Confidential guests (<launchSecurity>): their memory is encrypted or
 * made inaccessible to the host and pinned, so a page the guest gives to
 * the balloon is neither readable nor returned to the host, and a guest
 * that reclaims it may need the firmware to accept it again. tdx is listed
 * for the libvirt releases that have it. */
static int
abConfDomainCheckLaunchSecurity(abConfDomain *dom, GError **error)
{
    static const char *const confidential[] = { "sev", "sev-snp", "s390-pv", "tdx", NULL };
    g_autofree char *type = abXmlProp(abXmlChild(dom->root, "launchSecurity", NULL), "type");

    if (type && g_strv_contains(confidential, type)) {
        abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                       "autoballoon='on' with <launchSecurity type='%s'>: confidential guest memory is "
                       "encrypted or hidden from the host and pinned, so inflating the balloon "
                       "returns nothing to the host",
                       type);
        return -1;
    }
    return 0;
}

/* Where the balloon cannot work because of VFIO, virtio-mem can. */
#define AB_CONF_VFIO_HINT \
    "; put autoballoon='on' on a <memory model='virtio-mem'> instead (docs/virtio-mem.md)"

/* The checks that only apply to an enabled policy: the balloon must be able
 * to give memory back to the host. */
static int
abConfDomainCheckEnabled(abConfDomain *dom, GError **error)
{
    g_autofree char *model = NULL;
    xmlNodePtr backing;

    if (!dom->balloon) {
        abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                       "autoballoon='on' needs a <memballoon model='virtio'>, but the domain has no <memballoon>");
        return -1;
    }
    model = abXmlProp(dom->balloon, "model");
    if (!abConfModelIsVirtio(model)) {
        abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                       "autoballoon='on' needs a virtio balloon, but <memballoon model='%s'>: "
                       "only virtio reports guest memory stats and deflates on OOM",
                       model ? model : "");
        return -1;
    }

    if ((backing = abXmlChild(dom->root, "memoryBacking", NULL))) {
        if (abXmlChild(backing, "hugepages", NULL)) {
            abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                           "autoballoon='on' with <memoryBacking><hugepages/>: huge pages are reserved "
                           "for the guest, so inflating the balloon frees nothing the host can use");
            return -1;
        }
        if (abXmlChild(backing, "locked", NULL)) {
            abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                           "autoballoon='on' with <memoryBacking><locked/>: guest memory is locked in host RAM, "
                           "so inflating the balloon frees nothing");
            return -1;
        }
    }

    if (abConfDomainCheckLaunchSecurity(dom, error) < 0)
        return -1;

    for (xmlNodePtr cur = dom->devices ? dom->devices->children : NULL; cur; cur = cur->next) {
        g_autofree char *mode = NULL;
        g_autofree char *type = NULL;
        g_autofree char *driver = NULL;

        if (abXmlNodeIs(cur, "interface", NULL)) {
            type = abXmlProp(cur, "type");
            if (g_strcmp0(type, "hostdev") == 0) {
                abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                               "autoballoon='on' with <interface type='hostdev'>: VFIO pins all guest memory "
                               "for device DMA, so inflating the balloon returns nothing to the host" AB_CONF_VFIO_HINT);
                return -1;
            }
            continue;
        }
        if (!abXmlNodeIs(cur, "hostdev", NULL))
            continue;
        mode = abXmlProp(cur, "mode");
        type = abXmlProp(cur, "type");
        if (mode && strcmp(mode, "subsystem") != 0)
            continue;
        if (g_strcmp0(type, "mdev") == 0) {
            abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                           "autoballoon='on' with <hostdev type='mdev'>: VFIO pins all guest memory "
                           "for device DMA, so inflating the balloon returns nothing to the host" AB_CONF_VFIO_HINT);
            return -1;
        }
        if (g_strcmp0(type, "pci") != 0)
            continue;
        driver = abXmlProp(abXmlChild(cur, "driver", NULL), "name");
        if (!driver || strcmp(driver, "vfio") == 0) {
            abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                           "autoballoon='on' with a VFIO <hostdev type='pci'>: VFIO pins all guest memory "
                           "for device DMA, so inflating the balloon returns nothing to the host" AB_CONF_VFIO_HINT);
        } else {
            abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                           "autoballoon='on' with a <hostdev type='pci'> driver '%s': PCI device assignment "
                           "pins all guest memory for DMA, so inflating the balloon returns nothing to the host"
                           AB_CONF_VFIO_HINT, driver);
        }
        return -1;
    }
    return 0;
}

static int
abConfDomainCheckPolicy(abConfDomain *dom, const abConfPolicy *def, GError **error)
{
    unsigned long long memoryKiB;

    if (abConfDomainMemory(dom, &memoryKiB, error) < 0 ||
        abConfPolicyValidate(def, dom->name, memoryKiB, error) < 0)
        return -1;
    if (def->backend == AB_CONF_BACKEND_VIRTIO_MEM) {
        if (!dom->vmem && !(dom->vmem = abConfVirtioMemNth(dom->devices, def->device))) {
            abConfSetError(error, AB_ERROR_INVALID, dom->name,
                           "the autoballoon policy drives <memory model='virtio-mem'> number %u, "
                           "but the domain has no such device", def->device);
            return -1;
        }
        if (def->enabled &&
            abConfVirtioMemCheckEnabled(dom->root, dom->vmem, dom->balloon, dom->name, error) < 0)
            return -1;
        return 0;
    }
    if (!dom->balloon) {
        abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                       "an autoballoon policy needs a <memballoon model='virtio'>, but the domain has no <memballoon>");
        return -1;
    }
    if (def->enabled && abConfDomainCheckEnabled(dom, error) < 0)
        return -1;
    return 0;
}

int
abConfDomainCheckDoc(xmlDocPtr doc, const abConfPolicy *def, GError **error)
{
    abConfDomain dom;
    int ret = -1;

    if (abConfDomainLoad(&dom, doc, error) == 0)
        ret = abConfDomainCheckPolicy(&dom, def, error);
    abConfDomainClear(&dom);
    return ret;
}

int
abConfDomainCheck(const char *xml, const abConfPolicy *def, GError **error)
{
    g_autoptr(xmlDoc) doc = abXmlParse(xml, "domain XML", error);

    return doc ? abConfDomainCheckDoc(doc, def, error) : -1;
}

/* Our policy element(s) in <metadata>, found by namespace URI. */
static xmlNodePtr
abConfFindPolicyMetadata(xmlNodePtr metadata, unsigned int *count)
{
    *count = abXmlChildCount(metadata, NULL, AB_NS_POLICY_URI);
    return abXmlChild(metadata, NULL, AB_NS_POLICY_URI);
}

/* What an extended document asks: its policy and where it is written. */
typedef struct {
    abConfDomain dom;
    abConfPolicy *def;              /* NULL: a plain libvirt domain */
    xmlNodePtr owner;               /* the device with autoballoon= */
    xmlNodePtr child;               /* the <autoballoon> element, or NULL */
} abConfExtended;

static void
abConfExtendedClear(abConfExtended *ext)
{
    abConfDomainClear(&ext->dom);
    abConfPolicyFree(ext->def);
}

/* Read and check the extended @doc without changing it. */
static int
abConfExtendedRead(xmlDocPtr doc, abConfExtended *ext, GError **error)
{
    abConfDomain *dom = &ext->dom;
    g_autoptr(abConfPolicy) def = abConfPolicyNew();
    g_autofree char *state = NULL;
    g_autoptr(GError) err = NULL;
    unsigned int npolicies;
    const char *where;

    memset(ext, 0, sizeof(*ext));
    if (abConfDomainLoad(dom, doc, error) < 0)
        return -1;

    if (abConfFindPolicyMetadata(abXmlChild(dom->root, "metadata", NULL), &npolicies)) {
        abConfSetError(error, AB_ERROR_INVALID, dom->name,
                       "<metadata> already holds an autoballoon policy (%s): "
                       "this is native XML, write the policy on <memballoon> instead",
                       AB_NS_POLICY_URI);
        return -1;
    }

    if (abConfVirtioMemFindManaged(dom->devices, dom->name, &dom->vmem, &def->device, error) < 0)
        return -1;
    if (dom->vmem && dom->balloon &&
        (xmlHasProp(dom->balloon, BAD_CAST "autoballoon") ||
         abXmlChild(dom->balloon, "autoballoon", NULL))) {
        abConfSetError(error, AB_ERROR_INVALID, dom->name,
                       "both <memballoon> and <memory model='virtio-mem'> have autoballoon: "
                       "a domain has one managed backend, choose one");
        return -1;
    }
    ext->owner = dom->vmem ? dom->vmem : dom->balloon;
    where = dom->vmem ? "<memory model='virtio-mem'>" : "<memballoon>";
    if (ext->owner) {
        state = abXmlProp(ext->owner, "autoballoon");
        if (abXmlChildCount(ext->owner, "autoballoon", NULL) > 1) {
            abConfSetError(error, AB_ERROR_INVALID, dom->name,
                           "duplicate <autoballoon> in %s: a %s has one policy", where,
                           dom->vmem ? "device" : "balloon");
            return -1;
        }
        ext->child = abXmlChild(ext->owner, "autoballoon", NULL);
    }
    if (!state && !ext->child)
        return 0;   /* a plain libvirt domain: nothing of ours */
    if (!state) {
        abConfSetError(error, AB_ERROR_INVALID, dom->name,
                       "%s has an <autoballoon> policy but no autoballoon attribute: "
                       "set autoballoon='on' or autoballoon='off'", where);
        return -1;
    }
    if (abXmlPropOnOff(ext->owner, "autoballoon", 0, &def->enabled, &err) < 0) {
        abConfPropagate(error, g_steal_pointer(&err), dom->name);
        return -1;
    }
    if (dom->vmem)
        def->backend = AB_CONF_BACKEND_VIRTIO_MEM;
    if (ext->child && abConfPolicyParseNode(ext->child, def, error) < 0)
        return -1;
    if (abConfDomainCheckPolicy(dom, def, error) < 0)
        return -1;
    ext->def = g_steal_pointer(&def);
    return 0;
}

int
abConfExtendedCheckDoc(xmlDocPtr doc, GError **error)
{
    abConfExtended ext;
    int ret = abConfExtendedRead(doc, &ext, error);

    abConfExtendedClear(&ext);
    return ret;
}

int
abConfExtendedToNativeDoc(xmlDocPtr doc, GError **error)
{
    abConfExtended ext;
    abConfDomain *dom = &ext.dom;
    xmlNodePtr metadata;
    xmlNodePtr node;
    abConfAdded added = { 0 };
    int ret = -1;

    if (abConfExtendedRead(doc, &ext, error) < 0)
        goto cleanup;
    if (!ext.def) {
        ret = 0;
        goto cleanup;
    }

    xmlUnsetProp(ext.owner, BAD_CAST "autoballoon");
    abXmlRemove(ext.child);
    if (ext.def->enabled) {
        xmlNodePtr stats = abXmlChild(dom->balloon, "stats", NULL);
        g_autofree char *period = g_strdup_printf("%d", AB_CONF_STATS_PERIOD);

        /* deflate-on-oom: a guest the daemon squeezed too far gets its
         * memory back from the balloon instead of from the OOM killer.
         * Not with virtio-mem, whose balloon is only read for stats. */
        if (!dom->vmem && !xmlHasProp(dom->balloon, BAD_CAST "autodeflate")) {
            xmlSetProp(dom->balloon, BAD_CAST "autodeflate", BAD_CAST "on");
            added.autodeflate = true;
        }
        /* the engine decides on guest stats, which need a polling period */
        if (!stats) {
            stats = xmlNewDocNode(doc, NULL, BAD_CAST "stats", NULL);
            xmlSetProp(stats, BAD_CAST "period", BAD_CAST period);
            abXmlPrepend(dom->balloon, stats);
            added.stats = AB_CONF_ADDED_STATS_ELEMENT;
            added.period = AB_CONF_STATS_PERIOD;
        } else if (!xmlHasProp(stats, BAD_CAST "period")) {
            xmlSetProp(stats, BAD_CAST "period", BAD_CAST period);
            added.stats = AB_CONF_ADDED_STATS_PERIOD;
            added.period = AB_CONF_STATS_PERIOD;
        }
    }
    metadata = abXmlMetadataEnsure(dom->root, &added.metadata);
    node = abConfPolicyMetadataNode(ext.def, &added);
    xmlAddChild(metadata, node);
    xmlReconciliateNs(doc, node);
    ret = 1;

 cleanup:
    abConfExtendedClear(&ext);
    return ret;
}

int
abConfNativeToExtendedDoc(xmlDocPtr doc, GError **error)
{
    abConfDomain dom;
    g_autoptr(abConfPolicy) def = NULL;
    xmlNodePtr metadata;
    xmlNodePtr policy;
    xmlNodePtr owner;
    unsigned int npolicies;
    abConfAdded added;
    int ret = -1;

    if (abConfDomainLoad(&dom, doc, error) < 0)
        goto cleanup;

    metadata = abXmlChild(dom.root, "metadata", NULL);
    if (!(policy = abConfFindPolicyMetadata(metadata, &npolicies))) {
        /* a plain libvirt domain (or one we never touched): unchanged */
        ret = 0;
        goto cleanup;
    }
    if (npolicies > 1) {
        abConfSetError(error, AB_ERROR_INVALID, dom.name,
                       "<metadata> holds %u elements in the autoballoon policy namespace %s, expected one",
                       npolicies, AB_NS_POLICY_URI);
        goto cleanup;
    }
    if (!(def = abConfPolicyParseMetadataNode(policy, dom.name, &added, error)))
        goto cleanup;
    if (abConfDomainCheckPolicy(&dom, def, error) < 0)
        goto cleanup;
    owner = dom.vmem ? dom.vmem : dom.balloon;
    if ((dom.balloon && abXmlChild(dom.balloon, "autoballoon", NULL)) ||
        (dom.vmem && abXmlChild(dom.vmem, "autoballoon", NULL))) {
        abConfSetError(error, AB_ERROR_INVALID, dom.name,
                       "%s already has an <autoballoon> child and <metadata> a policy: "
                       "the document mixes extended and native forms",
                       dom.vmem ? "<memory model='virtio-mem'>" : "<memballoon>");
        goto cleanup;
    }

    abXmlRemove(policy);
    if (added.metadata && abXmlChildCount(metadata, NULL, NULL) == 0)
        abXmlRemove(metadata);

    /* take back only what is still as we added it: a value the user changed
     * since is theirs */
    if (added.autodeflate && abXmlPropIs(dom.balloon, "autodeflate", "on"))
        xmlUnsetProp(dom.balloon, BAD_CAST "autodeflate");
    if (added.stats) {
        xmlNodePtr stats = abXmlChild(dom.balloon, "stats", NULL);
        g_autofree char *period = g_strdup_printf("%u", added.period);

        if (stats && abXmlPropIs(stats, "period", period)) {
            if (added.stats == AB_CONF_ADDED_STATS_ELEMENT &&
                stats->properties && !stats->properties->next && !stats->children)
                abXmlRemove(stats);
            else
                xmlUnsetProp(stats, BAD_CAST "period");
        }
    }

    xmlSetProp(owner, BAD_CAST "autoballoon", BAD_CAST (def->enabled ? "on" : "off"));
    if (def->hasElement)
        xmlAddChild(owner, abConfPolicyFormatNode(def, NULL));
    ret = 1;

 cleanup:
    abConfDomainClear(&dom);
    return ret;
}

/* The string forms: a document with nothing of ours comes back byte for
 * byte. */
static char *
abConfTranslateXML(const char *xml, int (*translate)(xmlDocPtr, GError **),
                   GError **error)
{
    g_autoptr(xmlDoc) doc = abXmlParse(xml, "domain XML", error);
    int rc;

    if (!doc || (rc = translate(doc, error)) < 0)
        return NULL;
    return rc ? abXmlFormatDoc(doc) : g_strdup(xml);
}

char *
abConfExtendedToNative(const char *xml, GError **error)
{
    return abConfTranslateXML(xml, abConfExtendedToNativeDoc, error);
}

char *
abConfNativeToExtended(const char *xml, GError **error)
{
    return abConfTranslateXML(xml, abConfNativeToExtendedDoc, error);
}
