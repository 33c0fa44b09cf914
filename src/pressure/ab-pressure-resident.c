/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-pressure-resident.c: host memory a guest's qemu holds.
 *
 * A balloon inflated over pages the guest never touched frees nothing on
 * the host: the engine needs what each qemu really holds. RssAnon +
 * RssShmem of /proc/PID/status is the guest's RAM as the host sees it
 * (anonymous, or shared memory with memfd/shm backing) plus qemu's own
 * heap; file pages (the binary, libraries) are left out: ballooning
 * cannot free them. One small read per guest per decision. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ab-pressure.h"
#include "ab-error.h"

int
abResidentParseStatus(const char *text, guint64 *kib, GError **error)
{
    static const char *const keys[] = { "RssAnon:", "RssShmem:" };
    guint64 sum = 0;
    guint found = 0;

    for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
        const char *p = strstr(text, keys[k]);
        char *end = NULL;
        guint64 v;

        /* a key at the start of a line only */
        while (p && p != text && p[-1] != '\n')
            p = strstr(p + 1, keys[k]);
        if (!p)
            continue;
        p += strlen(keys[k]);
        while (*p == ' ' || *p == '\t')
            p++;
        errno = 0;
        v = g_ascii_strtoull(p, &end, 10);
        if (errno != 0 || end == p || strncmp(end, " kB", 3) != 0) {
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "status: bad value for %s", keys[k]);
            return -1;
        }
        if (sum + v < sum) {
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "status: %s overflows", keys[k]);
            return -1;
        }
        sum += v;
        found++;
    }
    if (found == 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_UNSUPPORTED,
                    "status: no RssAnon (kernel before 4.5?)");
        return -1;
    }
    *kib = sum;
    return 0;
}

int
abResidentRead(const char *root, int pid, guint64 *kib, GError **error)
{
    g_autofree char *rel = g_strdup_printf("/proc/%d/status", pid);
    g_autofree char *path = abPressureJoinRoot(root, rel);
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;

    if (pid <= 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "bad pid %d", pid);
        return -1;
    }
    if (!g_file_get_contents(path, &text, NULL, &err)) {
        g_set_error(error, AB_ERROR, AB_ERROR_SYSTEM, "%s", err->message);
        return -1;
    }
    return abResidentParseStatus(text, kib, error);
}

int
abResidentReadPidFile(const char *root, const char *file, GError **error)
{
    g_autofree char *path = abPressureJoinRoot(root, file);
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    char *end = NULL;
    long pid;

    if (!g_file_get_contents(path, &text, NULL, &err)) {
        g_set_error(error, AB_ERROR, AB_ERROR_SYSTEM, "%s", err->message);
        return -1;
    }
    errno = 0;
    pid = strtol(g_strstrip(text), &end, 10);
    if (errno != 0 || end == text || *end || pid <= 0 || pid > G_MAXINT) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: bad pid '%s'", path, text);
        return -1;
    }
    return (int) pid;
}
