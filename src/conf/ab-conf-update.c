/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Changes to a stored policy: what balloon-policy sets, the daemon's
 * defaults under a domain's own settings, and the record of what define
 * added to the domain, which every update keeps. */
#include "ab-conf-priv.h"
#include "ab-size.h"

#include <string.h>

void
abConfSizeSetKiB(abConfSize *size, unsigned long long kib)
{
    const char *unit = "KiB";

    g_free(size->unit);
    size->set = true;
    /* readable in the XML: 512 MiB, not 524288 (and 0 KiB, not 0 bytes) */
    size->value = kib ? abSizeExact(kib * 1024, &unit) : 0;
    size->unit = g_strdup(unit);
    size->kib = kib;
    size->percent = 0;
}

abConfSize *
abConfPolicySize(abConfPolicy *def, abConfPolicySizeField field)
{
    switch (field) {
    case AB_CONF_POLICY_FLOOR: return &def->floor;
    case AB_CONF_POLICY_CEILING: return &def->ceiling;
    case AB_CONF_POLICY_RESERVE: return &def->reserve;
    case AB_CONF_POLICY_STEP_LOW: return &def->step[AB_LEVEL_LOW];
    case AB_CONF_POLICY_STEP_MEDIUM: return &def->step[AB_LEVEL_MEDIUM];
    case AB_CONF_POLICY_STEP_CRITICAL:
    case AB_CONF_POLICY_SIZE_LAST:
        break;
    }
    return &def->step[AB_LEVEL_CRITICAL];
}

void
abConfPolicyApply(abConfPolicy *def, const abConfPolicyChange *chg)
{
    if (chg->enable >= 0)
        def->enabled = chg->enable;
    for (int i = 0; i < AB_CONF_POLICY_SIZE_LAST; i++) {
        if (!chg->sizeSet[i])
            continue;
        if (chg->sizePercent[i]) {
            abConfSize *size = abConfPolicySize(def, i);

            g_free(size->unit);
            *size = (abConfSize) { .set = true, .unit = g_strdup("%"),
                                   .percent = chg->sizePercent[i] };
        } else {
            abConfSizeSetKiB(abConfPolicySize(def, i), chg->sizeKiB[i]);
        }
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

void
abConfPolicyMerge(const abConfPolicy *base, const abConfPolicy *def,
                  abConfPolicy *out)
{
    *out = *base;
    if (!def)
        return;
    out->enabled = def->enabled;
    out->hasElement = def->hasElement;
    if (def->floor.set)
        out->floor = def->floor;
    if (def->ceiling.set)
        out->ceiling = def->ceiling;
    if (def->reserve.set)
        out->reserve = def->reserve;
    for (int l = 0; l < AB_LEVEL_LAST; l++) {
        if (def->step[l].set)
            out->step[l] = def->step[l];
    }
    if (def->weightSet) {
        out->weightSet = true;
        out->weight = def->weight;
    }
    if (def->cooldown.set)
        out->cooldown = def->cooldown;
}

char *
abConfPolicyFormatStored(const abConfPolicy *def)
{
    xmlNodePtr node = abConfPolicyMetadataNode(def, def->added);
    char *ret = abXmlFormatUnqualified(node);

    xmlFreeNode(node);
    return ret;
}
