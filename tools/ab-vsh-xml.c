/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-xml.c: define, create and dumpxml with the extended domain XML:
 * validated against docs/schemas/autoballoon.rng, translated by src/conf. */
#include "ab-vsh-cmds.h"
#include "ab-config.h"
#include "ab-conf.h"
#include "ab-qemu-balloon.h"
#include "ab-error.h"
#include "ab-xml.h"

#include <errno.h>
#include <string.h>

const abVshOptDef abVshOptsDefine[] = {
    { "file", AB_VSH_OT_STRING, AB_VSH_OFLAG_REQ | AB_VSH_OFLAG_POS, "file containing an XML domain description, with or without autoballoon" },
    { NULL },
};

const abVshOptDef abVshOptsDumpXML[] = {
    AB_VSH_OPT_DOMAIN_REQUIRED,
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

/* The QEMU binary that will run the domain: its <emulator>, else the one
 * libvirt's domain capabilities name for its type, arch and machine. */
static char *
abVshQemuBinary(abVshControl *ctl, xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr ostype = abXmlChildPath(root, "os", "type", NULL);
    g_autofree char *emulator = abXmlText(abXmlChildPath(root, "devices", "emulator", NULL));
    g_autofree char *virttype = abXmlProp(root, "type");
    g_autofree char *arch = abXmlProp(ostype, "arch");
    g_autofree char *machine = abXmlProp(ostype, "machine");
    g_autofree char *caps = NULL;
    g_autoptr(xmlDoc) capsdoc = NULL;
    char *path;

    if (*emulator)
        return g_steal_pointer(&emulator);
    if (!(caps = virConnectGetDomainCapabilities(ctl->conn, NULL, arch, machine, virttype, 0)))
        return NULL;
    if (!(capsdoc = abXmlParse(caps, "domain capabilities", NULL)))
        return NULL;
    path = abXmlText(abXmlChild(xmlDocGetRootElement(capsdoc), "path", NULL));
    if (!*path)
        g_clear_pointer(&path, g_free);
    return path;
}

/* What the QEMU binary that will run the domain can do with its balloon,
 * or NULL when it cannot be asked: not a QEMU connection, a remote host
 * (the binary is not ours to run), or no binary found. Only then are the
 * options every QEMU has used, and the user is told so. */
static abQemuCaps *
abVshQemuCaps(abVshControl *ctl, xmlDocPtr doc)
{
    const char *type = virConnectGetType(ctl->conn);
    g_autofree char *uri = NULL;
    g_autofree char *binary = NULL;
    g_autofree char *cachedir = NULL;
    g_autoptr(GUri) parsed = NULL;
    g_autoptr(abQemuCapsCache) cache = NULL;
    g_autoptr(GError) err = NULL;
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
    binary = abVshQemuBinary(ctl, doc);
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

/* virsh's first line when a file was read but not taken */
static void
abVshFailedFrom(abVshControl *ctl, const char *verb, const char *file)
{
    abVshError(ctl, "Failed to %s domain from %s", verb, file);
}

char *
abVshExtendedToNative(abVshControl *ctl, const char *ext, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(abQemuCaps) caps = NULL;
    abQemuBalloonResult res;
    int rc;

    if (!(doc = abXmlParse(ext, "domain XML", error)))
        return NULL;
    caps = abVshQemuCaps(ctl, doc);
    if ((rc = abQemuExtendedToNativeDoc(doc, caps, &res, error)) < 0)
        return NULL;
    return rc ? abXmlFormatDoc(doc) : g_strdup(ext);
}

xmlDocPtr
abVshDomainXMLLoad(const char *xml, const char *file, const char *schema,
                   GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(GError) err = NULL;
    abQemuBalloonRequest req;
    xmlNodePtr balloon;

    if (!(doc = abXmlParseFile(xml, file, error)))
        return NULL;
    /* Native XML with our policy in <metadata> (what dumpxml saves) goes
     * back to the extended form first, so that a restore is what define
     * gives: what the last define added comes out, what this binary has
     * goes in. A balloon that says autoballoon itself is extended XML:
     * a policy in its <metadata> too is refused below. */
    balloon = abXmlChildPath(xmlDocGetRootElement(doc), "devices", "memballoon", NULL);
    if ((!balloon || (!xmlHasProp(balloon, BAD_CAST "autoballoon") &&
                      !abXmlChild(balloon, "autoballoon", NULL))) &&
        abQemuNativeToExtendedDoc(doc, error) < 0)
        return NULL;
    /* our own checks first: they name the element, the value and what is
     * allowed, where the schema can only say that something is wrong */
    if (abQemuBalloonRequestParse(doc, &req, error) < 0 ||
        abConfExtendedCheckDoc(doc, error) < 0)
        return NULL;
    if (schema && abXmlValidate(doc, schema, &err) < 0) {
        g_autofree char *name = abXmlDomainName(doc);

        if (err->code != AB_ERROR_INVALID) {
            g_propagate_error(error, g_steal_pointer(&err));
            return NULL;
        }
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "%s%s%sthe schema %s refuses the document: %s",
                    name ? "domain '" : "", name ? name : "", name ? "': " : "",
                    schema, err->message);
        return NULL;
    }
    return g_steal_pointer(&doc);
}

char *
abVshReadDomainFile(abVshControl *ctl, const char *file, const char *verb, bool validate)
{
    g_autofree char *xml = NULL;
    g_autofree char *schema = abVshSchemaPath();
    g_autoptr(GError) err = NULL;
    g_autoptr(abQemuCaps) caps = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    abQemuBalloonResult res;
    int rc;

    if (!g_file_get_contents(file, &xml, NULL, &err)) {
        abVshError(ctl, "Failed to open file '%s': %s", file,
                   g_strerror(err->domain == G_FILE_ERROR && err->code == G_FILE_ERROR_NOENT ?
                              ENOENT : EIO));
        return NULL;
    }
    /* past opening the file, virsh's first line names what failed */
    if (validate && !g_file_test(schema, G_FILE_TEST_EXISTS)) {
        abVshFailedFrom(ctl, verb, file);
        abVshError(ctl, "cannot find the autoballoon schema '%s' (set AB_SCHEMA_DIR)", schema);
        return NULL;
    }
    if (!(doc = abVshDomainXMLLoad(xml, file, validate ? schema : NULL, &err))) {
        abVshFailedFrom(ctl, verb, file);
        abVshError(ctl, "%s", err->message);
        return NULL;
    }
    caps = abVshQemuCaps(ctl, doc);
    if ((rc = abQemuExtendedToNativeDoc(doc, caps, &res, &err)) < 0) {
        abVshFailedFrom(ctl, verb, file);
        abVshError(ctl, "%s", err->message);
        return NULL;
    }
    return rc ? abXmlFormatDoc(doc) : g_steal_pointer(&xml);
}

static bool
abVshDefineOrCreate(abVshControl *ctl, const abVshCmd *cmd, bool create)
{
    g_autofree char *native = NULL;
    g_autoptr(virDomain) dom = NULL;
    const char *file = NULL;

    abVshCommandOptString(cmd, "file", &file);
    if (!(native = abVshReadDomainFile(ctl, file, create ? "create" : "define", true)))
        return false;
    if (create)
        dom = virDomainCreateXML(ctl->conn, native, 0);
    else
        dom = virDomainDefineXML(ctl->conn, native);
    if (!dom) {
        abVshFailedFrom(ctl, create ? "create" : "define", file);
        abVshReportLibvirtError(ctl);
        return false;
    }
    abVshPrintExtra(ctl, "Domain '%s' %s from %s\n", virDomainGetName(dom),
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
