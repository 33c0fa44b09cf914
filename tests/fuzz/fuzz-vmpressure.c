/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup v1 vmpressure (src/pressure): the eventfd counters (the first 24
 * bytes: one 64-bit count per level, as the kernel would have added them)
 * and the text that finds the memory.pressure_level files: /proc/PID/cgroup
 * and /proc/self/mounts (the rest of the input, for both). */
#include "fuzz.h"
#include "ab-pressure.h"

#include <sys/eventfd.h>
#include <unistd.h>

static void
fuzzCounters(const uint8_t *data, size_t size)
{
    int fds[3];
    g_autoptr(abVmpressure) vmp = NULL;
    guint64 events = 0, want = 0;
    abLevel level, top = AB_LEVEL_NONE;

    for (int i = 0; i < 3; i++) {
        fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        fuzzAssert(fds[i] >= 0, "eventfd");
    }
    vmp = abVmpressureNewFromFds(fds);
    for (int i = 0; i < 3 && (size_t) (i + 1) * 8 <= size; i++) {
        eventfd_t v;

        memcpy(&v, data + i * 8, 8);
        /* the kernel adds at most 2^64-2 before the counter is full */
        if (eventfd_write(fds[i], v) == 0 && v) {
            want += v;
            top = AB_LEVEL_LOW + i;
        }
    }
    level = abVmpressureCollect(vmp, &events);
    fuzzAssert(level == top, "level %d, expected %d", level, top);
    fuzzAssert(events == want, "events %" G_GUINT64_FORMAT, events);
    fuzzAssert(abVmpressureCollect(vmp, &events) == AB_LEVEL_NONE && events == 0,
               "counts not reset");
}

/* @text as /proc/PID/cgroup and as /proc/self/mounts */
static void
fuzzCgroupText(const char *text)
{
    g_autofree char *v1 = NULL;
    g_autofree char *v2 = NULL;
    g_autofree char *v1mount = NULL;
    g_autofree char *v2mount = NULL;
    g_autofree char *parent = NULL;

    if (abCgroupParseProcCgroup(text, &v1, &v2, NULL) == 0) {
        const char *paths[2] = { v1 ? v1 : "/", v2 ? v2 : "/" };

        parent = abCgroupCommonParent(paths, 2);
    }
    abCgroupParseMounts(text, &v1mount, &v2mount);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;

    fuzzInit();
    if (size > 64 * 1024)
        return 0;
    fuzzCounters(data, size);
    text = fuzzString(data + MIN(size, 24), size - MIN(size, 24));
    fuzzCgroupText(text);
    return 0;
}
