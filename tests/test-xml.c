/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of src/util/ab-xml: lookup, where <metadata> goes, the typed
 * readers' values and messages, and the writer. */
#include "ab-error.h"
#include "ab-level.h"
#include "ab-xml.h"
#include "testutils.h"

#include <string.h>

static xmlDocPtr
parse(const char *xml)
{
    g_autoptr(GError) err = NULL;
    xmlDocPtr doc = abXmlParse(xml, "test XML", &err);

    g_assert_no_error(err);
    g_assert_nonnull(doc);
    return doc;
}

/* A new <metadata> goes after the last identity element, wherever the
 * document put it, else first; an existing one is reused. */
static void
testMetadataEnsure(void)
{
    static const struct {
        const char *in;
        const char *out;
        bool created;
    } cases[] = {
        { "<domain><name>a</name><memory>1</memory></domain>",
          "<domain>\n  <name>a</name>\n  <metadata/>\n  <memory>1</memory>\n</domain>\n", true },
        { "<domain><description>d</description><name>a</name><uuid>u</uuid><os/></domain>",
          "<domain>\n  <description>d</description>\n  <name>a</name>\n  <uuid>u</uuid>\n"
          "  <metadata/>\n  <os/>\n</domain>\n", true },
        { "<domain><os/></domain>", "<domain>\n  <metadata/>\n  <os/>\n</domain>\n", true },
        { "<domain/>", "<domain>\n  <metadata/>\n</domain>\n", true },
        { "<domain><os/><metadata><x/></metadata></domain>",
          "<domain>\n  <os/>\n  <metadata>\n    <x/>\n  </metadata>\n</domain>\n", false },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(xmlDoc) doc = parse(cases[i].in);
        g_autofree char *out = NULL;
        bool created;

        g_assert_nonnull(abXmlMetadataEnsure(xmlDocGetRootElement(doc), &created));
        g_assert_cmpint(created, ==, cases[i].created);
        out = abXmlFormatDoc(doc);
        g_assert_cmpstr(out, ==, cases[i].out);
    }
}

static void
testLookup(void)
{
    g_autoptr(xmlDoc) doc = parse("<domain xmlns:q='urn:q'><name> vm1 </name><devices>"
                                  "<q:memballoon/><memballoon model='virtio'><stats period='2'/>"
                                  "</memballoon></devices></domain>");
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr balloon = abXmlChildPath(root, "devices", "memballoon", NULL);
    g_autofree char *name = abXmlDomainName(doc);
    g_autofree char *period = abXmlProp(abXmlChild(balloon, "stats", NULL), "period");

    g_assert_cmpstr(name, ==, "vm1");
    g_assert_true(abXmlPropIs(balloon, "model", "virtio"));
    g_assert_cmpstr(period, ==, "2");
    g_assert_nonnull(abXmlChild(abXmlChild(root, "devices", NULL), "memballoon", "urn:q"));
    g_assert_cmpuint(abXmlChildCount(abXmlChild(root, "devices", NULL), NULL, NULL), ==, 2);
    g_assert_cmpuint(abXmlChildCount(abXmlChild(root, "devices", NULL), "memballoon", NULL), ==, 1);
    g_assert_null(abXmlChildPath(root, "devices", "nosuch", "stats", NULL));
    g_assert_null(abXmlProp(NULL, "model"));
}

static const char *
levelName(int level)
{
    return abLevelToString(level);
}

