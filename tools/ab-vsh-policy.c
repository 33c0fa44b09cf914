/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-policy.c: balloon-policy, showing and changing a domain's policy
 * metadata with virsh's --live/--config/--current semantics. */
#include "ab-vsh-cmds.h"
#include "ab-conf.h"
#include "ab-namespace.h"
#include "ab-size.h"
#include "ab-xml.h"

#include <string.h>

const abVshOptDef abVshOptsBalloonPolicy[] = {
    { "domain", AB_VSH_OT_STRING, AB_VSH_OFLAG_REQ | AB_VSH_OFLAG_POS, "domain name, id or uuid" },
    { "enable", AB_VSH_OT_BOOL, 0, "turn autoballoon on" },
    { "disable", AB_VSH_OT_BOOL, 0, "turn autoballoon off" },
    { "floor", AB_VSH_OT_SIZE, 0, "never shrink the guest below this size" },
    { "ceiling", AB_VSH_OT_SIZE, 0, "never grow the guest above this size" },
    { "reserve", AB_VSH_OT_SIZE, 0, "usable memory the guest always keeps" },
    { "step-low", AB_VSH_OT_SIZE, 0, "inflate step at low pressure" },
    { "step-medium", AB_VSH_OT_SIZE, 0, "inflate step at medium pressure" },
    { "step-critical", AB_VSH_OT_SIZE, 0, "inflate step at critical pressure" },
    { "weight", AB_VSH_OT_INT, 0, "share of the reclaim, like cpu shares" },
    { "cooldown", AB_VSH_OT_INT, 0, "seconds after a growth before the guest may shrink" },
    { "live", AB_VSH_OT_BOOL, 0, "affect running domain" },
    { "config", AB_VSH_OT_BOOL, 0, "affect next boot" },
    { "current", AB_VSH_OT_BOOL, 0, "affect current domain" },
    { "xml", AB_VSH_OT_BOOL, 0, "print the policy as the extended <autoballoon> element" },
    { NULL },
};

/* Option names of the sizes, in abConfPolicySizeField's order. */
static const char *const sizeOpts[AB_CONF_POLICY_SIZE_LAST] = {
    "floor", "ceiling", "reserve", "step-low", "step-medium", "step-critical",
};

static int
abVshPolicyChangeParse(abVshControl *ctl, const abVshCmd *cmd,
                       abConfPolicyChange *chg, bool *any)
{
    int rc;

    memset(chg, 0, sizeof(*chg));
    chg->enable = -1;
    if (abVshCommandOptBool(cmd, "enable"))
        chg->enable = 1;
    if (abVshCommandOptBool(cmd, "disable"))
        chg->enable = 0;
    *any = chg->enable >= 0;
    for (int i = 0; i < AB_CONF_POLICY_SIZE_LAST; i++) {
        if ((rc = abVshCommandOptSizeKiB(ctl, cmd, sizeOpts[i], &chg->sizeKiB[i])) < 0)
            return -1;
        chg->sizeSet[i] = rc > 0;
        *any |= rc > 0;
    }
    if ((rc = abVshCommandOptUInt(ctl, cmd, "weight", &chg->weight)) < 0)
        return -1;
    chg->weightSet = rc > 0;
    if ((rc = abVshCommandOptUInt(ctl, cmd, "cooldown", &chg->cooldown)) < 0)
        return -1;
    chg->cooldownSet = rc > 0;
    *any |= chg->weightSet || chg->cooldownSet;
    return 0;
}

/* The policy stored for @flags (LIVE or CONFIG); a fresh, disabled one when
 * the domain has none (*stored false). */
static abConfPolicy *
abVshPolicyRead(abVshControl *ctl, virDomainPtr dom, unsigned int flags,
                bool *stored, char **oldxml)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;
    abConfPolicy *def;
    int rc;

    if ((rc = abVshGetMetadata(ctl, dom, AB_NS_POLICY_URI, flags, &xml)) < 0)
        return NULL;
    *stored = rc > 0;
    if (!*stored)
        return abConfPolicyNew();
    if (!(def = abConfPolicyParseMetadata(xml, &err))) {
        abVshError(ctl, "invalid autoballoon policy in the metadata of domain '%s': %s",
                   virDomainGetName(dom), err->message);
        return NULL;
    }
    if (oldxml)
        *oldxml = g_steal_pointer(&xml);
    return def;
}

