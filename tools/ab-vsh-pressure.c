/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-pressure.c: balloon-inject-pressure and balloon-status, the two
 * commands that meet the daemon through live metadata. */
#include "ab-vsh-cmds.h"
#include "ab-conf.h"
#include "ab-namespace.h"
#include "ab-size.h"

#include <string.h>

const abVshOptDef abVshOptsBalloonInjectPressure[] = {
    AB_VSH_OPT_DOMAIN(0, AB_VSH_OPT_DOMAIN_HELP),
    { "level", AB_VSH_OT_STRING, AB_VSH_OFLAG_POS, "low, medium, critical, or none to clear" },
    { "all", AB_VSH_OT_BOOL, 0, "every running domain autoballoond manages" },
    { "duration", AB_VSH_OT_INT, 0, "seconds until the level expires (0: never, the default)" },
    { NULL },
};

const abVshOptDef abVshOptsBalloonStatus[] = {
    AB_VSH_OPT_DOMAIN(0, AB_VSH_OPT_DOMAIN_HELP " (default: every managed domain)"),
    { NULL },
};

static int
abVshDomainCompare(const void *a, const void *b)
{
    virDomainPtr da = *(virDomainPtr const *)a;
    virDomainPtr db = *(virDomainPtr const *)b;

    return strcmp(virDomainGetName(da), virDomainGetName(db));
}

static void
abVshDomainPtrFree(gpointer dom)
{
    virDomainFree(dom);
}

