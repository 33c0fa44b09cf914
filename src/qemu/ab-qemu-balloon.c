/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-qemu-balloon.c: emit and strip the balloon options a QEMU binary has */
#include <string.h>

#include "ab-conf.h"
#include "ab-enum.h"
#include "ab-error.h"
#include "ab-qemu-balloon.h"
#include "ab-xml.h"

AB_ENUM_IMPL_LIST(abQemuInflater, AB_QEMU_INFLATER_, AB_QEMU_INFLATER_LIST);

#define XC(s) BAD_CAST (s)

static char *
abQemuDomainName(xmlDocPtr doc)
{
    char *name = abXmlDomainName(doc);

    return name ? name : g_strdup("(unnamed)");
}

static xmlNodePtr
abQemuDomainRoot(xmlDocPtr doc, GError **error)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

    if (!abXmlNodeIs(root, "domain", NULL)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "not a libvirt domain document: root element is '%s'",
                    root ? (const char *)root->name : "(none)");
        return NULL;
    }
    return root;
}

static xmlNodePtr
abQemuBalloonNode(xmlNodePtr root)
{
    return abXmlChildPath(root, "devices", "memballoon", NULL);
}

static xmlNodePtr
abQemuMarker(xmlNodePtr root)
{
    return abXmlChild(abXmlChild(root, "metadata", NULL), "balloon", AB_QEMU_NS_URI);
}

static abQemuSwitch
abQemuSwitchProp(xmlNodePtr node, const char *attr, const char *domname,
                 GError **error)
{
    g_autoptr(GError) err = NULL;
    bool on;
    int rc;

    if ((rc = abXmlPropOnOff(node, attr, 0, &on, &err)) < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "domain '%s': %s",
                    domname, err->message);
        return AB_QEMU_SWITCH_LAST;
    }
    if (rc == 0)
        return AB_QEMU_SWITCH_ABSENT;
    return on ? AB_QEMU_SWITCH_ON : AB_QEMU_SWITCH_OFF;
}

int
abQemuBalloonRequestParse(xmlDocPtr doc, abQemuBalloonRequest *req,
                          GError **error)
{
    xmlNodePtr root = abQemuDomainRoot(doc, error);
    g_autofree char *domname = NULL;
    g_autofree char *period = NULL;
    xmlNodePtr balloon;

    memset(req, 0, sizeof(*req));
    if (!root)
        return -1;
    if (!(balloon = abQemuBalloonNode(root)))
        return 0;
    domname = abQemuDomainName(doc);
    req->autoballoon = abXmlPropIs(balloon, "autoballoon", "on");
    if ((req->autodeflate = abQemuSwitchProp(balloon, "autodeflate", domname,
                                             error)) == AB_QEMU_SWITCH_LAST ||
        (req->freePageReporting = abQemuSwitchProp(balloon, "freePageReporting",
                                                   domname, error)) == AB_QEMU_SWITCH_LAST)
        return -1;
    period = abXmlProp(abXmlChild(balloon, "stats", NULL), "period");
    req->statsPeriod = period && g_strcmp0(period, "0") != 0;
    return 0;
}

static int
abQemuBalloonNeed(const abQemuCaps *caps, abQemuCap cap, const char *domname,
                  const char *what, GError **error)
{
    if (abQemuCapsHas(caps, cap))
        return 0;
    g_set_error(error, AB_ERROR, AB_ERROR_UNSUPPORTED,
                "domain '%s': %s needs the balloon property '%s', which QEMU binary '%s' lacks",
                domname, what, abQemuCapToString(cap), caps->binary);
    return -1;
}

static xmlNodePtr
abQemuEnsureChild(xmlNodePtr parent, const char *name, xmlNsPtr ns,
                  const char *attr, const char *value, bool *created)
{
    xmlNodePtr node = abXmlChildWithProp(parent, name, (const char *)ns->href, attr, value);

    *created = false;
    if (node)
        return node;
    node = xmlNewChild(parent, ns, XC(name), NULL);
    if (attr)
        xmlSetProp(node, XC(attr), XC(value));
    *created = true;
    return node;
}

