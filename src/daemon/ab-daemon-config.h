/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-daemon-config.h: autoballoond's configuration file.
 *
 * /etc/autoballoon/autoballoond.conf (GKeyFile) and then every
 * autoballoond.conf.d/ *.conf next to it, in name order; a key set in a later
 * file overrides the same key in an earlier one. Unknown sections and keys
 * are warned about (file, section and key named); a bad value is an error
 * naming the file, the section, the key and the value. Doubles must be
 * finite. data/autoballoond.conf lists every key.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "ab-enum.h"
#include "ab-level.h"
#include "ab-conf.h"
#include "ab-pressure.h"

/* AB_DAEMON_MANAGE_OPTED_IN (0) .. AB_DAEMON_MANAGE_ALL */
#define AB_DAEMON_MANAGE_LIST(X, P) \
    X(P, OPTED_IN, "opted-in")    /* only domains with autoballoon='on' */ \
    X(P, ALL, "all")              /* every running domain unless it says off */

AB_ENUM_TYPEDEF(abDaemonManage, AB_DAEMON_MANAGE_, AB_DAEMON_MANAGE_LIST);

#define AB_DAEMON_TICK_DEFAULT_S             2.0
#define AB_DAEMON_TICK_MIN_S                 0.1
#define AB_DAEMON_TICK_MAX_S                 3600.0
#define AB_DAEMON_STATS_PERIOD_DEFAULT_S     2
#define AB_DAEMON_UNRESPONSIVE_DEFAULT_S     5.0
#define AB_DAEMON_STATUS_INTERVAL_DEFAULT_S  1.0

typedef struct {
    /* [daemon] */
    double tickSec;
    abDaemonManage manage;
    unsigned int statsPeriodSec;
    double unresponsiveSec;
    double statusIntervalSec;

    /* [pressure] */
    bool sourceAuto;                         /* sources = auto */
    bool sources[AB_PRESSURE_SOURCE_LAST];   /* explicit list (psi, vmpressure,
                                                headroom; never injected) */
    char *cgroup;                            /* "auto" or a cgroup path */
    bool systemWide;                         /* also the host's own PSI and headroom */
    abPressureConfig pressure;               /* PSI triggers, headroom thresholds */

    /* [policy]: defaults for managed domains; only the set fields matter,
     * a domain's own metadata overrides each of them. */
    abConfPolicy *policy;

    /* [metrics] */
    char *metricsTextfile;                   /* NULL: no metrics file */
} abDaemonConfig;

abDaemonConfig *abDaemonConfigNew(void);
void abDaemonConfigFree(abDaemonConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abDaemonConfig, abDaemonConfigFree)

/* Default path of the main file: AB_SYSCONFDIR/autoballoon/autoballoond.conf */
char *abDaemonConfigDefaultPath(void);

/* Load @path (missing is fine when @optional) and its .conf.d drop-ins.
 * Returns a new config, or NULL with @error. */
abDaemonConfig *abDaemonConfigLoad(const char *path, bool optional,
                                   GError **error);

/* Cross-key checks (levels ordered, stalls within the window); @filename
 * names the file in the message. */
int abDaemonConfigCheck(const abDaemonConfig *cfg, const char *filename,
                        GError **error);

/* Set [@section] @key of @cfg from @value with the key's own parser and
 * bounds (the command line's --tick uses it). On error the message says
 * only what was expected ("expected a number from 0.1 to 3600"), or
 * "unknown key"/"unknown section": the caller names the place. */
int abDaemonConfigSetValue(abDaemonConfig *cfg, const char *section,
                           const char *key, const char *value, GError **error);

/* Apply one GKeyFile's contents (named @filename in messages) over @cfg.
 * A bad value fails naming the file, section, key and value; an unknown
 * key or section is warned about, one line each, and skipped. */
int abDaemonConfigApplyData(abDaemonConfig *cfg, const char *filename,
                            const char *data, GError **error);

/* Every key the daemon knows, as "group.key" (for docs and tests). */
char **abDaemonConfigKeyNames(void);
