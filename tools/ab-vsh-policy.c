/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-policy.c: balloon-policy, showing and changing a domain's policy
 * metadata with virsh's --live/--config/--current semantics. */
#include "ab-vsh-cmds.h"
#include "ab-conf.h"
#include "ab-namespace.h"
#include "ab-size.h"
#include "ab-xml.h"
#include "ab-qemu-balloon.h"

#include <string.h>

const abVshOptDef abVshOptsBalloonPolicy[] = {
    AB_VSH_OPT_DOMAIN_REQUIRED,
    { "enable", AB_VSH_OT_BOOL, 0, "turn autoballoon on" },
    { "disable", AB_VSH_OT_BOOL, 0, "turn autoballoon off" },
    { "floor", AB_VSH_OT_SIZE, 0, "never shrink the guest below this size (or N% of <memory>)" },
    { "ceiling", AB_VSH_OT_SIZE, 0, "never grow the guest above this size (or N% of <memory>)" },
    { "reserve", AB_VSH_OT_SIZE, 0, "usable memory the guest always keeps (or N% of <memory>)" },
    { "step-low", AB_VSH_OT_SIZE, 0, "inflate step at low pressure" },
    { "step-medium", AB_VSH_OT_SIZE, 0, "inflate step at medium pressure" },
    { "step-critical", AB_VSH_OT_SIZE, 0, "inflate step at critical pressure" },
    { "weight", AB_VSH_OT_INT, 0, "share of the reclaim, like cpu shares" },
    { "cooldown", AB_VSH_OT_INT, 0, "seconds after a growth before the guest may shrink" },
    AB_VSH_OPTS_AFFECT,
    { "xml", AB_VSH_OT_BOOL, 0, "print the policy as the extended <autoballoon> element" },
    { "update-device", AB_VSH_OT_BOOL, 0, "with --enable --config: also add to the balloon what define adds" },
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
        const char *str = NULL;

        /* floor, ceiling and reserve scale with the guest too */
        if (i <= AB_CONF_POLICY_RESERVE && abVshCommandOptString(cmd, sizeOpts[i], &str) > 0 &&
            abSizeIsPercent(str)) {
            g_autoptr(GError) err = NULL;

            if (abSizePercentParse(sizeOpts[i], str, &chg->sizePercent[i], &err) < 0) {
                abVshError(ctl, "%s", err->message);
                return -1;
            }
            chg->sizeSet[i] = *any = true;
            continue;
        }
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
                     unsigned long long kib, const abConfSize *sz)
{
    g_autofree char *str = abVshFormatKiB(kib);
    g_autofree char *pct = sz->percent ? abSizePercentFormat(sz->percent) : NULL;

    if (pct)
        abVshPrint(ctl, "%-15s %s (%s%% of <memory>)\n", label, str, pct);
    else
        abVshPrint(ctl, "%-15s %s%s\n", label, str, sz->set ? "" : " (default)");
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

    if (xml && !stored) {
        /* an empty <autoballoon/> would read as a policy of defaults */
        abVshError(ctl, "domain '%s' has no autoballoon policy", virDomainGetName(dom));
        return false;
    }
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
    if (def->backend != AB_CONF_BACKEND_BALLOON)
        abVshPrint(ctl, "%-15s %s (memory device %u)\n", "Backend:",
                   abConfBackendToString(def->backend), def->device);
    abVshPolicyPrintSize(ctl, "Floor:", params.floorKiB, &def->floor);
    abVshPolicyPrintSize(ctl, "Ceiling:", params.ceilingKiB, &def->ceiling);
    abVshPolicyPrintSize(ctl, "Reserve:", params.reserveKiB, &def->reserve);
    abVshPolicyPrintSize(ctl, "Step low:", params.stepKiB[AB_LEVEL_LOW],
                         &def->step[AB_LEVEL_LOW]);
    abVshPolicyPrintSize(ctl, "Step medium:", params.stepKiB[AB_LEVEL_MEDIUM],
                         &def->step[AB_LEVEL_MEDIUM]);
    abVshPolicyPrintSize(ctl, "Step critical:", params.stepKiB[AB_LEVEL_CRITICAL],
                         &def->step[AB_LEVEL_CRITICAL]);
    abVshPrint(ctl, "%-15s %u%s\n", "Weight:", params.weight,
               def->weightSet ? "" : " (default)");
    abVshPrint(ctl, "%-15s %u s%s\n", "Cooldown:", params.cooldownSec,
               def->cooldown.set ? "" : " (default)");
    return true;
}

