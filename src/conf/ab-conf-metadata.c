/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The live metadata elements besides the policy: pressure injected by the
 * virsh plugin, and the daemon's status. Both are single elements with
 * attributes only, parsed by namespace URI (virDomainGetMetadata returns
 * them without it). */
#include "ab-conf-priv.h"
#include "ab-namespace.h"
#include "ab-error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static xmlNodePtr
abConfMetadataRoot(xmlDocPtr doc, const char *name, const char *uri,
                   const char *const *attrs, GError **error)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);

    if (!abConfNodeIsOurs(root, name, uri)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "expected <%s xmlns='%s'>, got <%s>%s%s", name, uri,
                    (const char *)root->name,
                    root->ns ? " in namespace " : "",
                    root->ns ? (const char *)root->ns->href : "");
        return NULL;
    }
    for (xmlAttrPtr attr = root->properties; attr; attr = attr->next) {
        if (attr->ns || !g_strv_contains(attrs, (const char *)attr->name)) {
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "unknown attribute '%s' on <%s>", (const char *)attr->name, name);
            return NULL;
        }
    }
    for (xmlNodePtr cur = root->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE) {
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "unexpected element <%s> in <%s>", (const char *)cur->name, name);
            return NULL;
        }
    }
    return root;
}

static int
abConfAttrLevel(xmlNodePtr node, const char *elem, bool required, abLevel *level,
                GError **error)
{
    g_autofree char *val = abConfProp(node, "level");
    int lvl;

    if (!val) {
        if (!required) {
            *level = AB_LEVEL_NONE;
            return 0;
        }
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "<%s> has no level attribute (expected none, low, medium or critical)", elem);
        return -1;
    }
    if ((lvl = abLevelFromString(val)) < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid <%s> level '%s' (expected none, low, medium or critical)", elem, val);
        return -1;
    }
    *level = lvl;
    return 0;
}

static int
abConfAttrUInt(xmlNodePtr node, const char *elem, const char *name,
               unsigned long long max, unsigned long long *value, GError **error)
{
    g_autofree char *val = abConfProp(node, name);
    char *end = NULL;

    *value = 0;
    if (!val)
        return 0;
    errno = 0;
    if (g_ascii_isdigit(val[0]))
        *value = g_ascii_strtoull(val, &end, 10);
    if (!g_ascii_isdigit(val[0]) || *end || errno == ERANGE || *value > max) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid <%s> %s '%s': expected an integer from 0 to %llu", elem, name, val, max);
        return -1;
    }
    return 0;
}

static int
abConfAttrChoice(xmlNodePtr node, const char *elem, const char *name,
                 const char *const *choices, const char *expected, char **value,
                 GError **error)
{
    g_autofree char *val = abConfProp(node, name);

    if (val && !g_strv_contains(choices, val)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid <%s> %s '%s' (expected %s)", elem, name, val, expected);
        return -1;
    }
    *value = g_steal_pointer(&val);
    return 0;
}

int
abConfInjectedParse(const char *xml, abConfInjected *inj, GError **error)
{
    static const char *const attrs[] = { "level", "expires", NULL };
    xmlDocPtr doc;
    xmlNodePtr root;
    unsigned long long expires;
    int ret = -1;

    if (!(doc = abConfReadDoc(xml, "injected pressure metadata", error)))
        return -1;
    if (!(root = abConfMetadataRoot(doc, "pressure", AB_NS_PRESSURE_URI, attrs, error)) ||
        abConfAttrLevel(root, "pressure", true, &inj->level, error) < 0 ||
        abConfAttrUInt(root, "pressure", "expires", G_MAXINT64, &expires, error) < 0)
        goto cleanup;
    inj->expires = expires;
    ret = 0;

 cleanup:
    xmlFreeDoc(doc);
    return ret;
}

char *
abConfInjectedFormat(const abConfInjected *inj)
{
    xmlNodePtr node = xmlNewNode(NULL, BAD_CAST "pressure");
    g_autofree char *expires = g_strdup_printf("%" G_GINT64_FORMAT, MAX(inj->expires, 0));
    char *ret;

    xmlNewProp(node, BAD_CAST "level", BAD_CAST abLevelToString(inj->level));
    xmlNewProp(node, BAD_CAST "expires", BAD_CAST expires);
    ret = abConfWriteMetadataNode(node);
    xmlFreeNode(node);
    return ret;
}

