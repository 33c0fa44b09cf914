/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The output of `qemu-system-x86_64 -device virtio-balloon-pci,help`
 * (src/qemu), both of its formats. */
#include "fuzz.h"
#include "ab-qemu-caps.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    g_autofree char *flagstr = NULL;
    guint flags = 0;

    if (!(text = fuzzText(data, size, 256 * 1024)))
        return 0;
    if (abQemuCapsParseDeviceHelp(text, "virtio-balloon-pci", &flags, NULL) == 0) {
        flagstr = abQemuCapsFlagsFormat(flags);
        fuzzAssert(flagstr, "flags %u", flags);
    }
    return 0;
}
