/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-domain.c: what the commands read from a domain besides metadata
 * values: the metadata itself and the balloon device. */
#include "ab-vsh.h"
#include "ab-size.h"

#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

int
abVshGetMetadata(abVshControl *ctl, virDomainPtr dom, const char *uri,
                 unsigned int flags, char **xml)
{
    virErrorPtr err;

    *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, uri, flags);
    if (*xml)
        return 1;
    err = virGetLastError();
    if (err && err->code == VIR_ERR_NO_DOMAIN_METADATA) {
        virResetLastError();
        return 0;
    }
    abVshError(ctl, "failed to read the metadata of domain '%s'",
               virDomainGetName(dom));
    abVshReportLibvirtError(ctl);
    return -1;
}

void
abVshBalloonInfoClear(abVshBalloonInfo *info)
{
    g_clear_pointer(&info->model, g_free);
    memset(info, 0, sizeof(*info));
}

static char *
abVshXPathString(xmlXPathContextPtr xpath, const char *expr)
{
    xmlXPathObjectPtr obj = xmlXPathEvalExpression(BAD_CAST expr, xpath);
    char *ret = NULL;

    if (obj && obj->type == XPATH_STRING && obj->stringval && obj->stringval[0])
        ret = g_strdup((const char *)obj->stringval);
    xmlXPathFreeObject(obj);
    return ret;
}

int
abVshDomainBalloon(abVshControl *ctl, virDomainPtr dom,
                   unsigned int xmlflags, abVshBalloonInfo *info)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, xmlflags);
    g_autofree char *model = NULL;
    g_autofree char *deflate = NULL;
    g_autofree char *period = NULL;
    g_autofree char *memory = NULL;
    g_autofree char *unit = NULL;
    g_autofree char *count = NULL;
    xmlDocPtr doc;
    xmlXPathContextPtr xpath;

    memset(info, 0, sizeof(*info));
    if (!xml) {
        abVshError(ctl, "failed to get the XML of domain '%s'", virDomainGetName(dom));
        abVshReportLibvirtError(ctl);
        return -1;
    }
    doc = xmlReadMemory(xml, strlen(xml), "domain.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    if (!doc) {
        abVshError(ctl, "cannot parse the XML of domain '%s'", virDomainGetName(dom));
        return -1;
    }
    xpath = xmlXPathNewContext(doc);
    count = abVshXPathString(xpath, "string(count(/domain/devices/memballoon))");
    info->present = count && strcmp(count, "0") != 0;
    model = abVshXPathString(xpath, "string(/domain/devices/memballoon/@model)");
    deflate = abVshXPathString(xpath, "string(/domain/devices/memballoon/@autodeflate)");
    period = abVshXPathString(xpath, "string(/domain/devices/memballoon/stats/@period)");
    memory = abVshXPathString(xpath, "string(/domain/memory)");
    unit = abVshXPathString(xpath, "string(/domain/memory/@unit)");
    xmlXPathFreeContext(xpath);
    xmlFreeDoc(doc);

    info->model = g_steal_pointer(&model);
    info->autodeflate = deflate && strcmp(deflate, "on") == 0;
    if (period)
        info->statsPeriod = strtoul(period, NULL, 10);
    if (memory) {
        unsigned long long bytes = 0;
        if (abSizeParse("memory", memory, unit, 1024, &bytes, NULL) == 0)
            info->memoryKiB = bytes / 1024;
    }
    return 0;
}

char *
abVshNodeToString(xmlNodePtr node)
{
    xmlBufferPtr buf = xmlBufferCreate();
    char *ret;

    xmlNodeDump(buf, node->doc, node, 0, 1);
    ret = g_strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    return ret;
}

char *
abVshFormatKiB(unsigned long long kib)
{
    const char *unit = "KiB";
    unsigned long long value = kib ? abSizeExact(kib * 1024, &unit) : 0;

    return g_strdup_printf("%llu %s", value, unit);
}

int
abVshSetMetadata(virDomainPtr dom, const char *xml, const char *prefix,
                 const char *uri, unsigned int flags)
{
    /* src/conf formats the unqualified element virDomainSetMetadata takes */
    return virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
                                xml, xml ? prefix : NULL, uri, flags);
}
