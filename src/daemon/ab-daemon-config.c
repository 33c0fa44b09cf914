/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* autoballoond's configuration: defaults, one key table, drop-ins. */
#include "ab-config.h"
#include "ab-daemon-config.h"
#include "ab-enum.h"
#include "ab-error.h"
#include "ab-size.h"
#include "ab-policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

AB_ENUM_IMPL(abDaemonManage, AB_DAEMON_MANAGE_LAST, "opted-in", "all");

abDaemonConfig *
abDaemonConfigNew(void)
{
    abDaemonConfig *cfg = g_new0(abDaemonConfig, 1);

    cfg->tickSec = AB_DAEMON_TICK_DEFAULT_S;
    cfg->manage = AB_DAEMON_MANAGE_OPTED_IN;
    cfg->statsPeriodSec = AB_DAEMON_STATS_PERIOD_DEFAULT_S;
    cfg->unresponsiveSec = AB_DAEMON_UNRESPONSIVE_DEFAULT_S;
    cfg->statusIntervalSec = AB_DAEMON_STATUS_INTERVAL_DEFAULT_S;

    cfg->sourceAuto = true;
    cfg->cgroup = g_strdup("auto");
    cfg->systemWide = true;
    /* the pressure module's defaults, chosen there */
    abPressureConfigDefaults(&cfg->pressure);

    cfg->policy = abConfPolicyNew();
    return cfg;
}

void
abDaemonConfigFree(abDaemonConfig *cfg)
{
    if (!cfg)
        return;
    g_free(cfg->cgroup);
    abConfPolicyFree(cfg->policy);
    g_free(cfg);
}

char *
abDaemonConfigDefaultPath(void)
{
    return g_build_filename(AB_SYSCONFDIR, "autoballoon", "autoballoond.conf", NULL);
}

typedef int (*abDaemonConfigParser)(abDaemonConfig *cfg, const char *key,
                                    const char *value, GError **error);

typedef struct {
    const char *group;
    const char *key;
    abDaemonConfigParser parse;
} abDaemonConfigKey;

static int
abDaemonConfigParseDouble(const char *key, const char *value,
                          double min, double max, double *out, GError **error)
{
    char *end = NULL;
    double d;

    errno = 0;
    d = g_ascii_strtod(value, &end);
    /* written so that NaN (every comparison false) is out of range too */
    if (errno || end == value || *end || !(d >= min && d <= max)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid value '%s' for key '%s': expected a number from %g to %g",
                    value, key, min, max);
        return -1;
    }
    *out = d;
    return 0;
}

static int
abDaemonConfigParseUInt(const char *key, const char *value,
                        unsigned long long min, unsigned long long max,
                        unsigned long long *out, GError **error)
{
    guint64 v;

    if (!g_ascii_string_to_unsigned(value, 10, min, max, &v, NULL)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid value '%s' for key '%s': expected an integer from %llu to %llu",
                    value, key, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int
abDaemonConfigParseTick(abDaemonConfig *cfg, const char *key,
                        const char *value, GError **error)
{
    return abDaemonConfigParseDouble(key, value, AB_DAEMON_TICK_MIN_S,
                                     AB_DAEMON_TICK_MAX_S, &cfg->tickSec, error);
}

static int
abDaemonConfigParseManage(abDaemonConfig *cfg, const char *key,
                          const char *value, GError **error)
{
    int m = abDaemonManageFromString(value);

    if (m < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid value '%s' for key '%s': expected opted-in or all",
                    value, key);
        return -1;
    }
    cfg->manage = m;
    return 0;
}

static int
abDaemonConfigParseStatsPeriod(abDaemonConfig *cfg, const char *key,
                               const char *value, GError **error)
{
    unsigned long long v;

    if (abDaemonConfigParseUInt(key, value, 1, 3600, &v, error) < 0)
        return -1;
    cfg->statsPeriodSec = v;
    return 0;
}

static int
abDaemonConfigParseUnresponsive(abDaemonConfig *cfg, const char *key,
                                const char *value, GError **error)
{
    return abDaemonConfigParseDouble(key, value, 1, 3600,
                                     &cfg->unresponsiveSec, error);
}

static int
abDaemonConfigParseStatusInterval(abDaemonConfig *cfg, const char *key,
                                  const char *value, GError **error)
{
    return abDaemonConfigParseDouble(key, value, 1, 3600,
                                     &cfg->statusIntervalSec, error);
}

static int
abDaemonConfigParseSources(abDaemonConfig *cfg, const char *key,
                           const char *value, GError **error)
{
    g_auto(GStrv) parts = g_strsplit_set(value, ";, ", -1);
    bool sources[AB_PRESSURE_SOURCE_LAST] = { false };
    bool isAuto = false;
    bool any = false;
    size_t i;

    for (i = 0; parts[i]; i++) {
        int s;

        if (!*parts[i])
            continue;
        any = true;
        if (g_str_equal(parts[i], "auto")) {
            isAuto = true;
            continue;
        }
        if (g_str_equal(parts[i], "none"))
            continue;
        /* injected pressure comes from domain metadata, not from a file */
        if ((s = abPressureSourceTypeFromString(parts[i])) < 0 ||
            s == AB_PRESSURE_SOURCE_INJECTED) {
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "invalid value '%s' for key '%s': unknown source '%s' (expected auto, none, psi, vmpressure, headroom)",
                        value, key, parts[i]);
            return -1;
        }
        sources[s] = true;
    }
    if (!any) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid value '%s' for key '%s': empty list (use none)",
                    value, key);
        return -1;
    }
    cfg->sourceAuto = isAuto;
    memcpy(cfg->sources, sources, sizeof(sources));
    return 0;
}

