/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-xml.c: define, create and dumpxml with the extended domain XML:
 * validated against docs/schemas/autoballoon.rng, translated by src/conf. */
#include "ab-vsh-cmds.h"
#include "ab-config.h"
#include "ab-conf.h"
#include "ab-qemu-balloon.h"

#include <errno.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xpath.h>

const abVshOptDef abVshOptsDefine[] = {
    { "file", AB_VSH_OT_STRING, AB_VSH_OFLAG_REQ | AB_VSH_OFLAG_POS, "file containing an XML domain description, with or without autoballoon" },
    { NULL },
};

const abVshOptDef abVshOptsDumpXML[] = {
    { "domain", AB_VSH_OT_STRING, AB_VSH_OFLAG_REQ | AB_VSH_OFLAG_POS, "domain name, id or uuid" },
    { "inactive", AB_VSH_OT_BOOL, 0, "show inactive defined XML" },
    { "security-info", AB_VSH_OT_BOOL, 0, "include security sensitive information in XML dump" },
    { "autoballoon", AB_VSH_OT_BOOL, 0, "show the extended form: <memballoon autoballoon='on'> with its <autoballoon> policy" },
    { NULL },
};

/* The schema: $AB_SCHEMA_DIR, the installed copy, then the source tree of
 * an uninstalled build. */
static char *
abVshSchemaPath(void)
{
    const char *env = g_getenv("AB_SCHEMA_DIR");
    g_autofree char *installed = g_build_filename(AB_DATADIR, "schemas", "autoballoon.rng", NULL);
    g_autofree char *source = g_build_filename(AB_SOURCE_ROOT, "docs", "schemas", "autoballoon.rng", NULL);

    if (env)
        return g_build_filename(env, "autoballoon.rng", NULL);
    if (g_file_test(installed, G_FILE_TEST_EXISTS))
        return g_steal_pointer(&installed);
    return g_steal_pointer(&source);
}

static void
abVshSchemaError(void *opaque, xmlErrorPtr err)
{
    GString *msgs = opaque;

    if (!err || !err->message)
        return;
    if (msgs->len)
        g_string_append_c(msgs, '\n');
    if (err->line > 0)
        g_string_append_printf(msgs, "line %d: ", err->line);
    g_string_append(msgs, err->message);
    while (msgs->len && msgs->str[msgs->len - 1] == '\n')
        g_string_truncate(msgs, msgs->len - 1);
}

static bool
abVshValidate(abVshControl *ctl, const char *file, const char *xml)
{
    g_autofree char *schema = abVshSchemaPath();
    g_autoptr(GString) msgs = g_string_new(NULL);
    xmlRelaxNGParserCtxtPtr pctxt = NULL;
    xmlRelaxNGValidCtxtPtr vctxt = NULL;
    xmlRelaxNGPtr rng = NULL;
    xmlDocPtr doc = NULL;
    bool ret = false;

    if (!g_file_test(schema, G_FILE_TEST_EXISTS)) {
        abVshError(ctl, "cannot find the autoballoon schema '%s' (set AB_SCHEMA_DIR)", schema);
        return false;
    }
    if (!(doc = xmlReadMemory(xml, strlen(xml), file, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING))) {
        const xmlError *err = xmlGetLastError();
        abVshError(ctl, "(%s):%d: %s", file, err ? err->line : 0,
                   err && err->message ? g_strchomp(err->message) : "malformed XML");
        return false;
    }

    pctxt = xmlRelaxNGNewParserCtxt(schema);
    xmlRelaxNGSetParserStructuredErrors(pctxt, abVshSchemaError, msgs);
    if (!(rng = xmlRelaxNGParse(pctxt))) {
        abVshError(ctl, "cannot parse the schema '%s': %s", schema, msgs->str);
        goto cleanup;
    }
    vctxt = xmlRelaxNGNewValidCtxt(rng);
    xmlRelaxNGSetValidStructuredErrors(vctxt, abVshSchemaError, msgs);
    if (xmlRelaxNGValidateDoc(vctxt, doc) != 0) {
        abVshError(ctl, "XML document failed to validate against schema: Unable to validate doc against %s\n%s",
                   schema, msgs->str);
        goto cleanup;
    }
    ret = true;

 cleanup:
    xmlRelaxNGFreeValidCtxt(vctxt);
    xmlRelaxNGFree(rng);
    xmlRelaxNGFreeParserCtxt(pctxt);
    xmlFreeDoc(doc);
    return ret;
}

/* The string value of XPath @expr on @doc, NULL when empty. */
static char *
abVshXPathString(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctxt = xmlXPathNewContext(doc);
    xmlXPathObjectPtr obj = ctxt ? xmlXPathEvalExpression(BAD_CAST expr, ctxt) : NULL;
    char *ret = NULL;

    if (obj && obj->type == XPATH_STRING && obj->stringval && *obj->stringval)
        ret = g_strdup((const char *) obj->stringval);
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctxt);
    return ret;
}

/* The QEMU binary that will run the domain: its <emulator>, else the one
 * libvirt's domain capabilities name for its type, arch and machine. */