/* <qemu:override><qemu:device alias=A><qemu:frontend>
 *   <qemu:property name=P type='bool' value='true'/>
 * reusing what the user already has; records the outermost element added.
 * Returns false when the user set the property already. */
static bool
abQemuOverrideAdd(xmlNodePtr root, xmlNodePtr marker, const char *alias,
                  const char *prop, bool *userTrue)
{
    xmlNsPtr ns = xmlSearchNsByHref(root->doc, root, XC(AB_QEMU_LIBVIRT_NS_URI));
    xmlNodePtr override, device, frontend, property;
    const char *outer = NULL;
    bool created;

    if (!ns) {
        /* <domain> may bind "qemu" to another namespace already: then the
         * first free "qemuN" (libvirt reads the namespace by URI); root
         * binds finitely many prefixes, so one is free */
        ns = xmlNewNs(root, XC(AB_QEMU_LIBVIRT_NS_URI), XC("qemu"));
        for (guint i = 1; !ns; i++) {
            g_autofree char *prefix = g_strdup_printf("qemu%u", i);

            ns = xmlNewNs(root, XC(AB_QEMU_LIBVIRT_NS_URI), XC(prefix));
        }
        xmlSetProp(marker, XC("override-ns"), XC("added"));
    }
    override = abQemuEnsureChild(root, "override", ns, NULL, NULL, &created);
    if (created)
        outer = "override";
    device = abQemuEnsureChild(override, "device", ns, "alias", alias, &created);
    if (created && !outer)
        outer = "device";
    frontend = abQemuEnsureChild(device, "frontend", ns, NULL, NULL, &created);
    if (created && !outer)
        outer = "frontend";
    if ((property = abXmlChildWithProp(frontend, "property", AB_QEMU_LIBVIRT_NS_URI,
                                "name", prop))) {
        *userTrue = abXmlPropIs(property, "type", "bool") &&
                    abXmlPropIs(property, "value", "true");
        return false;
    }
    property = xmlNewChild(frontend, ns, XC("property"), NULL);
    xmlSetProp(property, XC("name"), XC(prop));
    xmlSetProp(property, XC("type"), XC("bool"));
    xmlSetProp(property, XC("value"), XC("true"));
    xmlSetProp(marker, XC("override"), XC(prop));
    xmlSetProp(marker, XC("override-alias"), XC(alias));
    xmlSetProp(marker, XC("override-added"), XC(outer ? outer : "property"));
    return true;
}

static void
abQemuMarkerAttach(xmlNodePtr root, xmlNodePtr marker)
{
    bool created;
    xmlNodePtr metadata = abXmlMetadataEnsure(root, &created);

    if (created)
        xmlSetProp(marker, XC("metadata"), XC("added"));
    xmlAddChild(metadata, marker);
}

static void
abQemuDroppedAppend(xmlNodePtr marker, const char *what)
{
    g_autofree char *cur = abXmlProp(marker, "dropped");
    g_autofree char *val = cur ? g_strdup_printf("%s %s", cur, what) : g_strdup(what);
    xmlSetProp(marker, XC("dropped"), XC(val));
}

