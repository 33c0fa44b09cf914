/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the conf module: the policy element and its metadata form,
 * resolution into engine parameters, and the status and injected-pressure
 * metadata elements. */
#include "ab-config.h"
#include "ab-conf.h"
#include "ab-namespace.h"
#include "ab-error.h"

#include <libxml/parser.h>
#include <string.h>
#include "testutils.h"

static abConfPolicy *
parsePolicyElement(const char *xml, GError **error)
{
    xmlDocPtr doc = xmlReadMemory(xml, strlen(xml), NULL, NULL, XML_PARSE_NOBLANKS);
    abConfPolicy *def = abConfPolicyNew();

    g_assert_nonnull(doc);
    if (abConfPolicyParseNode(xmlDocGetRootElement(doc), def, error) < 0)
        g_clear_pointer(&def, abConfPolicyFree);
    xmlFreeDoc(doc);
    return def;
}

static char *
formatPolicyElement(const abConfPolicy *def)
{
    xmlNodePtr node = abConfPolicyFormatNode(def, NULL);
    xmlBufferPtr buf = xmlBufferCreate();
    char *ret;

    xmlNodeDump(buf, NULL, node, 0, 0);
    ret = g_strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    xmlFreeNode(node);
    return ret;
}

static const char *fullPolicy =
    "<autoballoon>"
    "<floor unit=\"MiB\">512</floor>"
    "<ceiling unit=\"GB\">2</ceiling>"
    "<reserve>131072</reserve>"
    "<step level=\"low\" unit=\"bytes\">16777216</step>"
    "<step level=\"medium\" unit=\"MiB\">64</step>"
    "<step level=\"critical\" unit=\"MiB\">256</step>"
    "<weight>300</weight>"
    "<cooldown unit=\"s\">45</cooldown>"
    "</autoballoon>";

static void
testPolicyParseFormat(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(abConfPolicy) def = parsePolicyElement(fullPolicy, &err);
    g_autofree char *out = NULL;

    g_assert_no_error(err);
    g_assert_true(def->hasElement);
    g_assert_true(def->floor.set);
    g_assert_cmpuint(def->floor.value, ==, 512);
    g_assert_cmpstr(def->floor.unit, ==, "MiB");
    g_assert_cmpuint(def->floor.kib, ==, 512 * 1024);
    /* GB is a power of 1000: 2e9 bytes, rounded up to KiB like libvirt */
    g_assert_cmpuint(def->ceiling.kib, ==, (2000000000ULL + 1023) / 1024);
    g_assert_null(def->reserve.unit);
    g_assert_cmpuint(def->reserve.kib, ==, 131072);
    g_assert_cmpuint(def->step[AB_LEVEL_LOW].kib, ==, 16384);
    g_assert_false(def->step[AB_LEVEL_NONE].set);
    g_assert_cmpuint(def->weight, ==, 300);
    g_assert_cmpuint(def->cooldown.value, ==, 45);

    out = formatPolicyElement(def);
    g_assert_cmpstr(out, ==, fullPolicy);
}