/* Running domains, by name so that output is stable. */
static GPtrArray *
abVshRunningDomains(abVshControl *ctl)
{
    virDomainPtr *doms = NULL;
    GPtrArray *ret;
    int n;

    n = virConnectListAllDomains(ctl->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    if (n < 0) {
        abVshError(ctl, "failed to list domains");
        abVshReportLibvirtError(ctl);
        return NULL;
    }
    qsort(doms, n, sizeof(*doms), abVshDomainCompare);
    ret = g_ptr_array_new_full(n, abVshDomainPtrFree);
    for (int i = 0; i < n; i++)
        g_ptr_array_add(ret, doms[i]);
    free(doms);
    return ret;
}

typedef enum {
    AB_VSH_MANAGED_NO,          /* no policy and no status */
    AB_VSH_MANAGED_OFF,         /* a policy that says off */
    AB_VSH_MANAGED_YES,         /* policy on, or a status of the daemon's */
} abVshManaged;

/* Whether autoballoond manages @dom, as a client can tell: its live policy
 * says on, or it has no policy and the daemon published a status for it
 * (what [daemon] manage = all does; the daemon removes the status of a
 * guest it stops managing). A policy that does not parse counts as on:
 * the daemon keeps the last valid one, and its status says what is wrong.
 * -1 on error. @backend (may be NULL): the policy's backend, the balloon's
 * without a (readable) policy. */
static int
abVshDomainManaged(abVshControl *ctl, virDomainPtr dom, abConfBackend *backend)
{
    g_autoptr(abConfPolicy) def = NULL;
    g_autofree char *policy = NULL;
    g_autofree char *status = NULL;
    int rc = abVshGetMetadata(ctl, dom, AB_NS_POLICY_URI, VIR_DOMAIN_AFFECT_LIVE, &policy);

    if (rc > 0)
        def = abConfPolicyParseMetadata(policy, NULL);
    if (backend)
        *backend = def ? def->backend : AB_CONF_BACKEND_BALLOON;
    if (rc < 0)
        return -1;
    if (rc > 0)
        return !def || def->enabled ? AB_VSH_MANAGED_YES : AB_VSH_MANAGED_OFF;
    if ((rc = abVshGetMetadata(ctl, dom, AB_NS_STATUS_URI, VIR_DOMAIN_AFFECT_LIVE, &status)) < 0)
        return -1;
    return rc > 0 ? AB_VSH_MANAGED_YES : AB_VSH_MANAGED_NO;
}

static bool
abVshInjectOne(abVshControl *ctl, virDomainPtr dom, abLevel level,
               unsigned int duration)
{
    const char *name = virDomainGetName(dom);
    g_autofree char *xml = NULL;
    abConfInjected inj = { .level = level };

    if (virDomainIsActive(dom) != 1) {
        abVshError(ctl, "domain '%s' is not running: injected pressure lives in its live metadata",
                   name);
        return false;
    }
    if (level != AB_LEVEL_NONE) {
        inj.expires = duration ? abVshNow() + duration : 0;
        xml = abConfInjectedFormat(&inj);
    }
    if (abVshSetMetadata(dom, xml,
                             xml ? AB_NS_PRESSURE_PREFIX : NULL,
                             AB_NS_PRESSURE_URI, VIR_DOMAIN_AFFECT_LIVE) < 0) {
        abVshError(ctl, "failed to inject pressure into domain '%s'", name);
        abVshReportLibvirtError(ctl);
        return false;
    }
    if (level == AB_LEVEL_NONE)
        abVshPrintExtra(ctl, "Injected pressure cleared from domain '%s'\n", name);
    else if (duration)
        abVshPrintExtra(ctl, "Pressure '%s' injected into domain '%s' for %u second%s\n",
                   abLevelToString(level), name, duration, duration == 1 ? "" : "s");
    else
        abVshPrintExtra(ctl, "Pressure '%s' injected into domain '%s' until cleared\n",
                   abLevelToString(level), name);
    return true;
}

bool
abVshCmdBalloonInjectPressure(abVshControl *ctl, const abVshCmd *cmd)
{
    const char *domstr = NULL;
    const char *levelstr = NULL;
    bool all = abVshCommandOptBool(cmd, "all");
    unsigned int duration = 0;
    int level;

    abVshCommandOptString(cmd, "domain", &domstr);
    abVshCommandOptString(cmd, "level", &levelstr);
    if (all && !levelstr) {
        /* "--all medium": the only word is the level. */
        levelstr = domstr;
        domstr = NULL;
    }
    if (all && domstr) {
        abVshError(ctl, "--all and a domain are mutually exclusive");
        return false;
    }
    if (!all && !domstr) {
        abVshError(ctl, "command '%s' requires <domain> option", cmd->def->name);
        return false;
    }
    if (!levelstr) {
        abVshError(ctl, "command '%s' requires <level> option", cmd->def->name);
        return false;
    }
    if ((level = abLevelFromString(levelstr)) < 0) {
        abVshError(ctl, "invalid pressure level '%s': expected low, medium, critical or none",
                   levelstr);
        return false;
    }
    if (abVshCommandOptUInt(ctl, cmd, "duration", &duration) < 0)
        return false;

    if (!all) {
        g_autoptr(virDomain) dom = abVshLookupDomain(ctl, domstr);
        const char *name;
        int managed = AB_VSH_MANAGED_YES;

        if (!dom || !abVshInjectOne(ctl, dom, level, duration))
            return false;
        if (level != AB_LEVEL_NONE && (managed = abVshDomainManaged(ctl, dom, NULL)) < 0)
            return false;
        name = virDomainGetName(dom);
        /* stored all the same: the daemon reads it once the domain is
         * managed */
        if (managed == AB_VSH_MANAGED_NO)
            abVshWarn(ctl, "domain '%s' has no autoballoon policy: autoballoond acts on the "
                      "level only with 'manage = all'", name);
        else if (managed == AB_VSH_MANAGED_OFF)
            abVshWarn(ctl, "autoballoon is off for domain '%s': autoballoond ignores the level "
                      "until 'balloon-policy %s --enable'", name, name);
        return true;
    } else {
        g_autoptr(GPtrArray) doms = abVshRunningDomains(ctl);
        bool ret = true;
        guint count = 0;

        if (!doms)
            return false;
        for (guint i = 0; i < doms->len; i++) {
            virDomainPtr dom = g_ptr_array_index(doms, i);
            int rc = abVshDomainManaged(ctl, dom, NULL);

            if (rc < 0) {
                ret = false;
                continue;
            }
            if (rc != AB_VSH_MANAGED_YES)
                continue;
            count++;
            ret &= abVshInjectOne(ctl, dom, level, duration);
        }
        if (count == 0)
            abVshPrintExtra(ctl, "No running domain is managed by autoballoon\n");
        return ret;
    }
}

static void
abVshTablePrint(abVshControl *ctl, GPtrArray *rows)
{
    g_autofree size_t *widths = NULL;
    GPtrArray *header = g_ptr_array_index(rows, 0);
    size_t total = 0;

    widths = g_new0(size_t, header->len);
    for (guint r = 0; r < rows->len; r++) {
        GPtrArray *row = g_ptr_array_index(rows, r);
        for (guint c = 0; c < row->len; c++)
            widths[c] = MAX(widths[c], strlen(g_ptr_array_index(row, c)));
    }
    for (guint c = 0; c < header->len; c++)
        total += widths[c] + 3;

    for (guint r = 0; r < rows->len; r++) {
        GPtrArray *row = g_ptr_array_index(rows, r);
        g_autoptr(GString) line = g_string_new("");

        for (guint c = 0; c < row->len; c++) {
            const char *cell = g_ptr_array_index(row, c);
            if (c + 1 < row->len)
                g_string_append_printf(line, " %-*s  ", (int)widths[c], cell);
            else
                g_string_append_printf(line, " %s", cell);
        }
        abVshPrint(ctl, "%s\n", line->str);
        if (r == 0) {
            g_autofree char *dashes = g_strnfill(total, '-');
            abVshPrint(ctl, "%s\n", dashes);
        }
    }
}

static GPtrArray *
abVshRowNew(void)
{
    return g_ptr_array_new_with_free_func(g_free);
}

static char *
abVshSizeCell(unsigned long long kib)
{
    /* one unit for every size column, so target, actual and usable
     * compare at a glance; MiB keeps a few MiB of difference visible */
    if (!kib)
        return g_strdup("-");
    if (kib % 1024 == 0)
        return g_strdup_printf("%llu MiB", kib / 1024);
    return g_strdup_printf("%.1f MiB", kib / 1024.0);
}

/* Recent updates as an age, which is what tells a stale daemon; old ones
 * as a time. */
static char *
abVshAgeCell(gint64 time)
{
    gint64 age = abVshNow() - time;
    g_autoptr(GDateTime) dt = NULL;

    if (age >= 0 && age < 3600)
        return g_strdup_printf("%llds ago", (long long)age);
    dt = g_date_time_new_from_unix_utc(time);
    return dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S") : g_strdup("-");
}

/* One row of balloon-status; false when the status could not be read.
 * *published: the daemon wrote a status for this domain. What the daemon
 * says is wrong with the domain's metadata goes to @notes. */
static bool
abVshStatusRow(abVshControl *ctl, virDomainPtr dom, GPtrArray *row, bool *published,
               GPtrArray *notes)
{
    g_autofree char *xml = NULL;
    g_autofree char *injxml = NULL;
    g_autoptr(GError) err = NULL;
    abConfStatus st = { 0 };
    abConfInjected inj = { 0 };
    int rc;

    g_ptr_array_add(row, g_strdup(virDomainGetName(dom)));
    if ((rc = abVshGetMetadata(ctl, dom, AB_NS_PRESSURE_URI, VIR_DOMAIN_AFFECT_LIVE, &injxml)) < 0)
        return false;
    if (rc > 0 && abConfInjectedParse(injxml, &inj, &err) < 0) {
        abVshError(ctl, "invalid injected pressure in the metadata of domain '%s': %s",
                   virDomainGetName(dom), err->message);
        return false;
    }
    if (rc > 0 && (inj.expires == 0 || inj.expires > abVshNow()))
        g_ptr_array_add(row, g_strdup(abLevelToString(inj.level)));
    else
        g_ptr_array_add(row, g_strdup("-"));

    if ((rc = abVshGetMetadata(ctl, dom, AB_NS_STATUS_URI, VIR_DOMAIN_AFFECT_LIVE, &xml)) < 0)
        return false;
    *published = rc > 0;
    if (rc == 0) {
        for (int i = 0; i < 7; i++)
            g_ptr_array_add(row, g_strdup("-"));
        return true;
    }
    if (abConfStatusParse(xml, &st, &err) < 0) {
        abVshError(ctl, "invalid status in the metadata of domain '%s': %s",
                   virDomainGetName(dom), err->message);
        return false;
    }
    g_ptr_array_add(row, g_strdup_printf("%s (%s)", abLevelToString(st.level),
                                         abStatusSourceToString(st.source)));
    g_ptr_array_add(row, abVshSizeCell(st.targetKiB));
    g_ptr_array_add(row, abVshSizeCell(st.actualKiB));
    g_ptr_array_add(row, abVshSizeCell(st.usableKiB));
    g_ptr_array_add(row, g_strdup_printf("%s%s", abStatusActionToString(st.action),
                                         st.unresponsive ? " (unresponsive)" : ""));
    g_ptr_array_add(row, g_strdup(st.reason ? st.reason : "-"));
    g_ptr_array_add(row, abVshAgeCell(st.time));
    if (st.error)
        g_ptr_array_add(notes, g_strdup_printf("%s: %s: %s", virDomainGetName(dom),
                                               st.reason ? st.reason : "-", st.error));
    abConfStatusClear(&st);
    return true;
}

bool
abVshCmdBalloonStatus(abVshControl *ctl, const abVshCmd *cmd)
{
    static const char *const header[] = {
        "Name", "Injected", "Pressure", "Target", "Actual", "Usable",
        "Action", "Reason", "Updated",
    };
    g_autoptr(GPtrArray) doms = NULL;
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    GPtrArray *row = abVshRowNew();
    const char *domstr = NULL;
    g_autoptr(GPtrArray) backends = g_ptr_array_new_with_free_func(g_free);
    bool anyVirtioMem = false;
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    bool anyPublished = false;
    bool ret = true;

    for (size_t i = 0; i < G_N_ELEMENTS(header); i++)
        g_ptr_array_add(row, g_strdup(header[i]));
    g_ptr_array_add(rows, row);

    if (abVshCommandOptString(cmd, "domain", &domstr) > 0) {
        virDomainPtr dom = abVshLookupDomain(ctl, domstr);
        int rc;

        if (!dom)
            return false;
        doms = g_ptr_array_new_with_free_func(abVshDomainPtrFree);
        g_ptr_array_add(doms, dom);
        if (virDomainIsActive(dom) != 1) {
            abVshError(ctl, "domain '%s' is not running: status is published for running domains only",
                       virDomainGetName(dom));
            return false;
        }
        if ((rc = abVshDomainManaged(ctl, dom, NULL)) < 0)
            return false;
        if (rc == AB_VSH_MANAGED_NO) {
            abVshError(ctl, "domain '%s' is not managed by autoballoon: it has no policy "
                       "(see balloon-policy) and autoballoond published no status for it",
                       virDomainGetName(dom));
            return false;
        }
    } else {
        if (!(doms = abVshRunningDomains(ctl)))
            return false;
    }

    for (guint i = 0; i < doms->len; i++) {
        virDomainPtr dom = g_ptr_array_index(doms, i);
        bool published = false;
        abConfBackend backend;
        /* a policy that says off still shows (its status says disabled) */
        int rc = abVshDomainManaged(ctl, dom, &backend);

        if (rc < 0) {
            ret = false;
            continue;
        }
        if (rc == AB_VSH_MANAGED_NO)
            continue;
        row = abVshRowNew();
        if (!abVshStatusRow(ctl, dom, row, &published, notes)) {
            g_ptr_array_unref(row);
            ret = false;
            continue;
        }
        g_ptr_array_add(backends, g_strdup(abConfBackendToString(backend)));
        anyVirtioMem |= backend != AB_CONF_BACKEND_BALLOON;
        g_ptr_array_add(rows, row);
        anyPublished |= published;
    }
    /* The backend column only where one guest is not on the balloon, so
     * that balloon-only hosts see the table they always saw. */
    if (anyVirtioMem) {
        g_ptr_array_insert(g_ptr_array_index(rows, 0), 1, g_strdup("Backend"));
        for (guint i = 1; i < rows->len; i++)
            g_ptr_array_insert(g_ptr_array_index(rows, i), 1,
                               g_strdup(g_ptr_array_index(backends, i - 1)));
    }

    if (rows->len == 1) {
        if (ret)
            abVshPrint(ctl, "No running domain is managed by autoballoon\n");
        return ret;
    }
    abVshTablePrint(ctl, rows);
    if (notes->len)
        abVshPrint(ctl, "\n");
    for (guint i = 0; i < notes->len; i++)
        abVshPrint(ctl, "%s\n", (const char *) g_ptr_array_index(notes, i));
    if (!anyPublished)
        abVshPrint(ctl, "\nno status published: is autoballoond running?\n");
    return ret;
}
