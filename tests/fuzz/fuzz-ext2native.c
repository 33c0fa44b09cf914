/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Extended domain XML -> libvirt-native XML (src/conf). What the
 * translation accepts must translate back and forth again, and from then
 * on be stable (the first pass may only change the layout of text the
 * input indented its own way). */
#include "fuzz.h"
#include "ab-conf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = NULL;
    g_autofree char *native = NULL;
    g_autofree char *ext = NULL;
    g_autofree char *native2 = NULL;
    g_autofree char *ext2 = NULL;
    g_autofree char *native3 = NULL;
    g_autoptr(GError) err = NULL;

    fuzzInit();
    if (size > 256 * 1024)
        return 0;
    xml = fuzzString(data, size);
    if (!(native = abConfExtendedToNative(xml, &err))) {
        fuzzAssert(err && err->message && *err->message, "refused without a message");
        return 0;
    }
    ext = abConfNativeToExtended(native, &err);
    fuzzAssert(ext, "native form not read back: %s\n%s", err->message, native);
    native2 = abConfExtendedToNative(ext, &err);
    fuzzAssert(native2, "extended form not translated again: %s\n%s", err->message, ext);
    ext2 = abConfNativeToExtended(native2, &err);
    fuzzAssert(ext2, "native form not read back: %s\n%s", err->message, native2);
    native3 = abConfExtendedToNative(ext2, &err);
    fuzzAssert(native3, "extended form not translated again: %s\n%s", err->message, ext2);
    fuzzAssert(g_str_equal(native2, native3), "not stable:\n%s\n---\n%s", native2, native3);
    return 0;
}
