/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh.c: output, connection, domain lookup, running commands and help,
 * with virsh's wording so that users and scripts see one tool. */
#include "ab-vsh.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void
abVshVPrintTo(FILE *fp, const char *prefix, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);

    fflush(stdout);
    fprintf(fp, "%s%s\n", prefix, msg);
    fflush(fp);
}

void
abVshPrint(abVshControl *ctl, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
}

void
abVshPrintExtra(abVshControl *ctl, const char *fmt, ...)
{
    va_list ap;

    if (ctl->quiet)
        return;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
}

void
abVshError(abVshControl *ctl, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    abVshVPrintTo(stderr, "error: ", fmt, ap);
    va_end(ap);
}

void
abVshWarn(abVshControl *ctl, const char *fmt, ...)
{
    va_list ap;

    if (ctl->quiet)
        return;
    va_start(ap, fmt);
    abVshVPrintTo(stderr, "warning: ", fmt, ap);
    va_end(ap);
}

void
abVshReportLibvirtError(abVshControl *ctl)
{
    virErrorPtr err = virGetLastError();

    if (err && err->code != VIR_ERR_OK)
        abVshError(ctl, "%s", err->message ? err->message : "unknown error");
    virResetLastError();
}

/* libvirt prints its errors to stderr by default; we report them once,
 * our way. */
static void
abVshLibvirtErrorHandler(void *opaque, virErrorPtr err)
{
}

virConnectPtr
abVshConnection(abVshControl *ctl)
{
    if (ctl->conn)
        return ctl->conn;

    virSetErrorFunc(NULL, abVshLibvirtErrorHandler);
    if (ctl->readonly)
        ctl->conn = virConnectOpenReadOnly(ctl->uri);
    else
        ctl->conn = virConnectOpenAuth(ctl->uri, virConnectAuthPtrDefault, 0);
    if (!ctl->conn) {
        abVshError(ctl, "failed to connect to the hypervisor");
        abVshReportLibvirtError(ctl);
        return NULL;
    }
    /* as virsh: keepalive where the transport has it; an error only when
     * asked for with -k/-K */
    if (virConnectSetKeepAlive(ctl->conn, ctl->keepaliveInterval,
                               ctl->keepaliveCount) < 0) {
        if (ctl->keepaliveForced) {
            abVshError(ctl, "Cannot setup keepalive on connection as requested, disconnecting");
            abVshError(ctl, "failed to connect to the hypervisor");
            abVshReportLibvirtError(ctl);
            virConnectClose(ctl->conn);
            ctl->conn = NULL;
            return NULL;
        }
        virResetLastError();
    }
    return ctl->conn;
}

virDomainPtr
abVshLookupDomain(abVshControl *ctl, const char *str)
{
    virConnectPtr conn = abVshConnection(ctl);
    virDomainPtr dom = NULL;
    guint64 id;

    if (!conn)
        return NULL;

    /* virsh's order: ID, UUID, name. */
    if (g_ascii_string_to_unsigned(str, 10, 0, G_MAXINT, &id, NULL))
        dom = virDomainLookupByID(conn, id);
    if (!dom && strlen(str) == VIR_UUID_STRING_BUFLEN - 1)
        dom = virDomainLookupByUUIDString(conn, str);
    if (!dom)
        dom = virDomainLookupByName(conn, str);
    virResetLastError();
    if (!dom)
        abVshError(ctl, "failed to get domain '%s'", str);
    return dom;
}

virDomainPtr
abVshCommandOptDomain(abVshControl *ctl, const abVshCmd *cmd, const char **name)
{
    const char *str = NULL;
    virDomainPtr dom;

    if (abVshCommandOptString(cmd, "domain", &str) <= 0) {
        abVshError(ctl, "command '%s' requires <domain> option", cmd->def->name);
        return NULL;
    }
    dom = abVshLookupDomain(ctl, str);
    if (dom && name)
        *name = virDomainGetName(dom);
    return dom;
}

bool
abVshCommandOptAffect(abVshControl *ctl, const abVshCmd *cmd,
                      virDomainPtr dom, bool *live, bool *config)
{
    const char *name = virDomainGetName(dom);
    int active;

    if (!abVshExclusive(ctl, cmd, "current", "live") ||
        !abVshExclusive(ctl, cmd, "current", "config"))
        return false;
    *live = abVshCommandOptBool(cmd, "live");
    *config = abVshCommandOptBool(cmd, "config");
    if ((active = virDomainIsActive(dom)) < 0) {
        abVshReportLibvirtError(ctl);
        return false;
    }
    if (!*live && !*config) {
        *live = active;
        *config = !active;
    }
    /* every side checked before any is written */
    if (*live && !active) {
        abVshError(ctl, "domain '%s' is not running: --live needs a running domain", name);
        return false;
    }
    if (*config && virDomainIsPersistent(dom) != 1) {
        abVshError(ctl, "domain '%s' is transient: it has no persistent configuration for --config",
                   name);
        return false;
    }
    return true;
}