static void
testReaders(void)
{
    g_autoptr(xmlDoc) doc = parse("<x level='medium' bad='extreme' n='42' big='1001' sw='on'"
                                  " no='maybe' neg='-1'><size unit='MiB'>512</size>"
                                  "<w>7</w><u unit='furlongs'>1</u></x>");
    xmlNodePtr x = xmlDocGetRootElement(doc);
    g_autoptr(GError) err = NULL;
    unsigned long long v = 0, bytes = 0;
    g_autofree char *unit = NULL;
    int lvl = -1;
    bool on = false;

    g_assert_cmpint(abXmlPropEnum(x, "level", levelName, AB_LEVEL_LOW, AB_LEVEL_LAST, 0, &lvl, &err), ==, 1);
    g_assert_cmpint(lvl, ==, AB_LEVEL_MEDIUM);
    g_assert_cmpint(abXmlPropEnum(x, "absent", levelName, AB_LEVEL_LOW, AB_LEVEL_LAST, 0, &lvl, &err), ==, 0);
    g_assert_cmpint(abXmlPropEnum(x, "absent", levelName, AB_LEVEL_LOW, AB_LEVEL_LAST,
                                  AB_XML_REQUIRED, &lvl, &err), ==, -1);
    g_assert_cmpstr(err->message, ==, "<x>: missing attribute absent (one of low, medium, critical)");
    g_clear_error(&err);
    g_assert_cmpint(abXmlPropEnum(x, "bad", levelName, AB_LEVEL_LOW, AB_LEVEL_LAST, 0, &lvl, &err), ==, -1);
    g_assert_cmpstr(err->message, ==, "<x bad='extreme'>: bad must be one of low, medium, critical");
    g_clear_error(&err);

    g_assert_cmpint(abXmlPropUInt(x, "n", 1, 100, 0, &v, &err), ==, 1);
    g_assert_cmpuint(v, ==, 42);
    g_assert_cmpint(abXmlPropUInt(x, "big", 1, 1000, 0, &v, &err), ==, -1);
    g_assert_cmpstr(err->message, ==, "<x big='1001'>: big must be an integer from 1 to 1000");
    g_clear_error(&err);
    g_assert_cmpint(abXmlPropUInt(x, "neg", 0, 10, 0, &v, &err), ==, -1);
    g_clear_error(&err);

    g_assert_cmpint(abXmlPropOnOff(x, "sw", 0, &on, &err), ==, 1);
    g_assert_true(on);
    g_assert_cmpint(abXmlPropOnOff(x, "no", 0, &on, &err), ==, -1);
    g_assert_cmpstr(err->message, ==, "<x no='maybe'>: no must be one of on, off");
    g_clear_error(&err);

    g_assert_cmpint(abXmlTextSize(abXmlChild(x, "size", NULL), 1024, &v, &unit, &bytes, &err), ==, 1);
    g_assert_cmpuint(v, ==, 512);
    g_assert_cmpstr(unit, ==, "MiB");
    g_assert_cmpuint(bytes, ==, 512ULL << 20);
    g_clear_pointer(&unit, g_free);
    g_assert_cmpint(abXmlTextSize(abXmlChild(x, "u", NULL), 1024, &v, &unit, &bytes, &err), ==, -1);
    g_assert_true(g_str_has_prefix(err->message, "<u unit='furlongs'>: unknown unit 'furlongs'"));
    g_clear_error(&err);
    g_assert_cmpint(abXmlTextUInt(abXmlChild(x, "w", NULL), 1, 5, &v, &err), ==, -1);
    g_assert_cmpstr(err->message, ==, "<w>7</w>: w must be an integer from 1 to 5");
    g_clear_error(&err);
    g_assert_cmpint(abXmlTextUInt(x, 0, 5, &v, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "unexpected element inside <x>"));
    g_clear_error(&err);

    {
        static const char *const allowed[] = { "level", NULL };

        g_assert_cmpint(abXmlCheckAttrs(x, allowed, &err), ==, -1);
        g_assert_cmpstr(err->message, ==, "<x bad='extreme'>: unknown attribute bad (allowed: level)");
    }
}

static void
testParseErrors(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(xmlDoc) doc = abXmlParse("<domain>\n<name>", "domain XML", &err);
    g_autoptr(xmlDoc) doc2 = NULL;

    g_assert_null(doc);
    g_assert_true(g_str_has_prefix(err->message, "domain XML: invalid XML at line 2: "));
    g_clear_error(&err);
    doc2 = abXmlParseFile("<domain>", "f.xml", &err);
    g_assert_null(doc2);
    g_assert_true(g_str_has_prefix(err->message, "(f.xml):1: "));
}

/* Unqualified: what virDomainSetMetadata takes. */
static void
testFormatUnqualified(void)
{
    g_autoptr(xmlDoc) doc = parse("<p:policy xmlns:p='urn:p' state='on'><p:floor>1</p:floor></p:policy>");
    g_autofree char *out = abXmlFormatUnqualified(xmlDocGetRootElement(doc));

    g_assert_cmpstr(out, ==, "<policy state=\"on\">\n  <floor>1</floor>\n</policy>\n");
}

static const AbTestFunc tests[] = {
    { "/xml/metadata-ensure", testMetadataEnsure },
    { "/xml/lookup", testLookup },
    { "/xml/readers", testReaders },
    { "/xml/parse-errors", testParseErrors },
    { "/xml/format-unqualified", testFormatUnqualified },
};

AB_TEST_MAIN(tests, NULL)
