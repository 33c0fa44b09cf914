/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prometheus text exposition of the daemon's metrics (format 0.0.4). */
#include "ab-daemon-metrics.h"
#include "ab-enum.h"

#include <stdarg.h>
#include <string.h>

AB_ENUM_IMPL_LIST(abDaemonOp, AB_DAEMON_OP_, AB_DAEMON_OP_LIST);

#define AB_KIB 1024.0

char *
abDaemonMetricsEscapeLabel(const char *value)
{
    GString *s;

    if (!value)
        value = "";
    s = g_string_sized_new(strlen(value) + 8);

    for (const char *p = value; *p; p++) {
        switch (*p) {
        case '\\': g_string_append(s, "\\\\"); break;
        case '"': g_string_append(s, "\\\""); break;
        case '\n': g_string_append(s, "\\n"); break;
        default: g_string_append_c(s, *p);
        }
    }
    return g_string_free(s, FALSE);
}

/* One family being written: HELP and TYPE go out before its first series,
 * so that a family without series leaves no lines at all. */
typedef struct {
    GString *out;
    const char *name;
    const char *type;
    const char *help;
    bool started;
} abDaemonMetricsFamily;

static void
abDaemonMetricsFamilyBegin(abDaemonMetricsFamily *f, GString *out,
                           const char *name, const char *type, const char *help)
{
    *f = (abDaemonMetricsFamily) { out, name, type, help, false };
}

static void
abDaemonMetricsValue(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append_printf(out, " %s\n", g_ascii_dtostr(buf, sizeof(buf), v));
}

/* A series with labels given as NULL-terminated name, value pairs. */
G_GNUC_NULL_TERMINATED static void
abDaemonMetricsSeries(abDaemonMetricsFamily *f, double v, ...)
{
    const char *label;
    bool first = true;
    va_list ap;

    if (!f->started) {
        /* help texts are ours, one line, no backslash: no escaping needed */
        g_string_append_printf(f->out, "# HELP %s %s\n# TYPE %s %s\n",
                               f->name, f->help, f->name, f->type);
        f->started = true;
    }
    g_string_append(f->out, f->name);
    va_start(ap, v);
    while ((label = va_arg(ap, const char *))) {
        g_autofree char *esc = abDaemonMetricsEscapeLabel(va_arg(ap, const char *));

        g_string_append_printf(f->out, "%s%s=\"%s\"", first ? "{" : ",", label, esc);
        first = false;
    }
    va_end(ap);
    if (!first)
        g_string_append_c(f->out, '}');
    abDaemonMetricsValue(f->out, v);
}

typedef struct {
    const char *name;
    const char *type;
    const char *help;
    double (*get)(const abDaemonMetricsHost *h);
} abDaemonMetricsHostFamily;

#define AB_HOST_GETTER(fn, expr) \
    static double fn(const abDaemonMetricsHost *h) { return (expr); }

AB_HOST_GETTER(abDaemonMetricsGetConnected, h->connected)
AB_HOST_GETTER(abDaemonMetricsGetHostLevel, h->level)
AB_HOST_GETTER(abDaemonMetricsGetInjected, h->injectedLevel)
AB_HOST_GETTER(abDaemonMetricsGetDeficit, h->deficitKiB * AB_KIB)
AB_HOST_GETTER(abDaemonMetricsGetManaged, h->managed)
AB_HOST_GETTER(abDaemonMetricsGetTicks, h->ticks)
AB_HOST_GETTER(abDaemonMetricsGetDecisions, h->decisions)
AB_HOST_GETTER(abDaemonMetricsGetHostCommands, h->commands)
AB_HOST_GETTER(abDaemonMetricsGetStatusWrites, h->statusWrites)