static int
abDaemonConfigParseCgroup(abDaemonConfig *cfg, const char *key,
                          const char *value, GError **error)
{
    if (!g_str_equal(value, "auto") && value[0] != '/') {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid value '%s' for key '%s': expected auto or an absolute cgroup path",
                    value, key);
        return -1;
    }
    g_free(cfg->cgroup);
    cfg->cgroup = g_strdup(value);
    return 0;
}

static int
abDaemonConfigParseBool(const char *key, const char *value, bool *out,
                        GError **error)
{
    if (g_str_equal(value, "true") || g_str_equal(value, "yes") ||
        g_str_equal(value, "1")) {
        *out = true;
    } else if (g_str_equal(value, "false") || g_str_equal(value, "no") ||
               g_str_equal(value, "0")) {
        *out = false;
    } else {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid value '%s' for key '%s': expected true or false",
                    value, key);
        return -1;
    }
    return 0;
}

static int
abDaemonConfigParseSystemWide(abDaemonConfig *cfg, const char *key,
                              const char *value, GError **error)
{
    return abDaemonConfigParseBool(key, value, &cfg->systemWide, error);
}

static int
abDaemonConfigParseQuiet(abDaemonConfig *cfg, const char *key,
                         const char *value, GError **error)
{
    unsigned long long v;

    if (abDaemonConfigParseUInt(key, value, 1, 100, &v, error) < 0)
        return -1;
    cfg->pressure.psi.quietWindows = v;
    return 0;
}

static abLevel
abDaemonConfigKeyLevel(const char *key)
{
    const char *dash = strrchr(key, '-');
    int level = dash ? abLevelFromString(dash + 1) : -1;

    return level > 0 ? (abLevel) level : AB_LEVEL_NONE;
}

static int
abDaemonConfigParsePsi(abDaemonConfig *cfg, const char *key,
                       const char *value, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(value, " ", -1);
    abLevel level = abDaemonConfigKeyLevel(key);
    guint n = g_strv_length(parts);
    int kind = n >= 1 ? abPsiKindFromString(parts[0]) : -1;
    guint64 stall, window = cfg->pressure.psi.level[level].windowUs;

    /* the kernel takes windows from 500 ms to 10 s */
    if ((n != 2 && n != 3) || kind < 0 ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, 10000000, &stall, NULL) ||
        (n == 3 && !g_ascii_string_to_unsigned(parts[2], 10, 500000, 10000000,
                                               &window, NULL)) ||
        stall > window) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid value '%s' for key '%s': expected 'some|full STALL_US [WINDOW_US]' with a stall no longer than the window (500000 to 10000000 us)",
                    value, key);
        return -1;
    }
    cfg->pressure.psi.level[level] = (abPsiTrigger) { kind, stall, window };
    return 0;
}

static int
abDaemonConfigParseHeadroom(abDaemonConfig *cfg, const char *key,
                            const char *value, GError **error)
{
    return abDaemonConfigParseDouble(key, value, 0, 1,
                                     &cfg->pressure.headroom.freeBelow[abDaemonConfigKeyLevel(key)],
                                     error);
}

