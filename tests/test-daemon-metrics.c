/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metrics exposition (ab-daemon-metrics.c): names, HELP and TYPE
 * lines, label escaping of odd domain names, no duplicate series. */
#include "ab-daemon-metrics.h"
#include "test-metrics-util.h"
#include "testutils.h"

#define MiB 1024ULL

/* Domain names libvirt accepts that need escaping, and ones that look
 * like the syntax around them. */
static const char *oddNames[] = {
    "plain",
    "quo\"te",
    "back\\slash",
    "new\nline",
    "\\\"\n",
    "brace}{,=",
    "tr\\n",                         /* a backslash and an n, not a newline */
    "ünïcødé",
};

static Metrics *
formatParse(const abDaemonMetricsHost *host, abDaemonMetricsGuest *guests,
            size_t n, char **textOut)
{
    g_autofree char *text = abDaemonMetricsFormat(host, guests, n);
    Metrics *m;

    g_test_message("%s", text);
    g_assert_true(g_str_has_suffix(text, "\n"));
    m = metricsParse(text);
    if (textOut)
        *textOut = g_steal_pointer(&text);
    return m;
}

static abDaemonMetricsGuest *
oddGuests(size_t *n)
{
    abDaemonMetricsGuest *g = g_new0(abDaemonMetricsGuest, G_N_ELEMENTS(oddNames));

    for (size_t i = 0; i < G_N_ELEMENTS(oddNames); i++) {
        g[i] = (abDaemonMetricsGuest) {
            .name = oddNames[i],
            .uuid = g_strdup_printf("6695eb01-f6a4-8304-79aa-97f2502e19%02zu", i),
            .maxKiB = 1024 * MiB,
            .targetKiB = (512 + i) * MiB,
            .actualKiB = (600 + i) * MiB,
            .usableKnown = i % 2 == 0,
            .usableKiB = (300 + i) * MiB,
            .floorKiB = 256 * MiB,
            .ceilingKiB = 1024 * MiB,
            .level = i % AB_LEVEL_LAST,
            .reason = "host-pressure",
            .commands = i,
            .decisionAgeSec = i % 3 == 0 ? -1 : 2.5 * i,
            .unresponsive = i == 1,
        };
    }
    *n = G_N_ELEMENTS(oddNames);
    return g;
}

static void
oddGuestsFree(abDaemonMetricsGuest *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_free((char *) g[i].uuid);
    g_free(g);
}

static void
testEscape(void)
{
    static const struct { const char *in, *out; } cases[] = {
        { "vm", "vm" },
        { "a\"b", "a\\\"b" },
        { "a\\b", "a\\\\b" },
        { "a\nb", "a\\nb" },
        { "\\n", "\\\\n" },
        { "", "" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *esc = abDaemonMetricsEscapeLabel(cases[i].in);

        g_assert_cmpstr(esc, ==, cases[i].out);
    }
}

/* Every family: HELP and TYPE once, before its series, a valid name
 * under our prefix; counters end in _total, sizes in _bytes. */
static void
testFamilies(void)
{
    abDaemonMetricsHost host = { .connected = true, .level = AB_LEVEL_MEDIUM, .source = "psi" };
    size_t n;
    abDaemonMetricsGuest *guests = oddGuests(&n);
    g_autofree char *text = NULL;
    g_autoptr(Metrics) m = formatParse(&host, guests, n, &text);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autofree char *family = NULL;

    g_assert_cmpuint(m->order->len, >, 10);
    for (guint i = 0; i < m->order->len; i++) {
        const char *name = m->order->pdata[i];
        const char *type = g_hash_table_lookup(m->type, name);

        g_assert_true(g_str_has_prefix(name, "autoballoon_"));
        g_assert_nonnull(g_hash_table_lookup(m->help, name));
        g_assert_true(g_str_equal(type, "gauge") || g_str_equal(type, "counter"));
        g_assert_cmpint(g_str_equal(type, "counter"), ==, g_str_has_suffix(name, "_total"));
        g_assert_cmpuint(metricsCount(m, name), >, 0);
    }
    /* each series follows the TYPE line of its own family, HELP first */
    for (guint i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], "# HELP ")) {
            g_autofree char *help = g_strndup(lines[i] + 7, strcspn(lines[i] + 7, " "));
            g_autofree char *type = g_strndup(lines[i + 1] + 7, strcspn(lines[i + 1] + 7, " "));

            g_assert_true(g_str_has_prefix(lines[i + 1], "# TYPE "));
            g_assert_cmpstr(help, ==, type);
            g_free(family);
            family = g_steal_pointer(&type);
        } else if (*lines[i] && lines[i][0] != '#') {
            g_assert_nonnull(family);
            g_assert_cmpint(strcspn(lines[i], "{ "), ==, strlen(family));
            g_assert_true(g_str_has_prefix(lines[i], family));
        }
    }
    for (guint i = 0; i < m->series->len; i++) {
        const MetricsSeries *s = m->series->pdata[i];

        g_assert_nonnull(g_hash_table_lookup(m->type, s->name));
    }
    oddGuestsFree(guests, n);
}

/* Odd names come back whole from a reader of the format, each guest has
 * one series per family, and no two series share name and labels. */