static const abDaemonMetricsHostFamily abDaemonMetricsHostFamilies[] = {
    { "autoballoon_connected", "gauge",
      "Whether autoballoond has a libvirt connection (1) or not (0).", abDaemonMetricsGetConnected },
    { "autoballoon_host_pressure_level", "gauge",
      "Combined host memory pressure level: 0 none, 1 low, 2 medium, 3 critical.",
      abDaemonMetricsGetHostLevel },
    { "autoballoon_injected_pressure_level", "gauge",
      "Highest pressure level injected on a managed guest: 0 none to 3 critical.",
      abDaemonMetricsGetInjected },
    { "autoballoon_host_deficit_bytes", "gauge",
      "Memory the host pressure source asks back from the guests (0: none asked).",
      abDaemonMetricsGetDeficit },
    { "autoballoon_managed_guests", "gauge",
      "Running or paused guests autoballoond manages.", abDaemonMetricsGetManaged },
    { "autoballoon_ticks_total", "counter", "Decision rounds run.", abDaemonMetricsGetTicks },
    { "autoballoon_decisions_total", "counter",
      "Decisions of the policy engine, one per managed guest per round.",
      abDaemonMetricsGetDecisions },
    { "autoballoon_balloon_commands_total", "counter",
      "Balloon targets set (successful virDomainSetMemoryFlags calls).",
      abDaemonMetricsGetHostCommands },
    { "autoballoon_status_writes_total", "counter",
      "Status metadata writes (each one a metadata-change event).",
      abDaemonMetricsGetStatusWrites },
};

static void
abDaemonMetricsHostFormat(GString *out, const abDaemonMetricsHost *h)
{
    abDaemonMetricsFamily f;

    for (size_t i = 0; i < G_N_ELEMENTS(abDaemonMetricsHostFamilies); i++) {
        const abDaemonMetricsHostFamily *hf = &abDaemonMetricsHostFamilies[i];

        abDaemonMetricsFamilyBegin(&f, out, hf->name, hf->type, hf->help);
        abDaemonMetricsSeries(&f, hf->get(h), NULL);
    }
    abDaemonMetricsFamilyBegin(&f, out, "autoballoon_host_pressure_source", "gauge",
                               "The host pressure source that sets the combined level (always 1).");
    abDaemonMetricsSeries(&f, 1, "source", h->source ? h->source : "none", NULL);
    abDaemonMetricsFamilyBegin(&f, out, "autoballoon_host_pressure_source_level", "gauge",
                               "Level of each kind of host pressure source that is open: 0 none to 3 critical.");
    for (size_t i = 0; i < h->nsources && i < G_N_ELEMENTS(h->sources); i++)
        abDaemonMetricsSeries(&f, h->sources[i].level, "source", h->sources[i].name, NULL);
    abDaemonMetricsFamilyBegin(&f, out, "autoballoon_errors_total", "counter",
                               "Failed libvirt calls, by operation.");
    for (int op = 0; op < AB_DAEMON_OP_LAST; op++)
        abDaemonMetricsSeries(&f, h->errors[op], "op", abDaemonOpToString(op), NULL);
    abDaemonMetricsFamilyBegin(&f, out, "autoballoon_tick_duration_seconds", "gauge",
                               "Duration of the last decision round.");
    abDaemonMetricsSeries(&f, h->tickSec, NULL);
}

typedef struct {
    const char *name;
    const char *type;
    const char *help;
    /* false: no series for this guest */
    bool (*get)(const abDaemonMetricsGuest *g, double *v);
} abDaemonMetricsGuestFamily;

#define AB_GUEST_GETTER(fn, expr, present) \
    static bool fn(const abDaemonMetricsGuest *g, double *v) \
    { *v = (expr); return (present); }

