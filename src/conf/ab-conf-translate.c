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
    xmlFreeDoc(dom->doc);
    g_free(dom->name);
}

static int
abConfDomainLoad(abConfDomain *dom, const char *xml, GError **error)
{
    memset(dom, 0, sizeof(*dom));
    if (!(dom->doc = abConfReadDoc(xml, "domain XML", error)))
        return -1;
    dom->root = xmlDocGetRootElement(dom->doc);
    if (!abConfNodeIs(dom->root, "domain", NULL)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "not a domain XML: the root element is <%s>, expected <domain>",
                    (const char *)dom->root->name);
        return -1;
    }
    dom->name = abConfDomainName(dom->root);
    dom->devices = abConfChild(dom->root, "devices");
    if (abConfChildCount(dom->devices, "memballoon") > 1) {
        abConfSetError(error, AB_ERROR_INVALID, dom->name,
                       "more than one <memballoon>: libvirt supports a single balloon device");
        return -1;
    }
    dom->balloon = abConfChild(dom->devices, "memballoon");
    return 0;
}

/* <memory> in KiB; 0 when absent (libvirt then takes it from NUMA cells). */
static int
abConfDomainMemory(abConfDomain *dom, unsigned long long *kib, GError **error)
{
    xmlNodePtr mem = abConfChild(dom->root, "memory");
    g_autofree char *unit = NULL;
    xmlChar *content;
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    unsigned long long bytes;

    *kib = 0;
    if (!mem)
        return 0;
    unit = abConfProp(mem, "unit");
    content = xmlNodeGetContent(mem);
    text = g_strstrip(g_strdup((const char *)content));
    xmlFree(content);
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
    g_autofree char *type = abConfProp(abConfChild(dom->root, "launchSecurity"), "type");

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
    model = abConfProp(dom->balloon, "model");
    if (!abConfModelIsVirtio(model)) {
        abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                       "autoballoon='on' needs a virtio balloon, but <memballoon model='%s'>: "
                       "only virtio reports guest memory stats and deflates on OOM",
                       model ? model : "");
        return -1;
    }

    if ((backing = abConfChild(dom->root, "memoryBacking"))) {
        if (abConfChild(backing, "hugepages")) {
            abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                           "autoballoon='on' with <memoryBacking><hugepages/>: huge pages are reserved "
                           "for the guest, so inflating the balloon frees nothing the host can use");
            return -1;
        }
        if (abConfChild(backing, "locked")) {
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

        if (abConfNodeIs(cur, "interface", NULL)) {
            type = abConfProp(cur, "type");
            if (g_strcmp0(type, "hostdev") == 0) {
                abConfSetError(error, AB_ERROR_UNSUPPORTED, dom->name,
                               "autoballoon='on' with <interface type='hostdev'>: VFIO pins all guest memory "
                               "for device DMA, so inflating the balloon returns nothing to the host" AB_CONF_VFIO_HINT);
                return -1;
            }
            continue;
        }
        if (!abConfNodeIs(cur, "hostdev", NULL))
            continue;
        mode = abConfProp(cur, "mode");
        type = abConfProp(cur, "type");
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
        driver = abConfProp(abConfChild(cur, "driver"), "name");
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
abConfDomainCheck(const char *xml, const abConfPolicy *def, GError **error)
{
    abConfDomain dom;
    int ret;

    if (abConfDomainLoad(&dom, xml, error) < 0) {
        abConfDomainClear(&dom);
        return -1;
    }
    ret = abConfDomainCheckPolicy(&dom, def, error);
    abConfDomainClear(&dom);
    return ret;
}

/* Our policy element(s) in <metadata>, found by namespace URI. */
static xmlNodePtr
abConfFindPolicyMetadata(xmlNodePtr metadata, unsigned int *count)
{
    xmlNodePtr found = NULL;

    *count = 0;
    for (xmlNodePtr cur = metadata ? metadata->children : NULL; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE && cur->ns &&
            xmlStrEqual(cur->ns->href, BAD_CAST AB_NS_POLICY_URI)) {
            if (!found)
                found = cur;
            (*count)++;
        }
    }
    return found;
}

static xmlNodePtr
abConfFirstElement(xmlNodePtr parent)
{
    for (xmlNodePtr cur = parent->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE)
            return cur;
    }
    return NULL;
}

/* A new <metadata> goes where libvirt formats it: after the identity
 * elements, before everything else. */