static int
abDaemonConfigParseSize(const char *key, const char *value,
                        unsigned long long minKiB, unsigned long long maxKiB,
                        abConfSize *size, GError **error)
{
    unsigned long long bytes;
    g_autoptr(GError) err = NULL;

    if (abSizeParseScaled(key, value, 1024, &bytes, &err) < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid value '%s' for key '%s': %s", value, key, err->message);
        return -1;
    }
    if (bytes / 1024 < minKiB || bytes / 1024 > maxKiB) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid value '%s' for key '%s': expected from %llu KiB to %llu KiB",
                    value, key, minKiB, maxKiB);
        return -1;
    }
    g_free(size->unit);
    *size = (abConfSize) {
        .set = true, .value = bytes / 1024, .unit = g_strdup("KiB"), .kib = bytes / 1024,
    };
    return 0;
}

static int
abDaemonConfigParseFloor(abDaemonConfig *cfg, const char *key,
                         const char *value, GError **error)
{
    return abDaemonConfigParseSize(key, value, AB_POLICY_FLOOR_MIN_KIB, G_MAXUINT64 / 1024,
                                   &cfg->policy->floor, error);
}

static int
abDaemonConfigParseReserve(abDaemonConfig *cfg, const char *key,
                           const char *value, GError **error)
{
    return abDaemonConfigParseSize(key, value, 0, G_MAXUINT64 / 1024,
                                   &cfg->policy->reserve, error);
}

static int
abDaemonConfigParseStep(abDaemonConfig *cfg, const char *key,
                        const char *value, GError **error)
{
    return abDaemonConfigParseSize(key, value, 1, AB_POLICY_STEP_MAX_KIB,
                                   &cfg->policy->step[abDaemonConfigKeyLevel(key)],
                                   error);
}

static int
abDaemonConfigParseWeight(abDaemonConfig *cfg, const char *key,
                          const char *value, GError **error)
{
    unsigned long long v;

    if (abDaemonConfigParseUInt(key, value, AB_POLICY_WEIGHT_MIN,
                                AB_POLICY_WEIGHT_MAX, &v, error) < 0)
        return -1;
    cfg->policy->weightSet = true;
    cfg->policy->weight = v;
    return 0;
}

static int
abDaemonConfigParseCooldown(abDaemonConfig *cfg, const char *key,
                            const char *value, GError **error)
{
    unsigned long long v;

    if (abDaemonConfigParseUInt(key, value, 0, AB_POLICY_COOLDOWN_MAX_S, &v, error) < 0)
        return -1;
    g_free(cfg->policy->cooldown.unit);
    cfg->policy->cooldown = (abConfSeconds) { .set = true, .value = v, .unit = g_strdup("s") };
    return 0;
}

static const abDaemonConfigKey abDaemonConfigKeys[] = {
    { "daemon", "tick", abDaemonConfigParseTick },
    { "daemon", "manage", abDaemonConfigParseManage },
    { "daemon", "stats-period", abDaemonConfigParseStatsPeriod },
    { "daemon", "unresponsive-timeout", abDaemonConfigParseUnresponsive },
    { "daemon", "status-interval", abDaemonConfigParseStatusInterval },
    { "pressure", "sources", abDaemonConfigParseSources },
    { "pressure", "cgroup", abDaemonConfigParseCgroup },
    { "pressure", "system-wide", abDaemonConfigParseSystemWide },
    { "pressure", "psi-quiet-windows", abDaemonConfigParseQuiet },
    { "pressure", "psi-low", abDaemonConfigParsePsi },
    { "pressure", "psi-medium", abDaemonConfigParsePsi },
    { "pressure", "psi-critical", abDaemonConfigParsePsi },
    { "pressure", "headroom-low", abDaemonConfigParseHeadroom },
    { "pressure", "headroom-medium", abDaemonConfigParseHeadroom },
    { "pressure", "headroom-critical", abDaemonConfigParseHeadroom },
    { "policy", "floor", abDaemonConfigParseFloor },
    { "policy", "reserve", abDaemonConfigParseReserve },
    { "policy", "step-low", abDaemonConfigParseStep },
    { "policy", "step-medium", abDaemonConfigParseStep },
    { "policy", "step-critical", abDaemonConfigParseStep },
    { "policy", "weight", abDaemonConfigParseWeight },
    { "policy", "cooldown", abDaemonConfigParseCooldown },
};

static const abDaemonConfigKey *
abDaemonConfigFindKey(const char *group, const char *key, bool *groupKnown)
{
    size_t i;

    *groupKnown = false;
    for (i = 0; i < G_N_ELEMENTS(abDaemonConfigKeys); i++) {
        if (!g_str_equal(abDaemonConfigKeys[i].group, group))
            continue;
        *groupKnown = true;
        if (g_str_equal(abDaemonConfigKeys[i].key, key))
            return &abDaemonConfigKeys[i];
    }
    return NULL;
}

