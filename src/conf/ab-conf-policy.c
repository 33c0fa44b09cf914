/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The autoballoon policy: parse and format of the <autoballoon> element and
 * of its metadata form, validation, and resolution into engine parameters. */
#include "ab-conf-priv.h"
#include "ab-namespace.h"
#include "ab-enum.h"
#include "ab-error.h"
#include "ab-size.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Where a metadata policy's errors say they are. */
#define AB_CONF_POLICY_METADATA "policy metadata <policy>"

AB_ENUM_IMPL_LIST(abConfAddedStats, AB_CONF_ADDED_STATS_, AB_CONF_ADDED_STATS_LIST);

static const char *const abConfPolicyChildren[] = {
    "floor", "ceiling", "reserve", "step", "weight", "cooldown",
};

static bool
abConfPolicyKnownChild(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(abConfPolicyChildren); i++) {
        if (strcmp(name, abConfPolicyChildren[i]) == 0)
            return true;
    }
    return false;
}

static void
abConfSizeClear(abConfSize *size)
{
    g_clear_pointer(&size->unit, g_free);
    memset(size, 0, sizeof(*size));
}

int
abConfSizeSet(abConfSize *size, unsigned long long value, const char *unit,
              GError **error)
{
    unsigned long long scale;

    if (abSizeUnitScale(unit, 1024, &scale, error) < 0)
        return -1;
    if (scale != 0 && value > G_MAXUINT64 / scale) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "size %llu %s overflows", value, unit ? unit : "KiB");
        return -1;
    }
    abConfSizeClear(size);
    size->set = true;
    size->value = value;
    size->unit = g_strdup(unit);
    /* libvirt rounds byte sizes up to whole KiB */
    size->kib = value * scale / 1024 + (value * scale % 1024 ? 1 : 0);
    return 0;
}

unsigned long long
abConfSizeKiB(const abConfSize *size, unsigned long long memoryKiB)
{
    return size->percent ? abSizePercentOf(size->percent, memoryKiB) : size->kib;
}

abConfPolicy *
abConfPolicyNew(void)
{
    return g_new0(abConfPolicy, 1);
}

void
abConfPolicyFree(abConfPolicy *def)
{
    if (!def)
        return;
    abConfSizeClear(&def->floor);
    abConfSizeClear(&def->ceiling);
    abConfSizeClear(&def->reserve);
    for (size_t i = 0; i < AB_LEVEL_LAST; i++)
        abConfSizeClear(&def->step[i]);
    g_free(def->cooldown.unit);
    g_free(def->added);
    g_free(def);
}

/* "512 MiB", or "512 KiB" when no unit was written (KiB is the default). */
static char *
abConfSizeWritten(const abConfSize *size)
{
    /* as written, with the KiB it means unless that is what was written */
    if (size->percent) {
        g_autofree char *pct = abSizePercentFormat(size->percent);

        return g_strdup_printf("%s%% of <memory>", pct);
    }
    if (!size->unit || g_ascii_strcasecmp(size->unit, "KiB") == 0 ||
        g_ascii_strcasecmp(size->unit, "k") == 0)
        return g_strdup_printf("%llu KiB", size->kib);
    return g_strdup_printf("%llu %s (%llu KiB)", size->value, size->unit, size->kib);
}

static int
abConfCheckAttrs(xmlNodePtr node, const char *const *allowed,
                 const char *domname, GError **error)
{
    g_autoptr(GError) err = NULL;

    if (abXmlCheckAttrs(node, allowed, &err) < 0) {
        abConfPropagate(error, g_steal_pointer(&err), domname);
        return -1;
    }
    return 0;
}

