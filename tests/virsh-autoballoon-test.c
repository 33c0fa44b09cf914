/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virsh-autoballoon-test: virsh-autoballoon with the test hooks that must
 * not ship in the installed program. tests/test-virsh.c runs this one. */
#include "ab-vsh.h"
#include "ab-conf.h"
#include "ab-namespace.h"

static const abVshOptDef abVshOptsTestPublishStatus[] = {
    { "domain", AB_VSH_OT_STRING, AB_VSH_OFLAG_REQ | AB_VSH_OFLAG_POS, "domain" },
    { "level", AB_VSH_OT_STRING, AB_VSH_OFLAG_REQ | AB_VSH_OFLAG_POS, "level" },
    { "source", AB_VSH_OT_STRING, 0, "source" },
    { "target", AB_VSH_OT_SIZE, 0, "target" },
    { "actual", AB_VSH_OT_SIZE, 0, "actual" },
    { "usable", AB_VSH_OT_SIZE, 0, "usable" },
    { "action", AB_VSH_OT_STRING, 0, "action" },
    { "reason", AB_VSH_OT_STRING, 0, "reason" },
    { "error", AB_VSH_OT_STRING, 0, "error" },
    { NULL },
};

/* Standing in for autoballoond: writes a status element the way the
 * daemon publishes it, so that balloon-status and balloon-events can be
 * tested on the test driver (whose state lives in one process). Hidden
 * from help, so that the golden help output is the installed one's. */
static bool
abVshCmdTestPublishStatus(abVshControl *ctl, const abVshCmd *cmd)
{
    g_autoptr(virDomain) dom = NULL;
    g_autofree char *xml = NULL;
    abConfStatus st = { 0 };
    const char *levelstr = NULL;
    const char *str;
    int level;

    if (!(dom = abVshCommandOptDomain(ctl, cmd, NULL)))
        return false;
    abVshCommandOptString(cmd, "level", &levelstr);
    if ((level = abLevelFromString(levelstr)) < 0) {
        abVshError(ctl, "invalid pressure level '%s'", levelstr);
        return false;
    }
    st.level = level;
    if (abVshCommandOptSizeKiB(ctl, cmd, "target", &st.targetKiB) < 0 ||
        abVshCommandOptSizeKiB(ctl, cmd, "actual", &st.actualKiB) < 0 ||
        abVshCommandOptSizeKiB(ctl, cmd, "usable", &st.usableKiB) < 0)
        return false;
    /* unknown words publish as none: this command writes what it is told */
    st.source = MAX(abStatusSourceFromString(abVshCommandOptString(cmd, "source", &str) > 0 ?
                                             str : "psi"), 0);
    st.action = MAX(abStatusActionFromString(abVshCommandOptString(cmd, "action", &str) > 0 ?
                                             str : "none"), 0);
    st.reason = g_strdup(abVshCommandOptString(cmd, "reason", &str) > 0 ? str : "none");
    st.error = abVshCommandOptString(cmd, "error", &str) > 0 ? g_strdup(str) : NULL;
    st.time = abVshNow();
    xml = abConfStatusFormat(&st);
    abConfStatusClear(&st);
    if (abVshSetMetadata(dom, xml,
                             AB_NS_STATUS_PREFIX, AB_NS_STATUS_URI,
                             VIR_DOMAIN_AFFECT_LIVE) < 0) {
        abVshReportLibvirtError(ctl);
        return false;
    }
    return true;
}

static const abVshCmdDef abVshTestCmds[] = {
    { "test-publish-status", abVshCmdTestPublishStatus, abVshOptsTestPublishStatus,
      "publish a status as autoballoond does (test hook)", NULL, AB_VSH_CMD_FLAG_HIDDEN },
    { NULL },
};

int
main(int argc, char **argv)
{
    g_autoptr(GArray) groups = g_array_new(TRUE, TRUE, sizeof(abVshCmdGroup));
    const abVshCmdGroup test = { "Test hooks", "test", abVshTestCmds };

    for (const abVshCmdGroup *g = abVshDefaultGroups; g->name; g++)
        g_array_append_val(groups, *g);
    g_array_append_val(groups, test);
    abVshGroups = (const abVshCmdGroup *)groups->data;
    return abVshMain(argc, argv, "virsh-autoballoon");
}
