/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-qemu-balloon.c: emit and strip the balloon options a QEMU binary has */
#include <string.h>
#include <libxml/parser.h>

#include "ab-conf.h"
#include "ab-enum.h"
#include "ab-error.h"
#include "ab-qemu-balloon.h"

AB_ENUM_IMPL(abQemuInflater, AB_QEMU_INFLATER_LAST, "daemon", "qemu");

#define XC(s) BAD_CAST (s)

static bool
abQemuNodeIs(xmlNodePtr node, const char *name, const char *href)
{
    if (!node || node->type != XML_ELEMENT_NODE ||
        !xmlStrEqual(node->name, XC(name)))
        return false;
    if (!href)
        return node->ns == NULL;
    return node->ns && xmlStrEqual(node->ns->href, XC(href));
}

/* First child element @name in namespace @href (NULL: none) whose
 * attribute @attr (NULL: any) equals @value. */
static xmlNodePtr
abQemuChild(xmlNodePtr parent, const char *name, const char *href,
            const char *attr, const char *value)
{
    if (!parent)
        return NULL;
    for (xmlNodePtr cur = parent->children; cur; cur = cur->next) {
        g_autofree char *got = NULL;

        if (!abQemuNodeIs(cur, name, href))
            continue;
        if (!attr)
            return cur;
        got = (char *)xmlGetProp(cur, XC(attr));
        if (g_strcmp0(got, value) == 0)
            return cur;
    }
    return NULL;
}

static bool
abQemuPropIs(xmlNodePtr node, const char *attr, const char *value)
{
    g_autofree char *got = node ? (char *)xmlGetProp(node, XC(attr)) : NULL;
    return g_strcmp0(got, value) == 0;
}