static void
testOddNames(void)
{
    abDaemonMetricsHost host = { .connected = true, .source = "none" };
    size_t n;
    abDaemonMetricsGuest *guests = oddGuests(&n);
    g_autoptr(Metrics) m = formatParse(&host, guests, n, NULL);
    g_autoptr(GHashTable) keys = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < m->series->len; i++) {
        const MetricsSeries *s = m->series->pdata[i];

        if (!g_hash_table_add(keys, s->key))
            g_error("duplicate series %s", s->key);
    }
    for (size_t i = 0; i < n; i++) {
        const char *uuid = guests[i].uuid;

        g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_target_bytes", "uuid", uuid),
                          ==, guests[i].targetKiB * 1024.0);
        g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_actual_bytes", "domain", oddNames[i]),
                          ==, guests[i].actualKiB * 1024.0);
        for (guint j = 0; j < m->series->len; j++) {
            const MetricsSeries *s = m->series->pdata[j];

            if (g_strcmp0(g_hash_table_lookup(s->labels, "uuid"), uuid) == 0)
                g_assert_cmpstr(g_hash_table_lookup(s->labels, "domain"), ==, oddNames[i]);
        }
    }
    oddGuestsFree(guests, n);
}

/* What a guest has not reported is absent, not 0; values as given. */
static void
testValues(void)
{
    abDaemonMetricsHost host = {
        .connected = true, .level = AB_LEVEL_CRITICAL, .source = "headroom",
        .injectedLevel = AB_LEVEL_LOW, .deficitKiB = 300 * MiB, .managed = 2,
        .ticks = 7, .decisions = 12, .commands = 3, .statusWrites = 5,
        .errors = { [AB_DAEMON_OP_SET_MEMORY] = 2 }, .tickSec = 0.25,
        .nsources = 2, .sources = { { "psi", AB_LEVEL_LOW }, { "headroom", AB_LEVEL_CRITICAL } },
    };
    abDaemonMetricsGuest guests[] = {
        { .name = "a", .uuid = "u-a", .targetKiB = 512 * MiB, .usableKnown = true,
          .usableKiB = 100 * MiB, .decisionAgeSec = 4, .reason = "cooldown",
          .level = AB_LEVEL_MEDIUM, .commands = 3, .unresponsive = true },
        { .name = "b", .uuid = "u-b", .targetKiB = 1024 * MiB, .decisionAgeSec = -1,
          .reason = NULL },
    };
    g_autoptr(Metrics) m = formatParse(&host, guests, G_N_ELEMENTS(guests), NULL);

    g_assert_cmpfloat(metricsGet(m, "autoballoon_connected", NULL, NULL), ==, 1);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_host_pressure_level", NULL, NULL), ==, 3);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_host_pressure_source", "source", "headroom"), ==, 1);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_injected_pressure_level", NULL, NULL), ==, 1);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_host_deficit_bytes", NULL, NULL), ==, 300 * MiB * 1024.0);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_managed_guests", NULL, NULL), ==, 2);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_ticks_total", NULL, NULL), ==, 7);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_decisions_total", NULL, NULL), ==, 12);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_balloon_commands_total", NULL, NULL), ==, 3);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_status_writes_total", NULL, NULL), ==, 5);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_errors_total", "op", "set_memory"), ==, 2);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_errors_total", "op", "stats"), ==, 0);
    g_assert_cmpuint(metricsCount(m, "autoballoon_errors_total"), ==, AB_DAEMON_OP_LAST);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_tick_duration_seconds", NULL, NULL), ==, 0.25);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_host_pressure_source_level", "source", "psi"), ==, 1);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_host_pressure_source_level", "source", "headroom"), ==, 3);
    g_assert_cmpuint(metricsCount(m, "autoballoon_host_pressure_source_level"), ==, 2);

    g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_usable_bytes", "domain", "a"), ==, 100 * MiB * 1024.0);
    g_assert_true(isnan(metricsGet(m, "autoballoon_guest_usable_bytes", "domain", "b")));
    g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_last_decision_age_seconds", "domain", "a"), ==, 4);
    g_assert_true(isnan(metricsGet(m, "autoballoon_guest_last_decision_age_seconds", "domain", "b")));
    g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_unresponsive", "domain", "a"), ==, 1);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_unresponsive", "domain", "b"), ==, 0);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_pressure_level", "domain", "a"), ==, 2);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_balloon_commands_total", "domain", "a"), ==, 3);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_last_reason", "reason", "cooldown"), ==, 1);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_last_reason", "domain", "b"), ==, 1);
}

/* No guests: host families only, and no HELP without a series. */
static void
testNoGuests(void)
{
    abDaemonMetricsHost host = { .source = "none" };
    g_autoptr(Metrics) m = formatParse(&host, NULL, 0, NULL);

    g_assert_cmpfloat(metricsGet(m, "autoballoon_connected", NULL, NULL), ==, 0);
    g_assert_cmpuint(metricsCount(m, "autoballoon_guest_target_bytes"), ==, 0);
    g_assert_null(g_hash_table_lookup(m->help, "autoballoon_guest_target_bytes"));
    g_assert_cmpuint(g_hash_table_size(m->help), ==, g_hash_table_size(m->type));
}

static const AbTestFunc tests[] = {
    { "/daemon-metrics/escape", testEscape },
    { "/daemon-metrics/families", testFamilies },
    { "/daemon-metrics/odd-names", testOddNames },
    { "/daemon-metrics/values", testValues },
    { "/daemon-metrics/no-guests", testNoGuests },
};

AB_TEST_MAIN(tests, NULL)
