/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Extended domain XML -> libvirt-native XML (src/conf). What the
 * translation accepts must translate back and forth again, and from then
 * on be stable (the first pass may only change the layout of text the
 * input indented its own way). */
#include "fuzz.h"
#include "ab-conf.h"

/* @native read back as extended XML and that translated again: both must
 * succeed. Returns the native form of the second pass. */
static char *
roundTrip(const char *native)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *ext = abConfNativeToExtended(native, &err);
    char *again;

    fuzzAssert(ext, "native form not read back: %s\n%s", err->message, native);
    again = abConfExtendedToNative(ext, &err);
    fuzzAssert(again, "extended form not translated again: %s\n%s", err->message, ext);
    return again;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = NULL;
    g_autofree char *native = NULL;
    g_autofree char *native2 = NULL;
    g_autofree char *native3 = NULL;
    g_autoptr(GError) err = NULL;

    if (!(xml = fuzzText(data, size, 256 * 1024)))
        return 0;
    if (!(native = abConfExtendedToNative(xml, &err))) {
        fuzzAssert(err && err->message && *err->message, "refused without a message");
        return 0;
    }
    native2 = roundTrip(native);
    native3 = roundTrip(native2);
    fuzzAssert(g_str_equal(native2, native3), "not stable:\n%s\n---\n%s", native2, native3);
    return 0;
}