static xmlNodePtr
abVshBalloonNode(xmlDocPtr doc)
{
    return doc ? abXmlChildPath(xmlDocGetRootElement(doc), "devices", "memballoon", NULL) : NULL;
}

static unsigned int
abVshCountOverrides(xmlNodePtr node)
{
    unsigned int n = 0;

    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        n += xmlStrEqual(node->name, BAD_CAST "override");
        n += abVshCountOverrides(node->children);
    }
    return n;
}

/* What define adds to the balloon of @olddoc to make @newdoc, one item
 * each ("autodeflate='on'", "<stats period='2'/>"); empty when nothing. */
static GString *
abVshBalloonAdditions(xmlDocPtr olddoc, xmlDocPtr newdoc)
{
    GString *out = g_string_new(NULL);
    xmlNodePtr oldb = abVshBalloonNode(olddoc);
    xmlNodePtr newb = abVshBalloonNode(newdoc);
    xmlNodePtr stats;

    if (!oldb || !newb)
        return out;
    for (xmlAttrPtr a = newb->properties; a; a = a->next) {
        g_autofree char *nv = abXmlProp(newb, (const char *)a->name);
        g_autofree char *ov = abXmlProp(oldb, (const char *)a->name);

        if (g_strcmp0(nv, ov) != 0)
            g_string_append_printf(out, "%s%s='%s'", out->len ? ", " : "",
                                   (const char *)a->name, nv);
    }
    if ((stats = abXmlChild(newb, "stats", NULL))) {
        g_autofree char *np = abXmlProp(stats, "period");
        xmlNodePtr oldstats = abXmlChild(oldb, "stats", NULL);

        if (np && !(oldstats && xmlHasProp(oldstats, BAD_CAST "period")))
            g_string_append_printf(out, "%s<stats period='%s'/>", out->len ? ", " : "", np);
    }
    if (abVshCountOverrides(xmlDocGetRootElement(newdoc)) >
        abVshCountOverrides(xmlDocGetRootElement(olddoc)))
        g_string_append_printf(out, "%sthe <qemu:override> of QEMU's automatic balloon",
                               out->len ? ", " : "");
    return out;
}

/* The persistent definition define would store for @dom with policy @def:
 * its inactive XML in the extended form with autoballoon='on' and @def,
 * translated as define translates (QEMU probed as define probes it).
 * *olddef: the definition it replaces; *additions: what it adds to the
 * balloon. NULL with the error printed. */
static char *
abVshPolicyDefineXML(abVshControl *ctl, virDomainPtr dom, const abConfPolicy *def,
                     char **olddef, GString **additions)
{
    g_autofree char *domxml = NULL;
    g_autofree char *ext = NULL;
    g_autofree char *native = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlDoc) olddoc = NULL;
    g_autoptr(xmlDoc) newdoc = NULL;
    xmlNodePtr balloon, child;

    /* secure: a redefinition must keep the passwords the domain has */
    if (!(domxml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE))) {
        abVshReportLibvirtError(ctl);
        return NULL;
    }
    if (!(ext = abQemuNativeToExtended(domxml, &err)) ||
        !(doc = abXmlParse(ext, "domain XML", &err))) {
        abVshError(ctl, "%s", err->message);
        return NULL;
    }
    if (!(balloon = abVshBalloonNode(doc))) {
        abVshError(ctl, "domain '%s' has no <memballoon>", virDomainGetName(dom));
        return NULL;
    }
    while ((child = abXmlChild(balloon, "autoballoon", NULL)))
        abXmlRemove(child);
    xmlSetProp(balloon, BAD_CAST "autoballoon", BAD_CAST (def->enabled ? "on" : "off"));
    xmlAddChild(balloon, abConfPolicyFormatNode(def, NULL));
    g_free(ext);
    ext = abXmlFormatDoc(doc);

    if (!(native = abVshExtendedToNative(ctl, ext, &err)) ||
        !(olddoc = abXmlParse(domxml, "domain XML", &err)) ||
        !(newdoc = abXmlParse(native, "domain XML", &err))) {
        abVshError(ctl, "%s", err->message);
        return NULL;
    }
    *additions = abVshBalloonAdditions(olddoc, newdoc);
    *olddef = g_steal_pointer(&domxml);
    return g_steal_pointer(&native);
}

typedef struct {
    unsigned int flags;          /* VIR_DOMAIN_AFFECT_LIVE or _CONFIG */
    bool stored;
    char *oldxml;                /* to roll back */
    char *newxml;
    char *definexml;             /* --update-device: the new definition */
    char *olddefxml;             /* and the one it replaces */
} abVshPolicyWrite;