static void
abQemuRemoveNode(xmlNodePtr node)
{
    if (!node)
        return;
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

static char *
abQemuDomainName(xmlNodePtr root)
{
    xmlNodePtr name = abQemuChild(root, "name", NULL, NULL, NULL);
    char *val = name ? (char *)xmlNodeGetContent(name) : NULL;
    char *ret = g_strdup(val ? val : "(unnamed)");
    xmlFree(val);
    return ret;
}

static xmlNodePtr
abQemuDomainRoot(xmlDocPtr doc, GError **error)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

    if (!abQemuNodeIs(root, "domain", NULL)) {
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
    return abQemuChild(abQemuChild(root, "devices", NULL, NULL, NULL),
                       "memballoon", NULL, NULL, NULL);
}

static xmlNodePtr
abQemuMarker(xmlNodePtr root)
{
    return abQemuChild(abQemuChild(root, "metadata", NULL, NULL, NULL),
                       "balloon", AB_QEMU_NS_URI, NULL, NULL);
}

static abQemuSwitch
abQemuSwitchProp(xmlNodePtr node, const char *attr, const char *domname,
                 GError **error)
{
    g_autofree char *val = (char *)xmlGetProp(node, XC(attr));

    if (!val)
        return AB_QEMU_SWITCH_ABSENT;
    if (g_str_equal(val, "on"))
        return AB_QEMU_SWITCH_ON;
    if (g_str_equal(val, "off"))
        return AB_QEMU_SWITCH_OFF;
    g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                "domain '%s': <memballoon %s='%s'>: expected 'on' or 'off'",
                domname, attr, val);
    return AB_QEMU_SWITCH_LAST;
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
    domname = abQemuDomainName(root);
    req->autoballoon = abQemuPropIs(balloon, "autoballoon", "on");
    if ((req->autodeflate = abQemuSwitchProp(balloon, "autodeflate", domname,
                                             error)) == AB_QEMU_SWITCH_LAST ||
        (req->freePageReporting = abQemuSwitchProp(balloon, "freePageReporting",
                                                   domname, error)) == AB_QEMU_SWITCH_LAST)
        return -1;
    period = (char *)xmlGetProp(abQemuChild(balloon, "stats", NULL, NULL, NULL),
                                XC("period"));
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
    xmlNodePtr node = abQemuChild(parent, name, (const char *)ns->href, attr, value);

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
    if ((property = abQemuChild(frontend, "property", AB_QEMU_LIBVIRT_NS_URI,
                                "name", prop))) {
        *userTrue = abQemuPropIs(property, "type", "bool") &&
                    abQemuPropIs(property, "value", "true");
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
    xmlNodePtr metadata = abQemuChild(root, "metadata", NULL, NULL, NULL);

    if (!metadata) {
        static const char *before[] = { "description", "title", "genid", "uuid", "name" };
        xmlNodePtr anchor = NULL;

        metadata = xmlNewDocNode(root->doc, NULL, XC("metadata"), NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(before) && !anchor; i++)
            anchor = abQemuChild(root, before[i], NULL, NULL, NULL);
        if (anchor)
            xmlAddNextSibling(anchor, metadata);
        else if (root->children)
            xmlAddPrevSibling(root->children, metadata);
        else
            xmlAddChild(root, metadata);
        xmlSetProp(marker, XC("metadata"), XC("added"));
    }
    xmlAddChild(metadata, marker);
}

static void
abQemuDroppedAppend(xmlNodePtr marker, const char *what)
{
    g_autofree char *cur = (char *)xmlGetProp(marker, XC("dropped"));
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
    domname = abQemuDomainName(root);
    if (abQemuMarker(root)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "domain '%s': balloon options for QEMU were already emitted",
                    domname);
        return -1;
    }
    balloon = abQemuBalloonNode(root);
    model = balloon ? (char *)xmlGetProp(balloon, XC("model")) : NULL;
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
        abQemuPropIs(balloon, "autodeflate", "on")) {
        xmlUnsetProp(balloon, XC("autodeflate"));
        abQemuDroppedAppend(marker, "autodeflate");
        res->dropped |= AB_QEMU_CAP_FLAG(AB_QEMU_CAP_DEFLATE_ON_OOM);
    }
    stats = abQemuChild(balloon, "stats", NULL, NULL, NULL);
    if (!abQemuCapsHas(caps, AB_QEMU_CAP_GUEST_STATS_POLLING_INTERVAL) &&
        !req->statsPeriod && stats && xmlHasProp(stats, XC("period"))) {
        g_autofree char *period = (char *)xmlGetProp(stats, XC("period"));

        xmlUnsetProp(stats, XC("period"));
        xmlSetProp(marker, XC("stats-period"), XC(period));
        abQemuDroppedAppend(marker, "stats-period");
        if (!stats->properties && !stats->children) {
            abQemuRemoveNode(stats);
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
            xmlNodePtr aliasNode = abQemuChild(balloon, "alias", NULL, NULL, NULL);
            bool userTrue = false;

            alias = aliasNode ? (char *)xmlGetProp(aliasNode, XC("name")) : NULL;
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
    g_autofree char *prop = (char *)xmlGetProp(marker, XC("override"));
    g_autofree char *alias = (char *)xmlGetProp(marker, XC("override-alias"));
    g_autofree char *outer = (char *)xmlGetProp(marker, XC("override-added"));
    const char *href = AB_QEMU_LIBVIRT_NS_URI;
    xmlNodePtr override, device, frontend, property;

    if (!prop)
        return;
    override = abQemuChild(root, "override", href, NULL, NULL);
    device = abQemuChild(override, "device", href, "alias", alias);
    frontend = abQemuChild(device, "frontend", href, NULL, NULL);
    property = abQemuChild(frontend, "property", href, "name", prop);
    if (!property)
        return;     /* the user removed it already */

    /* Remove the outermost element added, unless the user put something
     * else in it since: then only the property goes. */
    if (g_strcmp0(outer, "override") == 0 &&
        xmlChildElementCount(override) == 1 && xmlChildElementCount(device) == 1 &&
        xmlChildElementCount(frontend) == 1)
        abQemuRemoveNode(override);
    else if (g_strcmp0(outer, "device") == 0 &&
             xmlChildElementCount(device) == 1 && xmlChildElementCount(frontend) == 1)
        abQemuRemoveNode(device);
    else if (g_strcmp0(outer, "frontend") == 0 && xmlChildElementCount(frontend) == 1)
        abQemuRemoveNode(frontend);
    else
        abQemuRemoveNode(property);

    if (abQemuPropIs(marker, "override-ns", "added"))
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
    if (balloon && abQemuPropIs(marker, "free-page-reporting", "added") &&
        abQemuPropIs(balloon, "freePageReporting", "on"))
        xmlUnsetProp(balloon, XC("freePageReporting"));

    dropped = (char *)xmlGetProp(marker, XC("dropped"));
    drops = g_strsplit(dropped ? dropped : "", " ", -1);
    for (size_t i = 0; balloon && drops[i]; i++) {
        if (g_str_equal(drops[i], "autodeflate") &&
            !xmlHasProp(balloon, XC("autodeflate"))) {
            xmlSetProp(balloon, XC("autodeflate"), XC("on"));
        } else if (g_str_equal(drops[i], "stats-period")) {
            g_autofree char *period = (char *)xmlGetProp(marker, XC("stats-period"));
            xmlNodePtr stats = abQemuChild(balloon, "stats", NULL, NULL, NULL);

            if (!stats) {
                stats = xmlNewDocNode(doc, NULL, XC("stats"), NULL);
                if (balloon->children)
                    xmlAddPrevSibling(balloon->children, stats);
                else
                    xmlAddChild(balloon, stats);
            }
            if (period && !xmlHasProp(stats, XC("period")))
                xmlSetProp(stats, XC("period"), XC(period));
        }
    }

    if (abQemuPropIs(marker, "metadata", "added") &&
        xmlChildElementCount(metadata) == 1)
        abQemuRemoveNode(metadata);
    else
        abQemuRemoveNode(marker);
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
    val = (char *)xmlGetProp(abQemuMarker(root), XC("inflater"));
    inflater = abQemuInflaterFromString(val);
    return inflater < 0 ? AB_QEMU_INFLATER_DAEMON : inflater;
}

static xmlDocPtr
abQemuParse(const char *xml, GError **error)
{
    xmlDocPtr doc = xmlReadMemory(xml, strlen(xml), "domain.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOBLANKS |
                                  XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *xerr = xmlGetLastError();
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "malformed domain XML: %s",
                    xerr && xerr->message ? g_strstrip(xerr->message) : "unknown error");
    }
    return doc;
}

