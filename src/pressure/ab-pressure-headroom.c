/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-pressure-headroom.c: free memory of the host or of a limited cgroup */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "ab-pressure.h"
#include "ab-error.h"

void
abHeadroomConfigDefaults(abHeadroomConfig *config)
{
    memset(config, 0, sizeof(*config));
    config->freeBelow[AB_LEVEL_LOW] = 0.20;
    config->freeBelow[AB_LEVEL_MEDIUM] = 0.10;
    config->freeBelow[AB_LEVEL_CRITICAL] = 0.05;
}

static int
abHeadroomParseMeminfoKiB(const char *line, const char *key, guint64 *kib,
                          GError **error)
{
    const char *p = line + strlen(key);
    char *end = NULL;

    while (*p == ' ' || *p == '\t')
        p++;
    if (!g_ascii_isdigit(*p))
        goto bad;
    errno = 0;
    *kib = g_ascii_strtoull(p, &end, 10);
    if (errno != 0 || end == p)
        goto bad;
    while (*end == ' ')
        end++;
    if (*end && strcmp(end, "kB") != 0)
        goto bad;
    return 0;
 bad:
    g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                "meminfo: bad value in '%s'", line);
    return -1;
}

int
abHeadroomParseMeminfo(const char *text, abHeadroom *headroom, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    bool hasTotal = false, hasAvail = false;
    guint64 total = 0, avail = 0;

    for (size_t i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], "MemTotal:")) {
            if (abHeadroomParseMeminfoKiB(lines[i], "MemTotal:", &total, error) < 0)
                return -1;
            hasTotal = true;
        } else if (g_str_has_prefix(lines[i], "MemAvailable:")) {
            if (abHeadroomParseMeminfoKiB(lines[i], "MemAvailable:", &avail, error) < 0)
                return -1;
            hasAvail = true;
        }
    }
    if (!hasTotal || !hasAvail || total == 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "meminfo: %s missing (kernel before 3.14?)",
                    !hasTotal || total == 0 ? "MemTotal" : "MemAvailable");
        return -1;
    }
    headroom->limited = true;
    headroom->totalKiB = total;
    headroom->freeKiB = MIN(avail, total);
    return 0;
}

static int
abHeadroomParseBytes(const char *what, const char *text, guint64 *bytes,
                     GError **error)
{
    g_autofree char *s = g_strstrip(g_strdup(text));
    char *end = NULL;

    errno = 0;
    if (!g_ascii_isdigit(*s) ||
        (*bytes = g_ascii_strtoull(s, &end, 10), errno != 0) || *end) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "cgroup: bad value '%s' in %s", s, what);
        return -1;
    }
    return 0;
}

static void
abHeadroomFromUsage(guint64 usage, guint64 limit, abHeadroom *headroom)
{
    headroom->limited = true;
    headroom->totalKiB = limit / 1024;
    headroom->freeKiB = usage >= limit ? 0 : (limit - usage) / 1024;
}

int
abHeadroomFromCgroupV1(const char *usage, const char *limit,
                       abHeadroom *headroom, GError **error)
{
    guint64 u, l;

    if (abHeadroomParseBytes("memory.usage_in_bytes", usage, &u, error) < 0 ||
        abHeadroomParseBytes("memory.limit_in_bytes", limit, &l, error) < 0)
        return -1;
    memset(headroom, 0, sizeof(*headroom));
    if (l >= AB_CGROUP_V1_UNLIMITED || l == 0)
        return 0;
    abHeadroomFromUsage(u, l, headroom);
    return 0;
}

int
abHeadroomFromCgroupV2(const char *current, const char *max,
                       abHeadroom *headroom, GError **error)
{
    g_autofree char *m = g_strstrip(g_strdup(max));
    guint64 c, l;

    if (abHeadroomParseBytes("memory.current", current, &c, error) < 0)
        return -1;
    memset(headroom, 0, sizeof(*headroom));
    if (strcmp(m, "max") == 0)
        return 0;
    if (abHeadroomParseBytes("memory.max", m, &l, error) < 0)
        return -1;
    if (l == 0)
        return 0;
    abHeadroomFromUsage(c, l, headroom);
    return 0;
}