/* Prepare the new policy of one side (live or config) without writing. */
static bool
abVshPolicyPrepare(abVshControl *ctl, virDomainPtr dom,
                   const abConfPolicyChange *chg, unsigned long maxKiB,
                   bool updateDevice, abVshPolicyWrite *w)
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
        if (w->flags == VIR_DOMAIN_AFFECT_CONFIG) {
            g_autoptr(GString) added = NULL;

            if (abConfPolicyValidate(def, name, maxKiB, &err) < 0) {
                abVshError(ctl, "%s", err->message);
                return false;
            }
            if (!(w->definexml = abVshPolicyDefineXML(ctl, dom, def, &w->olddefxml, &added)))
                return false;
            if (added->len && !updateDevice)
                /* the definition is the user's: say exactly what define
                 * would add, and how */
                abVshWarn(ctl, "domain '%s': define adds %s to its <memballoon>, which policy "
                          "metadata cannot; 'balloon-policy %s --enable --config --update-device' "
                          "adds them from the next boot",
                          name, added->str, name);
            if (added->len == 0 || !updateDevice) {
                g_clear_pointer(&w->definexml, g_free);
                g_clear_pointer(&w->olddefxml, g_free);
            }
        } else {
            abVshDomainBalloon(doc, &info);
            /* Policy metadata alone cannot change a running device: say
             * what is missing and what adds it from the next boot. */
            if (!info.autodeflate || info.statsPeriod == 0)
                abVshWarn(ctl, "domain '%s' was not defined with autoballoon='on': its running balloon has %s%s%s; "
                          "'balloon-policy %s --enable --config --update-device' adds what define adds "
                          "from the next boot",
                          name,
                          info.autodeflate ? "" : "no autodeflate='on'",
                          !info.autodeflate && info.statsPeriod == 0 ? " and " : "",
                          info.statsPeriod == 0 ? "no stats period" : "",
                          name);
        }
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
    bool updateDevice = abVshCommandOptBool(cmd, "update-device");
    unsigned long maxKiB;
    bool ret = false;
    size_t done = 0;

    if (!abVshExclusive(ctl, cmd, "enable", "disable"))
        return false;
    if (abVshPolicyChangeParse(ctl, cmd, &chg, &any) < 0)
        return false;
    if (!(dom = abVshCommandOptDomain(ctl, cmd, &name)) ||
        !abVshCommandOptAffect(ctl, cmd, dom, &live, &config))
        return false;

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
    if (updateDevice && (chg.enable != 1 || !config)) {
        abVshError(ctl, "--update-device needs --enable and the persistent definition (--config)");
        return false;
    }
    for (size_t i = 0; i < nwrites; i++) {
        if (!abVshPolicyPrepare(ctl, dom, &chg, maxKiB, updateDevice, &writes[i]))
            goto cleanup;
    }

    for (done = 0; done < nwrites; done++) {
        if (writes[done].definexml) {
            g_autoptr(virDomain) newdom = virDomainDefineXML(ctl->conn, writes[done].definexml);

            if (!newdom) {
                abVshError(ctl, "failed to redefine domain '%s' with its balloon as define sets it", name);
                abVshReportLibvirtError(ctl);
                goto rollback;
            }
            continue;
        }
        if (abVshSetMetadata(dom, writes[done].newxml,
                                 AB_NS_POLICY_PREFIX, AB_NS_POLICY_URI,
                                 writes[done].flags) < 0) {
            abVshError(ctl, "failed to set the autoballoon policy of domain '%s'", name);
            abVshReportLibvirtError(ctl);
            goto rollback;
        }
    }
    /* a policy created without --enable is stored off: say so, the
     * daemon will not touch the domain */
    if (chg.enable < 0 && !writes[0].stored && (nwrites < 2 || !writes[1].stored))
        abVshPrintExtra(ctl, "Autoballoon policy of domain '%s' created, autoballoon off "
                        "(--enable turns it on)\n", name);
    else
        abVshPrintExtra(ctl, "Autoballoon policy of domain '%s' updated\n", name);
    ret = true;
    goto cleanup;

 rollback:
    /* The sides already written go back to what they held. */
    for (size_t i = 0; i < done; i++) {
        if (writes[i].definexml) {
            g_autoptr(virDomain) olddom = virDomainDefineXML(ctl->conn, writes[i].olddefxml);

            if (!olddom) {
                abVshError(ctl, "failed to restore the previous definition of domain '%s'", name);
                abVshReportLibvirtError(ctl);
            }
            continue;
        }
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
        g_free(writes[i].definexml);
        g_free(writes[i].olddefxml);
    }
    return ret;
}