static xmlNodePtr
abConfCreateMetadata(xmlNodePtr root)
{
    static const char *const before[] = { "name", "uuid", "genid", "title", "description" };
    xmlNodePtr metadata = xmlNewDocNode(root->doc, NULL, BAD_CAST "metadata", NULL);
    xmlNodePtr after = NULL;

    for (xmlNodePtr cur = root->children; cur; cur = cur->next) {
        for (size_t i = 0; i < G_N_ELEMENTS(before); i++) {
            if (abConfNodeIs(cur, before[i], NULL))
                after = cur;
        }
    }
    if (after)
        xmlAddNextSibling(after, metadata);
    else if (abConfFirstElement(root))
        xmlAddPrevSibling(abConfFirstElement(root), metadata);
    else
        xmlAddChild(root, metadata);
    return metadata;
}

static unsigned int
abConfChildElementCount(xmlNodePtr parent, const char *name)
{
    unsigned int n = 0;

    for (xmlNodePtr cur = parent->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE &&
            (!name || xmlStrEqual(cur->name, BAD_CAST name)))
            n++;
    }
    return n;
}

char *
abConfExtendedToNative(const char *xml, GError **error)
{
    abConfDomain dom;
    g_autoptr(abConfPolicy) def = abConfPolicyNew();
    g_autofree char *state = NULL;
    xmlNodePtr child = NULL;
    xmlNodePtr owner;
    const char *where;
    xmlNodePtr metadata;
    xmlNodePtr node;
    unsigned int npolicies;
    abConfAdded added = { 0 };
    char *ret = NULL;

    if (abConfDomainLoad(&dom, xml, error) < 0)
        goto cleanup;

    metadata = abConfChild(dom.root, "metadata");
    if (abConfFindPolicyMetadata(metadata, &npolicies)) {
        abConfSetError(error, AB_ERROR_INVALID, dom.name,
                       "<metadata> already holds an autoballoon policy (%s): "
                       "this is native XML, write the policy on <memballoon> instead",
                       AB_NS_POLICY_URI);
        goto cleanup;
    }

    if (abConfVirtioMemFindManaged(dom.devices, dom.name, &dom.vmem, &def->device, error) < 0)
        goto cleanup;
    owner = dom.vmem ? dom.vmem : dom.balloon;
    where = dom.vmem ? "<memory model='virtio-mem'>" : "<memballoon>";
    if (dom.vmem && dom.balloon &&
        (xmlHasProp(dom.balloon, BAD_CAST "autoballoon") || abConfChild(dom.balloon, "autoballoon"))) {
        abConfSetError(error, AB_ERROR_INVALID, dom.name,
                       "both <memballoon> and <memory model='virtio-mem'> have autoballoon: "
                       "a domain has one managed backend, choose one");
        goto cleanup;
    }
    if (owner) {
        state = abConfProp(owner, "autoballoon");
        if (abConfChildCount(owner, "autoballoon") > 1) {
            abConfSetError(error, AB_ERROR_INVALID, dom.name,
                           "duplicate <autoballoon> in %s: a %s has one policy", where,
                           dom.vmem ? "device" : "balloon");
            goto cleanup;
        }
        child = abConfChild(owner, "autoballoon");
    }
    if (!state && !child) {
        /* a plain libvirt domain: nothing of ours, pass it through */
        ret = g_strdup(xml);
        goto cleanup;
    }
    if (!state) {
        abConfSetError(error, AB_ERROR_INVALID, dom.name,
                       "%s has an <autoballoon> policy but no autoballoon attribute: "
                       "set autoballoon='on' or autoballoon='off'", where);
        goto cleanup;
    }
    if (strcmp(state, "on") != 0 && strcmp(state, "off") != 0) {
        abConfSetError(error, AB_ERROR_INVALID, dom.name,
                       "invalid %s autoballoon '%s' (expected on or off)", where, state);
        goto cleanup;
    }
    def->enabled = strcmp(state, "on") == 0;
    if (dom.vmem)
        def->backend = AB_CONF_BACKEND_VIRTIO_MEM;
    if (child && abConfPolicyParseNode(child, def, error) < 0)
        goto cleanup;
    if (abConfDomainCheckPolicy(&dom, def, error) < 0)
        goto cleanup;

    xmlUnsetProp(owner, BAD_CAST "autoballoon");
    if (child) {
        xmlUnlinkNode(child);
        xmlFreeNode(child);
    }
    if (def->enabled) {
        xmlNodePtr stats = abConfChild(dom.balloon, "stats");
        g_autofree char *period = g_strdup_printf("%d", AB_CONF_STATS_PERIOD);

        /* deflate-on-oom: a guest the daemon squeezed too far gets its
         * memory back from the balloon instead of from the OOM killer.
         * Not with virtio-mem, whose balloon is only read for stats. */
        if (!dom.vmem && !xmlHasProp(dom.balloon, BAD_CAST "autodeflate")) {
            xmlSetProp(dom.balloon, BAD_CAST "autodeflate", BAD_CAST "on");
            added.autodeflate = true;
        }
        /* the engine decides on guest stats, which need a polling period */
        if (!stats) {
            stats = xmlNewDocNode(dom.doc, NULL, BAD_CAST "stats", NULL);
            xmlSetProp(stats, BAD_CAST "period", BAD_CAST period);
            if (abConfFirstElement(dom.balloon))
                xmlAddPrevSibling(abConfFirstElement(dom.balloon), stats);
            else
                xmlAddChild(dom.balloon, stats);
            added.stats = AB_CONF_ADDED_STATS_ELEMENT;
            added.period = AB_CONF_STATS_PERIOD;
        } else if (!xmlHasProp(stats, BAD_CAST "period")) {
            xmlSetProp(stats, BAD_CAST "period", BAD_CAST period);
            added.stats = AB_CONF_ADDED_STATS_PERIOD;
            added.period = AB_CONF_STATS_PERIOD;
        }
    }
    if (!metadata) {
        metadata = abConfCreateMetadata(dom.root);
        added.metadata = true;
    }
    node = abConfPolicyMetadataNode(def, &added);
    xmlAddChild(metadata, node);
    xmlReconciliateNs(dom.doc, node);

    ret = abConfWriteDoc(dom.doc);

 cleanup:
    abConfDomainClear(&dom);
    return ret;
}