int
abDaemonConfigCheck(const abDaemonConfig *cfg, const char *filename,
                    GError **error)
{
    const double *fb = cfg->pressure.headroom.freeBelow;

    /* Levels must get stricter as they rise, or "medium" would hold while
     * "low" does not and the level stream would jump. */
    if (!(fb[AB_LEVEL_LOW] >= fb[AB_LEVEL_MEDIUM] &&
          fb[AB_LEVEL_MEDIUM] >= fb[AB_LEVEL_CRITICAL])) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "%s: headroom-low (%g) >= headroom-medium (%g) >= headroom-critical (%g) does not hold",
                    filename, fb[AB_LEVEL_LOW], fb[AB_LEVEL_MEDIUM], fb[AB_LEVEL_CRITICAL]);
        return -1;
    }
    return 0;
}

int
abDaemonConfigApplyData(abDaemonConfig *cfg, const char *filename,
                        const char *data, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_auto(GStrv) groups = NULL;
    g_autoptr(GError) err = NULL;
    size_t i, j;

    if (!g_key_file_load_from_data(kf, data, -1, G_KEY_FILE_NONE, &err)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: %s",
                    filename, err->message);
        return -1;
    }

    groups = g_key_file_get_groups(kf, NULL);
    for (i = 0; groups[i]; i++) {
        g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);

        for (j = 0; keys && keys[j]; j++) {
            const abDaemonConfigKey *k;
            g_autofree char *value = NULL;
            g_autofree char *full = g_strdup_printf("%s.%s", groups[i], keys[j]);
            bool groupKnown;

            if (!(k = abDaemonConfigFindKey(groups[i], keys[j], &groupKnown))) {
                g_warning("%s: unknown %s '%s', ignored", filename,
                          groupKnown ? "key" : "group", groupKnown ? full : groups[i]);
                if (!groupKnown)
                    break;
                continue;
            }
            value = g_key_file_get_string(kf, groups[i], keys[j], &err);
            if (!value) {
                g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: key '%s': %s",
                            filename, full, err->message);
                return -1;
            }
            g_strstrip(value);
            if (k->parse(cfg, full, value, &err) < 0) {
                g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: %s",
                            filename, err->message);
                return -1;
            }
        }
    }
    return 0;
}

static int
abDaemonConfigApplyFile(abDaemonConfig *cfg, const char *path, GError **error)
{
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;

    if (!g_file_get_contents(path, &data, NULL, &err)) {
        g_set_error(error, AB_ERROR, AB_ERROR_SYSTEM, "%s", err->message);
        return -1;
    }
    return abDaemonConfigApplyData(cfg, path, data, error);
}

static int
abDaemonConfigCompare(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char * const *) a, *(char * const *) b);
}

abDaemonConfig *
abDaemonConfigLoad(const char *path, bool optional, GError **error)
{
    g_autoptr(abDaemonConfig) cfg = abDaemonConfigNew();
    g_autofree char *dirpath = g_strconcat(path, ".d", NULL);
    g_autoptr(GPtrArray) dropins = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) dir = NULL;
    const char *name;
    size_t i;

    if (g_file_test(path, G_FILE_TEST_EXISTS) || !optional) {
        if (abDaemonConfigApplyFile(cfg, path, error) < 0)
            return NULL;
    }

    if ((dir = g_dir_open(dirpath, 0, NULL))) {
        while ((name = g_dir_read_name(dir))) {
            if (g_str_has_suffix(name, ".conf") && name[0] != '.')
                g_ptr_array_add(dropins, g_build_filename(dirpath, name, NULL));
        }
    }
    g_ptr_array_sort(dropins, abDaemonConfigCompare);
    for (i = 0; i < dropins->len; i++) {
        if (abDaemonConfigApplyFile(cfg, dropins->pdata[i], error) < 0)
            return NULL;
    }
    /* checked once all files are in, since a drop-in may fix what the
     * main file left inconsistent */
    if (abDaemonConfigCheck(cfg, dropins->len ? dropins->pdata[dropins->len - 1] : path,
                            error) < 0)
        return NULL;
    return g_steal_pointer(&cfg);
}

char **
abDaemonConfigKeyNames(void)
{
    char **ret = g_new0(char *, G_N_ELEMENTS(abDaemonConfigKeys) + 1);

    for (size_t i = 0; i < G_N_ELEMENTS(abDaemonConfigKeys); i++)
        ret[i] = g_strdup_printf("%s.%s", abDaemonConfigKeys[i].group,
                                 abDaemonConfigKeys[i].key);
    return ret;
}