int
abQemuBalloonEmit(xmlDocPtr doc, const abQemuBalloonRequest *req,
                  const abQemuCaps *caps, abQemuBalloonResult *res,
                  GError **error)
{
    xmlNodePtr root = abQemuDomainRoot(doc, error);
    g_autofree char *domname = NULL;
    g_autofree char *model = NULL;
    g_autofree char *alias = NULL;
    xmlNodePtr balloon, stats, marker;
    xmlNsPtr markerNs;
    const char *prop;

    memset(res, 0, sizeof(*res));
    if (!root)
        return -1;
    domname = abQemuDomainName(doc);
    if (abQemuMarker(root)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "domain '%s': balloon options for QEMU were already emitted",
                    domname);
        return -1;
    }
    balloon = abQemuBalloonNode(root);
    model = balloon ? abXmlProp(balloon, "model") : NULL;
    if (!model || !g_str_has_prefix(model, "virtio"))
        return 0;

    /* Everything the user asked for first, so that a refusal leaves @doc
     * as it was. */
    if ((req->autodeflate == AB_QEMU_SWITCH_ON &&
         abQemuBalloonNeed(caps, AB_QEMU_CAP_DEFLATE_ON_OOM, domname,
                           "<memballoon autodeflate='on'>", error) < 0) ||
        (req->freePageReporting == AB_QEMU_SWITCH_ON &&
         abQemuBalloonNeed(caps, AB_QEMU_CAP_FREE_PAGE_REPORTING, domname,
                           "<memballoon freePageReporting='on'>", error) < 0) ||
        (req->statsPeriod &&
         abQemuBalloonNeed(caps, AB_QEMU_CAP_GUEST_STATS_POLLING_INTERVAL, domname,
                           "<memballoon><stats period>", error) < 0))
        return -1;

    marker = xmlNewDocNode(doc, NULL, XC("balloon"), NULL);
    markerNs = xmlNewNs(marker, XC(AB_QEMU_NS_URI), XC(AB_QEMU_NS_PREFIX));
    xmlSetNs(marker, markerNs);
    xmlSetProp(marker, XC("binary"), XC(caps->binary));

    /* Implied by the conf step, impossible on this binary: drop quietly. */
    if (!abQemuCapsHas(caps, AB_QEMU_CAP_DEFLATE_ON_OOM) &&
        req->autodeflate == AB_QEMU_SWITCH_ABSENT &&
        abXmlPropIs(balloon, "autodeflate", "on")) {
        xmlUnsetProp(balloon, XC("autodeflate"));
        abQemuDroppedAppend(marker, "autodeflate");
        res->dropped |= AB_QEMU_CAP_FLAG(AB_QEMU_CAP_DEFLATE_ON_OOM);
    }
    stats = abXmlChild(balloon, "stats", NULL);
    if (!abQemuCapsHas(caps, AB_QEMU_CAP_GUEST_STATS_POLLING_INTERVAL) &&
        !req->statsPeriod && stats && xmlHasProp(stats, XC("period"))) {
        g_autofree char *period = abXmlProp(stats, "period");

        xmlUnsetProp(stats, XC("period"));
        xmlSetProp(marker, XC("stats-period"), XC(period));
        abQemuDroppedAppend(marker, "stats-period");
        if (!stats->properties && !stats->children) {
            abXmlRemove(stats);
            xmlSetProp(marker, XC("stats-element"), XC("dropped"));
        }
        res->dropped |= AB_QEMU_CAP_FLAG(AB_QEMU_CAP_GUEST_STATS_POLLING_INTERVAL);
    }

    if (req->autoballoon) {
        if (abQemuCapsHas(caps, AB_QEMU_CAP_FREE_PAGE_REPORTING) &&
            req->freePageReporting == AB_QEMU_SWITCH_ABSENT &&
            !xmlHasProp(balloon, XC("freePageReporting"))) {
            xmlSetProp(balloon, XC("freePageReporting"), XC("on"));
            xmlSetProp(marker, XC("free-page-reporting"), XC("added"));
            res->added |= AB_QEMU_CAP_FLAG(AB_QEMU_CAP_FREE_PAGE_REPORTING);
        }
        if ((prop = abQemuCapsAutomaticProperty(caps))) {
            xmlNodePtr aliasNode = abXmlChild(balloon, "alias", NULL);
            bool userTrue = false;

            alias = aliasNode ? abXmlProp(aliasNode, "name") : NULL;
            if (!alias)
                alias = g_strdup(AB_QEMU_BALLOON_ALIAS);
            if (abQemuOverrideAdd(root, marker, alias, prop, &userTrue)) {
                res->added |= AB_QEMU_CAP_FLAG(abQemuCapFromString(prop));
                res->inflater = AB_QEMU_INFLATER_QEMU;
            } else if (userTrue) {
                res->inflater = AB_QEMU_INFLATER_QEMU;
            }
        }
    }
    xmlSetProp(marker, XC("inflater"), XC(abQemuInflaterToString(res->inflater)));

    if (!res->added && !res->dropped) {
        xmlFreeNode(marker);
        return 0;
    }
    abQemuMarkerAttach(root, marker);
    return 0;
}