void
abConfStatusClear(abConfStatus *st)
{
    g_free(st->source);
    g_free(st->action);
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
    g_autofree char *val = abConfProp(node, "reason");

    if (val && abPolicyReasonFromString(val) < 0 &&
        !g_strv_contains(abConfStatusExtraReasons, val)) {
        g_autoptr(GString) expected = g_string_new(NULL);

        for (int r = 0; r < AB_POLICY_REASON_LAST; r++)
            g_string_append_printf(expected, "%s, ", abPolicyReasonToString(r));
        for (int r = 0; abConfStatusExtraReasons[r]; r++)
            g_string_append_printf(expected, "%s%s", r ? ", " : "",
                                   abConfStatusExtraReasons[r]);
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid <status> reason '%s' (expected one of %s)", val, expected->str);
        return -1;
    }
    *reason = g_steal_pointer(&val);
    return 0;
}

int
abConfStatusParse(const char *xml, abConfStatus *st, GError **error)
{
    static const char *const attrs[] = {
        "level", "source", "target", "actual", "usable", "action", "reason",
        "error", "unresponsive", "time", NULL,
    };
    static const char *const sources[] = {
        "psi", "vmpressure", "headroom", "injected", AB_CONF_STATUS_SOURCE_QEMU, "none", NULL,
    };
    static const char *const actions[] = { "inflate", "deflate", "hold", "none", NULL };
    static const char *const yesno[] = { "yes", "no", NULL };
    xmlDocPtr doc;
    xmlNodePtr root;
    unsigned long long time;
    g_autofree char *unresponsive = NULL;
    int ret = -1;

    memset(st, 0, sizeof(*st));
    if (!(doc = abConfReadDoc(xml, "status metadata", error)))
        return -1;
    if (!(root = abConfMetadataRoot(doc, "status", AB_NS_STATUS_URI, attrs, error)) ||
        abConfAttrLevel(root, "status", true, &st->level, error) < 0 ||
        abConfAttrChoice(root, "status", "source", sources,
                         "psi, vmpressure, headroom, injected, qemu or none", &st->source, error) < 0 ||
        abConfAttrUInt(root, "status", "target", G_MAXUINT64, &st->targetKiB, error) < 0 ||
        abConfAttrUInt(root, "status", "actual", G_MAXUINT64, &st->actualKiB, error) < 0 ||
        abConfAttrUInt(root, "status", "usable", G_MAXUINT64, &st->usableKiB, error) < 0 ||
        abConfAttrChoice(root, "status", "action", actions,
                         "inflate, deflate, hold or none", &st->action, error) < 0 ||
        abConfStatusReason(root, &st->reason, error) < 0 ||
        abConfAttrChoice(root, "status", "unresponsive", yesno, "yes or no",
                         &unresponsive, error) < 0 ||
        abConfAttrUInt(root, "status", "time", G_MAXINT64, &time, error) < 0)
        goto cleanup;
    st->error = abConfProp(root, "error");
    st->unresponsive = g_strcmp0(unresponsive, "yes") == 0;
    st->time = time;
    ret = 0;

 cleanup:
    if (ret < 0)
        abConfStatusClear(st);
    xmlFreeDoc(doc);
    return ret;
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
    xmlNewProp(node, BAD_CAST "source", BAD_CAST (st->source ? st->source : "none"));
    abConfSetULL(node, "target", st->targetKiB);
    abConfSetULL(node, "actual", st->actualKiB);
    if (st->usableKiB)
        abConfSetULL(node, "usable", st->usableKiB);
    xmlNewProp(node, BAD_CAST "action", BAD_CAST (st->action ? st->action : "none"));
    if (st->reason)
        xmlNewProp(node, BAD_CAST "reason", BAD_CAST st->reason);
    if (st->error)
        xmlNewProp(node, BAD_CAST "error", BAD_CAST st->error);
    if (st->unresponsive)
        xmlNewProp(node, BAD_CAST "unresponsive", BAD_CAST "yes");
    abConfSetULL(node, "time", st->time > 0 ? (unsigned long long)st->time : 0);
    ret = abConfWriteMetadataNode(node);
    xmlFreeNode(node);
    return ret;
}
