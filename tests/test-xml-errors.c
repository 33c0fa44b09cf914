/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Named errors: every refusal of an extended domain document, as define
 * and create load it (abVshDomainXMLLoad: our own checks, then the
 * schema), names the domain, the element or attribute and the bad value.
 * Each case, a group of tests/xmlerrorsdata/cases.conf, is one wrong
 * thing in an otherwise valid document; it says which element and which
 * value its message must show. Our own refusals are one line; the
 * schema's give the element's line and path. */
#include "ab-config.h"
#include "ab-error.h"
#include "ab-vsh-cmds.h"
#include "ab-xml.h"
#include "testutils.h"

#include <string.h>

/* The valid document the cases break: %1$s attributes of <memballoon>,
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
    "    <memballoon %1$s>\n"
    "%2$s"
    "    </memballoon>\n"
    "  </devices>\n"
    "</domain>\n";

#define BALLOON "model='virtio' autoballoon='on'"

/* A case, as its group of cases.conf gives it:
 *   attrs     the attributes of <memballoon> (else BALLOON)
 *   policy    what <autoballoon> holds, the child of <memballoon>
 *   children  else the lines <memballoon> holds
 *   devices   a line of more devices
 *   domain    a line more of <domain>
 *   element   must appear in the message
 *   value     must appear in the message
 *   schema    true: only the schema objects
 * Any other key is a mistake of the file. */
static const char *const caseKeys[] = {
    "attrs", "policy", "children", "devices", "domain", "element", "value", "schema", NULL,
};

static GKeyFile *casesFile;
static char *schema;

/* <memballoon>'s children: the policy @content. */
static char *
policyChildren(const char *content)
{
    return g_strdup_printf("      <autoballoon>\n%s      </autoballoon>\n", content);
}

/* The lines of @key of case @name, each indented by @indent ("" without
 * it). */
static char *
caseLines(const char *name, const char *key, int indent)
{
    g_autofree char *text = g_key_file_get_string(casesFile, name, key, NULL);
    g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
    GString *out = g_string_new(NULL);

    for (size_t i = 0; text && lines[i]; i++)
        g_string_append_printf(out, "%*s%s\n", indent, "", lines[i]);
    return g_string_free(out, FALSE);
}

/* The document of case @name. */
static char *
caseDocument(const char *name)
{
    g_autofree char *attrs = g_key_file_get_string(casesFile, name, "attrs", NULL);
    g_autofree char *policy = g_key_file_get_string(casesFile, name, "policy", NULL);
    g_autofree char *children = caseLines(name, "children", 6);
    g_autofree char *devices = caseLines(name, "devices", 4);
    g_autofree char *domain = caseLines(name, "domain", 2);

    if (policy) {
        g_free(children);
        children = policyChildren(policy);
    }
    return g_strdup_printf(templ, attrs ? attrs : BALLOON, children, devices, domain);
}

/* Case @name is whole: only caseKeys, a policy or children, something
 * for the message to name, schema true or false. */
static void
caseCheck(const char *name)
{
    static const char *const named[] = { "element", "value" };
    g_auto(GStrv) keys = g_key_file_get_keys(casesFile, name, NULL, NULL);
    g_autoptr(GError) err = NULL;

    for (size_t i = 0; keys[i]; i++) {
        if (!g_strv_contains(caseKeys, keys[i]))
            g_error("cases.conf [%s]: unknown key %s", name, keys[i]);
    }
    if (g_key_file_has_key(casesFile, name, "policy", NULL) &&
        g_key_file_has_key(casesFile, name, "children", NULL))
        g_error("cases.conf [%s]: a policy and children", name);
    for (size_t i = 0; i < G_N_ELEMENTS(named); i++) {
        g_autofree char *text = g_key_file_get_string(casesFile, name, named[i], NULL);

        if (!text || !*text)
            g_error("cases.conf [%s]: no %s", name, named[i]);
    }
    if (g_key_file_has_key(casesFile, name, "schema", NULL)) {
        g_key_file_get_boolean(casesFile, name, "schema", &err);
        if (err)
            g_error("cases.conf [%s]: %s", name, err->message);
    }
}

static void
testCase(gconstpointer data)
{
    const char *name = data;
    g_autofree char *xml = caseDocument(name);
    g_autofree char *element = g_key_file_get_string(casesFile, name, "element", NULL);
    g_autofree char *value = g_key_file_get_string(casesFile, name, "value", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(xmlDoc) doc = abVshDomainXMLLoad(xml, "case.xml", schema, &err);

    if (doc) {
        g_test_message("%s: accepted:\n%s", name, xml);
        g_test_fail();
        return;
    }
    g_test_message("%s: %s", name, err->message);
    g_assert_true(err->domain == AB_ERROR &&
                  (err->code == AB_ERROR_INVALID || err->code == AB_ERROR_UNSUPPORTED));
    g_assert_true(g_str_has_prefix(err->message, "domain 'vm1': "));
    if (!strstr(err->message, element) || !strstr(err->message, value)) {
        g_test_message("%s: the message should name %s and %s", name, element, value);
        g_test_fail();
    }
    if (g_key_file_get_boolean(casesFile, name, "schema", NULL)) {
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
    g_autofree char *children = policyChildren("<floor unit='MiB'>256</floor>");
    g_autofree char *xml = g_strdup_printf(templ, BALLOON, children, "", "");
    g_autoptr(GError) err = NULL;
    g_autoptr(xmlDoc) doc = abVshDomainXMLLoad(xml, "case.xml", schema, &err);

    g_assert_no_error(err);
    g_assert_nonnull(doc);
}

int
main(int argc, char **argv)
{
    g_autofree char *path = abTestDataPath("xmlerrorsdata", "cases.conf");
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) names = NULL;
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    schema = g_build_filename(abTestSourceRoot(), "docs", "schemas",
                              "autoballoon.rng", NULL);
    casesFile = g_key_file_new();
    if (!g_key_file_load_from_file(casesFile, path, G_KEY_FILE_NONE, &err))
        g_error("%s: %s", path, err->message);
    names = g_key_file_get_groups(casesFile, NULL);
    g_assert_nonnull(names[0]);
    g_test_add_func("/xml-errors/template", testTemplate);
    for (size_t i = 0; names[i]; i++) {
        g_autofree char *testPath = g_strdup_printf("/xml-errors/%s", names[i]);

        caseCheck(names[i]);
        g_test_add_data_func(testPath, names[i], testCase);
    }
    ret = g_test_run();
    g_key_file_free(casesFile);
    g_free(schema);
    return ret;
}