static void
testPolicyParseErrors(void)
{
    static const struct {
        const char *xml;
        const char *msg;
    } cases[] = {
        { "<autoballoon><floor unit='parsec'>1</floor></autoballoon>", "unknown unit 'parsec'" },
        { "<autoballoon><weight>abc</weight></autoballoon>", "<weight>abc</weight>: weight must be an integer" },
        { "<autoballoon><weight>99999999999</weight></autoballoon>", "<weight>99999999999</weight>: weight must be" },
        { "<autoballoon><step level='none'>1</step></autoballoon>", "<step level='none'>: level must be one of low, medium, critical" },
        { "<autoballoon><floor><b/>1</floor></autoballoon>", "<floor><b>: unexpected element" },
        { "<autoballoon>junk</autoballoon>", "unexpected text 'junk'" },
        { "<autoballoon xmlns:x='urn:x'><x:floor>1</x:floor></autoballoon>", "<autoballoon><x:floor>: unknown element" },
        { "<autoballoon><floor>99999999999999999999</floor></autoballoon>", "<floor>99999999999999999999</floor>: floor must be" },
        { "<autoballoon><floor unit='EiB'>99</floor></autoballoon>", "overflows" },
        { "<policy/>", "expected an <autoballoon> element" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(abConfPolicy) def = parsePolicyElement(cases[i].xml, &err);

        g_assert_null(def);
        g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        if (!strstr(err->message, cases[i].msg))
            g_error("%s: got '%s', expected '%s'", cases[i].xml, err->message, cases[i].msg);
    }
}

static void
testPolicyValidate(void)
{
    g_autoptr(abConfPolicy) def = abConfPolicyNew();
    g_autoptr(GError) err = NULL;

    /* without a <memory>, only what the policy says of itself is checked */
    g_assert_no_error(err);
    g_assert_cmpint(abConfSizeSet(&def->floor, 8, "GiB", &err), ==, 0);
    g_assert_cmpint(abConfPolicyValidate(def, "vm", 0, &err), ==, 0);
    g_assert_cmpint(abConfPolicyValidate(def, "vm", 1024 * 1024, &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
    g_assert_true(g_str_has_prefix(err->message, "domain 'vm': <autoballoon> floor 8 GiB"));
    g_clear_error(&err);

    g_assert_cmpint(abConfSizeSet(&def->ceiling, 16, "MiB", &err), ==, 0);
    g_assert_cmpint(abConfPolicyValidate(def, NULL, 0, &err), ==, -1);
    g_assert_true(g_str_has_prefix(err->message, "<autoballoon> ceiling 16 MiB"));
    g_clear_error(&err);

    g_assert_cmpint(abConfSizeSet(&def->floor, 1, "xyz", &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
}

static void
testPolicyResolve(void)
{
    g_autoptr(abConfPolicy) def = abConfPolicyNew();
    g_autoptr(GError) err = NULL;
    abPolicyParams params, defaults;
    const unsigned long long maxKiB = 4ULL * 1024 * 1024;

    abConfPolicyResolve(NULL, maxKiB, &params);
    abPolicyParamsDefaults(&defaults, maxKiB);
    g_assert_false(params.enabled);
    g_assert_cmpuint(params.floorKiB, ==, defaults.floorKiB);
    g_assert_cmpuint(params.ceilingKiB, ==, defaults.ceilingKiB);
    g_assert_cmpuint(params.reserveKiB, ==, defaults.reserveKiB);
    for (int lvl = 0; lvl < AB_LEVEL_LAST; lvl++)
        g_assert_cmpuint(params.stepKiB[lvl], ==, defaults.stepKiB[lvl]);
    g_assert_cmpuint(params.weight, ==, defaults.weight);
    g_assert_cmpuint(params.cooldownSec, ==, defaults.cooldownSec);
    /* about 25% of 4 GiB (the engine rounds the percentage down) */
    g_assert_cmpuint(params.floorKiB, <=, 1024 * 1024);
    g_assert_cmpuint(params.floorKiB, >, 1024 * 1024 - 100);
    g_assert_cmpuint(params.ceilingKiB, ==, maxKiB);
    g_assert_cmpuint(params.stepKiB[AB_LEVEL_MEDIUM], ==, AB_POLICY_STEP_MEDIUM_DEFAULT_KIB);

    def->enabled = true;
    g_assert_cmpint(abConfSizeSet(&def->ceiling, 512, "MiB", &err), ==, 0);
    g_assert_cmpint(abConfSizeSet(&def->step[AB_LEVEL_CRITICAL], 1, "GiB", &err), ==, 0);
    def->weightSet = true;
    def->weight = 7;
    def->cooldown.set = true;
    def->cooldown.value = 5;
    abConfPolicyResolve(def, maxKiB, &params);
    g_assert_true(params.enabled);
    g_assert_cmpuint(params.ceilingKiB, ==, 512 * 1024);
    /* the default floor (about 1 GiB here) never sits above a lower ceiling */
    g_assert_cmpuint(params.floorKiB, ==, 512 * 1024);
    g_assert_cmpuint(params.stepKiB[AB_LEVEL_CRITICAL], ==, 1024 * 1024);
    g_assert_cmpuint(params.stepKiB[AB_LEVEL_LOW], ==, AB_POLICY_STEP_LOW_DEFAULT_KIB);
    /* 12.5 % of 4 GiB */
    g_assert_cmpuint(params.reserveKiB, ==, 512 * 1024);
    g_assert_cmpuint(params.weight, ==, 7);
    g_assert_cmpuint(params.cooldownSec, ==, 5);

    g_assert_cmpint(abConfSizeSet(&def->floor, 300, "MiB", &err), ==, 0);
    abConfPolicyResolve(def, maxKiB, &params);
    g_assert_cmpuint(params.floorKiB, ==, 300 * 1024);
}

static void
testPolicyMetadataRoundTrip(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(abConfPolicy) def = parsePolicyElement(fullPolicy, &err);
    g_autoptr(abConfPolicy) back = NULL;
    g_autofree char *meta = NULL;
    g_autofree char *meta2 = NULL;
    g_autofree char *elem = NULL;

    def->enabled = true;
    meta = abConfPolicyFormatMetadata(def);
    g_assert_true(g_str_has_prefix(meta, "<policy state=\"on\">"));
    back = abConfPolicyParseMetadata(meta, &err);
    g_assert_no_error(err);
    g_assert_true(back->enabled);
    g_assert_true(back->hasElement);
    meta2 = abConfPolicyFormatMetadata(back);
    g_assert_cmpstr(meta2, ==, meta);
    elem = formatPolicyElement(back);
    g_assert_cmpstr(elem, ==, fullPolicy);
}

/* What virDomainGetMetadata really returns: the namespace stripped from the
 * elements, sometimes a leftover declaration, another prefix, libvirt's
 * indentation. */
static void
testPolicyMetadataFromLibvirt(void)
{
    static const char *forms[] = {
        "<policy state=\"off\">\n  <floor unit=\"MiB\">512</floor>\n  <weight>9</weight>\n</policy>\n",
        "<policy xmlns:autoballoon=\"" AB_NS_POLICY_URI "\" state=\"off\">\n"
        "  <floor unit=\"MiB\">512</floor>\n  <weight>9</weight>\n</policy>",
        "<x:policy xmlns:x='" AB_NS_POLICY_URI "' state='off'><x:weight>9</x:weight>"
        "<x:floor unit='MiB'>512</x:floor><x:added autodeflate='on'/></x:policy>",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(forms); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(abConfPolicy) def = abConfPolicyParseMetadata(forms[i], &err);

        g_assert_no_error(err);
        g_assert_false(def->enabled);
        g_assert_cmpuint(def->floor.kib, ==, 512 * 1024);
        g_assert_cmpuint(def->weight, ==, 9);
    }
}

static void
testPolicyMetadataErrors(void)
{
    static const struct {
        const char *xml;
        const char *msg;
    } cases[] = {
        { "<policy xmlns='urn:other' state='on'/>", "in namespace urn:other" },
        { "<pressure state='on'/>", "expected <policy" },
        { "<policy/>", "<policy>: missing attribute state" },
        { "<policy state='on' element='maybe'/>", "<policy element='maybe'>: element must be one of yes, no" },
        { "<policy state='on' colour='red'/>", "<policy colour='red'>: unknown attribute colour" },
        { "<policy state='on'><weight>0</weight></policy>", "<weight>0</weight>: weight must be an integer from 1 to 10000" },
        { "<policy state='on'><floor unit='MiB'>1</floor></policy>", "below the minimum" },
        { "<policy state='on'><added stats='banana'/></policy>", "<added autodeflate='' stats='banana'" },
        { "<policy state='on'><added stats='none' period='2'/></policy>", ">: invalid record" },
        { "<policy state='on'><sizes/></policy>", "<policy><sizes>: unknown element" },
        { "<policy state='on'", "invalid XML" },
        { "", "invalid XML" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(abConfPolicy) def = abConfPolicyParseMetadata(cases[i].xml, &err);

        g_assert_null(def);
        g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        if (!strstr(err->message, cases[i].msg))
            g_error("%s: got '%s', expected '%s'", cases[i].xml, err->message, cases[i].msg);
    }
}

#define CHECK_DOMAIN \
    "<domain type='qemu'><name>vm</name><memory unit='MiB'>1024</memory>" \
    "%s<devices>%s</devices></domain>"

static void
testDomainCheck(void)
{
    static const struct {
        const char *extra;
        const char *devices;
        bool enabled;
        const char *msg;            /* NULL: accepted */
    } cases[] = {
        { "", "<memballoon model='virtio'/>", true, NULL },
        { "", "", true, "has no <memballoon>" },
        { "", "", false, "has no <memballoon>" },
        { "", "<memballoon model='none'/>", true, "model='none'" },
        { "", "<memballoon model='none'/>", false, NULL },
        { "<memoryBacking><hugepages/></memoryBacking>", "<memballoon model='virtio'/>", true, "huge pages" },
        { "<memoryBacking><hugepages/></memoryBacking>", "<memballoon model='virtio'/>", false, NULL },
        { "", "<hostdev mode='subsystem' type='pci'><driver name='vfio'/></hostdev><memballoon model='virtio'/>", true, "VFIO" },
        { "", "<hostdev mode='capabilities' type='storage'/><memballoon model='virtio'/>", true, NULL },
        /* sev-snp is newer than this libvirt's schema: checked here, not
         * in the golden files that the schema test validates */
        { "<launchSecurity type='sev-snp'/>", "<memballoon model='virtio'/>", true,
          "<launchSecurity type='sev-snp'>" },
        { "<launchSecurity type='sev-snp'/>", "<memballoon model='virtio'/>", false, NULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml = g_strdup_printf(CHECK_DOMAIN, cases[i].extra, cases[i].devices);
        g_autoptr(abConfPolicy) def = abConfPolicyNew();
        g_autoptr(GError) err = NULL;
        int rc;

        def->enabled = cases[i].enabled;
        rc = abConfDomainCheck(xml, def, &err);
        if (!cases[i].msg) {
            g_assert_no_error(err);
            g_assert_cmpint(rc, ==, 0);
        } else {
            g_assert_cmpint(rc, ==, -1);
            g_assert_nonnull(err);
            g_assert_true(g_str_has_prefix(err->message, "domain 'vm': "));
            if (!strstr(err->message, cases[i].msg))
                g_error("%s: got '%s', expected '%s'", xml, err->message, cases[i].msg);
        }
    }
}

static void
testTranslateErrors(void)
{
    static const struct {
        const char *xml;
        const char *msg;
    } cases[] = {
        { "<domain><name>vm</name>", "invalid XML at line" },
        { "<network><name>n</name></network>", "the root element is <network>" },
        { "<domain><name>vm</name><memory unit='lightyear'>1</memory><devices>"
          "<memballoon model='virtio' autoballoon='on'/></devices></domain>", "unknown unit 'lightyear'" },
        { "<domain><name>vm</name><devices><memballoon model='virtio'/>"
          "<memballoon model='virtio'/></devices></domain>", "more than one <memballoon>" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(GError) err2 = NULL;
        g_autofree char *out = abConfExtendedToNative(cases[i].xml, &err);
        g_autofree char *out2 = abConfNativeToExtended(cases[i].xml, &err2);

        g_assert_null(out);
        g_assert_nonnull(err);
        if (!strstr(err->message, cases[i].msg))
            g_error("%s: got '%s', expected '%s'", cases[i].xml, err->message, cases[i].msg);
        if (i != 2) {   /* the way back does not read <memory> of a plain domain */
            g_assert_null(out2);
            g_assert_nonnull(err2);
        }
    }
}

static void
testInjectedRoundTrip(void)
{
    abConfInjected inj = { .level = AB_LEVEL_CRITICAL, .expires = 1763900000 };
    abConfInjected back = { 0 };
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = abConfInjectedFormat(&inj);
    g_autofree char *xml2 = NULL;

    g_assert_cmpstr(xml, ==,
                    "<pressure level=\"critical\" expires=\"1763900000\"/>\n");
    g_assert_cmpint(abConfInjectedParse(xml, &back, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(back.level, ==, AB_LEVEL_CRITICAL);
    g_assert_cmpint(back.expires, ==, 1763900000);
    xml2 = abConfInjectedFormat(&back);
    g_assert_cmpstr(xml2, ==, xml);

    /* as libvirt returns it, without namespace; expires defaults to never */
    g_assert_cmpint(abConfInjectedParse("<pressure level='low'/>", &back, &err), ==, 0);
    g_assert_cmpint(back.level, ==, AB_LEVEL_LOW);
    g_assert_cmpint(back.expires, ==, 0);
}

static void
testInjectedErrors(void)
{
    static const struct {
        const char *xml;
        const char *msg;
    } cases[] = {
        { "<pressure/>", "<pressure>: missing attribute level" },
        { "<pressure level='extreme'/>", "<pressure level='extreme'>: level must be one of none, low, medium, critical" },
        { "<pressure level='low' expires='-1'/>", "<pressure expires='-1'>: expires must be an integer" },
        { "<pressure level='low' expires='soon'/>", "<pressure expires='soon'>" },
        { "<pressure level='low' source='x'/>", "<pressure source='x'>: unknown attribute source" },
        { "<p:pressure xmlns:p='" AB_NS_STATUS_URI "' level='low'/>", "in namespace " AB_NS_STATUS_URI },
        { "<pressure level='low'><x/></pressure>", "<pressure><x>: unexpected element" },
        { "pressure", "invalid XML" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        abConfInjected inj;

        g_assert_cmpint(abConfInjectedParse(cases[i].xml, &inj, &err), ==, -1);
        g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        if (!strstr(err->message, cases[i].msg))
            g_error("%s: got '%s', expected '%s'", cases[i].xml, err->message, cases[i].msg);
    }
}

static void
testStatusRoundTrip(void)
{
    abConfStatus st = {
        .level = AB_LEVEL_MEDIUM,
        .source = AB_STATUS_SOURCE_PSI,
        .targetKiB = 786432,
        .actualKiB = 800000,
        .usableKiB = 300000,
        .action = AB_STATUS_ACTION_INFLATE,
        .reason = (char *)"host-pressure",
        .unresponsive = true,
        .time = 1763900000,
    };
    abConfStatus back = { 0 };
    g_autoptr(GError) err = NULL;
    g_autofree char *xml = abConfStatusFormat(&st);
    g_autofree char *xml2 = NULL;

    g_assert_cmpstr(xml, ==,
                    "<status level=\"medium\" "
                    "source=\"psi\" target=\"786432\" actual=\"800000\" usable=\"300000\" "
                    "action=\"inflate\" reason=\"host-pressure\" unresponsive=\"yes\" "
                    "time=\"1763900000\"/>\n");
    g_assert_cmpint(abConfStatusParse(xml, &back, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(back.level, ==, AB_LEVEL_MEDIUM);
    g_assert_cmpint(back.source, ==, AB_STATUS_SOURCE_PSI);
    g_assert_cmpuint(back.targetKiB, ==, 786432);
    g_assert_cmpuint(back.actualKiB, ==, 800000);
    g_assert_cmpuint(back.usableKiB, ==, 300000);
    g_assert_cmpint(back.action, ==, AB_STATUS_ACTION_INFLATE);
    g_assert_cmpstr(back.reason, ==, "host-pressure");
    g_assert_true(back.unresponsive);
    g_assert_cmpint(back.time, ==, 1763900000);
    xml2 = abConfStatusFormat(&back);
    g_assert_cmpstr(xml2, ==, xml);
    abConfStatusClear(&back);

    /* usable unknown (0) is left out, and read back as 0 */
    g_assert_cmpint(abConfStatusParse("<status level='none' source='none' target='1' "
                                      "actual='1' action='none' time='0'/>", &back, &err), ==, 0);
    g_assert_cmpuint(back.usableKiB, ==, 0);
    g_assert_false(back.unresponsive);
    g_assert_null(back.reason);
    abConfStatusClear(&back);

    /* every reason the engine gives, and the QEMU-driven ones */
    for (int r = 0; r < AB_POLICY_REASON_LAST; r++) {
        g_autofree char *text = g_strdup_printf("<status level='low' reason='%s'/>",
                                                abPolicyReasonToString(r));

        g_assert_cmpint(abConfStatusParse(text, &back, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpstr(back.reason, ==, abPolicyReasonToString(r));
        abConfStatusClear(&back);
    }
    g_assert_cmpint(abConfStatusParse("<status level='none' source='qemu"
                                      "' reason='" AB_CONF_STATUS_REASON_QEMU "'/>",
                                      &back, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(back.source, ==, AB_STATUS_SOURCE_QEMU);
    g_assert_cmpstr(back.reason, ==, "qemu-automatic");
    abConfStatusClear(&back);

    /* metadata the daemon cannot read: reason and error round trip */
    {
        abConfStatus bad = {
            .level = AB_LEVEL_NONE, .source = AB_STATUS_SOURCE_NONE, .action = AB_STATUS_ACTION_NONE,
            .reason = (char *)AB_CONF_STATUS_REASON_BAD_POLICY,
            .error = (char *)"invalid <floor> unit 'a&b<c>'",
        };
        g_autofree char *badxml = abConfStatusFormat(&bad);
        g_autofree char *badxml2 = NULL;

        g_assert_cmpint(abConfStatusParse(badxml, &back, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpstr(back.reason, ==, "bad-policy");
        g_assert_cmpstr(back.error, ==, bad.error);
        badxml2 = abConfStatusFormat(&back);
        g_assert_cmpstr(badxml2, ==, badxml);
        abConfStatusClear(&back);
    }
    g_assert_cmpint(abConfStatusParse("<status level='none' reason='"
                                      AB_CONF_STATUS_REASON_BAD_PRESSURE "' error='x'/>",
                                      &back, &err), ==, 0);
    g_assert_cmpstr(back.reason, ==, "bad-pressure");
    abConfStatusClear(&back);
}

static void
testStatusErrors(void)
{
    static const struct {
        const char *xml;
        const char *msg;
    } cases[] = {
        { "<status source='psi'/>", "<status>: missing attribute level" },
        { "<status level='low' source='sun'/>", "<status source='sun'>: source must be one of" },
        { "<status level='low' action='explode'/>", "<status action='explode'>: action must be one of" },
        { "<status level='low' target='12k'/>", "<status target='12k'>: target must be" },
        { "<status level='low' unresponsive='maybe'/>", "<status unresponsive='maybe'>: unresponsive must be one of yes, no" },
        { "<status level='low' reason=''/>", "<status reason=''>: reason must be one of" },
        { "<status level='low' reason='bored'/>", "<status reason='bored'>" },
        { "<status level='low' colour='red'/>", "<status colour='red'>: unknown attribute" },
        { "<status level='low' time='99999999999999999999'/>", "<status time='99999999999999999999'>" },
        { "<s:status xmlns:s='" AB_NS_POLICY_URI "' level='low'/>", "expected <status" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        abConfStatus st;

        g_assert_cmpint(abConfStatusParse(cases[i].xml, &st, &err), ==, -1);
        g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        if (!strstr(err->message, cases[i].msg))
            g_error("%s: got '%s', expected '%s'", cases[i].xml, err->message, cases[i].msg);
        g_assert_cmpint(st.source, ==, AB_STATUS_SOURCE_NONE);
    }
}

/* Every metadata namespace is distinct (one element each, found by URI)
 * and listed in docs/xml.md, where users look them up. */
static void
testNamespaces(void)
{
    static const char *const uris[] = {
        AB_NS_POLICY_URI, AB_NS_PRESSURE_URI, AB_NS_STATUS_URI, AB_QEMU_NS_URI,
    };
    static const char *const prefixes[] = {
        AB_NS_POLICY_PREFIX, AB_NS_PRESSURE_PREFIX, AB_NS_STATUS_PREFIX, AB_QEMU_NS_PREFIX,
    };
    const char *root = g_getenv("AB_SOURCE_ROOT");
    g_autofree char *path = g_build_filename(root ? root : AB_SOURCE_ROOT, "docs", "xml.md", NULL);
    g_autofree char *doc = NULL;

    g_assert_true(g_file_get_contents(path, &doc, NULL, NULL));
    for (size_t i = 0; i < G_N_ELEMENTS(uris); i++) {
        g_autofree char *row = g_strdup_printf("| `%s` | `%s` |", uris[i], prefixes[i]);

        if (!strstr(doc, row))
            g_error("docs/xml.md does not list %s with prefix %s", uris[i], prefixes[i]);
        for (size_t j = 0; j < i; j++) {
            g_assert_cmpstr(uris[i], !=, uris[j]);
            g_assert_cmpstr(prefixes[i], !=, prefixes[j]);
        }
    }
}

static const AbTestFunc tests[] = {
    { "/conf/policy/parse-format", testPolicyParseFormat },
    { "/conf/policy/parse-errors", testPolicyParseErrors },
    { "/conf/policy/validate", testPolicyValidate },
    { "/conf/policy/resolve", testPolicyResolve },
    { "/conf/policy/metadata-round-trip", testPolicyMetadataRoundTrip },
    { "/conf/policy/metadata-from-libvirt", testPolicyMetadataFromLibvirt },
    { "/conf/policy/metadata-errors", testPolicyMetadataErrors },
    { "/conf/domain-check", testDomainCheck },
    { "/conf/translate-errors", testTranslateErrors },
    { "/conf/injected/round-trip", testInjectedRoundTrip },
    { "/conf/injected/errors", testInjectedErrors },
    { "/conf/status/round-trip", testStatusRoundTrip },
    { "/conf/status/errors", testStatusErrors },
    { "/conf/namespaces", testNamespaces },
};

AB_TEST_MAIN(tests, NULL)