/* A size child: <floor unit='MiB'>512</floor>. */
static int
abConfParsePercent(xmlNodePtr node, abConfSize *size, bool percentOK,
                   const char *domname, GError **error)
{
    g_autofree char *text = abXmlText(node);
    g_autofree char *level = abXmlProp(node, "level");
    g_autofree char *what = g_strdup_printf("<autoballoon> %s%s%s%s", (const char *)node->name,
                                            level ? " level='" : "", level ? level : "",
                                            level ? "'" : "");
    g_autoptr(GError) err = NULL;
    unsigned int percent;

    if (!percentOK) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "%s cannot be a percentage (unit='%%'): only floor, ceiling and "
                       "reserve scale with <memory>", what);
        return -1;
    }
    /* the unit says '%': the text is the number alone */
    if (abSizeIsPercent(text) || abSizePercentParse(what, text, &percent, &err) < 0) {
        if (!err)
            abSizePercentParse(what, "", &percent, &err);
        abConfPropagate(error, g_steal_pointer(&err), domname);
        return -1;
    }
    abConfSizeClear(size);
    size->set = true;
    size->unit = g_strdup("%");
    size->percent = percent;
    return 0;
}

static int
abConfParseSize(xmlNodePtr node, abConfSize *size, bool percentOK,
                const char *domname, GError **error)
{
    g_autofree char *unit = NULL;
    g_autofree char *written = abXmlProp(node, "unit");
    g_autoptr(GError) err = NULL;
    unsigned long long value;
    unsigned long long bytes;

    if (g_strcmp0(written, "%") == 0)
        return abConfParsePercent(node, size, percentOK, domname, error);
    if (abXmlTextSize(node, 1024, &value, &unit, &bytes, &err) < 0 ||
        abConfSizeSet(size, value, unit, &err) < 0) {
        abConfPropagate(error, g_steal_pointer(&err), domname);
        return -1;
    }
    return 0;
}

static int
abConfParseUInt(xmlNodePtr node, unsigned long long min, unsigned long long max,
                unsigned long long *value, const char *domname, GError **error)
{
    g_autoptr(GError) err = NULL;

    if (abXmlTextUInt(node, min, max, value, &err) < 0) {
        abConfPropagate(error, g_steal_pointer(&err), domname);
        return -1;
    }
    return 0;
}

static const char *
abConfStepLevelName(int level)
{
    return abLevelToString(level);
}

static int
abConfPolicyParseStep(xmlNodePtr node, abConfPolicy *def, const char *domname,
                      GError **error)
{
    static const char *const attrs[] = { "level", "unit", NULL };
    g_autoptr(GError) err = NULL;
    int lvl;

    if (abConfCheckAttrs(node, attrs, domname, error) < 0)
        return -1;
    if (abXmlPropEnum(node, "level", abConfStepLevelName, AB_LEVEL_LOW, AB_LEVEL_LAST,
                      AB_XML_REQUIRED, &lvl, &err) < 0) {
        abConfPropagate(error, g_steal_pointer(&err), domname);
        return -1;
    }
    if (def->step[lvl].set) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "<step level='%s'>: duplicate step: each level has one",
                       abLevelToString(lvl));
        return -1;
    }
    return abConfParseSize(node, &def->step[lvl], false, domname, error);
}

static int
abConfPolicyParseCooldown(xmlNodePtr node, abConfPolicy *def, const char *domname,
                          GError **error)
{
    static const char *const attrs[] = { "unit", NULL };
    static const char *const units[] = { "s", NULL };
    g_autofree char *unit = NULL;
    g_autoptr(GError) err = NULL;

    if (abConfCheckAttrs(node, attrs, domname, error) < 0)
        return -1;
    if (abXmlPropChoice(node, "unit", units, 0, &unit, &err) < 0) {
        abConfPropagate(error, g_steal_pointer(&err), domname);
        return -1;
    }
    /* the range validation holds, so that a message says what is allowed */
    if (abConfParseUInt(node, 0, AB_POLICY_COOLDOWN_MAX_S, &def->cooldown.value, domname,
                        error) < 0)
        return -1;
    def->cooldown.set = true;
    def->cooldown.unit = g_steal_pointer(&unit);
    return 0;
}

