/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-conf-priv.h: helpers shared by the conf sources, not part of the API */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <libxml/tree.h>

#include "ab-enum.h"
#include "ab-conf.h"
#include "ab-xml.h"

/* What the extended -> native translation added to the domain, recorded in
 * the policy metadata so that the way back removes exactly that:
 * AB_CONF_ADDED_STATS_NONE (0) ..; the names are those of the
 * <added stats='...'> record. */
#define AB_CONF_ADDED_STATS_LIST(X, P) \
    X(P, NONE, "none") \
    X(P, ELEMENT, "element")    /* a whole <stats period='2'/> */ \
    X(P, PERIOD, "period")      /* the period attribute of a <stats/> */

AB_ENUM_TYPEDEF(abConfAddedStats, AB_CONF_ADDED_STATS_, AB_CONF_ADDED_STATS_LIST);

typedef struct _abConfAdded abConfAdded;
struct _abConfAdded {
    bool autodeflate;
    abConfAddedStats stats;
    unsigned int period;             /* the period added */
    bool metadata;                   /* <metadata> was created */
};

void abConfSetError(GError **error, int code, const char *domname,
                    const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Prefix an error from a lower layer with the domain name. */
void abConfPropagate(GError **error, GError *src, const char *domname);

/* Element in no namespace, or (when @nsuri is given) in @nsuri. */
bool abConfNodeIsOurs(xmlNodePtr node, const char *name, const char *nsuri);

/* Policy children parse/format shared by the extended element and the
 * metadata element; @nsuri is the namespace children may also be in. */
int abConfPolicyParseChildren(xmlNodePtr node, abConfPolicy *def,
                              const char *nsuri, const char *domname,
                              const char *where, GError **error);
void abConfPolicyFormatChildren(const abConfPolicy *def, xmlNodePtr parent,
                                xmlNsPtr ns);

/* The metadata element, with the translation record when @added is given. */
xmlNodePtr abConfPolicyMetadataNode(const abConfPolicy *def,
                                    const abConfAdded *added);
/* Parse the metadata element (by namespace URI; libvirt may strip it). */
abConfPolicy *abConfPolicyParseMetadataNode(xmlNodePtr node,
                                            const char *domname,
                                            abConfAdded *added,
                                            GError **error);

/* ab-conf-virtiomem.c */
/* The @index-th <memory model='virtio-mem'> of @devices, or NULL. */
xmlNodePtr abConfVirtioMemNth(xmlNodePtr devices, unsigned int index);
/* The <memory> of @devices with an autoballoon attribute or child (NULL:
 * none) and its index among the virtio-mem devices; -1 when there are
 * two, or when it is not virtio-mem. */
int abConfVirtioMemFindManaged(xmlNodePtr devices, const char *domname,
                               xmlNodePtr *mem, unsigned int *index,
                               GError **error);
/* What an enabled policy on virtio-mem @mem needs of the domain @root. */
int abConfVirtioMemCheckEnabled(xmlNodePtr root, xmlNodePtr mem,
                                xmlNodePtr balloon, const char *domname,
                                GError **error);
