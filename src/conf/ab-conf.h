/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-conf.h: the autoballoon policy as written in domain XML, its parse and
 * format, validation, and the extended <-> libvirt-native translation.
 *
 * Extended XML (what users write):
 *   <memballoon model='virtio' autoballoon='on'>
 *     <stats period='2'/>
 *     <autoballoon>
 *       <floor unit='MiB'>512</floor> <ceiling unit='MiB'>2048</ceiling>
 *       <reserve unit='MiB'>128</reserve>
 *       <step level='low|medium|critical' unit='MiB'>16</step>
 *       <weight>100</weight> <cooldown unit='s'>60</cooldown>
 *     </autoballoon>
 *   </memballoon>
 * Native XML (what libvirt stores): the same domain without the attribute
 * and child, with autodeflate='on' and <stats period='2'/> added where the
 * user did not set them, and the policy in <metadata> under
 * AB_NS_POLICY_URI, recording what was added so that the way back is exact.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <libxml/tree.h>

#include "ab-enum.h"
#include "ab-level.h"
#include "ab-status.h"
#include "ab-policy.h"

typedef struct {
    bool set;
    unsigned long long value;   /* as written */
    char *unit;                 /* as written; NULL when no unit attribute */
    unsigned long long kib;     /* effective size; 0 for a percentage */
    unsigned int percent;       /* unit '%': hundredths of a percent of
                                 * <memory> (abSizePercentParse); 0: none */
} abConfSize;

/* The KiB @size means for a guest of @memoryKiB (a percentage scales). */
unsigned long long abConfSizeKiB(const abConfSize *size, unsigned long long memoryKiB);

typedef struct {
    bool set;
    unsigned long long value;
    char *unit;                 /* NULL or "s" */
} abConfSeconds;

/* The device a policy drives: a domain has one managed backend
 * (docs/xml.md, docs/virtio-mem.md). AB_CONF_BACKEND_BALLOON (0) .. */
#define AB_CONF_BACKEND_LIST(X, P) \
    X(P, BALLOON, "balloon")          /* <memballoon model='virtio'> */ \
    X(P, VIRTIO_MEM, "virtio-mem")    /* <memory model='virtio-mem'> */

AB_ENUM_TYPEDEF(abConfBackend, AB_CONF_BACKEND_, AB_CONF_BACKEND_LIST);

typedef struct _abConfPolicy abConfPolicy;
struct _abConfPolicy {
    bool enabled;               /* autoballoon='on' */
    abConfBackend backend;      /* the element that carried autoballoon= */
    unsigned int device;        /* virtio-mem: index among the domain's
                                 * <memory model='virtio-mem'> devices */
    bool hasElement;            /* the <autoballoon> child was present */
    abConfSize floor;
    abConfSize ceiling;
    abConfSize reserve;
    abConfSize step[AB_LEVEL_LAST];   /* LOW..CRITICAL used */
    bool weightSet;
    unsigned int weight;
    abConfSeconds cooldown;
    /* conf's own: what define added to the domain, read from the stored
     * policy and written back by abConfPolicyFormatStored */
    struct _abConfAdded *added;
};

/* The stats period the translation adds when autoballoon='on' and the user
 * set none: the policy engine needs fresh guest stats. */
#define AB_CONF_STATS_PERIOD 2

/* Set @size as if written "<x unit='@unit'>@value</x>" (@unit NULL: KiB). */
int abConfSizeSet(abConfSize *size, unsigned long long value,
                  const char *unit, GError **error);

abConfPolicy *abConfPolicyNew(void);
void abConfPolicyFree(abConfPolicy *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abConfPolicy, abConfPolicyFree)

/* Parse the <autoballoon> policy element (extended form, no namespace) into
 * @def (which keeps @def->enabled). -1 with @error naming field and value. */
int abConfPolicyParseNode(xmlNodePtr node, abConfPolicy *def, GError **error);

/* Format the policy children into a new <autoballoon> element in namespace
 * @ns (NULL: none). */
xmlNodePtr abConfPolicyFormatNode(const abConfPolicy *def, xmlNsPtr ns);

