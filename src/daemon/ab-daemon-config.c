/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* autoballoond's configuration: defaults, one key table, drop-ins. */
#include "ab-config.h"
#include "ab-daemon-config.h"
#include "ab-enum.h"
#include "ab-error.h"
#include "ab-size.h"
#include "ab-policy.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

AB_ENUM_IMPL_LIST(abDaemonManage, AB_DAEMON_MANAGE_, AB_DAEMON_MANAGE_LIST);

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
    g_free(cfg->metricsTextfile);
    abConfPolicyFree(cfg->policy);
    g_free(cfg);
}

char *
abDaemonConfigDefaultPath(void)
{
    return g_build_filename(AB_SYSCONFDIR, "autoballoon", "autoballoond.conf", NULL);
}

/* ------------------------------------------------------------ key table
 *
 * One row per key, in the spirit of systemd's ConfigTableItem: where the
 * value goes (an offset into the daemon config or into its [policy]
 * defaults), the parser for its type, and the bounds the parser enforces.
 * A parser gets the value and the field and, on error, says only what was
 * expected: the caller names the file, the section, the key and the value,
 * once. */

/* a size without an upper bound */
#define AB_CFG_KIB_MAX ((double) (G_MAXUINT64 / 1024))

typedef enum {
    AB_DAEMON_CONFIG_BASE_DAEMON,     /* offset into abDaemonConfig */
    AB_DAEMON_CONFIG_BASE_POLICY,     /* offset into its abConfPolicy */
} abDaemonConfigBase;

typedef struct _abDaemonConfigItem abDaemonConfigItem;

typedef int (*abDaemonConfigParser)(const abDaemonConfigItem *item,
                                    const char *value, void *field,
                                    GError **error);

struct _abDaemonConfigItem {
    const char *section;
    const char *key;
    abDaemonConfigParser parse;
    abDaemonConfigBase base;
    size_t offset;
    double min;                       /* bounds, in the field's unit */
    double max;
};

static void G_GNUC_PRINTF(2, 3)
abDaemonConfigExpected(GError **error, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, AB_ERROR, AB_ERROR_INVALID, msg);
}

/* double: a finite number within [min, max] (NaN would pass any range
 * check written as "< min || > max") */
static int
abDaemonConfigParseDouble(const abDaemonConfigItem *item, const char *value,
                          void *field, GError **error)
{
    char *end = NULL;
    double d;

    errno = 0;
    d = g_ascii_strtod(value, &end);
    if (errno || end == value || *end || !isfinite(d) ||
        !(d >= item->min && d <= item->max)) {
        abDaemonConfigExpected(error, "expected a number from %g to %g",
                               item->min, item->max);
        return -1;
    }
    *(double *) field = d;
    return 0;
}

/* unsigned int within [min, max] */
static int
abDaemonConfigParseUInt(const abDaemonConfigItem *item, const char *value,
                        void *field, GError **error)
{
    guint64 v;

    if (!g_ascii_string_to_unsigned(value, 10, (guint64) item->min,
                                    (guint64) item->max, &v, NULL)) {
        abDaemonConfigExpected(error, "expected an integer from %.0f to %.0f",
                               item->min, item->max);
        return -1;
    }
    *(unsigned int *) field = v;
    return 0;
}

static int
abDaemonConfigParseBool(const abDaemonConfigItem *item, const char *value,
                        void *field, GError **error)
{
    static const char *const yes[] = { "true", "yes", "1", NULL };
    static const char *const no[] = { "false", "no", "0", NULL };

    if (g_strv_contains(yes, value)) {
        *(bool *) field = true;
    } else if (g_strv_contains(no, value)) {
        *(bool *) field = false;
    } else {
        abDaemonConfigExpected(error, "expected true or false");
        return -1;
    }
    return 0;
}

static int
abDaemonConfigParseScaled(const abDaemonConfigItem *item, const char *value,
                          void *field, GError **error);

/* abConfSize: a size with an optional unit (KiB when none), within
 * [min, max] KiB */