AB_GUEST_GETTER(abDaemonMetricsGetMax, g->maxKiB * AB_KIB, true)
AB_GUEST_GETTER(abDaemonMetricsGetTarget, g->targetKiB * AB_KIB, true)
AB_GUEST_GETTER(abDaemonMetricsGetActual, g->actualKiB * AB_KIB, true)
AB_GUEST_GETTER(abDaemonMetricsGetUsable, g->usableKiB * AB_KIB, g->usableKnown)
AB_GUEST_GETTER(abDaemonMetricsGetFloor, g->floorKiB * AB_KIB, true)
AB_GUEST_GETTER(abDaemonMetricsGetCeiling, g->ceilingKiB * AB_KIB, true)
AB_GUEST_GETTER(abDaemonMetricsGetLevel, g->level, true)
AB_GUEST_GETTER(abDaemonMetricsGetCommands, g->commands, true)
AB_GUEST_GETTER(abDaemonMetricsGetAge, g->decisionAgeSec, g->decisionAgeSec >= 0)
AB_GUEST_GETTER(abDaemonMetricsGetUnresponsive, g->unresponsive, true)

static const abDaemonMetricsGuestFamily abDaemonMetricsGuestFamilies[] = {
    { "autoballoon_guest_maximum_bytes", "gauge",
      "The guest's maximum memory (<memory>).", abDaemonMetricsGetMax },
    { "autoballoon_guest_target_bytes", "gauge",
      "Balloon target: the memory the guest is meant to have.", abDaemonMetricsGetTarget },
    { "autoballoon_guest_actual_bytes", "gauge",
      "Memory the guest has now (balloon actual).", abDaemonMetricsGetActual },
    { "autoballoon_guest_usable_bytes", "gauge",
      "Memory the guest reports usable without swapping (only when it reports stats).",
      abDaemonMetricsGetUsable },
    { "autoballoon_guest_floor_bytes", "gauge",
      "Effective floor: autoballoond never shrinks the guest below it.", abDaemonMetricsGetFloor },
    { "autoballoon_guest_ceiling_bytes", "gauge",
      "Effective ceiling: autoballoond never grows the guest above it.", abDaemonMetricsGetCeiling },
    { "autoballoon_guest_pressure_level", "gauge",
      "Effective pressure level of the last decision: 0 none, 1 low, 2 medium, 3 critical.",
      abDaemonMetricsGetLevel },
    { "autoballoon_guest_balloon_commands_total", "counter",
      "Balloon targets autoballoond set on the guest.", abDaemonMetricsGetCommands },
    { "autoballoon_guest_last_decision_age_seconds", "gauge",
      "Seconds since autoballoond last set the guest's target (absent: never).",
      abDaemonMetricsGetAge },
    { "autoballoon_guest_unresponsive", "gauge",
      "1 while the balloon does not move toward its target and gets no commands.",
      abDaemonMetricsGetUnresponsive },
};

char *
abDaemonMetricsFormat(const abDaemonMetricsHost *host,
                      const abDaemonMetricsGuest *guests, size_t nguests)
{
    GString *out = g_string_new(NULL);
    abDaemonMetricsFamily f;
    size_t i, j;

    abDaemonMetricsHostFormat(out, host);

    for (j = 0; j < G_N_ELEMENTS(abDaemonMetricsGuestFamilies); j++) {
        const abDaemonMetricsGuestFamily *gf = &abDaemonMetricsGuestFamilies[j];

        abDaemonMetricsFamilyBegin(&f, out, gf->name, gf->type, gf->help);
        for (i = 0; i < nguests; i++) {
            double v;

            if (gf->get(&guests[i], &v))
                abDaemonMetricsSeries(&f, v, "domain", guests[i].name,
                                      "uuid", guests[i].uuid, NULL);
        }
    }

    abDaemonMetricsFamilyBegin(&f, out, "autoballoon_guest_last_reason", "gauge",
                               "Reason of the guest's last decision (always 1; see docs/policy.md).");
    for (i = 0; i < nguests; i++)
        abDaemonMetricsSeries(&f, 1, "domain", guests[i].name, "uuid", guests[i].uuid,
                              "reason", guests[i].reason ? guests[i].reason : "none", NULL);
    return g_string_free(out, FALSE);
}
