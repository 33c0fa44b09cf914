/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-pressure-psi.c: PSI file parsing and trigger registration */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "ab-pressure.h"
#include "ab-enum.h"
#include "ab-error.h"

AB_ENUM_IMPL_LIST(abPsiKind, AB_PSI_, AB_PSI_KIND_LIST);

#define AB_PSI_UNPRIV_STEP_US  (2 * G_USEC_PER_SEC)
#define AB_PSI_MAX_WINDOW_US   (10 * G_USEC_PER_SEC)

static int
abPsiParseLine(const char *line, abPsiLine *out, GError **error)
{
    g_auto(GStrv) fields = g_strsplit(line, " ", -1);
    bool seen[4] = { false, false, false, false };
    static const char *keys[] = { "avg10=", "avg60=", "avg300=", "total=" };

    for (size_t i = 1; fields[i]; i++) {
        const char *f = fields[i];
        size_t k;
        char *end = NULL;

        if (!*f)
            continue;
        for (k = 0; k < G_N_ELEMENTS(keys); k++) {
            if (g_str_has_prefix(f, keys[k]))
                break;
        }
        if (k == G_N_ELEMENTS(keys))
            continue;   /* newer kernels may add fields */
        f += strlen(keys[k]);
        errno = 0;
        if (k == 3) {
            if (!g_ascii_isdigit(*f))
                goto bad;
            out->total = g_ascii_strtoull(f, &end, 10);
        } else {
            double v = g_ascii_strtod(f, &end);
            /* NaN passes any range written as "< 0 || > 100" */
            if (end == f || !isfinite(v) || v < 0 || v > 100)
                goto bad;
            if (k == 0)
                out->avg10 = v;
            else if (k == 1)
                out->avg60 = v;
            else
                out->avg300 = v;
        }
        if (errno != 0 || end == f || *end != '\0')
            goto bad;
        seen[k] = true;
        continue;
     bad:
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "PSI line '%s': bad value in field '%s'", line, fields[i]);
        return -1;
    }
    for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
        if (!seen[k]) {
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "PSI line '%s': field '%.*s' missing", line,
                        (int)strlen(keys[k]) - 1, keys[k]);
            return -1;
        }
    }
    return 0;
}

int
abPsiParse(const char *text, abPsiStats *stats, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    bool hasSome = false;

    memset(stats, 0, sizeof(*stats));
    for (size_t i = 0; lines[i]; i++) {
        const char *l = g_strstrip(lines[i]);
        if (!*l)
            continue;
        if (g_str_has_prefix(l, "some ")) {
            if (abPsiParseLine(l, &stats->some, error) < 0)
                return -1;
            hasSome = true;
        } else if (g_str_has_prefix(l, "full ")) {
            if (abPsiParseLine(l, &stats->full, error) < 0)
                return -1;
            stats->hasFull = true;
        } else {
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "PSI: unexpected line '%s'", l);
            return -1;
        }
    }
    if (!hasSome) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "PSI: no 'some' line in '%s'", text);
        return -1;
    }
    return 0;
}

void
abPsiConfigDefaults(abPsiConfig *config)
{
    memset(config, 0, sizeof(*config));
    config->level[AB_LEVEL_LOW] = (abPsiTrigger){ AB_PSI_SOME, 150000, 2000000 };
    config->level[AB_LEVEL_MEDIUM] = (abPsiTrigger){ AB_PSI_SOME, 350000, 2000000 };
    config->level[AB_LEVEL_CRITICAL] = (abPsiTrigger){ AB_PSI_FULL, 500000, 2000000 };
    config->quietWindows = 2;
}

void
abPsiHistoryEvent(abPsiHistory *history, abLevel level, gint64 now)
{
    g_return_if_fail(level > AB_LEVEL_NONE && level < AB_LEVEL_LAST);
    history->fired[level] = true;
    history->lastEvent[level] = now;
}