gint64
abVshNow(void)
{
    const char *env = g_getenv("AB_VSH_NOW");
    guint64 now;

    if (env && g_ascii_string_to_unsigned(env, 10, 0, G_MAXINT64, &now, NULL))
        return now;
    return g_get_real_time() / G_USEC_PER_SEC;
}

bool
abVshCommandRun(abVshControl *ctl, const abVshCmd *cmd)
{
    bool ret = true;

    for (; cmd; cmd = cmd->next) {
        gint64 start = g_get_monotonic_time();

        if (!(cmd->def->flags & AB_VSH_CMD_FLAG_NOCONNECT) &&
            !abVshConnection(ctl)) {
            ret = false;
            continue;
        }
        ret = cmd->def->handler(ctl, cmd);
        if (ctl->timing)
            abVshPrint(ctl, "\n(Time: %.3f ms)\n\n",
                       (g_get_monotonic_time() - start) / 1000.0);
        fflush(stdout);
        if (strcmp(cmd->def->name, "quit") == 0 ||
            strcmp(cmd->def->name, "exit") == 0)
            break;
    }
    return ret;
}

static const char *
abVshOptTypeLabel(abVshOptType type)
{
    switch (type) {
    case AB_VSH_OT_STRING: return " <string>";
    case AB_VSH_OT_INT: return " <number>";
    case AB_VSH_OT_SIZE: return " <size>";
    case AB_VSH_OT_BOOL: break;
    }
    return "";
}

static void
abVshHelpCommand(abVshControl *ctl, const abVshCmdDef *def)
{
    g_autoptr(GString) synopsis = g_string_new(def->name);
    bool hasOpts = false;

    for (const abVshOptDef *o = def->opts; o && o->name; o++) {
        const char *label = abVshOptTypeLabel(o->type);
        bool req = o->flags & AB_VSH_OFLAG_REQ;
        bool pos = o->flags & AB_VSH_OFLAG_POS;

        if (o->flags & AB_VSH_OFLAG_HIDDEN)
            continue;
        hasOpts = true;
        if (o->type == AB_VSH_OT_BOOL)
            g_string_append_printf(synopsis, " [--%s]", o->name);
        else if (req && pos)
            g_string_append_printf(synopsis, " <%s>", o->name);
        else if (pos)
            g_string_append_printf(synopsis, " [<%s>]", o->name);
        else if (req)
            g_string_append_printf(synopsis, " --%s%s", o->name, label);
        else
            g_string_append_printf(synopsis, " [--%s%s]", o->name, label);
    }

    abVshPrint(ctl, "  NAME\n    %s - %s\n\n", def->name, def->summary);
    abVshPrint(ctl, "  SYNOPSIS\n    %s\n\n", synopsis->str);
    if (def->description)
        abVshPrint(ctl, "  DESCRIPTION\n    %s\n\n", def->description);
    if (!hasOpts)
        return;
    abVshPrint(ctl, "  OPTIONS\n");
    for (const abVshOptDef *o = def->opts; o && o->name; o++) {
        g_autofree char *left = NULL;

        if (o->flags & AB_VSH_OFLAG_HIDDEN)
            continue;
        if (o->flags & AB_VSH_OFLAG_POS)
            left = g_strdup_printf("[--%s]%s", o->name, abVshOptTypeLabel(o->type));
        else
            left = g_strdup_printf("--%s%s", o->name, abVshOptTypeLabel(o->type));
        abVshPrint(ctl, "    %-15s  %s\n", left, o->help);
    }
    abVshPrint(ctl, "\n");
}

static void
abVshHelpGroup(abVshControl *ctl, const abVshCmdGroup *g)
{
    abVshPrint(ctl, " %s (help keyword '%s'):\n", g->name, g->keyword);
    for (const abVshCmdDef *def = g->cmds; def->name; def++) {
        if (!(def->flags & AB_VSH_CMD_FLAG_HIDDEN))
            abVshPrint(ctl, "    %-30s %s\n", def->name, def->summary);
    }
    abVshPrint(ctl, "\n");
}

bool
abVshGroupVisible(const abVshCmdGroup *group)
{
    for (const abVshCmdDef *def = group->cmds; def->name; def++) {
        if (!(def->flags & AB_VSH_CMD_FLAG_HIDDEN))
            return true;
    }
    return false;
}

bool
abVshHelp(abVshControl *ctl, const char *name)
{
    const abVshCmdDef *def;

    if (!name) {
        abVshPrint(ctl, "Grouped commands:\n\n");
        for (const abVshCmdGroup *g = abVshGroups; g->name; g++) {
            if (abVshGroupVisible(g))
                abVshHelpGroup(ctl, g);
        }
        return true;
    }
    for (const abVshCmdGroup *g = abVshGroups; g->name; g++) {
        if (strcmp(g->keyword, name) == 0 && abVshGroupVisible(g)) {
            abVshHelpGroup(ctl, g);
            return true;
        }
    }
    def = abVshCmdDefLookup(name);
    if (!def || (def->flags & AB_VSH_CMD_FLAG_HIDDEN)) {
        abVshError(ctl, "command or command group '%s' doesn't exist", name);
        return false;
    }
    abVshHelpCommand(ctl, def);
    return true;
}