static bool
abConfPropEquals(xmlNodePtr node, const char *name, const char *value)
{
    g_autofree char *cur = abConfProp(node, name);

    return g_strcmp0(cur, value) == 0;
}

char *
abConfNativeToExtended(const char *xml, GError **error)
{
    abConfDomain dom;
    g_autoptr(abConfPolicy) def = NULL;
    xmlNodePtr metadata;
    xmlNodePtr policy;
    xmlNodePtr owner;
    unsigned int npolicies;
    abConfAdded added;
    char *ret = NULL;

    if (abConfDomainLoad(&dom, xml, error) < 0)
        goto cleanup;

    metadata = abConfChild(dom.root, "metadata");
    if (!(policy = abConfFindPolicyMetadata(metadata, &npolicies))) {
        /* a plain libvirt domain (or one we never touched): unchanged */
        ret = g_strdup(xml);
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
    if ((dom.balloon && abConfChild(dom.balloon, "autoballoon")) ||
        (dom.vmem && abConfChild(dom.vmem, "autoballoon"))) {
        abConfSetError(error, AB_ERROR_INVALID, dom.name,
                       "%s already has an <autoballoon> child and <metadata> a policy: "
                       "the document mixes extended and native forms",
                       dom.vmem ? "<memory model='virtio-mem'>" : "<memballoon>");
        goto cleanup;
    }

    xmlUnlinkNode(policy);
    xmlFreeNode(policy);
    if (added.metadata && abConfChildElementCount(metadata, NULL) == 0) {
        xmlUnlinkNode(metadata);
        xmlFreeNode(metadata);
    }

    /* take back only what is still as we added it: a value the user changed
     * since is theirs */
    if (added.autodeflate && abConfPropEquals(dom.balloon, "autodeflate", "on"))
        xmlUnsetProp(dom.balloon, BAD_CAST "autodeflate");
    if (added.stats) {
        xmlNodePtr stats = abConfChild(dom.balloon, "stats");
        g_autofree char *period = g_strdup_printf("%u", added.period);

        if (stats && abConfPropEquals(stats, "period", period)) {
            if (added.stats == AB_CONF_ADDED_STATS_ELEMENT &&
                stats->properties && !stats->properties->next && !stats->children) {
                xmlUnlinkNode(stats);
                xmlFreeNode(stats);
            } else {
                xmlUnsetProp(stats, BAD_CAST "period");
            }
        }
    }

    xmlSetProp(owner, BAD_CAST "autoballoon", BAD_CAST (def->enabled ? "on" : "off"));
    if (def->hasElement)
        xmlAddChild(owner, abConfPolicyFormatNode(def, NULL));

    ret = abConfWriteDoc(dom.doc);

 cleanup:
    abConfDomainClear(&dom);
    return ret;
}