static bool
abQemuNsInUse(xmlNodePtr node, xmlNsPtr ns)
{
    for (xmlNodePtr cur = node; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (cur->ns == ns)
            return true;
        for (xmlAttrPtr a = cur->properties; a; a = a->next) {
            if (a->ns == ns)
                return true;
        }
        if (abQemuNsInUse(cur->children, ns))
            return true;
    }
    return false;
}

static void
abQemuNsRemove(xmlNodePtr root, const char *href)
{
    for (xmlNsPtr *link = &root->nsDef; *link; link = &(*link)->next) {
        xmlNsPtr ns = *link;

        if (!xmlStrEqual(ns->href, XC(href)))
            continue;
        if (abQemuNsInUse(root, ns))
            return;
        *link = ns->next;
        ns->next = NULL;
        xmlFreeNs(ns);
        return;
    }
}

static void
abQemuOverrideStrip(xmlNodePtr root, xmlNodePtr marker)
{
    g_autofree char *prop = abXmlProp(marker, "override");
    g_autofree char *alias = abXmlProp(marker, "override-alias");
    g_autofree char *outer = abXmlProp(marker, "override-added");
    const char *href = AB_QEMU_LIBVIRT_NS_URI;
    xmlNodePtr override, device, frontend, property;

    if (!prop)
        return;
    override = abXmlChild(root, "override", href);
    device = abXmlChildWithProp(override, "device", href, "alias", alias);
    frontend = abXmlChild(device, "frontend", href);
    property = abXmlChildWithProp(frontend, "property", href, "name", prop);
    if (!property)
        return;     /* the user removed it already */

    /* Remove the outermost element added, unless the user put something
     * else in it since: then only the property goes. */
    if (g_strcmp0(outer, "override") == 0 &&
        xmlChildElementCount(override) == 1 && xmlChildElementCount(device) == 1 &&
        xmlChildElementCount(frontend) == 1)
        abXmlRemove(override);
    else if (g_strcmp0(outer, "device") == 0 &&
             xmlChildElementCount(device) == 1 && xmlChildElementCount(frontend) == 1)
        abXmlRemove(device);
    else if (g_strcmp0(outer, "frontend") == 0 && xmlChildElementCount(frontend) == 1)
        abXmlRemove(frontend);
    else
        abXmlRemove(property);

    if (abXmlPropIs(marker, "override-ns", "added"))
        abQemuNsRemove(root, href);
}

int
abQemuBalloonStrip(xmlDocPtr doc, GError **error)
{
    xmlNodePtr root = abQemuDomainRoot(doc, error);
    xmlNodePtr marker, balloon, metadata;
    g_autofree char *dropped = NULL;
    g_auto(GStrv) drops = NULL;

    if (!root)
        return -1;
    if (!(marker = abQemuMarker(root)))
        return 0;
    metadata = marker->parent;
    balloon = abQemuBalloonNode(root);

    abQemuOverrideStrip(root, marker);
    if (balloon && abXmlPropIs(marker, "free-page-reporting", "added") &&
        abXmlPropIs(balloon, "freePageReporting", "on"))
        xmlUnsetProp(balloon, XC("freePageReporting"));

    dropped = abXmlProp(marker, "dropped");
    drops = g_strsplit(dropped ? dropped : "", " ", -1);
    for (size_t i = 0; balloon && drops[i]; i++) {
        if (g_str_equal(drops[i], "autodeflate") &&
            !xmlHasProp(balloon, XC("autodeflate"))) {
            xmlSetProp(balloon, XC("autodeflate"), XC("on"));
        } else if (g_str_equal(drops[i], "stats-period")) {
            g_autofree char *period = abXmlProp(marker, "stats-period");
            xmlNodePtr stats = abXmlChild(balloon, "stats", NULL);

            if (!stats) {
                stats = xmlNewDocNode(doc, NULL, XC("stats"), NULL);
                abXmlPrepend(balloon, stats);
            }
            if (period && !xmlHasProp(stats, XC("period")))
                xmlSetProp(stats, XC("period"), XC(period));
        }
    }

    if (abXmlPropIs(marker, "metadata", "added") &&
        xmlChildElementCount(metadata) == 1)
        abXmlRemove(metadata);
    else
        abXmlRemove(marker);
    return 0;
}