int
abConfPolicyParseChildren(xmlNodePtr node, abConfPolicy *def,
                          const char *nsuri, const char *domname,
                          const char *where, GError **error)
{
    static const char *const unitAttr[] = { "unit", NULL };
    static const char *const noAttrs[] = { NULL };

    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        const char *name = (const char *)cur->name;
        abConfSize *size = NULL;

        if (cur->type == XML_TEXT_NODE || cur->type == XML_CDATA_SECTION_NODE) {
            g_autofree char *text = g_strstrip(g_strdup((const char *)cur->content));

            if (*text) {
                abConfSetError(error, AB_ERROR_INVALID, domname,
                               "%s: unexpected text '%s' (it holds elements only)",
                               where, text);
                return -1;
            }
            continue;
        }
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        if (!abConfNodeIsOurs(cur, NULL, nsuri) || !abConfPolicyKnownChild(name)) {
            abConfSetError(error, AB_ERROR_INVALID, domname,
                           "%s<%s%s%s>: unknown element (expected floor, ceiling, reserve, step, weight or cooldown)",
                           where,
                           cur->ns && cur->ns->prefix ? (const char *)cur->ns->prefix : "",
                           cur->ns && cur->ns->prefix ? ":" : "",
                           name);
            return -1;
        }

        if (strcmp(name, "step") == 0) {
            if (abConfPolicyParseStep(cur, def, domname, error) < 0)
                return -1;
            continue;
        }

        if (strcmp(name, "floor") == 0)
            size = &def->floor;
        else if (strcmp(name, "ceiling") == 0)
            size = &def->ceiling;
        else if (strcmp(name, "reserve") == 0)
            size = &def->reserve;

        if ((size && size->set) ||
            (strcmp(name, "weight") == 0 && def->weightSet) ||
            (strcmp(name, "cooldown") == 0 && def->cooldown.set)) {
            abConfSetError(error, AB_ERROR_INVALID, domname,
                           "%s<%s>: duplicate element: a policy has one <%s>",
                           where, name, name);
            return -1;
        }

        if (size) {
            if (abConfCheckAttrs(cur, unitAttr, domname, error) < 0 ||
                abConfParseSize(cur, size, true, domname, error) < 0)
                return -1;
        } else if (strcmp(name, "weight") == 0) {
            unsigned long long weight;

            if (abConfCheckAttrs(cur, noAttrs, domname, error) < 0 ||
                abConfParseUInt(cur, AB_POLICY_WEIGHT_MIN, AB_POLICY_WEIGHT_MAX, &weight,
                                domname, error) < 0)
                return -1;
            def->weightSet = true;
            def->weight = weight;
        } else if (abConfPolicyParseCooldown(cur, def, domname, error) < 0) {
            return -1;
        }
    }
    return 0;
}

int
abConfPolicyParseNode(xmlNodePtr node, abConfPolicy *def, GError **error)
{
    static const char *const noAttrs[] = { NULL };
    g_autofree char *domname = abXmlDomainName(node ? node->doc : NULL);

    if (!abXmlNodeIs(node, "autoballoon", NULL)) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "expected an <autoballoon> element, got <%s>",
                       node ? (const char *)node->name : "(none)");
        return -1;
    }
    if (abConfCheckAttrs(node, noAttrs, domname, error) < 0)
        return -1;
    def->hasElement = true;
    return abConfPolicyParseChildren(node, def, NULL, domname, "<autoballoon>", error);
}

static void
abConfFormatSize(xmlNodePtr parent, xmlNsPtr ns, const char *name,
                 const abConfSize *size, const char *level)
{
    g_autofree char *text = NULL;
    xmlNodePtr node;

    if (!size->set)
        return;
    /* a size set from KiB alone (value 0, no unit) is written in KiB */
    if (size->percent)
        text = abSizePercentFormat(size->percent);
    else if (size->value == 0 && size->kib != 0 && !size->unit)
        text = g_strdup_printf("%llu", size->kib);
    else
        text = g_strdup_printf("%llu", size->value);
    node = xmlNewChild(parent, ns, BAD_CAST name, BAD_CAST text);
    if (level)
        xmlNewProp(node, BAD_CAST "level", BAD_CAST level);
    if (size->unit)
        xmlNewProp(node, BAD_CAST "unit", BAD_CAST size->unit);
}