static char *
abVshQemuBinary(abVshControl *ctl, xmlDocPtr doc)
{
    g_autofree char *emulator = abVshXPathString(doc, "string(/domain/devices/emulator)");
    g_autofree char *virttype = abVshXPathString(doc, "string(/domain/@type)");
    g_autofree char *arch = abVshXPathString(doc, "string(/domain/os/type/@arch)");
    g_autofree char *machine = abVshXPathString(doc, "string(/domain/os/type/@machine)");
    g_autofree char *caps = NULL;
    xmlDocPtr capsdoc;
    char *path;

    if (emulator)
        return g_steal_pointer(&emulator);
    if (!(caps = virConnectGetDomainCapabilities(ctl->conn, NULL, arch, machine, virttype, 0)))
        return NULL;
    if (!(capsdoc = xmlReadMemory(caps, strlen(caps), "domcaps.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)))
        return NULL;
    path = abVshXPathString(capsdoc, "string(/domainCapabilities/path)");
    xmlFreeDoc(capsdoc);
    return path;
}

/* What the QEMU binary that will run the domain can do with its balloon,
 * or NULL when it cannot be asked: not a QEMU connection, a remote host
 * (the binary is not ours to run), or no binary found. Only then are the
 * options every QEMU has used, and the user is told so. */
static abQemuCaps *
abVshQemuCaps(abVshControl *ctl, const char *xml)
{
    const char *type = virConnectGetType(ctl->conn);
    g_autofree char *uri = NULL;
    g_autofree char *binary = NULL;
    g_autofree char *cachedir = NULL;
    g_autoptr(GUri) parsed = NULL;
    g_autoptr(abQemuCapsCache) cache = NULL;
    g_autoptr(GError) err = NULL;
    xmlDocPtr doc;
    abQemuCaps *caps;

    if (!type || g_ascii_strcasecmp(type, "QEMU") != 0)
        return NULL;
    uri = virConnectGetURI(ctl->conn);
    parsed = uri ? g_uri_parse(uri, G_URI_FLAGS_NONE, NULL) : NULL;
    if (parsed && g_uri_get_host(parsed) && *g_uri_get_host(parsed)) {
        abVshWarn(ctl, "cannot ask the QEMU of remote host '%s' which balloon properties it has: "
                  "free page reporting and automatic ballooning are not turned on",
                  g_uri_get_host(parsed));
        return NULL;
    }
    if (!(doc = xmlReadMemory(xml, strlen(xml), "domain.xml", NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)))
        return NULL;
    binary = abVshQemuBinary(ctl, doc);
    xmlFreeDoc(doc);
    if (!binary) {
        abVshWarn(ctl, "no QEMU binary found for this domain: free page reporting and "
                  "automatic ballooning are not turned on");
        return NULL;
    }
    cachedir = abQemuCapsCacheDefaultDir();
    cache = abQemuCapsCacheNew(cachedir);
    if (!(caps = abQemuCapsCacheLookup(cache, binary, NULL, &err))) {
        abVshWarn(ctl, "cannot probe the balloon of '%s': %s", binary, err->message);
        return NULL;
    }
    return caps;
}

char *
abVshReadDomainFile(abVshControl *ctl, const char *file, bool validate)
{
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(abQemuCaps) caps = NULL;
    abQemuBalloonResult res;
    char *native;

    if (!g_file_get_contents(file, &xml, NULL, &err)) {
        abVshError(ctl, "Failed to open file '%s': %s", file,
                   g_strerror(err->domain == G_FILE_ERROR && err->code == G_FILE_ERROR_NOENT ?
                              ENOENT : EIO));
        return NULL;
    }
    if (validate && !abVshValidate(ctl, file, xml))
        return NULL;
    caps = abVshQemuCaps(ctl, xml);
    native = caps ? abQemuExtendedToNative(xml, caps, &res, &err)
                  : abConfExtendedToNative(xml, &err);
    if (!native) {
        abVshError(ctl, "%s", err->message);
        return NULL;
    }
    return native;
}

static bool
abVshDefineOrCreate(abVshControl *ctl, const abVshCmd *cmd, bool create)
{
    g_autofree char *native = NULL;
    g_autoptr(virDomain) dom = NULL;
    const char *file = NULL;

    abVshCommandOptString(cmd, "file", &file);
    if (!(native = abVshReadDomainFile(ctl, file, true)))
        return false;
    if (create)
        dom = virDomainCreateXML(ctl->conn, native, 0);
    else
        dom = virDomainDefineXML(ctl->conn, native);
    if (!dom) {
        abVshError(ctl, "Failed to %s domain from %s", create ? "create" : "define", file);
        abVshReportLibvirtError(ctl);
        return false;
    }
    abVshPrint(ctl, "Domain '%s' %s from %s\n", virDomainGetName(dom),
               create ? "created" : "defined", file);
    return true;
}

bool
abVshCmdDefine(abVshControl *ctl, const abVshCmd *cmd)
{
    return abVshDefineOrCreate(ctl, cmd, false);
}

bool
abVshCmdCreate(abVshControl *ctl, const abVshCmd *cmd)
{
    return abVshDefineOrCreate(ctl, cmd, true);
}

bool
abVshCmdDumpXML(abVshControl *ctl, const abVshCmd *cmd)
{
    g_autoptr(virDomain) dom = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;
    unsigned int flags = 0;

    if (!(dom = abVshCommandOptDomain(ctl, cmd, NULL)))
        return false;
    if (abVshCommandOptBool(cmd, "inactive"))
        flags |= VIR_DOMAIN_XML_INACTIVE;
    if (abVshCommandOptBool(cmd, "security-info"))
        flags |= VIR_DOMAIN_XML_SECURE;
    if (!(xml = virDomainGetXMLDesc(dom, flags))) {
        abVshReportLibvirtError(ctl);
        return false;
    }
    if (abVshCommandOptBool(cmd, "autoballoon")) {
        g_autofree char *ext = abQemuNativeToExtended(xml, &err);

        if (!ext) {
            abVshError(ctl, "%s", err->message);
            return false;
        }
        g_free(xml);
        xml = g_steal_pointer(&ext);
    }
    abVshPrint(ctl, "%s", xml);
    return true;
}