static char *
abQemuFormat(xmlDocPtr doc)
{
    xmlChar *buf = NULL;
    int len = 0;
    char *ret;

    xmlDocDumpFormatMemory(doc, &buf, &len, 1);
    /* drop the <?xml ...?> declaration: libvirt neither needs nor writes it */
    ret = g_strdup(strstr((char *)buf, "?>\n") ? strstr((char *)buf, "?>\n") + 3
                                               : (char *)buf);
    xmlFree(buf);
    return ret;
}

char *
abQemuBalloonEmitXML(const char *extendedXml, const char *nativeXml,
                     const abQemuCaps *caps, abQemuBalloonResult *res,
                     GError **error)
{
    xmlDocPtr ext = abQemuParse(extendedXml, error);
    xmlDocPtr nat = NULL;
    abQemuBalloonRequest req;
    char *ret = NULL;

    if (!ext)
        return NULL;
    if (abQemuBalloonRequestParse(ext, &req, error) == 0 &&
        (nat = abQemuParse(nativeXml, error)) &&
        abQemuBalloonEmit(nat, &req, caps, res, error) == 0) {
        /* untouched documents come back byte for byte */
        ret = res->added || res->dropped ? abQemuFormat(nat) : g_strdup(nativeXml);
    }
    xmlFreeDoc(ext);
    if (nat)
        xmlFreeDoc(nat);
    return ret;
}

char *
abQemuBalloonStripXML(const char *nativeXml, GError **error)
{
    xmlDocPtr doc = abQemuParse(nativeXml, error);
    char *ret = NULL;

    if (!doc)
        return NULL;
    if (!abQemuMarker(xmlDocGetRootElement(doc)))
        ret = g_strdup(nativeXml);
    else if (abQemuBalloonStrip(doc, error) == 0)
        ret = abQemuFormat(doc);
    xmlFreeDoc(doc);
    return ret;
}

char *
abQemuExtendedToNative(const char *extendedXml, const abQemuCaps *caps,
                       abQemuBalloonResult *res, GError **error)
{
    g_autofree char *native = abConfExtendedToNative(extendedXml, error);

    if (!native)
        return NULL;
    return abQemuBalloonEmitXML(extendedXml, native, caps, res, error);
}

char *
abQemuNativeToExtended(const char *nativeXml, GError **error)
{
    g_autofree char *stripped = abQemuBalloonStripXML(nativeXml, error);

    if (!stripped)
        return NULL;
    return abConfNativeToExtended(stripped, error);
}
