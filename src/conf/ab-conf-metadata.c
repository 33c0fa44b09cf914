/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The live metadata elements besides the policy: pressure injected by the
 * virsh plugin, and the daemon's status. Both are single elements with
 * attributes only, parsed by namespace URI (virDomainGetMetadata returns
 * them without it). */
#include "ab-conf-priv.h"
#include "ab-namespace.h"
#include "ab-error.h"

#include <string.h>

static xmlNodePtr
abConfMetadataRoot(xmlDocPtr doc, const char *name, const char *uri,
                   const char *const *attrs, GError **error)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr child;

    if (!abConfNodeIsOurs(root, name, uri)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "expected <%s xmlns='%s'>, got <%s>%s%s", name, uri,
                    (const char *)root->name,
                    root->ns ? " in namespace " : "",
                    root->ns ? (const char *)root->ns->href : "");
        return NULL;
    }
    if (abXmlCheckAttrs(root, attrs, error) < 0)
        return NULL;
    if ((child = abXmlFirstElement(root))) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "<%s><%s>: unexpected element (<%s> has attributes only)",
                    name, (const char *)child->name, name);
        return NULL;
    }
    return root;
}

static const char *
abConfLevelName(int level)
{
    return abLevelToString(level);
}

static const char *
abConfSourceName(int source)
{
    return abStatusSourceToString(source);
}

static const char *
abConfActionName(int action)
{
    return abStatusActionToString(action);
}

static int
abConfAttrLevel(xmlNodePtr node, abLevel *level, GError **error)
{
    int lvl;

    if (abXmlPropEnum(node, "level", abConfLevelName, AB_LEVEL_NONE, AB_LEVEL_LAST,
                      AB_XML_REQUIRED, &lvl, error) < 0)
        return -1;
    *level = lvl;
    return 0;
}

static int
abConfAttrUInt(xmlNodePtr node, const char *name, unsigned long long max,
               unsigned long long *value, GError **error)
{
    *value = 0;
    return abXmlPropUInt(node, name, 0, max, 0, value, error) < 0 ? -1 : 0;
}

static int
abConfAttrChoice(xmlNodePtr node, const char *name, const char *const *choices,
                 char **value, GError **error)
{
    *value = NULL;
    return abXmlPropChoice(node, name, choices, 0, value, error) < 0 ? -1 : 0;
}

int
abConfInjectedParse(const char *xml, abConfInjected *inj, GError **error)
{
    static const char *const attrs[] = { "level", "expires", NULL };
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr root;
    unsigned long long expires;

    if (!(doc = abXmlParse(xml, "injected pressure metadata", error)) ||
        !(root = abConfMetadataRoot(doc, "pressure", AB_NS_PRESSURE_URI, attrs, error)) ||
        abConfAttrLevel(root, &inj->level, error) < 0 ||
        abConfAttrUInt(root, "expires", G_MAXINT64, &expires, error) < 0)
        return -1;
    inj->expires = expires;
    return 0;
}

char *
abConfInjectedFormat(const abConfInjected *inj)
{
    xmlNodePtr node = xmlNewNode(NULL, BAD_CAST "pressure");
    g_autofree char *expires = g_strdup_printf("%" G_GINT64_FORMAT, MAX(inj->expires, 0));
    char *ret;

    xmlNewProp(node, BAD_CAST "level", BAD_CAST abLevelToString(inj->level));
    xmlNewProp(node, BAD_CAST "expires", BAD_CAST expires);
    ret = abXmlFormatUnqualified(node);
    xmlFreeNode(node);
    return ret;
}

void
abConfStatusClear(abConfStatus *st)
{
    g_free(st->reason);
    g_free(st->error);
    memset(st, 0, sizeof(*st));
}

/* Reasons a status may give besides the engine's own: who moved a balloon
 * the engine does not drive. */
static const char *const abConfStatusExtraReasons[] = {
    AB_CONF_STATUS_REASON_QEMU,
    AB_CONF_STATUS_REASON_BAD_POLICY,
    AB_CONF_STATUS_REASON_BAD_PRESSURE,
    NULL,
};