abLevel
abPsiHistoryLevel(const abPsiHistory *history,
                  const abPsiTrigger triggers[AB_LEVEL_LAST],
                  guint quietWindows, gint64 now)
{
    abLevel level = AB_LEVEL_NONE;
    guint64 quiet = MAX(quietWindows, 1);

    for (int l = AB_LEVEL_LOW; l < AB_LEVEL_LAST; l++) {
        if (history->fired[l] &&
            now - history->lastEvent[l] < (gint64)(quiet * triggers[l].windowUs))
            level = l;
    }
    return level;
}

char *
abPsiTriggerFormat(const abPsiTrigger *trigger)
{
    return g_strdup_printf("%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                           abPsiKindToString(trigger->kind),
                           trigger->stallUs, trigger->windowUs);
}

guint64
abPsiRoundWindow(guint64 windowUs)
{
    guint64 w = (windowUs + AB_PSI_UNPRIV_STEP_US - 1) / AB_PSI_UNPRIV_STEP_US
                * AB_PSI_UNPRIV_STEP_US;
    if (w < AB_PSI_UNPRIV_STEP_US)
        w = AB_PSI_UNPRIV_STEP_US;
    if (w > AB_PSI_MAX_WINDOW_US)
        w = AB_PSI_MAX_WINDOW_US;
    return w;
}

bool
abPressureIsKernelFile(int fd)
{
    struct statfs sfs;

    if (fstatfs(fd, &sfs) < 0)
        return false;
    return sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == CGROUP_SUPER_MAGIC ||
           sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* Returns 0 or the errno of the write. */
static int
abPsiTriggerWrite(int fd, const abPsiTrigger *trigger)
{
    g_autofree char *line = abPsiTriggerFormat(trigger);
    /* the kernel parses a NUL-terminated string */
    if (write(fd, line, strlen(line) + 1) < 0)
        return errno;
    return 0;
}

int
abPsiTriggerOpen(const char *path, abPsiTrigger *trigger, bool *rounded,
                 GError **error)
{
    static gsize loggedRounding;
    int fd;
    int err;

    if (rounded)
        *rounded = false;
    if (trigger->stallUs == 0 || trigger->stallUs > trigger->windowUs) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "PSI trigger on %s: stall %" G_GUINT64_FORMAT
                    " us must be within the window %" G_GUINT64_FORMAT " us",
                    path, trigger->stallUs, trigger->windowUs);
        return -1;
    }
    if ((fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
        err = errno;
        g_set_error(error, AB_ERROR,
                    err == ENOENT ? AB_ERROR_UNSUPPORTED : AB_ERROR_SYSTEM,
                    "PSI: cannot open %s: %s", path, g_strerror(err));
        return -1;
    }
    if (!abPressureIsKernelFile(fd)) {
        close(fd);
        g_set_error(error, AB_ERROR, AB_ERROR_UNSUPPORTED,
                    "PSI: %s is not on procfs or cgroupfs", path);
        return -1;
    }
    if ((err = abPsiTriggerWrite(fd, trigger)) == 0)
        return fd;

    if (err == EINVAL) {
        /* Without CAP_SYS_RESOURCE the kernel accepts only 2 s multiples
         * up to 10 s; retry once with such a window. */
        abPsiTrigger r = *trigger;
        r.windowUs = abPsiRoundWindow(trigger->windowUs);
        if (r.windowUs != trigger->windowUs && r.stallUs <= r.windowUs &&
            (err = abPsiTriggerWrite(fd, &r)) == 0) {
            if (g_once_init_enter(&loggedRounding)) {
                g_message("PSI: kernel refused a %" G_GUINT64_FORMAT
                          " us window on %s (no CAP_SYS_RESOURCE?); "
                          "using %" G_GUINT64_FORMAT " us",
                          trigger->windowUs, path, r.windowUs);
                g_once_init_leave(&loggedRounding, 1);
            }
            *trigger = r;
            if (rounded)
                *rounded = true;
            return fd;
        }
    }
    {
        g_autofree char *line = abPsiTriggerFormat(trigger);
        close(fd);
        g_set_error(error, AB_ERROR,
                    err == EINVAL ? AB_ERROR_INVALID : AB_ERROR_SYSTEM,
                    "PSI: kernel refused trigger '%s' on %s: %s",
                    line, path, g_strerror(err));
    }
    return -1;
}
