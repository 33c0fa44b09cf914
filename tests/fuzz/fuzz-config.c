/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's configuration file (src/daemon): what it accepts passes its
 * own cross-key checks or is refused by them with a message. */
#include "fuzz.h"
#include "ab-daemon-config.h"

#include <math.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    abDaemonConfig *cfg;

    if (!(text = fuzzText(data, size, 64 * 1024)))
        return 0;
    cfg = abDaemonConfigNew();
    if (abDaemonConfigApplyData(cfg, "fuzz.conf", text, &err) == 0 &&
        abDaemonConfigCheck(cfg, "fuzz.conf", &err) == 0) {
        fuzzAssert(isfinite(cfg->tickSec) && cfg->tickSec > 0, "tick %g", cfg->tickSec);
    } else {
        fuzzAssert(err && err->message && strstr(err->message, "fuzz.conf"),
                   "refused without naming the file: %s", err ? err->message : "(none)");
    }
    abDaemonConfigFree(cfg);
    return 0;
}
