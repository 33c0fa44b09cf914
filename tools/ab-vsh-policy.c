/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-policy.c: balloon-policy, showing and changing a domain's policy
 * metadata with virsh's --live/--config/--current semantics. */
#include "ab-vsh-cmds.h"
#include "ab-conf.h"
#include "ab-namespace.h"
#include "ab-qemu-balloon.h"
#include "ab-size.h"

#include <string.h>
#include <libxml/parser.h>

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
    unsigned int sizePercent[SIZE_LAST];   /* "25%" of <memory>; 0: a size */
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
        const char *str = NULL;

        /* floor, ceiling and reserve scale with the guest too */
        if (i <= SIZE_RESERVE && abVshCommandOptString(cmd, sizeOpts[i], &str) > 0 &&
            abSizeIsPercent(str)) {
            g_autoptr(GError) err = NULL;

            if (abSizePercentParse(sizeOpts[i], str, &chg->sizePercent[i], &err) < 0) {
                abVshError(ctl, "%s", err->message);
                return -1;
            }
            chg->sizeSet[i] = chg->any = true;
            continue;
        }
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
        const char *unit = "KiB";

        if (!chg->sizeSet[i])
            continue;
        if (chg->sizePercent[i]) {
            g_free(sz->unit);
            *sz = (abConfSize) { .set = true, .unit = g_strdup("%"),
                                 .percent = chg->sizePercent[i] };
            def->hasElement = true;
            continue;
        }
        /* Keep the user's size readable in the XML: 512 MiB, not 524288. */
        sz->set = true;
        sz->percent = 0;
        sz->value = chg->sizeKiB[i] ? abSizeExact(chg->sizeKiB[i] * 1024, &unit) : 0;
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

static xmlNodePtr
abVshBalloonNode(xmlDocPtr doc)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

    for (xmlNodePtr dev = root ? root->children : NULL; dev; dev = dev->next) {
        if (dev->type != XML_ELEMENT_NODE || !xmlStrEqual(dev->name, BAD_CAST "devices"))
            continue;
        for (xmlNodePtr cur = dev->children; cur; cur = cur->next) {
            if (cur->type == XML_ELEMENT_NODE && xmlStrEqual(cur->name, BAD_CAST "memballoon"))
                return cur;
        }
    }
    return NULL;
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

/* What define adds to the balloon of @oldxml to make @newxml, one item
 * each ("autodeflate='on'", "<stats period='2'/>"); empty when nothing. */
static GString *
abVshBalloonAdditions(const char *oldxml, const char *newxml)
{
    GString *out = g_string_new(NULL);
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    xmlDocPtr olddoc = xmlReadMemory(oldxml, strlen(oldxml), "old.xml", NULL, opts);
    xmlDocPtr newdoc = xmlReadMemory(newxml, strlen(newxml), "new.xml", NULL, opts);
    xmlNodePtr oldb = abVshBalloonNode(olddoc);
    xmlNodePtr newb = abVshBalloonNode(newdoc);

    if (oldb && newb) {
        xmlNodePtr stats = NULL;

        for (xmlAttrPtr a = newb->properties; a; a = a->next) {
            g_autofree char *nv = (char *)xmlGetNoNsProp(newb, a->name);
            g_autofree char *ov = (char *)xmlGetNoNsProp(oldb, a->name);

            if (g_strcmp0(nv, ov) != 0)
                g_string_append_printf(out, "%s%s='%s'", out->len ? ", " : "",
                                       (const char *)a->name, nv);
        }
        for (xmlNodePtr cur = newb->children; cur; cur = cur->next) {
            if (cur->type == XML_ELEMENT_NODE && xmlStrEqual(cur->name, BAD_CAST "stats"))
                stats = cur;
        }
        if (stats) {
            g_autofree char *np = (char *)xmlGetNoNsProp(stats, BAD_CAST "period");
            bool had = false;

            for (xmlNodePtr cur = oldb->children; cur; cur = cur->next) {
                if (cur->type == XML_ELEMENT_NODE && xmlStrEqual(cur->name, BAD_CAST "stats") &&
                    xmlHasProp(cur, BAD_CAST "period"))
                    had = true;
            }
            if (np && !had)
                g_string_append_printf(out, "%s<stats period='%s'/>", out->len ? ", " : "", np);
        }
        if (abVshCountOverrides(xmlDocGetRootElement(newdoc)) >
            abVshCountOverrides(xmlDocGetRootElement(olddoc)))
            g_string_append_printf(out, "%sthe <qemu:override> of QEMU's automatic balloon",
                                   out->len ? ", " : "");
    }
    xmlFreeDoc(olddoc);
    xmlFreeDoc(newdoc);
    return out;
}

