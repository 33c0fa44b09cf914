/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Named errors: every refusal of an extended domain document, as define
 * and create load it (abVshDomainXMLLoad: our own checks, then the
 * schema), names the domain, the element or attribute and the bad value.
 * Each case is one wrong thing in an otherwise valid document; the table
 * says which element and which value its message must show. Our own
 * refusals are one line; the schema's give the element's line and path. */
#include "ab-config.h"
#include "ab-error.h"
#include "ab-vsh-cmds.h"
#include "ab-xml.h"
#include "testutils.h"

#include <string.h>

/* The valid document the cases break: %1$s attributes of <memballoon>
 * (a case's "" stands for BALLOON),
 * %2$s its children, %3$s more devices, %4$s more of <domain>. */
static const char *const templ =
    "<domain type='kvm'>\n"
    "  <name>vm1</name>\n"
    "  <memory unit='MiB'>1024</memory>\n"
    "  <os>\n"
    "    <type arch='x86_64'>hvm</type>\n"
    "  </os>\n"
    "%4$s"
    "  <devices>\n"
    "%3$s"
    "    <memballoon%1$s>\n"
    "%2$s"
    "    </memballoon>\n"
    "  </devices>\n"
    "</domain>\n";

typedef struct {
    const char *name;
    const char *attrs;
    const char *children;
    const char *devices;
    const char *domain;
    const char *element;          /* must appear in the message */
    const char *value;            /* must appear in the message */
    bool schema;                  /* only the schema objects */
} ErrorCase;

#define BALLOON " model='virtio' autoballoon='on'"
#define POLICY(x) "      <autoballoon>\n" x "      </autoballoon>\n"

