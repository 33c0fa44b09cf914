/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-pressure-threshold.c: cgroup v1 memory usage thresholds.
 *
 * `cgroup.event_control` <- "<eventfd> <fd of memory.usage_in_bytes>
 * <bytes>" makes the kernel signal the eventfd each time the cgroup's
 * usage crosses <bytes>, either way. Headroom then wakes the daemon the
 * moment the guests' cgroup passes a mark, instead of at the next tick:
 * PSI and vmpressure speak only once reclaim hurts, usage speaks first.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ab-pressure.h"
#include "ab-error.h"

struct _abUsageThresholds {
    int usageFd;
    guint n;
    int fds[AB_USAGE_THRESHOLDS_MAX];
    guint64 bytes[AB_USAGE_THRESHOLDS_MAX];
};

void
abUsageThresholdsFree(abUsageThresholds *t)
{
    if (!t)
        return;
    /* closing an eventfd unregisters its event in the kernel */
    for (guint i = 0; i < t->n; i++)
        close(t->fds[i]);
    if (t->usageFd >= 0)
        close(t->usageFd);
    g_free(t);
}

guint
abUsageThresholdsMarks(guint64 limitBytes, double freeBelow, guint64 *bytes)
{
    guint n = 0;

    if (limitBytes == 0 || limitBytes >= AB_CGROUP_V1_UNLIMITED ||
        !(freeBelow > 0 && freeBelow < 1))
        return 0;
    /* the low mark, then every 2.5 % of the limit up to 97.5 % */
    for (double used = 1 - freeBelow; used < 0.99 && n < AB_USAGE_THRESHOLDS_MAX;
         used += 0.025)
        bytes[n++] = (guint64) ((double) limitBytes * used);
    return n;
}

abUsageThresholds *
abUsageThresholdsOpen(const char *cgroupDir, const guint64 *bytes, guint n,
                      GError **error)
{
    g_autofree char *usagePath = g_build_filename(cgroupDir, "memory.usage_in_bytes", NULL);
    g_autofree char *ctlPath = g_build_filename(cgroupDir, "cgroup.event_control", NULL);
    abUsageThresholds *t = g_new0(abUsageThresholds, 1);
    int ctlFd = -1;

    t->usageFd = -1;
    if ((t->usageFd = open(usagePath, O_RDONLY | O_CLOEXEC)) < 0 ||
        (ctlFd = open(ctlPath, O_WRONLY | O_CLOEXEC)) < 0) {
        int err = errno;

        g_set_error(error, AB_ERROR, err == ENOENT ? AB_ERROR_UNSUPPORTED : AB_ERROR_SYSTEM,
                    "usage thresholds: cannot open %s: %s",
                    t->usageFd < 0 ? usagePath : ctlPath, g_strerror(err));
        goto error;
    }
    if (!abPressureIsKernelFile(ctlFd)) {
        g_set_error(error, AB_ERROR, AB_ERROR_UNSUPPORTED,
                    "usage thresholds: %s is not on cgroupfs", ctlPath);
        goto error;
    }
    for (guint i = 0; i < n && i < AB_USAGE_THRESHOLDS_MAX; i++) {
        g_autofree char *line = NULL;
        int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

        if (efd < 0) {
            g_set_error(error, AB_ERROR, AB_ERROR_SYSTEM,
                        "usage thresholds: eventfd: %s", g_strerror(errno));
            goto error;
        }
        t->fds[t->n] = efd;
        t->bytes[t->n] = bytes[i];
        t->n++;
        line = g_strdup_printf("%d %d %" G_GUINT64_FORMAT, efd, t->usageFd, bytes[i]);
        if (write(ctlFd, line, strlen(line)) < 0) {
            g_set_error(error, AB_ERROR, AB_ERROR_SYSTEM,
                        "usage thresholds: %s <- '%s': %s", ctlPath, line, g_strerror(errno));
            goto error;
        }
    }
    close(ctlFd);
    return t;

 error:
    if (ctlFd >= 0)
        close(ctlFd);
    abUsageThresholdsFree(t);
    return NULL;
}

guint
abUsageThresholdsCount(const abUsageThresholds *t)
{
    return t ? t->n : 0;
}

int
abUsageThresholdsFd(const abUsageThresholds *t, guint i)
{
    return t && i < t->n ? t->fds[i] : -1;
}

guint64
abUsageThresholdsDrain(abUsageThresholds *t)
{
    guint64 total = 0;

    for (guint i = 0; t && i < t->n; i++) {
        eventfd_t v;

        if (eventfd_read(t->fds[i], &v) == 0)
            total += v;
    }
    return total;
}