abQemuInflater
abQemuBalloonInflater(xmlDocPtr doc)
{
    xmlNodePtr root = abQemuDomainRoot(doc, NULL);
    g_autofree char *val = NULL;
    int inflater;

    if (!root)
        return AB_QEMU_INFLATER_DAEMON;
    val = abXmlProp(abQemuMarker(root), "inflater");
    inflater = abQemuInflaterFromString(val);
    return inflater < 0 ? AB_QEMU_INFLATER_DAEMON : inflater;
}

/* A policy on virtio-mem needs a binary whose virtio-mem-pci takes a
 * requested-size; nothing is emitted for it (QEMU's defaults are what the
 * backend wants: unplugged-inaccessible=auto, no prealloc). */
static int
abQemuCheckVirtioMem(xmlDocPtr doc, const abQemuCaps *caps, GError **error)
{
    unsigned int index;
    xmlNodePtr mem = abConfVirtioMemManaged(xmlDocGetRootElement(doc), &index);
    g_autofree char *name = NULL;

    if (!caps || !abXmlPropIs(mem, "autoballoon", "on") ||
        abQemuCapsHasMem(caps, AB_QEMU_MEM_CAP_REQUESTED_SIZE))
        return 0;
    name = abQemuDomainName(doc);
    g_set_error(error, AB_ERROR, AB_ERROR_UNSUPPORTED,
                "domain '%s': autoballoon='on' on <memory model='virtio-mem'>, but QEMU binary "
                "'%s' has no %s with requested-size (QEMU 5.1; with VFIO 6.2)",
                name ? name : "", caps->binary, AB_QEMU_VIRTIO_MEM_DEVICE);
    return -1;
}

int
abQemuExtendedToNativeDoc(xmlDocPtr doc, const abQemuCaps *caps,
                          abQemuBalloonResult *res, GError **error)
{
    abQemuBalloonRequest req;
    int changed;

    memset(res, 0, sizeof(*res));
    /* what the user wrote, before the conf step implies anything */
    if (abQemuCheckVirtioMem(doc, caps, error) < 0 ||
        abQemuBalloonRequestParse(doc, &req, error) < 0 ||
        (changed = abConfExtendedToNativeDoc(doc, error)) < 0 ||
        (caps && abQemuBalloonEmit(doc, &req, caps, res, error) < 0))
        return -1;
    return changed || res->added || res->dropped;
}

int
abQemuNativeToExtendedDoc(xmlDocPtr doc, GError **error)
{
    bool marked = abQemuMarker(xmlDocGetRootElement(doc)) != NULL;
    int changed;

    if (abQemuBalloonStrip(doc, error) < 0 ||
        (changed = abConfNativeToExtendedDoc(doc, error)) < 0)
        return -1;
    return marked || changed;
}

char *
abQemuBalloonStripXML(const char *nativeXml, GError **error)
{
    g_autoptr(xmlDoc) doc = abXmlParse(nativeXml, "domain XML", error);

    if (!doc || abQemuBalloonStrip(doc, error) < 0)
        return NULL;
    return abXmlFormatDoc(doc);
}

char *
abQemuExtendedToNative(const char *extendedXml, const abQemuCaps *caps,
                       abQemuBalloonResult *res, GError **error)
{
    g_autoptr(xmlDoc) doc = abXmlParse(extendedXml, "domain XML", error);
    int rc;

    if (!doc || (rc = abQemuExtendedToNativeDoc(doc, caps, res, error)) < 0)
        return NULL;
    /* untouched documents come back byte for byte */
    return rc ? abXmlFormatDoc(doc) : g_strdup(extendedXml);
}

char *
abQemuNativeToExtended(const char *nativeXml, GError **error)
{
    g_autoptr(xmlDoc) doc = abXmlParse(nativeXml, "domain XML", error);
    int rc;

    if (!doc || (rc = abQemuNativeToExtendedDoc(doc, error)) < 0)
        return NULL;
    return rc ? abXmlFormatDoc(doc) : g_strdup(nativeXml);
}