static int
abDaemonConfigParseSize(const abDaemonConfigItem *item, const char *value,
                        void *field, GError **error)
{
    abConfSize *size = field;
    unsigned long long bytes, kib;
    g_autofree char *min = NULL;
    g_autofree char *max = NULL;

    if (abSizeParseScaled(item->key, value, 1024, &bytes, NULL) < 0) {
        /* the units the parser takes, as virsh-autoballoon and the XML
         * list them; floor and reserve also take a percentage */
        abDaemonConfigExpected(error, "expected a size: an integer and an optional unit "
                               "(one of " AB_SIZE_UNITS "; no unit: KiB)%s",
                               item->parse == abDaemonConfigParseScaled ?
                               ", or a percentage of <memory> such as 25%" : "");
        return -1;
    }
    kib = bytes / 1024;
    if ((double) kib < item->min || (double) kib > item->max) {
        min = abSizeFormatKiB((unsigned long long) item->min);
        max = abSizeFormatKiB((unsigned long long) item->max);
        if (item->max >= AB_CFG_KIB_MAX)
            abDaemonConfigExpected(error, "expected a size of at least %s", min);
        else
            abDaemonConfigExpected(error, "expected a size from %s to %s", min, max);
        return -1;
    }
    /* kib came from a byte count: written in KiB it cannot overflow */
    return abConfSizeSet(size, kib, "KiB", error);
}

/* floor and reserve: a size, or "25%" of each guest's <memory> */
static int
abDaemonConfigParseScaled(const abDaemonConfigItem *item, const char *value,
                          void *field, GError **error)
{
    abConfSize *size = field;
    unsigned int percent;

    if (!abSizeIsPercent(value))
        return abDaemonConfigParseSize(item, value, field, error);
    if (abSizePercentParse(item->key, value, &percent, NULL) < 0) {
        abDaemonConfigExpected(error, "expected a percentage of <memory> more than 0%% "
                               "and at most 100%% with at most two decimals, or a size");
        return -1;
    }
    g_free(size->unit);
    *size = (abConfSize) { .set = true, .unit = g_strdup("%"), .percent = percent };
    return 0;
}

/* abConfSeconds: whole seconds within [min, max] */
static int
abDaemonConfigParseSeconds(const abDaemonConfigItem *item, const char *value,
                           void *field, GError **error)
{
    abConfSeconds *secs = field;
    unsigned int v;

    if (abDaemonConfigParseUInt(item, value, &v, error) < 0)
        return -1;
    g_free(secs->unit);
    *secs = (abConfSeconds) { .set = true, .value = v, .unit = g_strdup("s") };
    return 0;
}

/* the policy's weight (field: the policy, for weightSet) */
static int
abDaemonConfigParseWeight(const abDaemonConfigItem *item, const char *value,
                          void *field, GError **error)
{
    abConfPolicy *policy = field;

    if (abDaemonConfigParseUInt(item, value, &policy->weight, error) < 0)
        return -1;
    policy->weightSet = true;
    return 0;
}

static int
abDaemonConfigParseManage(const abDaemonConfigItem *item, const char *value,
                          void *field, GError **error)
{
    int m = abDaemonManageFromString(value);

    if (m < 0) {
        abDaemonConfigExpected(error, "expected opted-in or all");
        return -1;
    }
    *(abDaemonManage *) field = m;
    return 0;
}

/* field: the whole config (sourceAuto and sources) */
static int
abDaemonConfigParseSources(const abDaemonConfigItem *item, const char *value,
                           void *field, GError **error)
{
    abDaemonConfig *cfg = field;
    g_auto(GStrv) parts = g_strsplit_set(value, ";, ", -1);
    bool sources[AB_PRESSURE_SOURCE_LAST] = { false };
    bool isAuto = false;
    bool any = false;

    for (size_t i = 0; parts[i]; i++) {
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
            abDaemonConfigExpected(error, "unknown source '%s': expected a list of psi, "
                                   "vmpressure, headroom, or auto or none", parts[i]);
            return -1;
        }
        sources[s] = true;
    }
    if (!any) {
        abDaemonConfigExpected(error, "empty list: expected psi, vmpressure, headroom, "
                               "auto or none");
        return -1;
    }
    cfg->sourceAuto = isAuto;
    memcpy(cfg->sources, sources, sizeof(sources));
    return 0;
}

