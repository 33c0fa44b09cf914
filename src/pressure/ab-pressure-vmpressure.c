/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-pressure-vmpressure.c: cgroup v1 memory.pressure_level through eventfds
 *
 * vmpressure floods: a hog in a 64 MiB cgroup produced over 500,000 events
 * in 40 s. The counters are therefore only accumulated here; the caller
 * turns them into at most one level per tick with abVmpressureCollect. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ab-pressure.h"
#include "ab-error.h"

#define AB_VMP_NLEVELS 3   /* low, medium, critical */

struct _abVmpressure {
    int efd[AB_VMP_NLEVELS];
    int levelFd;            /* memory.pressure_level, kept open while registered */
    guint64 pending[AB_VMP_NLEVELS];
    guint64 total[AB_VMP_NLEVELS];
};

static abVmpressure *
abVmpressureAlloc(void)
{
    abVmpressure *vmp = g_new0(abVmpressure, 1);
    for (int i = 0; i < AB_VMP_NLEVELS; i++)
        vmp->efd[i] = -1;
    vmp->levelFd = -1;
    return vmp;
}

void
abVmpressureFree(abVmpressure *vmp)
{
    if (!vmp)
        return;
    for (int i = 0; i < AB_VMP_NLEVELS; i++) {
        if (vmp->efd[i] >= 0)
            close(vmp->efd[i]);
    }
    if (vmp->levelFd >= 0)
        close(vmp->levelFd);
    g_free(vmp);
}

abVmpressure *
abVmpressureNewFromFds(const int fds[3])
{
    abVmpressure *vmp = abVmpressureAlloc();
    for (int i = 0; i < AB_VMP_NLEVELS; i++)
        vmp->efd[i] = fds[i];
    return vmp;
}

static int
abVmpressureRegister(int ctlFd, int efd, int levelFd, abLevel level)
{
    /* "hierarchy" also hears pressure that a listener in a child cgroup
     * already handled; kernels before 4.16 only know the plain form. */
    const char *modes[] = { ",hierarchy", "" };
    int err = 0;

    for (size_t m = 0; m < G_N_ELEMENTS(modes); m++) {
        g_autofree char *line = g_strdup_printf("%d %d %s%s", efd, levelFd,
                                                abLevelToString(level), modes[m]);
        if (write(ctlFd, line, strlen(line)) >= 0)
            return 0;
        err = errno;
        if (err != EINVAL)
            break;
    }
    errno = err;
    return -1;
}

abVmpressure *
abVmpressureOpen(const char *cgroupDir, GError **error)
{
    g_autoptr(abVmpressure) vmp = abVmpressureAlloc();
    g_autofree char *levelPath = g_build_filename(cgroupDir, "memory.pressure_level", NULL);
    g_autofree char *ctlPath = g_build_filename(cgroupDir, "cgroup.event_control", NULL);
    int ctlFd;

    if ((vmp->levelFd = open(levelPath, O_RDONLY | O_CLOEXEC)) < 0) {
        int err = errno;
        g_set_error(error, AB_ERROR,
                    err == ENOENT ? AB_ERROR_UNSUPPORTED : AB_ERROR_SYSTEM,
                    "vmpressure: cannot open %s: %s", levelPath, g_strerror(err));
        return NULL;
    }
    if ((ctlFd = open(ctlPath, O_WRONLY | O_CLOEXEC)) < 0) {
        int err = errno;
        g_set_error(error, AB_ERROR,
                    err == ENOENT ? AB_ERROR_UNSUPPORTED : AB_ERROR_SYSTEM,
                    "vmpressure: cannot open %s: %s", ctlPath, g_strerror(err));
        return NULL;
    }
    if (!abPressureIsKernelFile(ctlFd)) {
        close(ctlFd);
        g_set_error(error, AB_ERROR, AB_ERROR_UNSUPPORTED,
                    "vmpressure: %s is not on cgroupfs", ctlPath);
        return NULL;
    }
    for (int i = 0; i < AB_VMP_NLEVELS; i++) {
        abLevel level = AB_LEVEL_LOW + i;
        if ((vmp->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
            abVmpressureRegister(ctlFd, vmp->efd[i], vmp->levelFd, level) < 0) {
            int err = errno;
            close(ctlFd);
            g_set_error(error, AB_ERROR, AB_ERROR_SYSTEM,
                        "vmpressure: cannot register level '%s' on %s: %s",
                        abLevelToString(level), ctlPath, g_strerror(err));
            return NULL;
        }
    }
    close(ctlFd);
    return g_steal_pointer(&vmp);
}

int
abVmpressureFd(abVmpressure *vmp, abLevel level)
{
    g_return_val_if_fail(level >= AB_LEVEL_LOW && level < AB_LEVEL_LAST, -1);
    return vmp->efd[level - AB_LEVEL_LOW];
}

guint64
abVmpressureDrain(abVmpressure *vmp, abLevel level)
{
    int i = level - AB_LEVEL_LOW;
    eventfd_t v = 0;

    g_return_val_if_fail(level >= AB_LEVEL_LOW && level < AB_LEVEL_LAST, 0);
    if (vmp->efd[i] < 0 || eventfd_read(vmp->efd[i], &v) < 0)
        return 0;   /* EAGAIN: nothing since the last read */
    vmp->pending[i] += v;
    vmp->total[i] += v;
    return v;
}

abLevel
abVmpressureCollect(abVmpressure *vmp, guint64 *events)
{
    abLevel level = AB_LEVEL_NONE;
    guint64 n = 0;

    for (int i = 0; i < AB_VMP_NLEVELS; i++) {
        abVmpressureDrain(vmp, AB_LEVEL_LOW + i);
        if (vmp->pending[i] > 0)
            level = AB_LEVEL_LOW + i;
        n += vmp->pending[i];
        vmp->pending[i] = 0;
    }
    if (events)
        *events = n;
    return level;
}

guint64
abVmpressureTotal(abVmpressure *vmp, abLevel level)
{
    g_return_val_if_fail(level >= AB_LEVEL_LOW && level < AB_LEVEL_LAST, 0);
    return vmp->total[level - AB_LEVEL_LOW];
}