void
abConfPolicyFormatChildren(const abConfPolicy *def, xmlNodePtr parent, xmlNsPtr ns)
{
    abConfFormatSize(parent, ns, "floor", &def->floor, NULL);
    abConfFormatSize(parent, ns, "ceiling", &def->ceiling, NULL);
    abConfFormatSize(parent, ns, "reserve", &def->reserve, NULL);
    for (int lvl = AB_LEVEL_LOW; lvl < AB_LEVEL_LAST; lvl++)
        abConfFormatSize(parent, ns, "step", &def->step[lvl], abLevelToString(lvl));
    if (def->weightSet) {
        g_autofree char *text = g_strdup_printf("%u", def->weight);

        xmlNewChild(parent, ns, BAD_CAST "weight", BAD_CAST text);
    }
    if (def->cooldown.set) {
        g_autofree char *text = g_strdup_printf("%llu", def->cooldown.value);
        xmlNodePtr node = xmlNewChild(parent, ns, BAD_CAST "cooldown", BAD_CAST text);

        if (def->cooldown.unit)
            xmlNewProp(node, BAD_CAST "unit", BAD_CAST def->cooldown.unit);
    }
}

xmlNodePtr
abConfPolicyFormatNode(const abConfPolicy *def, xmlNsPtr ns)
{
    xmlNodePtr node = xmlNewNode(ns, BAD_CAST "autoballoon");

    abConfPolicyFormatChildren(def, node, ns);
    return node;
}

static int
abConfValidateSizeMin(const abConfSize *size, const char *name,
                      unsigned long long memoryKiB, const char *domname, GError **error)
{
    g_autofree char *written = NULL;

    /* a percentage is checked once <memory> is known */
    if (!size->set || (size->percent && !memoryKiB) ||
        abConfSizeKiB(size, memoryKiB) >= AB_POLICY_FLOOR_MIN_KIB)
        return 0;
    written = abConfSizeWritten(size);
    abConfSetError(error, AB_ERROR_INVALID, domname,
                   "<autoballoon> %s %s is below the minimum of %llu KiB (32 MiB): "
                   "a Linux guest with virtio drivers needs about that much to stay alive",
                   name, written, AB_POLICY_FLOOR_MIN_KIB);
    return -1;
}

