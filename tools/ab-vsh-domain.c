/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-domain.c: what the commands read from a domain besides metadata
 * values: the metadata itself and the balloon device. */
#include "ab-vsh.h"
#include "ab-size.h"
#include "ab-xml.h"

#include <stdlib.h>
#include <string.h>

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

int
abVshDomainBalloon(xmlDocPtr doc, abVshBalloonInfo *info)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr balloon = abXmlChildPath(root, "devices", "memballoon", NULL);
    xmlNodePtr memory = abXmlChild(root, "memory", NULL);
    g_autofree char *period = abXmlProp(abXmlChild(balloon, "stats", NULL), "period");

    memset(info, 0, sizeof(*info));
    info->present = balloon != NULL;
    info->model = abXmlProp(balloon, "model");
    info->autodeflate = abXmlPropIs(balloon, "autodeflate", "on");
    if (period)
        info->statsPeriod = strtoul(period, NULL, 10);
    if (memory) {
        g_autofree char *text = abXmlText(memory);
        g_autofree char *unit = abXmlProp(memory, "unit");
        unsigned long long bytes = 0;

        if (abSizeParse("memory", text, unit, 1024, &bytes, NULL) == 0)
            info->memoryKiB = bytes / 1024;
    }
    return 0;
}

char *
abVshFormatKiB(unsigned long long kib)
{
    const char *unit;
    unsigned long long value = abSizeExact(kib * 1024, &unit);

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