static char *
abHeadroomReadFile(const char *dir, const char *name, GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) err = NULL;
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, &err)) {
        g_set_error(error, AB_ERROR,
                    g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT) ?
                    AB_ERROR_UNSUPPORTED : AB_ERROR_SYSTEM,
                    "cgroup: %s", err->message);
        return NULL;
    }
    return text;
}

guint64
abHeadroomParseStat(const char *text, const char *key)
{
    size_t len = strlen(key);

    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, len) == 0 && p[len] == ' ') {
            const char *v = p + len + 1;
            char *end = NULL;
            guint64 n;

            errno = 0;
            n = g_ascii_strtoull(v, &end, 10);
            if (errno != 0 || end == v)
                return 0;
            return n;
        }
    }
    return 0;
}

void
abHeadroomAddReclaimable(abHeadroom *headroom, guint64 bytes)
{
    guint64 kib = bytes / 1024;

    if (!headroom->limited)
        return;
    headroom->reclaimableKiB = kib;
    headroom->freeKiB = headroom->freeKiB + kib < headroom->totalKiB ?
                        headroom->freeKiB + kib : headroom->totalKiB;
}

/* Clean page cache on the inactive list is what the kernel drops first
 * and cheaply at the limit: it counts as free, or a cgroup full of host
 * page cache would read as under pressure for good. Without memory.stat
 * nothing is counted. */
static void
abHeadroomReadReclaimable(const char *dir, const char *key, abHeadroom *headroom)
{
    g_autofree char *stat = abHeadroomReadFile(dir, "memory.stat", NULL);

    if (stat)
        abHeadroomAddReclaimable(headroom, abHeadroomParseStat(stat, key));
}

int
abHeadroomReadCgroup(const char *dir, int version, abHeadroom *headroom,
                     GError **error)
{
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    if (version == 1) {
        if (!(a = abHeadroomReadFile(dir, "memory.usage_in_bytes", error)) ||
            !(b = abHeadroomReadFile(dir, "memory.limit_in_bytes", error)) ||
            abHeadroomFromCgroupV1(a, b, headroom, error) < 0)
            return -1;
        abHeadroomReadReclaimable(dir, "total_inactive_file", headroom);
        return 0;
    }
    if (version == 2) {
        if (!(a = abHeadroomReadFile(dir, "memory.current", error)) ||
            !(b = abHeadroomReadFile(dir, "memory.max", error)) ||
            abHeadroomFromCgroupV2(a, b, headroom, error) < 0)
            return -1;
        abHeadroomReadReclaimable(dir, "inactive_file", headroom);
        return 0;
    }
    g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                "cgroup: bad version %d for %s", version, dir);
    return -1;
}

guint64
abHeadroomRoom(const abHeadroomConfig *config, const abHeadroom *headroom)
{
    guint64 mark = 0;

    if (!headroom->limited || headroom->totalKiB == 0)
        return 0;
    /* headroom-low 0: the mark is at 0 free, all that is free is room */
    if (config->freeBelow[AB_LEVEL_LOW] > 0)
        mark = (guint64)ceil(config->freeBelow[AB_LEVEL_LOW] * (double)headroom->totalKiB);
    return headroom->freeKiB > mark ? headroom->freeKiB - mark : 0;
}

abLevel
abHeadroomLevel(const abHeadroomConfig *config, const abHeadroom *headroom,
                guint64 *requestKiB, double *freePercent)
{
    abLevel level = AB_LEVEL_NONE;
    double freeFrac;

    if (requestKiB)
        *requestKiB = 0;
    if (freePercent)
        *freePercent = 100.0;
    if (!headroom->limited || headroom->totalKiB == 0)
        return AB_LEVEL_NONE;

    freeFrac = (double)headroom->freeKiB / (double)headroom->totalKiB;
    if (freePercent)
        *freePercent = freeFrac * 100.0;
    for (int l = AB_LEVEL_LOW; l < AB_LEVEL_LAST; l++) {
        if (freeFrac < config->freeBelow[l])
            level = l;
    }
    if (requestKiB && config->freeBelow[AB_LEVEL_LOW] > 0) {
        guint64 want = (guint64)ceil(config->freeBelow[AB_LEVEL_LOW] *
                                     (double)headroom->totalKiB);
        if (want > headroom->freeKiB)
            *requestKiB = want - headroom->freeKiB;
    }
    return level;
}