static void
abVshPolicyPrintSize(abVshControl *ctl, const char *label,
                     unsigned long long kib, bool set)
{
    g_autofree char *str = abVshFormatKiB(kib);

    abVshPrint(ctl, "%-15s %s%s\n", label, str, set ? "" : " (default)");
}

static bool
abVshPolicyShow(abVshControl *ctl, virDomainPtr dom, unsigned int flags, bool xml)
{
    g_autoptr(abConfPolicy) def = NULL;
    abPolicyParams params;
    unsigned long maxKiB;
    bool stored = false;

    if (!(def = abVshPolicyRead(ctl, dom, flags, &stored, NULL)))
        return false;

    if (xml) {
        xmlNodePtr node = abConfPolicyFormatNode(def, NULL);
        g_autofree char *str = abXmlFormatNode(node);

        xmlFreeNode(node);
        abVshPrint(ctl, "%s", str);
        return true;
    }

    if ((maxKiB = virDomainGetMaxMemory(dom)) == 0) {
        abVshError(ctl, "failed to get the maximum memory of domain '%s'",
                   virDomainGetName(dom));
        abVshReportLibvirtError(ctl);
        return false;
    }
    abConfPolicyResolve(def, maxKiB, &params);

    abVshPrint(ctl, "%-15s %s\n", "Domain:", virDomainGetName(dom));
    abVshPrint(ctl, "%-15s %s\n", "Autoballoon:",
               !stored ? "off (no policy)" : def->enabled ? "on" : "off");
    abVshPolicyPrintSize(ctl, "Floor:", params.floorKiB, def->floor.set);
    abVshPolicyPrintSize(ctl, "Ceiling:", params.ceilingKiB, def->ceiling.set);
    abVshPolicyPrintSize(ctl, "Reserve:", params.reserveKiB, def->reserve.set);
    abVshPolicyPrintSize(ctl, "Step low:", params.stepKiB[AB_LEVEL_LOW],
                         def->step[AB_LEVEL_LOW].set);
    abVshPolicyPrintSize(ctl, "Step medium:", params.stepKiB[AB_LEVEL_MEDIUM],
                         def->step[AB_LEVEL_MEDIUM].set);
    abVshPolicyPrintSize(ctl, "Step critical:", params.stepKiB[AB_LEVEL_CRITICAL],
                         def->step[AB_LEVEL_CRITICAL].set);
    abVshPrint(ctl, "%-15s %u%s\n", "Weight:", params.weight,
               def->weightSet ? "" : " (default)");
    abVshPrint(ctl, "%-15s %u s%s\n", "Cooldown:", params.cooldownSec,
               def->cooldown.set ? "" : " (default)");
    return true;
}

typedef struct {
    unsigned int flags;          /* VIR_DOMAIN_AFFECT_LIVE or _CONFIG */
    bool stored;
    char *oldxml;                /* to roll back */
    char *newxml;
} abVshPolicyWrite;

/* Prepare the new policy of one side (live or config) without writing. */
static bool
abVshPolicyPrepare(abVshControl *ctl, virDomainPtr dom,
                   const abConfPolicyChange *chg, unsigned long maxKiB,
                   abVshPolicyWrite *w)
{
    g_autoptr(abConfPolicy) def = NULL;
    g_autoptr(GError) err = NULL;
    const char *name = virDomainGetName(dom);

    if (!(def = abVshPolicyRead(ctl, dom, w->flags, &w->stored, &w->oldxml)))
        return false;
    abConfPolicyApply(def, chg);

    if (chg->enable == 1) {
        unsigned int xmlflags = w->flags == VIR_DOMAIN_AFFECT_CONFIG ?
            VIR_DOMAIN_XML_INACTIVE : 0;
        abVshBalloonInfo info;
        g_autofree char *domxml = NULL;
        g_autoptr(xmlDoc) doc = NULL;

        /* the same refusals as define: no virtio balloon, huge pages,
         * locked memory, VFIO, confidential guests */
        if (!(domxml = virDomainGetXMLDesc(dom, xmlflags))) {
            abVshReportLibvirtError(ctl);
            return false;
        }
        if (!(doc = abXmlParse(domxml, "domain XML", &err)) ||
            abConfDomainCheckDoc(doc, def, &err) < 0) {
            abVshError(ctl, "%s", err->message);
            return false;
        }
        abVshDomainBalloon(doc, &info);
        /* Policy metadata alone cannot add what the extended XML adds at
         * define time; say what is missing rather than edit the device. */
        if (!info.autodeflate || info.statsPeriod == 0)
            abVshWarn(ctl, "domain '%s' was not defined with autoballoon='on': its balloon has %s%s%s; "
                      "redefine it from 'dumpxml --autoballoon' to get %s",
                      name,
                      info.autodeflate ? "" : "no autodeflate='on'",
                      !info.autodeflate && info.statsPeriod == 0 ? " and " : "",
                      info.statsPeriod == 0 ? "no stats period" : "",
                      !info.autodeflate && info.statsPeriod == 0 ? "them" : "it");
    }

    if (abConfPolicyValidate(def, name, maxKiB, &err) < 0) {
        abVshError(ctl, "%s", err->message);
        return false;
    }
    /* conf keeps its record of what define added to the domain */
    w->newxml = abConfPolicyFormatStored(def);
    return true;
}