int
abConfPolicyValidate(const abConfPolicy *def, const char *domname,
                     unsigned long long memoryKiB, GError **error)
{
    unsigned long long ceilingKiB;

    unsigned long long floorKiB = abConfSizeKiB(&def->floor, memoryKiB);
    unsigned long long ceilKiB = abConfSizeKiB(&def->ceiling, memoryKiB);
    unsigned long long reserveKiB = abConfSizeKiB(&def->reserve, memoryKiB);

    if (abConfValidateSizeMin(&def->floor, "floor", memoryKiB, domname, error) < 0 ||
        abConfValidateSizeMin(&def->ceiling, "ceiling", memoryKiB, domname, error) < 0)
        return -1;

    if (def->ceiling.set && memoryKiB && ceilKiB > memoryKiB) {
        g_autofree char *written = abConfSizeWritten(&def->ceiling);

        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "<autoballoon> ceiling %s is above <memory> (%llu KiB): "
                       "the balloon cannot give a guest more than its maximum",
                       written, memoryKiB);
        return -1;
    }

    ceilingKiB = def->ceiling.set ? ceilKiB : memoryKiB;
    if (def->floor.set && ceilingKiB && floorKiB > ceilingKiB &&
        (!def->floor.percent || memoryKiB)) {
        g_autofree char *written = abConfSizeWritten(&def->floor);
        g_autofree char *ceilingWritten = abConfSizeWritten(&def->ceiling);
        g_autofree char *ceiling = def->ceiling.set ?
            g_strdup_printf("ceiling %s", ceilingWritten) :
            g_strdup_printf("ceiling's default, <memory> (%llu KiB)", ceilingKiB);

        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "<autoballoon> floor %s is above the %s: "
                       "no balloon size would satisfy both",
                       written, ceiling);
        return -1;
    }

    if (def->reserve.set && memoryKiB && reserveKiB > memoryKiB) {
        g_autofree char *written = abConfSizeWritten(&def->reserve);

        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "<autoballoon> reserve %s is above <memory> (%llu KiB): "
                       "the guest could never be ballooned",
                       written, memoryKiB);
        return -1;
    }

    for (int lvl = AB_LEVEL_LOW; lvl < AB_LEVEL_LAST; lvl++) {
        const abConfSize *step = &def->step[lvl];
        g_autofree char *written = NULL;

        if (!step->set)
            continue;
        written = abConfSizeWritten(step);
        if (step->kib == 0) {
            abConfSetError(error, AB_ERROR_INVALID, domname,
                           "<autoballoon> step level='%s' is %s: a step must be at least 1 KiB, "
                           "or the balloon never moves at that level",
                           abLevelToString(lvl), written);
            return -1;
        }
        if (step->kib > AB_POLICY_STEP_MAX_KIB) {
            abConfSetError(error, AB_ERROR_INVALID, domname,
                           "<autoballoon> step level='%s' %s is above the maximum of %llu KiB (64 GiB)",
                           abLevelToString(lvl), written, AB_POLICY_STEP_MAX_KIB);
            return -1;
        }
        if (memoryKiB && step->kib > memoryKiB) {
            abConfSetError(error, AB_ERROR_INVALID, domname,
                           "<autoballoon> step level='%s' %s is above <memory> (%llu KiB): "
                           "one step would take more than the whole guest",
                           abLevelToString(lvl), written, memoryKiB);
            return -1;
        }
    }

    if (def->weightSet &&
        (def->weight < AB_POLICY_WEIGHT_MIN || def->weight > AB_POLICY_WEIGHT_MAX)) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "<autoballoon> weight %u is out of range %d..%d",
                       def->weight, AB_POLICY_WEIGHT_MIN, AB_POLICY_WEIGHT_MAX);
        return -1;
    }

    if (def->cooldown.set && def->cooldown.value > AB_POLICY_COOLDOWN_MAX_S) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "<autoballoon> cooldown %llu s is above the maximum of %d s (one day)",
                       def->cooldown.value, AB_POLICY_COOLDOWN_MAX_S);
        return -1;
    }
    return 0;
}

void
abConfPolicyResolve(const abConfPolicy *def, unsigned long long maxKiB,
                    abPolicyParams *params)
{
    abPolicyParamsDefaults(params, maxKiB);
    if (!def)
        return;
    params->enabled = def->enabled;
    if (def->ceiling.set)
        params->ceilingKiB = abConfSizeKiB(&def->ceiling, maxKiB);
    if (def->floor.set)
        params->floorKiB = abConfSizeKiB(&def->floor, maxKiB);
    else if (params->floorKiB > params->ceilingKiB)
        params->floorKiB = params->ceilingKiB;   /* default floor never above a low ceiling */
    if (def->reserve.set)
        params->reserveKiB = abConfSizeKiB(&def->reserve, maxKiB);
    for (int lvl = AB_LEVEL_LOW; lvl < AB_LEVEL_LAST; lvl++) {
        if (def->step[lvl].set)
            params->stepKiB[lvl] = def->step[lvl].kib;
    }
    if (def->weightSet)
        params->weight = def->weight;
    if (def->cooldown.set)
        params->cooldownSec = def->cooldown.value;
}

/* ---- metadata form ---------------------------------------------------- */

static bool
abConfPolicyHasFields(const abConfPolicy *def)
{
    bool any = def->floor.set || def->ceiling.set || def->reserve.set ||
        def->weightSet || def->cooldown.set;

    for (int lvl = AB_LEVEL_LOW; lvl < AB_LEVEL_LAST; lvl++)
        any |= def->step[lvl].set;
    return any;
}

