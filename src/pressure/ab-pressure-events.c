/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-pressure-events.c: cgroup v2 memory.events as a wake-up.
 *
 * cgroup v2 has no usage thresholds. What it has is memory.events: counters
 * of the times the cgroup was reclaimed under its memory.low protection
 * (low), throttled over memory.high (high), reclaimed at memory.max (max),
 * and ran out of memory (oom, oom_kill). The kernel raises a "file
 * modified" event each time one of them changes (cgroup-v2.rst), which
 * inotify delivers (IN_MODIFY; systemd watches the same file so). A
 * cgroup v2 headroom source re-samples the moment the guests' cgroup meets
 * its limit, instead of at the next tick.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "ab-pressure.h"
#include "ab-error.h"

static const char * const abMemoryEventsKeys[] = {
    "low", "high", "max", "oom", "oom_kill",
};

guint64
abMemoryEventsParse(const char *text)
{
    guint64 total = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(abMemoryEventsKeys); i++) {
        guint64 v = abHeadroomParseStat(text, abMemoryEventsKeys[i]);

        /* counters only grow; a sum that wraps is still a change */
        total += v;
    }
    return total;
}

struct _abMemoryEvents {
    int fd;            /* inotify */
    char *path;
    guint64 total;     /* sum of the counters at the last read */
};

void
abMemoryEventsFree(abMemoryEvents *ev)
{
    if (!ev)
        return;
    if (ev->fd >= 0)
        close(ev->fd);
    g_free(ev->path);
    g_free(ev);
}

static int
abMemoryEventsReadTotal(const char *path, guint64 *total, GError **error)
{
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, error))
        return -1;
    *total = abMemoryEventsParse(text);
    return 0;
}

abMemoryEvents *
abMemoryEventsOpen(const char *cgroupDir, GError **error)
{
    g_autoptr(abMemoryEvents) ev = g_new0(abMemoryEvents, 1);

    ev->path = g_build_filename(cgroupDir, "memory.events", NULL);
    ev->fd = -1;
    if (!g_file_test(ev->path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, AB_ERROR, AB_ERROR_UNSUPPORTED,
                    "memory events: no %s", ev->path);
        return NULL;
    }
    if (abMemoryEventsReadTotal(ev->path, &ev->total, error) < 0)
        return NULL;
    if ((ev->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
        inotify_add_watch(ev->fd, ev->path, IN_MODIFY) < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_SYSTEM,
                    "memory events: cannot watch %s: %s", ev->path, g_strerror(errno));
        return NULL;
    }
    return g_steal_pointer(&ev);
}

int
abMemoryEventsFd(const abMemoryEvents *ev)
{
    return ev ? ev->fd : -1;
}

int
abMemoryEventsCollect(abMemoryEvents *ev)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    guint64 total;

    /* the inotify events say only "modified": drain them, then read */
    while (read(ev->fd, buf, sizeof(buf)) > 0)
        ;
    if (abMemoryEventsReadTotal(ev->path, &total, NULL) < 0)
        return -1;
    if (total == ev->total)
        return 0;
    ev->total = total;
    return 1;
}
