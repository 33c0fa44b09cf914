/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-policy.c: balloon-policy, showing and changing a domain's policy
 * metadata with virsh's --live/--config/--current semantics. */
#include "ab-vsh-cmds.h"
#include "ab-conf.h"
#include "ab-namespace.h"
#include "ab-size.h"

#include <string.h>
#include <libxml/parser.h>

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

/* Option names of the sizes, in abConfPolicy's order. */
enum { SIZE_FLOOR, SIZE_CEILING, SIZE_RESERVE, SIZE_STEP_LOW,
       SIZE_STEP_MEDIUM, SIZE_STEP_CRITICAL, SIZE_LAST };
static const char *const sizeOpts[SIZE_LAST] = {
    "floor", "ceiling", "reserve", "step-low", "step-medium", "step-critical",
};

typedef struct {
    bool any;
    int enable;                  /* -1 unchanged, 0 off, 1 on */
    bool sizeSet[SIZE_LAST];
    unsigned long long sizeKiB[SIZE_LAST];
    bool weightSet;
    unsigned int weight;
    bool cooldownSet;
    unsigned int cooldown;
} abVshPolicyChange;

static abConfSize *
abVshPolicySize(abConfPolicy *def, int which)
{
    switch (which) {
    case SIZE_FLOOR: return &def->floor;
    case SIZE_CEILING: return &def->ceiling;
    case SIZE_RESERVE: return &def->reserve;
    case SIZE_STEP_LOW: return &def->step[AB_LEVEL_LOW];
    case SIZE_STEP_MEDIUM: return &def->step[AB_LEVEL_MEDIUM];
    default: return &def->step[AB_LEVEL_CRITICAL];
    }
}

static int
abVshPolicyChangeParse(abVshControl *ctl, const abVshCmd *cmd,
                       abVshPolicyChange *chg)
{
    int rc;

    memset(chg, 0, sizeof(*chg));
    chg->enable = -1;
    if (abVshCommandOptBool(cmd, "enable"))
        chg->enable = 1;
    if (abVshCommandOptBool(cmd, "disable"))
        chg->enable = 0;
    chg->any = chg->enable >= 0;
    for (int i = 0; i < SIZE_LAST; i++) {
        if ((rc = abVshCommandOptSizeKiB(ctl, cmd, sizeOpts[i], &chg->sizeKiB[i])) < 0)
            return -1;
        chg->sizeSet[i] = rc > 0;
        chg->any |= rc > 0;
    }
    if ((rc = abVshCommandOptUInt(ctl, cmd, "weight", &chg->weight)) < 0)
        return -1;
    chg->weightSet = rc > 0;
    if ((rc = abVshCommandOptUInt(ctl, cmd, "cooldown", &chg->cooldown)) < 0)
        return -1;
    chg->cooldownSet = rc > 0;
    chg->any |= chg->weightSet || chg->cooldownSet;
    return 0;
}

static void
abVshPolicyChangeApply(const abVshPolicyChange *chg, abConfPolicy *def)
{
    if (chg->enable >= 0)
        def->enabled = chg->enable;
    for (int i = 0; i < SIZE_LAST; i++) {
        abConfSize *sz = abVshPolicySize(def, i);
        const char *unit;

        if (!chg->sizeSet[i])
            continue;
        /* Keep the user's size readable in the XML: 512 MiB, not 524288. */
        sz->set = true;
        sz->value = abSizeExact(chg->sizeKiB[i] * 1024, &unit);
        g_free(sz->unit);
        sz->unit = g_strdup(unit);
        sz->kib = chg->sizeKiB[i];
        def->hasElement = true;
    }
    if (chg->weightSet) {
        def->weightSet = true;
        def->weight = chg->weight;
        def->hasElement = true;
    }
    if (chg->cooldownSet) {
        def->cooldown.set = true;
        def->cooldown.value = chg->cooldown;
        g_free(def->cooldown.unit);
        def->cooldown.unit = g_strdup("s");
        def->hasElement = true;
    }
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
        g_autofree char *str = abVshNodeToString(node);

        xmlFreeNode(node);
        abVshPrint(ctl, "%s\n", str);
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

/* The policy metadata written by "define" records what the translation
 * added to the domain (<added autodeflate='on' .../>) so that dumpxml
 * --autoballoon can take it out again; abConfPolicyFormatMetadata does not
 * know that record, so carry it over from the old element. */
static char *
abVshPolicyKeepAdded(const char *oldxml, char *newxml)
{
    xmlDocPtr olddoc = NULL;
    xmlDocPtr newdoc = NULL;
    xmlNodePtr added = NULL;
    char *ret = newxml;

    if (!oldxml)
        return newxml;
    olddoc = xmlReadMemory(oldxml, strlen(oldxml), "old.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    newdoc = xmlReadMemory(newxml, strlen(newxml), "new.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    if (!olddoc || !newdoc)
        goto cleanup;
    for (xmlNodePtr cur = xmlDocGetRootElement(olddoc)->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE && xmlStrEqual(cur->name, BAD_CAST "added"))
            added = cur;
    }
    if (added) {
        xmlNodePtr root = xmlDocGetRootElement(newdoc);
        xmlNodePtr copy = xmlDocCopyNode(added, newdoc, 1);

        xmlSetNs(copy, root->ns);
        xmlAddChild(root, copy);
        ret = abVshNodeToString(root);
        g_free(newxml);
    }
 cleanup:
    xmlFreeDoc(olddoc);
    xmlFreeDoc(newdoc);
    return ret;
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
                   const abVshPolicyChange *chg, unsigned long maxKiB,
                   abVshPolicyWrite *w)
{
    g_autoptr(abConfPolicy) def = NULL;
    g_autoptr(GError) err = NULL;
    const char *name = virDomainGetName(dom);

    if (!(def = abVshPolicyRead(ctl, dom, w->flags, &w->stored, &w->oldxml)))
        return false;
    abVshPolicyChangeApply(chg, def);

    if (chg->enable == 1) {
        unsigned int xmlflags = w->flags == VIR_DOMAIN_AFFECT_CONFIG ?
            VIR_DOMAIN_XML_INACTIVE : 0;
        abVshBalloonInfo info;

        g_autofree char *domxml = NULL;

        /* the same refusals as define: no virtio balloon, huge pages,
         * locked memory, VFIO, confidential guests */
        if (!(domxml = virDomainGetXMLDesc(dom, xmlflags))) {
            abVshReportLibvirtError(ctl);
            return false;
        }
        if (abConfDomainCheck(domxml, def, &err) < 0) {
            abVshError(ctl, "%s", err->message);
            return false;
        }
        if (abVshDomainBalloon(ctl, dom, xmlflags, &info) < 0)
            return false;
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
        abVshBalloonInfoClear(&info);
    }

    if (abConfPolicyValidate(def, name, maxKiB, &err) < 0) {
        abVshError(ctl, "%s", err->message);
        return false;
    }
    w->newxml = abVshPolicyKeepAdded(w->oldxml, abConfPolicyFormatMetadata(def));
    return true;
}

bool
abVshCmdBalloonPolicy(abVshControl *ctl, const abVshCmd *cmd)
{
    g_autoptr(virDomain) dom = NULL;
    abVshPolicyChange chg;
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
    if (abVshPolicyChangeParse(ctl, cmd, &chg) < 0)
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

    if (!chg.any) {
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