static int
abConfStatusReason(xmlNodePtr node, char **reason, GError **error)
{
    g_autoptr(GPtrArray) reasons = g_ptr_array_new();

    for (int r = 0; r < AB_POLICY_REASON_LAST; r++)
        g_ptr_array_add(reasons, (gpointer)abPolicyReasonToString(r));
    for (size_t i = 0; abConfStatusExtraReasons[i]; i++)
        g_ptr_array_add(reasons, (gpointer)abConfStatusExtraReasons[i]);
    g_ptr_array_add(reasons, NULL);
    return abConfAttrChoice(node, "reason", (const char *const *)reasons->pdata,
                            reason, error);
}

int
abConfStatusParse(const char *xml, abConfStatus *st, GError **error)
{
    static const char *const attrs[] = {
        "level", "source", "target", "actual", "usable", "action", "reason",
        "error", "unresponsive", "time", NULL,
    };
    static const char *const yesno[] = { "yes", "no", NULL };
    g_autoptr(xmlDoc) doc = NULL;
    xmlNodePtr root;
    unsigned long long time;
    g_autofree char *unresponsive = NULL;
    int source = AB_STATUS_SOURCE_NONE, action = AB_STATUS_ACTION_NONE;

    memset(st, 0, sizeof(*st));
    if (!(doc = abXmlParse(xml, "status metadata", error)) ||
        !(root = abConfMetadataRoot(doc, "status", AB_NS_STATUS_URI, attrs, error)) ||
        abConfAttrLevel(root, &st->level, error) < 0 ||
        abXmlPropEnum(root, "source", abConfSourceName, AB_STATUS_SOURCE_NONE,
                      AB_STATUS_SOURCE_LAST, 0, &source, error) < 0 ||
        abConfAttrUInt(root, "target", G_MAXUINT64, &st->targetKiB, error) < 0 ||
        abConfAttrUInt(root, "actual", G_MAXUINT64, &st->actualKiB, error) < 0 ||
        abConfAttrUInt(root, "usable", G_MAXUINT64, &st->usableKiB, error) < 0 ||
        abXmlPropEnum(root, "action", abConfActionName, AB_STATUS_ACTION_NONE,
                      AB_STATUS_ACTION_LAST, 0, &action, error) < 0 ||
        abConfStatusReason(root, &st->reason, error) < 0 ||
        abConfAttrChoice(root, "unresponsive", yesno, &unresponsive, error) < 0 ||
        abConfAttrUInt(root, "time", G_MAXINT64, &time, error) < 0) {
        abConfStatusClear(st);
        return -1;
    }
    st->error = abXmlProp(root, "error");
    st->unresponsive = g_strcmp0(unresponsive, "yes") == 0;
    st->source = source;
    st->action = action;
    st->time = time;
    return 0;
}

static void
abConfSetULL(xmlNodePtr node, const char *name, unsigned long long value)
{
    g_autofree char *text = g_strdup_printf("%llu", value);

    xmlNewProp(node, BAD_CAST name, BAD_CAST text);
}

char *
abConfStatusFormat(const abConfStatus *st)
{
    xmlNodePtr node = xmlNewNode(NULL, BAD_CAST "status");
    char *ret;

    xmlNewProp(node, BAD_CAST "level", BAD_CAST abLevelToString(st->level));
    xmlNewProp(node, BAD_CAST "source", BAD_CAST (abStatusSourceToString(st->source) ?: "none"));
    abConfSetULL(node, "target", st->targetKiB);
    abConfSetULL(node, "actual", st->actualKiB);
    if (st->usableKiB)
        abConfSetULL(node, "usable", st->usableKiB);
    xmlNewProp(node, BAD_CAST "action", BAD_CAST (abStatusActionToString(st->action) ?: "none"));
    if (st->reason)
        xmlNewProp(node, BAD_CAST "reason", BAD_CAST st->reason);
    if (st->error)
        xmlNewProp(node, BAD_CAST "error", BAD_CAST st->error);
    if (st->unresponsive)
        xmlNewProp(node, BAD_CAST "unresponsive", BAD_CAST "yes");
    abConfSetULL(node, "time", st->time > 0 ? (unsigned long long)st->time : 0);
    ret = abXmlFormatUnqualified(node);
    xmlFreeNode(node);
    return ret;
}