/* The persistent definition define would store for @dom with policy @def:
 * its inactive XML in the extended form with autoballoon='on' and @def,
 * translated as define translates (QEMU probed as define probes it).
 * *additions: what that adds to the balloon. NULL with the error printed. */
static char *
abVshPolicyDefineXML(abVshControl *ctl, virDomainPtr dom, const abConfPolicy *def,
                     GString **additions)
{
    g_autofree char *domxml = NULL;
    g_autofree char *ext = NULL;
    g_autoptr(GError) err = NULL;
    xmlDocPtr doc = NULL;
    xmlNodePtr balloon;
    xmlChar *buf = NULL;
    int len = 0;
    char *native = NULL;

    /* secure: a redefinition must keep the passwords the domain has */
    if (!(domxml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE)) ||
        !(ext = abQemuNativeToExtended(domxml, &err))) {
        if (err)
            abVshError(ctl, "%s", err->message);
        else
            abVshReportLibvirtError(ctl);
        return NULL;
    }
    doc = xmlReadMemory(ext, strlen(ext), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!(balloon = abVshBalloonNode(doc))) {
        abVshError(ctl, "domain '%s' has no <memballoon>", virDomainGetName(dom));
        xmlFreeDoc(doc);
        return NULL;
    }
    for (xmlNodePtr cur = balloon->children, next; cur; cur = next) {
        next = cur->next;
        if (cur->type == XML_ELEMENT_NODE && xmlStrEqual(cur->name, BAD_CAST "autoballoon")) {
            xmlUnlinkNode(cur);
            xmlFreeNode(cur);
        }
    }
    xmlSetProp(balloon, BAD_CAST "autoballoon", BAD_CAST (def->enabled ? "on" : "off"));
    xmlAddChild(balloon, abConfPolicyFormatNode(def, NULL));
    xmlDocDumpMemory(doc, &buf, &len);
    xmlFreeDoc(doc);
    g_free(ext);
    ext = g_strndup((const char *)buf, len);
    xmlFree(buf);

    if (!(native = abVshExtendedToNative(ctl, ext, &err))) {
        abVshError(ctl, "%s", err->message);
        return NULL;
    }
    *additions = abVshBalloonAdditions(domxml, native);
    return native;
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
                   const abVshPolicyChange *chg, unsigned long maxKiB,
                   bool updateDevice, abVshPolicyWrite *w)
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
        if (w->flags == VIR_DOMAIN_AFFECT_CONFIG) {
            g_autoptr(GString) added = NULL;

            if (abConfPolicyValidate(def, name, maxKiB, &err) < 0) {
                abVshError(ctl, "%s", err->message);
                return false;
            }
            if (!(w->definexml = abVshPolicyDefineXML(ctl, dom, def, &added)))
                return false;
            if (added->len == 0 || updateDevice) {
                if (added->len && !(w->olddefxml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE |
                                                                       VIR_DOMAIN_XML_SECURE))) {
                    abVshReportLibvirtError(ctl);
                    return false;
                }
                if (added->len == 0)
                    g_clear_pointer(&w->definexml, g_free);
            } else {
                /* the definition is the user's: say exactly what define
                 * would add, and how */
                abVshWarn(ctl, "domain '%s': define adds %s to its <memballoon>, which policy "
                          "metadata cannot; 'balloon-policy %s --enable --config --update-device' "
                          "adds them from the next boot",
                          name, added->str, name);
                g_clear_pointer(&w->definexml, g_free);
            }
            goto done;
        }
        if (abVshDomainBalloon(ctl, dom, xmlflags, &info) < 0)
            return false;
        /* Policy metadata alone cannot add what the extended XML adds at
         * define time; say what is missing rather than edit the device. */
        if (!info.autodeflate || info.statsPeriod == 0)
            abVshWarn(ctl, "domain '%s' was not defined with autoballoon='on': its running balloon has %s%s%s; "
                      "'balloon-policy %s --enable --config --update-device' adds what define adds "
                      "from the next boot",
                      name,
                      info.autodeflate ? "" : "no autodeflate='on'",
                      !info.autodeflate && info.statsPeriod == 0 ? " and " : "",
                      info.statsPeriod == 0 ? "no stats period" : "",
                      name);
        abVshBalloonInfoClear(&info);
    }
 done:

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
    bool updateDevice = abVshCommandOptBool(cmd, "update-device");
    unsigned long maxKiB;
    bool ret = false;
    size_t done = 0;

    if (!abVshExclusive(ctl, cmd, "enable", "disable"))
        return false;
    if (abVshPolicyChangeParse(ctl, cmd, &chg) < 0)
        return false;
    if (!(dom = abVshCommandOptDomain(ctl, cmd, &name)) ||
        !abVshCommandOptAffect(ctl, cmd, dom, &live, &config))
        return false;

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
