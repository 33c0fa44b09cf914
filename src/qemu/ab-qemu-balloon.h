/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-qemu-balloon.h: balloon device options for the QEMU binary that will
 * run a domain, emitted on the libvirt-native domain XML.
 *
 * Order: extended XML -> abConfExtendedToNative -> abQemuBalloonEmit ->
 * virDomainDefineXML; and back: abQemuBalloonStrip -> abConfNativeToExtended.
 * What the user wrote (the request) is read from the extended XML, because
 * the native one no longer tells an implied autodeflate from a written one.
 *
 * With autoballoon='on':
 *  - a binary with an automatic-ballooning property (`automatic`, else
 *    `auto-balloon`) gets it set to true through libvirt's <qemu:override>
 *    (libvirt >= 8.2) on the balloon's alias, and QEMU does the inflating:
 *    the daemon sets no targets for such a guest (it leaves the tick) and
 *    only publishes the status QEMU's monitor events give;
 *  - free-page-reporting is turned on where the binary has it, unless the
 *    user set freePageReporting;
 *  - an implied autodeflate or stats period the binary cannot honour is
 *    dropped.
 * A property the user asked for and the binary lacks is an error.
 * Everything this step adds or drops is recorded in one metadata element
 *   <abqemu:balloon xmlns:abqemu='AB_QEMU_NS_URI' binary='...' inflater='qemu'
 *                   override='automatic' override-alias='balloon0'
 *                   override-added='override' override-ns='added'
 *                   free-page-reporting='added' dropped='autodeflate stats-period'
 *                   stats-period='2'/>
 * so that abQemuBalloonStrip removes exactly that, and the daemon can read
 * who inflates from a defined domain.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <libxml/tree.h>

#include "ab-namespace.h"
#include "ab-qemu-caps.h"

#define AB_QEMU_LIBVIRT_NS_URI "http://libvirt.org/schemas/domain/qemu/1.0"
/* libvirt's alias for the first (only) balloon device */
#define AB_QEMU_BALLOON_ALIAS "balloon0"

/* AB_QEMU_INFLATER_DAEMON (0) .. AB_QEMU_INFLATER_QEMU */
#define AB_QEMU_INFLATER_LIST(X, P) \
    X(P, DAEMON, "daemon")    /* autoballoond sets the targets */ \
    X(P, QEMU, "qemu")        /* QEMU's automatic property inflates */

AB_ENUM_TYPEDEF(abQemuInflater, AB_QEMU_INFLATER_, AB_QEMU_INFLATER_LIST);

typedef enum {
    AB_QEMU_SWITCH_ABSENT,
    AB_QEMU_SWITCH_ON,
    AB_QEMU_SWITCH_OFF,

    AB_QEMU_SWITCH_LAST
} abQemuSwitch;

/* What the user wrote on <memballoon> in the extended XML. */
typedef struct {
    bool autoballoon;               /* autoballoon='on' */
    abQemuSwitch autodeflate;
    abQemuSwitch freePageReporting;
    bool statsPeriod;               /* <stats period='N'/> with N > 0 */
} abQemuBalloonRequest;

/* Read the request from the extended domain @doc. A domain without a
 * <memballoon> gives an empty request. */
int abQemuBalloonRequestParse(xmlDocPtr doc, abQemuBalloonRequest *req,
                              GError **error);

typedef struct {
    abQemuInflater inflater;
    guint added;        /* AB_QEMU_CAP_FLAG bits this step turned on */
    guint dropped;      /* implied ones dropped: the binary lacks them */
} abQemuBalloonResult;

/* Emit on the native domain @doc for the binary described by @caps. -1
 * with AB_ERROR_UNSUPPORTED naming the domain, the attribute and the
 * binary when the user asked for a property the binary lacks; @doc is
 * then unchanged. Emitting twice is an error (strip first). */
int abQemuBalloonEmit(xmlDocPtr doc, const abQemuBalloonRequest *req,
                      const abQemuCaps *caps, abQemuBalloonResult *res,
                      GError **error);

/* Undo what abQemuBalloonEmit recorded in @doc, leaving anything the user
 * changed since. A domain without the record is left alone. */
int abQemuBalloonStrip(xmlDocPtr doc, GError **error);

/* Who inflates a domain, from its native XML (e.g. virDomainGetXMLDesc):
 * the record, else DAEMON. */
abQemuInflater abQemuBalloonInflater(xmlDocPtr doc);

/* The whole way, with the conf module, in place on a tree from
 * abXmlParse: the request, abConfExtendedToNativeDoc, then
 * abQemuBalloonEmit (skipped when @caps is NULL: the binary cannot be
 * asked); and back: abQemuBalloonStrip then abConfNativeToExtendedDoc.
 * What tools run before virDomainDefineXML and after virDomainGetXMLDesc.
 * 1 when @doc changed, 0 when not, -1 with @error. */
int abQemuExtendedToNativeDoc(xmlDocPtr doc, const abQemuCaps *caps,
                              abQemuBalloonResult *res, GError **error);
int abQemuNativeToExtendedDoc(xmlDocPtr doc, GError **error);

/* The same on strings; an untouched document comes back byte for byte
 * (abQemuBalloonStripXML always formats it). */
char *abQemuBalloonStripXML(const char *nativeXml, GError **error);
char *abQemuExtendedToNative(const char *extendedXml, const abQemuCaps *caps,
                             abQemuBalloonResult *res, GError **error);
char *abQemuNativeToExtended(const char *nativeXml, GError **error);