/* Check the policy against itself and the domain: @domname for messages,
 * @memoryKiB the domain's <memory>. */
int abConfPolicyValidate(const abConfPolicy *def, const char *domname,
                         unsigned long long memoryKiB, GError **error);

/* The policy metadata element (AB_NS_POLICY_URI) as libvirt returns it from
 * virDomainGetMetadata, and as virDomainSetMetadata takes it: unqualified
 * (libvirt adds the namespace from its key/uri arguments itself). The
 * injected and status Format functions below give that form too. */
abConfPolicy *abConfPolicyParseMetadata(const char *xml, GError **error);
char *abConfPolicyFormatMetadata(const abConfPolicy *def);

/* The policy metadata that replaces the stored one @def was parsed from
 * (abConfPolicyParseMetadata): abConfPolicyFormatMetadata plus conf's
 * record of what define added to the domain, so that dumpxml
 * --autoballoon still takes out exactly that. */
char *abConfPolicyFormatStored(const abConfPolicy *def);

/* A size set from KiB, written in the largest unit that divides it. */
void abConfSizeSetKiB(abConfSize *size, unsigned long long kib);

/* The sizes a change can set, in abConfPolicy's order. */
typedef enum {
    AB_CONF_POLICY_FLOOR,
    AB_CONF_POLICY_CEILING,
    AB_CONF_POLICY_RESERVE,
    AB_CONF_POLICY_STEP_LOW,
    AB_CONF_POLICY_STEP_MEDIUM,
    AB_CONF_POLICY_STEP_CRITICAL,

    AB_CONF_POLICY_SIZE_LAST
} abConfPolicySizeField;

abConfSize *abConfPolicySize(abConfPolicy *def, abConfPolicySizeField field);

/* A change to a stored policy, as balloon-policy takes it. */
typedef struct {
    int enable;                 /* -1 unchanged, 0 off, 1 on */
    bool sizeSet[AB_CONF_POLICY_SIZE_LAST];
    unsigned long long sizeKiB[AB_CONF_POLICY_SIZE_LAST];
    unsigned int sizePercent[AB_CONF_POLICY_SIZE_LAST];  /* floor, ceiling, reserve:
                                                           * a percentage instead */
    bool weightSet;
    unsigned int weight;
    bool cooldownSet;
    unsigned int cooldown;      /* seconds */
} abConfPolicyChange;

/* Apply @chg to @def (validate afterwards with abConfPolicyValidate). */
void abConfPolicyApply(abConfPolicy *def, const abConfPolicyChange *chg);

/* @base (the daemon's [policy] defaults) under the domain's own settings
 * @def (NULL: none) into @out, which borrows from both and is only read. */
void abConfPolicyMerge(const abConfPolicy *base, const abConfPolicy *def,
                       abConfPolicy *out);

/* Effective parameters: defaults for a guest of @maxKiB, overridden by what
 * @def sets. @def may be NULL (all defaults, disabled). */
void abConfPolicyResolve(const abConfPolicy *def, unsigned long long maxKiB,
                         abPolicyParams *params);

/* Whole-document translation, in place on a tree from abXmlParse. Both
 * validate (the policy, the balloon model, the memory backing, VFIO host
 * devices). 1 when @doc was changed, 0 when it holds nothing of ours (it
 * is left as it is), -1 with @error. */
int abConfExtendedToNativeDoc(xmlDocPtr doc, GError **error);
int abConfNativeToExtendedDoc(xmlDocPtr doc, GError **error);
/* Every check abConfExtendedToNativeDoc makes, without changing @doc: what
 * the tools run before the schema, so that a refusal names the field. */
int abConfExtendedCheckDoc(xmlDocPtr doc, GError **error);
/* The same on strings; a document with nothing of ours comes back as it
 * went in, byte for byte. */
char *abConfExtendedToNative(const char *xml, GError **error);
char *abConfNativeToExtended(const char *xml, GError **error);