xmlNodePtr
abConfPolicyMetadataNode(const abConfPolicy *def, const abConfAdded *added)
{
    xmlNodePtr node = xmlNewNode(NULL, BAD_CAST "policy");
    xmlNsPtr ns = xmlNewNs(node, BAD_CAST AB_NS_POLICY_URI, BAD_CAST AB_NS_POLICY_PREFIX);

    xmlSetNs(node, ns);
    xmlNewProp(node, BAD_CAST "state", BAD_CAST (def->enabled ? "on" : "off"));
    if (def->backend != AB_CONF_BACKEND_BALLOON) {
        g_autofree char *device = g_strdup_printf("%u", def->device);

        xmlNewProp(node, BAD_CAST "backend", BAD_CAST abConfBackendToString(def->backend));
        xmlNewProp(node, BAD_CAST "device", BAD_CAST device);
    }
    if (!def->hasElement && !abConfPolicyHasFields(def))
        xmlNewProp(node, BAD_CAST "element", BAD_CAST "no");
    abConfPolicyFormatChildren(def, node, ns);

    if (added && (added->autodeflate || added->stats || added->metadata)) {
        xmlNodePtr rec = xmlNewChild(node, ns, BAD_CAST "added", NULL);

        if (added->autodeflate)
            xmlNewProp(rec, BAD_CAST "autodeflate", BAD_CAST "on");
        if (added->stats) {
            g_autofree char *period = g_strdup_printf("%u", added->period);

            xmlNewProp(rec, BAD_CAST "stats",
                       BAD_CAST abConfAddedStatsToString(added->stats));
            xmlNewProp(rec, BAD_CAST "period", BAD_CAST period);
        }
        if (added->metadata)
            xmlNewProp(rec, BAD_CAST "metadata", BAD_CAST "yes");
    }
    return node;
}

static int
abConfParseAdded(xmlNodePtr node, abConfAdded *added, const char *domname,
                 GError **error)
{
    static const char *const attrs[] = { "autodeflate", "stats", "period", "metadata", NULL };
    const char *where = AB_CONF_POLICY_METADATA;
    g_autofree char *autodeflate = abXmlProp(node, "autodeflate");
    g_autofree char *stats = abXmlProp(node, "stats");
    g_autofree char *period = abXmlProp(node, "period");
    g_autofree char *metadata = abXmlProp(node, "metadata");

    if (abConfCheckAttrs(node, attrs, domname, error) < 0)
        return -1;
    memset(added, 0, sizeof(*added));
    if (autodeflate && strcmp(autodeflate, "on") != 0)
        goto invalid;
    added->autodeflate = autodeflate != NULL;
    if (stats) {
        char *end = NULL;
        int kind = abConfAddedStatsFromString(stats);

        /* "none" is never written: a record without stats says that */
        if (kind <= AB_CONF_ADDED_STATS_NONE)
            goto invalid;
        added->stats = kind;
        if (!period || !g_ascii_isdigit(period[0]))
            goto invalid;
        added->period = strtoul(period, &end, 10);
        if (*end || added->period == 0)
            goto invalid;
    }
    if (metadata && strcmp(metadata, "yes") != 0)
        goto invalid;
    added->metadata = metadata != NULL;
    return 0;

 invalid:
    abConfSetError(error, AB_ERROR_INVALID, domname,
                   "%s<added autodeflate='%s' stats='%s' period='%s' metadata='%s'>: invalid record",
                   where, autodeflate ? autodeflate : "", stats ? stats : "",
                   period ? period : "", metadata ? metadata : "");
    return -1;
}

static const char *
abConfBackendName(int backend)
{
    return abConfBackendToString(backend);
}

/* backend='virtio-mem' device='N'; neither for the balloon. The device
 * index is bounded by what a domain can have (libvirt's memory slots). */