static const ErrorCase cases[] = {
    /* <step> */
    { "step-level-unknown", "", POLICY("<step level='extreme' unit='MiB'>16</step>"), "", "",
      "<step level='extreme'>", "low, medium, critical" },
    { "step-level-none", "", POLICY("<step level='none' unit='MiB'>16</step>"), "", "",
      "<step level='none'>", "none" },
    { "step-level-missing", "", POLICY("<step unit='MiB'>16</step>"), "", "",
      "<step>", "level" },
    { "step-unit", "", POLICY("<step level='low' unit='furlongs'>16</step>"), "", "",
      "<step unit='furlongs'>", "furlongs" },
    { "step-duplicate", "", POLICY("<step level='low'>16</step><step level='low'>32</step>"), "", "",
      "<step level='low'>", "low" },
    { "step-zero", "", POLICY("<step level='low'>0</step>"), "", "",
      "step level='low'", "0 KiB" },
    { "step-absurd", "", POLICY("<step level='critical' unit='TiB'>1</step>"), "", "",
      "step level='critical'", "1 TiB" },
    { "step-above-memory", "", POLICY("<step level='medium' unit='GiB'>2</step>"), "", "",
      "step level='medium'", "2 GiB" },
    { "step-attr", "", POLICY("<step level='low' colour='red'>16</step>"), "", "",
      "<step colour='red'>", "colour" },
    { "step-text", "", POLICY("<step level='low'>lots</step>"), "", "",
      "<step>lots</step>", "lots" },
    /* sizes */
    { "floor-unit", "", POLICY("<floor unit='furlongs'>512</floor>"), "", "",
      "<floor unit='furlongs'>", "furlongs" },
    { "floor-unit-case", "", POLICY("<floor unit='MiBs'>512</floor>"), "", "",
      "<floor unit='MiBs'>", "MiBs" },
    { "floor-text", "", POLICY("<floor>12x</floor>"), "", "",
      "<floor>12x</floor>", "12x" },
    { "floor-fraction", "", POLICY("<floor unit='GiB'>1.5</floor>"), "", "",
      "<floor>1.5</floor>", "1.5" },
    { "floor-below-min", "", POLICY("<floor unit='MiB'>16</floor>"), "", "",
      "floor", "16 MiB" },
    { "floor-above-ceiling", "", POLICY("<floor unit='MiB'>900</floor><ceiling unit='MiB'>800</ceiling>"), "", "",
      "floor", "900 MiB" },
    { "floor-above-memory", "", POLICY("<floor unit='GiB'>2</floor>"), "", "",
      "floor", "2 GiB" },
    { "floor-attr", "", POLICY("<floor min='yes'>512</floor>"), "", "",
      "<floor min='yes'>", "min" },
    { "floor-child", "", POLICY("<floor><x/></floor>"), "", "",
      "<floor><x>", "x" },
    { "floor-duplicate", "", POLICY("<floor>65536</floor><floor>65536</floor>"), "", "",
      "<floor>", "duplicate" },
    { "ceiling-negative", "", POLICY("<ceiling>-512</ceiling>"), "", "",
      "<ceiling>-512</ceiling>", "-512" },
    { "ceiling-above-memory", "", POLICY("<ceiling unit='GiB'>2</ceiling>"), "", "",
      "ceiling", "2 GiB" },
    { "ceiling-overflow", "", POLICY("<ceiling unit='EiB'>99999</ceiling>"), "", "",
      "<ceiling>99999</ceiling>", "99999" },
    { "reserve-above-memory", "", POLICY("<reserve unit='GiB'>2</reserve>"), "", "",
      "reserve", "2 GiB" },
    { "reserve-empty", "", POLICY("<reserve/>"), "", "",
      "<reserve></reserve>", "reserve must be" },
    /* weight and cooldown */
    { "weight-zero", "", POLICY("<weight>0</weight>"), "", "",
      "weight", "0" },
    { "weight-range", "", POLICY("<weight>10001</weight>"), "", "",
      "weight", "10001" },
    { "weight-text", "", POLICY("<weight>heavy</weight>"), "", "",
      "<weight>heavy</weight>", "heavy" },
    { "weight-huge", "", POLICY("<weight>99999999999</weight>"), "", "",
      "<weight>99999999999</weight>", "99999999999" },
    { "weight-unit", "", POLICY("<weight unit='MiB'>10</weight>"), "", "",
      "<weight unit='MiB'>", "unit" },
    { "cooldown-unit", "", POLICY("<cooldown unit='min'>5</cooldown>"), "", "",
      "<cooldown unit='min'>", "min" },
    { "cooldown-long", "", POLICY("<cooldown>100000</cooldown>"), "", "",
      "cooldown", "100000" },
    { "cooldown-text", "", POLICY("<cooldown>soon</cooldown>"), "", "",
      "<cooldown>soon</cooldown>", "soon" },
    /* <autoballoon> */
    { "unknown-child", "", POLICY("<limit>5</limit>"), "", "",
      "<limit>", "floor, ceiling" },
    { "policy-attr", "", "      <autoballoon mode='fast'/>\n", "", "",
      "<autoballoon mode='fast'>", "mode" },
    { "policy-text", "", POLICY("hello"), "", "",
      "<autoballoon>", "hello" },
    { "policy-duplicate", "", "      <autoballoon/>\n      <autoballoon/>\n", "", "",
      "<autoballoon>", "duplicate" },
    /* <memballoon> */
    { "autoballoon-maybe", " model='virtio' autoballoon='maybe'", "", "", "",
      "<memballoon autoballoon='maybe'>", "on, off" },
    { "autodeflate-maybe", BALLOON " autodeflate='maybe'", "", "", "",
      "<memballoon autodeflate='maybe'>", "maybe" },
    { "fpr-sure", BALLOON " freePageReporting='sure'", "", "", "",
      "<memballoon freePageReporting='sure'>", "sure" },
    { "model-none", " model='none' autoballoon='on'", "", "", "",
      "<memballoon model='none'>", "none" },
    { "model-xen", " model='xen' autoballoon='on'", "", "", "",
      "<memballoon model='xen'>", "xen" },
    /* the rest of the domain */
    { "hugepages", "", "", "", "  <memoryBacking><hugepages/></memoryBacking>\n",
      "<memoryBacking>", "hugepages" },
    { "locked", "", "", "", "  <memoryBacking><locked/></memoryBacking>\n",
      "<memoryBacking>", "locked" },
    { "vfio", "", "", "    <hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>\n", "",
      "<hostdev type='pci'>", "VFIO" },
    { "mdev", "", "", "    <hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>\n", "",
      "<hostdev type='mdev'>", "mdev" },
    { "interface-hostdev", "", "", "    <interface type='hostdev'><source><address type='pci' domain='0' bus='2' slot='0' function='0'/></source></interface>\n", "",
      "<interface type='hostdev'>", "hostdev" },
    { "sev", "", "", "", "  <launchSecurity type='sev'><cbitpos>47</cbitpos><reducedPhysBits>1</reducedPhysBits><policy>0x0003</policy></launchSecurity>\n",
      "<launchSecurity type='sev'>", "sev" },
    { "two-balloons", "", "", "    <memballoon model='virtio'/>\n", "",
      "<memballoon>", "more than one" },
    { "already-native", "", "", "", "  <metadata><p:policy xmlns:p='https://autoballoon.org/xmlns/policy/1' state='on'/></metadata>\n",
      "<metadata>", "https://autoballoon.org/xmlns/policy/1" },
    /* what only the schema sees */
    { "schema-stats-period", "", "      <stats period='often'/>\n", "", "",
      "/domain/devices", "line 7", true },
    { "schema-balloon-child", "", "      <bogus/>\n", "", "",
      "/domain/devices", "line 7", true },
    { "schema-domain-child", "", "", "", "  <frobnicate/>\n",
      "/domain", "line ", true },
};

