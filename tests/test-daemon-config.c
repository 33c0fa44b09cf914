/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* autoballoond's configuration file: defaults, drop-ins, unknown keys, bad
 * values, and the shipped data/autoballoond.conf. */
#include "ab-config.h"
#include "ab-daemon.h"
#include "ab-daemon-config.h"
#include "ab-error.h"
#include "testutils.h"

#include <glib/gstdio.h>

#define MiB 1024ULL

static char *
writeFile(const char *dir, const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static void
testMissingIsDefaults(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(abDaemonConfig) cfg = abDaemonConfigLoad("/nonexistent/autoballoond.conf",
                                                       true, &err);

    g_assert_no_error(err);
    g_assert_nonnull(cfg);
    g_assert_cmpfloat(cfg->tickSec, ==, AB_DAEMON_TICK_DEFAULT_S);
    g_assert_cmpint(cfg->manage, ==, AB_DAEMON_MANAGE_OPTED_IN);
    g_assert_true(cfg->sourceAuto);
    g_assert_cmpstr(cfg->cgroup, ==, "auto");
    g_assert_false(cfg->policy->floor.set);

    /* but a file named on the command line must exist */
    g_assert_null(abDaemonConfigLoad("/nonexistent/autoballoond.conf", false, &err));
    g_assert_error(err, AB_ERROR, AB_ERROR_SYSTEM);
    g_assert_nonnull(strstr(err->message, "/nonexistent/autoballoond.conf"));
}

static void
testValues(void)
{
    g_autoptr(abDaemonConfig) cfg = abDaemonConfigNew();
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(abDaemonConfigApplyData(cfg, "x.conf",
        "[daemon]\ntick = 0.5\nmanage = all\n"
        "[pressure]\nsources = psi, headroom\ncgroup = /machine.slice\n"
        "psi-medium = full 200000\npsi-low = some 100000 1000000\nheadroom-low = 0.3\n"
        "[policy]\nfloor = 1GiB\nreserve = 64M\nstep-critical = 512MiB\nweight = 300\ncooldown = 10\n",
        &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpfloat(cfg->tickSec, ==, 0.5);
    g_assert_cmpint(cfg->manage, ==, AB_DAEMON_MANAGE_ALL);
    g_assert_false(cfg->sourceAuto);
    g_assert_true(cfg->sources[AB_PRESSURE_SOURCE_PSI]);
    g_assert_true(cfg->sources[AB_PRESSURE_SOURCE_HEADROOM]);
    g_assert_false(cfg->sources[AB_PRESSURE_SOURCE_VMPRESSURE]);
    g_assert_cmpstr(cfg->cgroup, ==, "/machine.slice");
    g_assert_cmpint(cfg->pressure.psi.level[AB_LEVEL_MEDIUM].kind, ==, AB_PSI_FULL);
    g_assert_cmpuint(cfg->pressure.psi.level[AB_LEVEL_MEDIUM].stallUs, ==, 200000);
    g_assert_cmpuint(cfg->pressure.psi.level[AB_LEVEL_LOW].windowUs, ==, 1000000);
    g_assert_cmpfloat(cfg->pressure.headroom.freeBelow[AB_LEVEL_LOW], ==, 0.3);
    g_assert_true(cfg->policy->floor.set);
    g_assert_cmpuint(cfg->policy->floor.kib, ==, 1024 * MiB);
    g_assert_cmpuint(cfg->policy->reserve.kib, ==, 64 * MiB);
    g_assert_cmpuint(cfg->policy->step[AB_LEVEL_CRITICAL].kib, ==, 512 * MiB);
    g_assert_false(cfg->policy->step[AB_LEVEL_LOW].set);
    g_assert_cmpuint(cfg->policy->weight, ==, 300);
    g_assert_cmpuint(cfg->policy->cooldown.value, ==, 10);
}

static void
testBadValues(void)
{
    static const struct {
        const char *text;
        const char *where;      /* "[section] key" */
        const char *value;
    } cases[] = {
        { "[daemon]\ntick = fast\n", "[daemon] tick", "fast" },
        { "[daemon]\ntick = 0\n", "[daemon] tick", "0" },
        /* NaN passes "d < min || d > max"; infinities are no numbers either */
        { "[daemon]\ntick = nan\n", "[daemon] tick", "nan" },
        { "[daemon]\ntick = NAN\n", "[daemon] tick", "NAN" },
        { "[daemon]\ntick = inf\n", "[daemon] tick", "inf" },
        { "[daemon]\ntick = 1e999\n", "[daemon] tick", "1e999" },
        { "[daemon]\nunresponsive-timeout = nan\n", "[daemon] unresponsive-timeout", "nan" },
        { "[daemon]\nunresponsive-timeout = -inf\n", "[daemon] unresponsive-timeout", "-inf" },
        { "[daemon]\nstatus-interval = nan\n", "[daemon] status-interval", "nan" },
        { "[daemon]\nstatus-interval = infinity\n", "[daemon] status-interval", "infinity" },
        { "[daemon]\nmanage = some\n", "[daemon] manage", "some" },
        { "[daemon]\nstats-period = -1\n", "[daemon] stats-period", "-1" },
        { "[daemon]\nstats-period = 0\n", "[daemon] stats-period", "0" },
        { "[pressure]\nsources = psi, magic\n", "[pressure] sources", "psi, magic" },
        { "[pressure]\nsources = injected\n", "[pressure] sources", "injected" },
        { "[pressure]\nsources = ,\n", "[pressure] sources", "," },
        { "[pressure]\ncgroup = machine\n", "[pressure] cgroup", "machine" },
        { "[pressure]\npsi-low = some 3000000 2000000\n", "[pressure] psi-low", "some 3000000 2000000" },
        { "[pressure]\npsi-critical = most 1000\n", "[pressure] psi-critical", "most 1000" },
        { "[pressure]\npsi-quiet-windows = 0\n", "[pressure] psi-quiet-windows", "0" },
        { "[pressure]\nheadroom-medium = 1.5\n", "[pressure] headroom-medium", "1.5" },
        { "[pressure]\nheadroom-low = nan\n", "[pressure] headroom-low", "nan" },
        { "[pressure]\nsystem-wide = perhaps\n", "[pressure] system-wide", "perhaps" },
        { "[policy]\nfloor = 1parsec\n", "[policy] floor", "1parsec" },
        { "[policy]\nfloor = 1MiB\n", "[policy] floor", "1MiB" },
        { "[policy]\nfloor = 0%\n", "[policy] floor", "0%" },
        { "[policy]\nreserve = 100.5%\n", "[policy] reserve", "100.5%" },
        { "[policy]\nfloor = 1.2.3%\n", "[policy] floor", "1.2.3%" },
        { "[policy]\nstep-low = 0\n", "[policy] step-low", "0" },
        { "[policy]\nstep-critical = 65GiB\n", "[policy] step-critical", "65GiB" },
        { "[policy]\nweight = 0\n", "[policy] weight", "0" },
        { "[policy]\nweight = 10001\n", "[policy] weight", "10001" },
        { "[policy]\ncooldown = 1000000\n", "[policy] cooldown", "1000000" },
        { "[metrics]\ntextfile = ab.prom\n", "[metrics] textfile", "ab.prom" },
        { "[metrics]\ntextfile = /run/ab.txt\n", "[metrics] textfile", "/run/ab.txt" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(abDaemonConfig) cfg = abDaemonConfigNew();
        g_autoptr(GError) err = NULL;
        g_autofree char *head = g_strdup_printf("/etc/x.conf: %s = '%s': ",
                                                cases[i].where, cases[i].value);

        g_assert_cmpint(abDaemonConfigApplyData(cfg, "/etc/x.conf", cases[i].text, &err), ==, -1);
        g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        g_test_message("%s", err->message);
        /* file, section, key and value once, then what would do */
        g_assert_true(g_str_has_prefix(err->message, head));
        g_assert_nonnull(strstr(err->message + strlen(head), "expected"));
        g_assert_null(strstr(err->message + 1, "/etc/x.conf"));
        g_assert_null(strstr(err->message + strlen(head), cases[i].where));
        g_assert_null(strstr(err->message, "\u201c"));
    }
}

/* A size with a unit it does not know lists every unit it does (as
 * virsh-autoballoon and the XML do); floor and reserve also say that a
 * percentage is allowed. */
static void
testSizeUnits(void)
{
    static const struct {
        const char *text;
        bool percent;
    } cases[] = {
        { "[policy]\nfloor = 3furlongs\n", true },
        { "[policy]\nreserve = 3furlongs\n", true },
        { "[policy]\nstep-low = 3furlongs\n", false },
        { "[policy]\nstep-critical = 1 GiB\n", false },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(abDaemonConfig) cfg = abDaemonConfigNew();
        g_autoptr(GError) err = NULL;

        g_assert_cmpint(abDaemonConfigApplyData(cfg, "x.conf", cases[i].text, &err), ==, -1);
        g_test_message("%s", err->message);
        g_assert_nonnull(strstr(err->message, "KiB"));
        g_assert_nonnull(strstr(err->message, "PiB"));
        g_assert_nonnull(strstr(err->message, "EiB"));
        g_assert_true((strstr(err->message, "25%") != NULL) == cases[i].percent);
    }
}

/* --tick goes through the same parser and bounds. */
static void
testSetValue(void)
{
    g_autoptr(abDaemonConfig) cfg = abDaemonConfigNew();
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(abDaemonConfigSetValue(cfg, "daemon", "tick", "0.25", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpfloat(cfg->tickSec, ==, 0.25);
    g_assert_cmpint(abDaemonConfigSetValue(cfg, "daemon", "tick", "nan", &err), ==, -1);
    g_assert_cmpstr(err->message, ==, "expected a number from 0.1 to 3600");
    g_clear_error(&err);
    g_assert_cmpfloat(cfg->tickSec, ==, 0.25);
    g_assert_cmpint(abDaemonConfigSetValue(cfg, "daemon", "tock", "1", &err), ==, -1);
    g_assert_cmpstr(err->message, ==, "unknown key");
}

/* A line GKeyFile refuses is named by file and number, in ASCII quotes. */
static void
testSyntaxError(void)
{
    g_autoptr(abDaemonConfig) cfg = abDaemonConfigNew();
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(abDaemonConfigApplyData(cfg, "/etc/z.conf",
        "# comment\n[daemon]\ntick = 3\nmanage all\n", &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
    g_assert_cmpstr(err->message, ==,
                    "/etc/z.conf: line 4: 'manage all': expected a [section], "
                    "a key = value line or a # comment");
}

static void
testUnknownWarns(void)
{
    g_autoptr(abDaemonConfig) cfg = abDaemonConfigNew();
    g_autoptr(GError) err = NULL;

    testLogClear();
    g_assert_cmpint(abDaemonConfigApplyData(cfg, "/etc/y.conf",
        "[daemon]\ntick = 3\nticks = 4\n[extra]\nfoo = 1\nbar = 2\n[policy]\nflor = 1G\n",
        &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpfloat(cfg->tickSec, ==, 3);
    /* one line each, every one of them */
    g_assert_cmpuint(testLogs->len, ==, 4);
    assertLogged("WARNING", "/etc/y.conf: [daemon] ticks: unknown key, ignored");
    assertLogged("WARNING", "/etc/y.conf: [extra] foo: unknown section, ignored");
    assertLogged("WARNING", "/etc/y.conf: [extra] bar: unknown section, ignored");
    assertLogged("WARNING", "/etc/y.conf: [policy] flor: unknown key, ignored");
}

static void
testDropins(void)
{
    g_autofree char *dir = g_dir_make_tmp("abconf-XXXXXX", NULL);
    g_autofree char *dropdir = g_build_filename(dir, "autoballoond.conf.d", NULL);
    g_autofree char *main = writeFile(dir, "autoballoond.conf",
                                      "[daemon]\ntick = 5\nmanage = all\n");
    g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    g_autoptr(abDaemonConfig) cfg = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(g_mkdir(dropdir, 0700), ==, 0);
    /* written out of order: the daemon sorts by name */
    b = writeFile(dropdir, "20-b.conf", "[daemon]\ntick = 7\n");
    a = writeFile(dropdir, "10-a.conf", "[daemon]\ntick = 6\n[policy]\nweight = 50\n");
    c = writeFile(dropdir, "30-c.conf.disabled", "[daemon]\ntick = 9\n");

    cfg = abDaemonConfigLoad(main, false, &err);
    g_assert_no_error(err);
    g_assert_cmpfloat(cfg->tickSec, ==, 7);
    g_assert_cmpint(cfg->manage, ==, AB_DAEMON_MANAGE_ALL);
    g_assert_cmpuint(cfg->policy->weight, ==, 50);
    g_clear_pointer(&cfg, abDaemonConfigFree);

    /* a bad drop-in names itself */
    d = writeFile(dropdir, "40-bad.conf", "[pressure]\nheadroom-low = 0.01\n");
    g_assert_null(abDaemonConfigLoad(main, false, &err));
    g_assert_nonnull(strstr(err->message, "40-bad.conf"));

    g_unlink(a);
    g_unlink(b);
    g_unlink(c);
    g_unlink(d);
    g_rmdir(dropdir);
    g_unlink(main);
    g_rmdir(dir);
}

/* The shipped file documents every key with its real default: uncommented
 * as a whole it loads without a warning and changes nothing but the floor
 * (whose default is a share of each guest's size, so the file shows an
 * example). */
static void
testShippedFile(void)
{
    g_autofree char *path = g_build_filename(AB_SOURCE_ROOT, "data", "autoballoond.conf", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GString) uncommented = g_string_new(NULL);
    g_auto(GStrv) lines = NULL;
    g_auto(GStrv) keys = abDaemonConfigKeyNames();
    g_autoptr(abDaemonConfig) def = abDaemonConfigNew();
    g_autoptr(abDaemonConfig) cfg = abDaemonConfigNew();
    g_autoptr(abDaemonConfig) shipped = NULL;
    g_autoptr(GError) err = NULL;
    const char *group = NULL;
    guint nkeys = 0;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    /* as shipped: nothing set */
    shipped = abDaemonConfigLoad(path, false, &err);
    g_assert_no_error(err);
    g_assert_false(shipped->policy->weightSet);

    lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        const char *l = lines[i];

        if (l[0] == '[') {
            group = l;
            g_string_append_printf(uncommented, "%s\n", l);
        } else if (l[0] == '#' && l[1] != ' ' && l[1] && strchr(l, '=')) {
            g_autofree char *k = g_strstrip(g_strndup(l + 1, strchr(l, '=') - l - 1));
            g_autofree char *full = g_strdup_printf("%.*s.%s",
                                                    (int) strlen(group) - 2, group + 1, k);

            g_assert_true(g_strv_contains((const char * const *) keys, full));
            g_string_append_printf(uncommented, "%s\n", l + 1);
            nkeys++;
        }
    }
    g_assert_cmpuint(nkeys, ==, g_strv_length(keys));

    testLogClear();
    g_assert_cmpint(abDaemonConfigApplyData(cfg, path, uncommented->str, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(testLogs->len, ==, 0);

    g_assert_cmpfloat(cfg->tickSec, ==, def->tickSec);
    g_assert_cmpint(cfg->manage, ==, def->manage);
    g_assert_cmpuint(cfg->statsPeriodSec, ==, def->statsPeriodSec);
    g_assert_cmpfloat(cfg->unresponsiveSec, ==, def->unresponsiveSec);
    g_assert_cmpfloat(cfg->statusIntervalSec, ==, def->statusIntervalSec);
    g_assert_true(cfg->sourceAuto);
    g_assert_cmpstr(cfg->cgroup, ==, def->cgroup);
    g_assert_cmpint(cfg->systemWide, ==, def->systemWide);
    g_assert_cmpmem(&cfg->pressure, sizeof(cfg->pressure), &def->pressure, sizeof(def->pressure));
    /* floor and reserve as shown are the built-in defaults wherever their
     * 128 MiB minimum does not bind (guests of 1 GiB and more) */
    for (unsigned long long memKiB = 1048576; memKiB <= 64ULL * 1048576; memKiB = memKiB * 3 / 2) {
        abPolicyParams shown, builtin;

        abConfPolicyResolve(cfg->policy, memKiB, &shown);
        abConfPolicyResolve(def->policy, memKiB, &builtin);
        g_assert_cmpuint(shown.floorKiB, ==, builtin.floorKiB);
        g_assert_cmpuint(shown.reserveKiB, ==, builtin.reserveKiB);
    }
    g_assert_cmpuint(cfg->policy->step[AB_LEVEL_LOW].kib, ==, AB_POLICY_STEP_LOW_DEFAULT_KIB);
    g_assert_cmpuint(cfg->policy->step[AB_LEVEL_MEDIUM].kib, ==, AB_POLICY_STEP_MEDIUM_DEFAULT_KIB);
    g_assert_cmpuint(cfg->policy->step[AB_LEVEL_CRITICAL].kib, ==, AB_POLICY_STEP_CRITICAL_DEFAULT_KIB);
    g_assert_cmpuint(cfg->policy->weight, ==, AB_POLICY_WEIGHT_DEFAULT);
    g_assert_cmpuint(cfg->policy->cooldown.value, ==, AB_POLICY_COOLDOWN_DEFAULT_S);
    g_assert_null(cfg->metricsTextfile);
}

/* Off by default; a path turns it on, a later empty value off again. */
static void
testMetricsTextfile(void)
{
    g_autoptr(abDaemonConfig) cfg = abDaemonConfigNew();
    g_autoptr(GError) err = NULL;

    g_assert_null(cfg->metricsTextfile);
    g_assert_cmpint(abDaemonConfigApplyData(cfg, "a.conf",
        "[metrics]\ntextfile = /var/lib/prometheus/node-exporter/autoballoon.prom\n",
        &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->metricsTextfile, ==, "/var/lib/prometheus/node-exporter/autoballoon.prom");
    g_assert_cmpint(abDaemonConfigApplyData(cfg, "b.conf", "[metrics]\ntextfile =\n", &err), ==, 0);
    g_assert_no_error(err);
    g_assert_null(cfg->metricsTextfile);
}

/* Every module logs under a domain of its own, which --verbose shows; the
 * libraries' info and debug stay hidden. */
static void
testLogDomains(void)
{
    g_autoptr(abPressureMonitor) mon = NULL;
    abPressureConfig pc;

    testLogClear();
    abPressureConfigDefaults(&pc);
    mon = abPressureMonitorNew(&pc);
    /* no /proc under this root: each default source is skipped, logged */
    g_assert_cmpint(abPressureMonitorAddDefaults(mon, "/nonexistent", NULL), ==, 0);
    g_assert_cmpint(testLogFind("pressure source skipped", "@autoballoon-pressure", NULL), >=, 0);
    g_assert_cmpint(testLogFind("@(none)", NULL), <, 0);

    g_assert_true(abDaemonLogShows("autoballoon-pressure", G_LOG_LEVEL_INFO, true));
    g_assert_true(abDaemonLogShows("autoballoon-qemu", G_LOG_LEVEL_DEBUG, true));
    g_assert_true(abDaemonLogShows("autoballoond", G_LOG_LEVEL_DEBUG, true));
    g_assert_false(abDaemonLogShows("autoballoond", G_LOG_LEVEL_DEBUG, false));
    g_assert_false(abDaemonLogShows("Libvirt.GLib", G_LOG_LEVEL_DEBUG, true));
    g_assert_false(abDaemonLogShows(NULL, G_LOG_LEVEL_INFO, true));
    g_assert_true(abDaemonLogShows(NULL, G_LOG_LEVEL_WARNING, false));
}

/* The daemon's log writer prints GLib's curly quotes (file errors) as
 * ASCII quotes: under a C locale they would come out as '?'. */
static void
testLogQuotes(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *plain = NULL;
    g_autofree char *text = NULL;

    g_assert_false(g_file_get_contents("/nonexistent/ab.prom", &text, NULL, &err));
    g_assert_nonnull(strstr(err->message, "\u201c/nonexistent/ab.prom\u201d"));
    plain = abDaemonLogPlainQuotes(err->message);
    g_assert_nonnull(plain);
    g_assert_nonnull(strstr(plain, "'/nonexistent/ab.prom'"));
    g_assert_null(strstr(plain, "\u201c"));
    g_assert_null(strstr(plain, "\u201d"));
    g_assert_null(abDaemonLogPlainQuotes("no quotes 'here'"));
    g_assert_null(abDaemonLogPlainQuotes(NULL));
}

static const AbTestFunc tests[] = {
    { "/daemon-config/missing-is-defaults", testMissingIsDefaults },
    { "/daemon-config/values", testValues },
    { "/daemon-config/bad-values", testBadValues },
    { "/daemon-config/size-units", testSizeUnits },
    { "/daemon-config/set-value", testSetValue },
    { "/daemon-config/syntax-error", testSyntaxError },
    { "/daemon-config/unknown-warns", testUnknownWarns },
    { "/daemon-config/dropins", testDropins },
    { "/daemon-config/shipped-file", testShippedFile },
    { "/daemon-config/metrics-textfile", testMetricsTextfile },
    { "/daemon-config/log-domains", testLogDomains },
    { "/daemon-config/log-quotes", testLogQuotes },
};

AB_TEST_MAIN(tests, testLogInit)