bool
abVshCmdBalloonPolicy(abVshControl *ctl, const abVshCmd *cmd)
{
    g_autoptr(virDomain) dom = NULL;
    abConfPolicyChange chg;
    bool any;
    abVshPolicyWrite writes[2] = { { 0 } };
    size_t nwrites = 0;
    const char *name;
    bool live, config;
    int active;
    unsigned long maxKiB;
    bool ret = false;
    size_t done = 0;

    if (!abVshExclusive(ctl, cmd, "current", "live") ||
        !abVshExclusive(ctl, cmd, "current", "config") ||
        !abVshExclusive(ctl, cmd, "enable", "disable"))
        return false;
    if (abVshPolicyChangeParse(ctl, cmd, &chg, &any) < 0)
        return false;
    if (!(dom = abVshCommandOptDomain(ctl, cmd, &name)))
        return false;

    live = abVshCommandOptBool(cmd, "live");
    config = abVshCommandOptBool(cmd, "config");
    if ((active = virDomainIsActive(dom)) < 0) {
        abVshReportLibvirtError(ctl);
        return false;
    }
    if (!live && !config) {
        live = active;
        config = !active;
    }
    /* Check every side can be written before writing any. */
    if (live && !active) {
        abVshError(ctl, "domain '%s' is not running: --live needs a running domain", name);
        return false;
    }
    if (config && virDomainIsPersistent(dom) != 1) {
        abVshError(ctl, "domain '%s' is transient: it has no persistent configuration for --config",
                   name);
        return false;
    }

    if (!any) {
        if (live && config) {
            abVshError(ctl, "--live and --config together need a change to apply");
            return false;
        }
        return abVshPolicyShow(ctl, dom,
                               live ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG,
                               abVshCommandOptBool(cmd, "xml"));
    }
    if (abVshCommandOptBool(cmd, "xml")) {
        abVshError(ctl, "--xml only prints the policy: it takes no change");
        return false;
    }

    if ((maxKiB = virDomainGetMaxMemory(dom)) == 0) {
        abVshError(ctl, "failed to get the maximum memory of domain '%s'", name);
        abVshReportLibvirtError(ctl);
        return false;
    }
    if (live)
        writes[nwrites++].flags = VIR_DOMAIN_AFFECT_LIVE;
    if (config)
        writes[nwrites++].flags = VIR_DOMAIN_AFFECT_CONFIG;
    for (size_t i = 0; i < nwrites; i++) {
        if (!abVshPolicyPrepare(ctl, dom, &chg, maxKiB, &writes[i]))
            goto cleanup;
    }

    for (done = 0; done < nwrites; done++) {
        if (abVshSetMetadata(dom, writes[done].newxml,
                                 AB_NS_POLICY_PREFIX, AB_NS_POLICY_URI,
                                 writes[done].flags) < 0) {
            abVshError(ctl, "failed to set the autoballoon policy of domain '%s'", name);
            abVshReportLibvirtError(ctl);
            goto rollback;
        }
    }
    abVshPrint(ctl, "Autoballoon policy of domain '%s' updated\n", name);
    ret = true;
    goto cleanup;

 rollback:
    /* The sides already written go back to what they held. */
    for (size_t i = 0; i < done; i++) {
        if (abVshSetMetadata(dom, writes[i].oldxml,
                                 writes[i].oldxml ? AB_NS_POLICY_PREFIX : NULL,
                                 AB_NS_POLICY_URI, writes[i].flags) < 0) {
            abVshError(ctl, "failed to restore the previous policy of domain '%s'", name);
            abVshReportLibvirtError(ctl);
        }
    }
 cleanup:
    for (size_t i = 0; i < nwrites; i++) {
        g_free(writes[i].oldxml);
        g_free(writes[i].newxml);
    }
    return ret;
}
