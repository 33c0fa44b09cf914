/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt-native domain XML (as libvirt stores it, with our metadata) ->
 * extended XML (src/conf). */
#include "fuzz.h"
#include "ab-conf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = NULL;
    g_autofree char *ext = NULL;
    g_autoptr(GError) err = NULL;

    if (!(xml = fuzzText(data, size, 256 * 1024)))
        return 0;
    if (!(ext = abConfNativeToExtended(xml, &err)))
        fuzzAssert(err && err->message && *err->message, "refused without a message");
    return 0;
}
