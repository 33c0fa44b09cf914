/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel pressure text (src/pressure): PSI files, /proc/meminfo, and the
 * cgroup v1/v2 usage and limit files (input: "usage\0limit"). */
#include "fuzz.h"
#include "ab-pressure.h"

#include <math.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    const char *second;
    abPsiStats psi;
    abHeadroom hr;
    abHeadroomConfig cfg;
    guint64 request;
    double freePercent;

    if (!(text = fuzzText(data, size, 64 * 1024)))
        return 0;
    /* the second file starts after the first NUL (or is empty) */
    second = memchr(data, '\0', size) ? text + strlen(text) + 1 : "";

    if (abPsiParse(text, &psi, NULL) == 0) {
        fuzzAssert(isfinite(psi.some.avg10) && isfinite(psi.some.avg60) &&
                   isfinite(psi.some.avg300), "non-finite PSI average");
        fuzzAssert(!psi.hasFull || (isfinite(psi.full.avg10) && isfinite(psi.full.avg60) &&
                                    isfinite(psi.full.avg300)), "non-finite PSI average");
    }

    abHeadroomConfigDefaults(&cfg);
    if (abHeadroomParseMeminfo(text, &hr, NULL) == 0) {
        fuzzAssert(hr.freeKiB <= hr.totalKiB || !hr.limited, "free above total");
        abHeadroomLevel(&cfg, &hr, &request, &freePercent);
    }
    if (abHeadroomFromCgroupV1(text, second, &hr, NULL) == 0)
        abHeadroomLevel(&cfg, &hr, &request, &freePercent);
    if (abHeadroomFromCgroupV2(text, second, &hr, NULL) == 0)
        abHeadroomLevel(&cfg, &hr, &request, &freePercent);
    return 0;
}