static int
abDaemonConfigParseCgroup(const abDaemonConfigItem *item, const char *value,
                          void *field, GError **error)
{
    char **cgroup = field;

    if (!g_str_equal(value, "auto") && value[0] != '/') {
        abDaemonConfigExpected(error, "expected auto or an absolute cgroup path");
        return -1;
    }
    g_free(*cgroup);
    *cgroup = g_strdup(value);
    return 0;
}

/* char *: an absolute path ending in .prom (node_exporter's textfile
 * collector reads those only), or nothing for none */
static int
abDaemonConfigParseTextfile(const abDaemonConfigItem *item, const char *value,
                            void *field, GError **error)
{
    char **path = field;

    if (*value && (!g_path_is_absolute(value) || !g_str_has_suffix(value, ".prom"))) {
        abDaemonConfigExpected(error, "expected an absolute path ending in .prom, or nothing");
        return -1;
    }
    g_free(*path);
    *path = *value ? g_strdup(value) : NULL;
    return 0;
}

/* abPsiTrigger: "some|full STALL_US [WINDOW_US]" (the window the field has
 * when none is given); the kernel takes windows from 500 ms to 10 s */
static int
abDaemonConfigParsePsi(const abDaemonConfigItem *item, const char *value,
                       void *field, GError **error)
{
    abPsiTrigger *trigger = field;
    g_auto(GStrv) parts = g_strsplit(value, " ", -1);
    guint n = g_strv_length(parts);
    int kind = n >= 1 ? abPsiKindFromString(parts[0]) : -1;
    guint64 stall, window = trigger->windowUs;

    if ((n != 2 && n != 3) || kind < 0 ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, 10000000, &stall, NULL) ||
        (n == 3 && !g_ascii_string_to_unsigned(parts[2], 10, 500000, 10000000,
                                               &window, NULL)) ||
        stall > window) {
        abDaemonConfigExpected(error, "expected 'some|full STALL_US [WINDOW_US]' with a "
                               "stall no longer than the window (500000 to 10000000 us)");
        return -1;
    }
    *trigger = (abPsiTrigger) { kind, stall, window };
    return 0;
}

#define AB_CFG(section, key, parse, member, min, max) \
    { section, key, parse, AB_DAEMON_CONFIG_BASE_DAEMON, \
      offsetof(abDaemonConfig, member), min, max }
#define AB_CFG_POLICY(key, parse, member, min, max) \
    { "policy", key, parse, AB_DAEMON_CONFIG_BASE_POLICY, \
      offsetof(abConfPolicy, member), min, max }