static char *schema;

static void
testCase(gconstpointer data)
{
    const ErrorCase *tc = data;
    g_autofree char *xml = g_strdup_printf(templ, *tc->attrs ? tc->attrs : BALLOON, tc->children,
                                           tc->devices, tc->domain);
    g_autoptr(GError) err = NULL;
    g_autoptr(xmlDoc) doc = abVshDomainXMLLoad(xml, "case.xml", schema, &err);

    if (doc) {
        g_test_message("%s: accepted:\n%s", tc->name, xml);
        g_test_fail();
        return;
    }
    g_test_message("%s: %s", tc->name, err->message);
    g_assert_true(err->domain == AB_ERROR &&
                  (err->code == AB_ERROR_INVALID || err->code == AB_ERROR_UNSUPPORTED));
    g_assert_true(g_str_has_prefix(err->message, "domain 'vm1': "));
    if (!strstr(err->message, tc->element) || !strstr(err->message, tc->value)) {
        g_test_message("%s: the message should name %s and %s", tc->name,
                       tc->element, tc->value);
        g_test_fail();
    }
    if (tc->schema) {
        g_assert_nonnull(strstr(err->message, "the schema"));
    } else {
        /* our own check, before the schema: one line */
        g_assert_null(strchr(err->message, '\n'));
        g_assert_null(strstr(err->message, "the schema"));
    }
}

/* The template itself is valid: each case fails for its own reason. */
static void
testTemplate(void)
{
    g_autofree char *xml = g_strdup_printf(templ, BALLOON, POLICY("<floor unit='MiB'>256</floor>"), "", "");
    g_autoptr(GError) err = NULL;
    g_autoptr(xmlDoc) doc = abVshDomainXMLLoad(xml, "case.xml", schema, &err);

    g_assert_no_error(err);
    g_assert_nonnull(doc);
}

int
main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    schema = g_build_filename(abTestSourceRoot(), "docs", "schemas",
                              "autoballoon.rng", NULL);
    g_test_add_func("/xml-errors/template", testTemplate);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/xml-errors/%s", cases[i].name);

        g_test_add_data_func(path, &cases[i], testCase);
    }
    ret = g_test_run();
    g_free(schema);
    return ret;
}