/* Whether the domain @xml (native or extended) can carry @def: it has a
 * <memballoon>, and when @def is enabled a virtio one, no huge pages or
 * locked memory and no VFIO device; the policy fits its <memory>. For the
 * tools that set a policy on an existing domain. */
int abConfDomainCheck(const char *xml, const abConfPolicy *def, GError **error);
int abConfDomainCheckDoc(xmlDocPtr doc, const abConfPolicy *def, GError **error);

/* Injected pressure (AB_NS_PRESSURE_URI), written by
 * balloon-inject-pressure into live metadata:
 *   <abpressure:pressure level='medium' expires='1763900000'/>
 * expires is seconds since the epoch, 0 for never. */
typedef struct {
    abLevel level;
    gint64 expires;
} abConfInjected;

int abConfInjectedParse(const char *xml, abConfInjected *inj, GError **error);
char *abConfInjectedFormat(const abConfInjected *inj);

/* The daemon's status (AB_NS_STATUS_URI), in live metadata:
 *   <abstatus:status level='medium' source='psi' target='...' actual='...'
 *                    usable='...' action='inflate' reason='host-pressure' [error='...']
 *                    time='1763900000'/>
 * sizes in KiB, time in seconds since the epoch. */
/* Status written for a balloon that QEMU inflates itself (its automatic
 * property, src/qemu): the pressure came from QEMU's monitor, and no engine
 * reason applies. */
#define AB_CONF_STATUS_REASON_QEMU "qemu-automatic"
/* Metadata a client wrote that the daemon cannot read: the policy (the
 * guest keeps its last valid one, none: not managed) or injected pressure
 * (ignored). The status's error attribute says what is wrong. */
#define AB_CONF_STATUS_REASON_BAD_POLICY "bad-policy"
#define AB_CONF_STATUS_REASON_BAD_PRESSURE "bad-pressure"
/* The longest error attribute the daemon writes (bytes): a bad value can be
 * as large as a client made it. */
#define AB_CONF_STATUS_ERROR_MAX 256

typedef struct {
    abLevel level;
    abStatusSource source;
    unsigned long long targetKiB;
    unsigned long long actualKiB;
    unsigned long long usableKiB;   /* 0: unknown */
    abStatusAction action;
    char *reason;               /* abPolicyReasonToString, or AB_CONF_STATUS_REASON_* */
    char *error;                /* bad metadata: the field and value; NULL: none */
    bool unresponsive;
    gint64 time;
} abConfStatus;

void abConfStatusClear(abConfStatus *st);
int abConfStatusParse(const char *xml, abConfStatus *st, GError **error);
char *abConfStatusFormat(const abConfStatus *st);

/* The virtio-mem device a policy with backend virtio-mem drives, as the
 * domain's (live) XML has it; sizes in KiB. */
typedef struct {
    unsigned long long memoryKiB;    /* the domain's <memory>: boot + devices */
    unsigned long long sizeKiB;      /* <target><size>: the most it plugs */
    unsigned long long blockKiB;     /* <block>; 0 when absent */
    unsigned long long requestedKiB; /* <requested> */
    unsigned long long currentKiB;   /* <current>: what the guest has plugged */
    bool hasCurrent;
    char *alias;                     /* NULL in an inactive definition */
    char *xml;                       /* the <memory> element */
} abConfVirtioMem;

void abConfVirtioMemClear(abConfVirtioMem *dev);
/* The <memory model='virtio-mem'> of the extended domain @root that
 * carries autoballoon= (or an <autoballoon> child), and its index among
 * the virtio-mem devices; NULL when there is none, or when the document
 * is one the translation refuses (it says why). */
xmlNodePtr abConfVirtioMemManaged(xmlNodePtr root, unsigned int *index);
/* The @index-th <memory model='virtio-mem'> of the domain @xml. */
int abConfVirtioMemFromDomain(const char *xml, unsigned int index,
                              abConfVirtioMem *dev, GError **error);
/* @dev's element with <requested> set to @requestedKiB: the argument of
 * virDomainUpdateDeviceFlags. */
char *abConfVirtioMemRequestXML(const abConfVirtioMem *dev,
                                unsigned long long requestedKiB, GError **error);