static const abDaemonConfigItem abDaemonConfigItems[] = {
    AB_CFG("daemon", "tick", abDaemonConfigParseDouble, tickSec,
           AB_DAEMON_TICK_MIN_S, AB_DAEMON_TICK_MAX_S),
    AB_CFG("daemon", "manage", abDaemonConfigParseManage, manage, 0, 0),
    AB_CFG("daemon", "stats-period", abDaemonConfigParseUInt, statsPeriodSec, 1, 3600),
    AB_CFG("daemon", "unresponsive-timeout", abDaemonConfigParseDouble, unresponsiveSec, 1, 3600),
    AB_CFG("daemon", "status-interval", abDaemonConfigParseDouble, statusIntervalSec, 1, 3600),
    { "pressure", "sources", abDaemonConfigParseSources, AB_DAEMON_CONFIG_BASE_DAEMON, 0, 0, 0 },
    AB_CFG("pressure", "cgroup", abDaemonConfigParseCgroup, cgroup, 0, 0),
    AB_CFG("pressure", "system-wide", abDaemonConfigParseBool, systemWide, 0, 0),
    AB_CFG("pressure", "psi-quiet-windows", abDaemonConfigParseUInt,
           pressure.psi.quietWindows, 1, 100),
    AB_CFG("pressure", "psi-low", abDaemonConfigParsePsi,
           pressure.psi.level[AB_LEVEL_LOW], 0, 0),
    AB_CFG("pressure", "psi-medium", abDaemonConfigParsePsi,
           pressure.psi.level[AB_LEVEL_MEDIUM], 0, 0),
    AB_CFG("pressure", "psi-critical", abDaemonConfigParsePsi,
           pressure.psi.level[AB_LEVEL_CRITICAL], 0, 0),
    AB_CFG("pressure", "headroom-low", abDaemonConfigParseDouble,
           pressure.headroom.freeBelow[AB_LEVEL_LOW], 0, 1),
    AB_CFG("pressure", "headroom-medium", abDaemonConfigParseDouble,
           pressure.headroom.freeBelow[AB_LEVEL_MEDIUM], 0, 1),
    AB_CFG("pressure", "headroom-critical", abDaemonConfigParseDouble,
           pressure.headroom.freeBelow[AB_LEVEL_CRITICAL], 0, 1),
    AB_CFG_POLICY("floor", abDaemonConfigParseScaled, floor,
                  AB_POLICY_FLOOR_MIN_KIB, AB_CFG_KIB_MAX),
    AB_CFG_POLICY("reserve", abDaemonConfigParseScaled, reserve, 0, AB_CFG_KIB_MAX),
    AB_CFG_POLICY("step-low", abDaemonConfigParseSize, step[AB_LEVEL_LOW],
                  1, AB_POLICY_STEP_MAX_KIB),
    AB_CFG_POLICY("step-medium", abDaemonConfigParseSize, step[AB_LEVEL_MEDIUM],
                  1, AB_POLICY_STEP_MAX_KIB),
    AB_CFG_POLICY("step-critical", abDaemonConfigParseSize, step[AB_LEVEL_CRITICAL],
                  1, AB_POLICY_STEP_MAX_KIB),
    { "policy", "weight", abDaemonConfigParseWeight, AB_DAEMON_CONFIG_BASE_POLICY, 0,
      AB_POLICY_WEIGHT_MIN, AB_POLICY_WEIGHT_MAX },
    AB_CFG_POLICY("cooldown", abDaemonConfigParseSeconds, cooldown,
                  0, AB_POLICY_COOLDOWN_MAX_S),
    AB_CFG("metrics", "textfile", abDaemonConfigParseTextfile, metricsTextfile, 0, 0),
};

static const abDaemonConfigItem *
abDaemonConfigFindItem(const char *section, const char *key, bool *sectionKnown)
{
    *sectionKnown = false;
    for (size_t i = 0; i < G_N_ELEMENTS(abDaemonConfigItems); i++) {
        if (!g_str_equal(abDaemonConfigItems[i].section, section))
            continue;
        *sectionKnown = true;
        if (g_str_equal(abDaemonConfigItems[i].key, key))
            return &abDaemonConfigItems[i];
    }
    return NULL;
}

static void *
abDaemonConfigField(abDaemonConfig *cfg, const abDaemonConfigItem *item)
{
    char *base = item->base == AB_DAEMON_CONFIG_BASE_POLICY ?
                 (char *) cfg->policy : (char *) cfg;

    return base + item->offset;
}

int
abDaemonConfigSetValue(abDaemonConfig *cfg, const char *section,
                       const char *key, const char *value, GError **error)
{
    bool sectionKnown;
    const abDaemonConfigItem *item = abDaemonConfigFindItem(section, key, &sectionKnown);

    if (!item) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "unknown %s",
                    sectionKnown ? "key" : "section");
        return -1;
    }
    return item->parse(item, value, abDaemonConfigField(cfg, item), error);
}

