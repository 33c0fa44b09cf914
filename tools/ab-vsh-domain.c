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
abVshDomainBalloon(xmlDocPtr doc, abVshBalloonInfo *info)
{
    xmlNodePtr balloon = abXmlChildPath(xmlDocGetRootElement(doc), "devices", "memballoon", NULL);
    g_autofree char *period = abXmlProp(abXmlChild(balloon, "stats", NULL), "period");

    info->autodeflate = abXmlPropIs(balloon, "autodeflate", "on");
    info->statsPeriod = period ? strtoul(period, NULL, 10) : 0;
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
