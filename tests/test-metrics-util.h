/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-metrics-util.h: a reader of the Prometheus text format (0.0.4) for
 * the metrics tests: HELP and TYPE lines, series with escaped label
 * values. It fails the test on a line it cannot read. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;
    GHashTable *labels;              /* name -> unescaped value */
    char *key;                       /* name{labels in order given}: identity */
    double value;
} MetricsSeries;

typedef struct {
    GPtrArray *series;               /* MetricsSeries */
    GHashTable *help;                /* family -> help text */
    GHashTable *type;                /* family -> type */
    GPtrArray *order;                /* families in the order of their TYPE lines */
} Metrics;

static inline void
metricsSeriesFree(gpointer p)
{
    MetricsSeries *s = p;

    g_free(s->name);
    g_free(s->key);
    g_hash_table_unref(s->labels);
    g_free(s);
}

static inline void
metricsFree(Metrics *m)
{
    g_ptr_array_unref(m->series);
    g_hash_table_unref(m->help);
    g_hash_table_unref(m->type);
    g_ptr_array_unref(m->order);
    g_free(m);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Metrics, metricsFree)

static inline bool
metricsNameValid(const char *name)
{
    if (!g_ascii_isalpha(name[0]) && name[0] != '_' && name[0] != ':')
        return false;
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != ':')
            return false;
    }
    return true;
}

/* Read one series line; @p points at its start. */
static inline MetricsSeries *
metricsParseSeries(const char *line)
{
    MetricsSeries *s = g_new0(MetricsSeries, 1);
    const char *p = line;
    char *end = NULL;

    s->labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    while (*p && *p != '{' && *p != ' ')
        p++;
    s->name = g_strndup(line, p - line);
    if (!metricsNameValid(s->name))
        g_error("bad metric name in: %s", line);
    if (*p == '{') {
        p++;
        while (*p != '}') {
            const char *eq = strchr(p, '=');
            g_autofree char *lname = NULL;
            GString *val = g_string_new(NULL);

            if (!eq || eq[1] != '"')
                g_error("bad label in: %s", line);
            lname = g_strndup(p, eq - p);
            if (!metricsNameValid(lname))
                g_error("bad label name '%s' in: %s", lname, line);
            for (p = eq + 2; *p != '"'; p++) {
                if (!*p || *p == '\n')
                    g_error("unterminated label value in: %s", line);
                if (*p == '\\') {
                    p++;
                    if (*p == 'n')
                        g_string_append_c(val, '\n');
                    else if (*p == '\\' || *p == '"')
                        g_string_append_c(val, *p);
                    else
                        g_error("bad escape \\%c in: %s", *p, line);
                } else {
                    g_string_append_c(val, *p);
                }
            }
            p++;
            if (g_hash_table_contains(s->labels, lname))
                g_error("label %s twice in: %s", lname, line);
            g_hash_table_insert(s->labels, g_steal_pointer(&lname), g_string_free(val, FALSE));
            if (*p == ',')
                p++;
            else if (*p != '}')
                g_error("bad label list in: %s", line);
        }
        p++;
    }
    s->key = g_strndup(line, p - line);
    if (*p != ' ')
        g_error("no value in: %s", line);
    s->value = g_ascii_strtod(p + 1, &end);
    if (end == p + 1 || *end)
        g_error("bad value in: %s", line);
    return s;
}

static inline Metrics *
metricsParse(const char *text)
{
    Metrics *m = g_new0(Metrics, 1);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    m->series = g_ptr_array_new_with_free_func(metricsSeriesFree);
    m->help = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->type = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->order = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; lines[i]; i++) {
        const char *l = lines[i];

        if (!*l)
            continue;
        if (g_str_has_prefix(l, "# HELP ") || g_str_has_prefix(l, "# TYPE ")) {
            g_auto(GStrv) parts = g_strsplit(l + 7, " ", 2);
            GHashTable *t = l[2] == 'H' ? m->help : m->type;

            if (!parts[0] || !parts[1] || !metricsNameValid(parts[0]))
                g_error("bad line: %s", l);
            if (g_hash_table_contains(t, parts[0]))
                g_error("second %.6s line for %s", l, parts[0]);
            if (t == m->type)
                g_ptr_array_add(m->order, g_strdup(parts[0]));
            g_hash_table_insert(t, g_strdup(parts[0]), g_strdup(parts[1]));
            continue;
        }
        if (l[0] == '#')
            continue;
        g_ptr_array_add(m->series, metricsParseSeries(l));
    }
    return m;
}

/* The value of the one series of @name whose labels include @label=@value
 * (@label NULL: the only series of @name); NAN when there is none. */
static inline double
metricsGet(Metrics *m, const char *name, const char *label, const char *value)
{
    const MetricsSeries *found = NULL;

    for (guint i = 0; i < m->series->len; i++) {
        const MetricsSeries *s = m->series->pdata[i];

        if (!g_str_equal(s->name, name))
            continue;
        if (label && g_strcmp0(g_hash_table_lookup(s->labels, label), value) != 0)
            continue;
        if (found)
            g_error("more than one series %s{%s=\"%s\"}", name, label ? label : "", value ? value : "");
        found = s;
    }
    return found ? found->value : NAN;
}

/* The label @want of the one series of @name with @label=@value. */
static inline const char *
metricsLabelOf(Metrics *m, const char *name, const char *label, const char *value,
               const char *want)
{
    const char *found = NULL;

    for (guint i = 0; i < m->series->len; i++) {
        const MetricsSeries *s = m->series->pdata[i];

        if (!g_str_equal(s->name, name) ||
            g_strcmp0(g_hash_table_lookup(s->labels, label), value) != 0)
            continue;
        g_assert_null(found);
        found = g_hash_table_lookup(s->labels, want);
    }
    return found;
}

static inline guint
metricsCount(Metrics *m, const char *name)
{
    guint n = 0;

    for (guint i = 0; i < m->series->len; i++)
        n += g_str_equal(((MetricsSeries *) m->series->pdata[i])->name, name);
    return n;
}