int
abDaemonConfigCheck(const abDaemonConfig *cfg, const char *filename,
                    GError **error)
{
    const double *fb = cfg->pressure.headroom.freeBelow;
    g_autoptr(GError) err = NULL;

    /* Levels must get stricter as they rise, or "medium" would hold while
     * "low" does not and the level stream would jump. */
    if (!(fb[AB_LEVEL_LOW] >= fb[AB_LEVEL_MEDIUM] &&
          fb[AB_LEVEL_MEDIUM] >= fb[AB_LEVEL_CRITICAL])) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "%s: [pressure] headroom-low (%g) >= headroom-medium (%g) >= "
                    "headroom-critical (%g) does not hold",
                    filename, fb[AB_LEVEL_LOW], fb[AB_LEVEL_MEDIUM], fb[AB_LEVEL_CRITICAL]);
        return -1;
    }
    /* the defaults go through the checks a domain's own policy does */
    if (abConfPolicyValidate(cfg->policy, NULL, 0, &err) < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: [policy]: %s",
                    filename, err->message);
        return -1;
    }
    return 0;
}

/* GLib quotes with U+201C and U+201D; our messages use ASCII quotes. */
static void
abDaemonConfigPlainQuotes(GError *error)
{
    g_autoptr(GString) msg = g_string_new(error->message);

    g_string_replace(msg, "\u201c", "'", 0);
    g_string_replace(msg, "\u201d", "'", 0);
    g_free(error->message);
    error->message = g_string_free(g_steal_pointer(&msg), FALSE);
}

/* GKeyFile's own messages quote with curly quotes and name no file: find
 * the line it refused ourselves. */
static void
abDaemonConfigSyntaxError(const char *filename, const char *data,
                          GError *kferr, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(data, "\n", -1);

    for (guint i = 0; lines[i]; i++) {
        g_autofree char *l = g_strstrip(g_strdup(lines[i]));

        if (!*l || *l == '#' || *l == ';')
            continue;
        if (*l == '[' ? l[strlen(l) - 1] == ']' && strlen(l) > 2 : strchr(l, '=') != NULL)
            continue;
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "%s: line %u: '%s': expected a [section], a key = value line or a # comment",
                    filename, i + 1, l);
        return;
    }
    g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: %s", filename, kferr->message);
    abDaemonConfigPlainQuotes(*error);
}

int
abDaemonConfigApplyData(abDaemonConfig *cfg, const char *filename,
                        const char *data, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_auto(GStrv) sections = NULL;
    g_autoptr(GError) err = NULL;

    if (!g_key_file_load_from_data(kf, data, -1, G_KEY_FILE_NONE, &err)) {
        abDaemonConfigSyntaxError(filename, data, err, error);
        return -1;
    }

    sections = g_key_file_get_groups(kf, NULL);
    for (size_t i = 0; sections[i]; i++) {
        g_auto(GStrv) keys = g_key_file_get_keys(kf, sections[i], NULL, NULL);

        for (size_t j = 0; keys && keys[j]; j++) {
            const abDaemonConfigItem *item;
            g_autofree char *value = g_key_file_get_value(kf, sections[i], keys[j], NULL);
            bool sectionKnown;

            if (!(item = abDaemonConfigFindItem(sections[i], keys[j], &sectionKnown))) {
                g_warning("%s: [%s] %s: unknown %s, ignored", filename, sections[i],
                          keys[j], sectionKnown ? "key" : "section");
                continue;
            }
            g_strstrip(value);
            if (item->parse(item, value, abDaemonConfigField(cfg, item), &err) < 0) {
                g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: [%s] %s = '%s': %s",
                            filename, sections[i], keys[j], value, err->message);
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
        abDaemonConfigPlainQuotes(*error);
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
    char **ret = g_new0(char *, G_N_ELEMENTS(abDaemonConfigItems) + 1);

    for (size_t i = 0; i < G_N_ELEMENTS(abDaemonConfigItems); i++)
        ret[i] = g_strdup_printf("%s.%s", abDaemonConfigItems[i].section,
                                 abDaemonConfigItems[i].key);
    return ret;
}