static int
abConfPolicyParseBackend(xmlNodePtr node, abConfPolicy *def, GError **error)
{
    unsigned long long device = 0;
    int backend = AB_CONF_BACKEND_BALLOON;
    int rc;

    if ((rc = abXmlPropEnum(node, "backend", abConfBackendName, AB_CONF_BACKEND_VIRTIO_MEM,
                            AB_CONF_BACKEND_LAST, 0, &backend, error)) < 0 ||
        abXmlPropUInt(node, "device", 0, 1024, rc > 0 ? AB_XML_REQUIRED : 0,
                      &device, error) < 0)
        return -1;
    if (rc == 0 && xmlHasProp(node, BAD_CAST "device")) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "<policy>: device needs backend='virtio-mem'");
        return -1;
    }
    def->backend = backend;
    def->device = device;
    return 0;
}

abConfPolicy *
abConfPolicyParseMetadataNode(xmlNodePtr node, const char *domname,
                              abConfAdded *added, GError **error)
{
    static const char *const attrs[] = { "state", "element", "backend", "device", NULL };
    static const char *const yesno[] = { "yes", "no", NULL };
    const char *where = AB_CONF_POLICY_METADATA;
    g_autoptr(abConfPolicy) def = abConfPolicyNew();
    g_autofree char *element = NULL;
    g_autoptr(GError) err = NULL;
    xmlNodePtr rec = NULL;

    if (added)
        memset(added, 0, sizeof(*added));
    /* virDomainGetMetadata returns the element without its namespace */
    if (!abConfNodeIsOurs(node, "policy", AB_NS_POLICY_URI)) {
        abConfSetError(error, AB_ERROR_INVALID, domname,
                       "%s: expected <policy xmlns='%s'>, got <%s>%s%s",
                       where, AB_NS_POLICY_URI, node ? (const char *)node->name : "(none)",
                       node && node->ns ? " in namespace " : "",
                       node && node->ns ? (const char *)node->ns->href : "");
        return NULL;
    }
    if (abConfCheckAttrs(node, attrs, domname, error) < 0)
        return NULL;
    if (abXmlPropOnOff(node, "state", AB_XML_REQUIRED, &def->enabled, &err) < 0 ||
        abXmlPropChoice(node, "element", yesno, 0, &element, &err) < 0 ||
        abConfPolicyParseBackend(node, def, &err) < 0) {
        abConfPropagate(error, g_steal_pointer(&err), domname);
        return NULL;
    }

    /* the translation record is not part of the policy: set it aside
     * while the children are parsed, then put it back */
    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        if (abConfNodeIsOurs(cur, "added", AB_NS_POLICY_URI))
            rec = cur;
    }
    if (rec) {
        abConfAdded dummy;

        if (abConfParseAdded(rec, added ? added : &dummy, domname, error) < 0)
            return NULL;
        xmlUnlinkNode(rec);
    }
    if (abConfPolicyParseChildren(node, def, AB_NS_POLICY_URI, domname, where, error) < 0) {
        if (rec)
            xmlAddChild(node, rec);
        return NULL;
    }
    if (rec)
        xmlAddChild(node, rec);
    def->hasElement = !(element && strcmp(element, "no") == 0) || abConfPolicyHasFields(def);
    if (abConfPolicyValidate(def, domname, 0, error) < 0)
        return NULL;
    return g_steal_pointer(&def);
}

abConfPolicy *
abConfPolicyParseMetadata(const char *xml, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    abConfPolicy *def;
    abConfAdded added;

    if (!(doc = abXmlParse(xml, "autoballoon policy metadata", error)) ||
        !(def = abConfPolicyParseMetadataNode(xmlDocGetRootElement(doc), NULL, &added, error)))
        return NULL;
    if (added.autodeflate || added.stats || added.metadata)
        def->added = g_memdup2(&added, sizeof(added));
    return def;
}

char *
abConfPolicyFormatMetadata(const abConfPolicy *def)
{
    xmlNodePtr node = abConfPolicyMetadataNode(def, NULL);
    char *ret = abXmlFormatUnqualified(node);

    xmlFreeNode(node);
    return ret;
}
