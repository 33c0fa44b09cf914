/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-edit.c: edit, as virsh edit does it, on the extended domain XML.
 * libvirt drops the autoballoon= attribute it does not know, so an edit
 * through the real virsh would lose the setting without a word: here the
 * editor gets the extended form, and what is saved goes through define's
 * validation and translation. The virsh front routes edit here for a
 * domain with an autoballoon policy (abVshEditRoutes). */
#include "ab-vsh-cmds.h"
#include "ab-vsh-edit.h"
#include "ab-namespace.h"
#include "ab-qemu-balloon.h"

#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gstdio.h>

const abVshOptDef abVshOptsEdit[] = {
    { "domain", AB_VSH_OT_STRING, AB_VSH_OFLAG_REQ | AB_VSH_OFLAG_POS, "domain name, id or uuid" },
    { "skip-validate", AB_VSH_OT_BOOL, 0, "skip validation of the XML against the schema" },
    { NULL },
};

/* virsh edit works on the persistent definition, with its secrets */
#define AB_VSH_EDIT_XML_FLAGS (VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_INACTIVE)

/* $VISUAL, else $EDITOR, else vi, run by the shell (an editor may come
 * with arguments) on @path, on our terminal. */
static bool
abVshEditRun(abVshControl *ctl, const char *path)
{
    const char *editor = g_getenv("VISUAL");
    g_autofree char *script = NULL;
    g_autoptr(GError) err = NULL;
    int status;

    if (!editor || !*editor)
        editor = g_getenv("EDITOR");
    if (!editor || !*editor)
        editor = "vi";
    script = g_strdup_printf("%s \"$1\"", editor);
    fflush(stdout);
    if (!g_spawn_sync(NULL, (char *[]) { (char *) "/bin/sh", (char *) "-c", script,
                                         (char *) "sh", (char *) path, NULL },
                      NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL,
                      &status, &err)) {
        abVshError(ctl, "cannot run the editor '%s': %s", editor, err->message);
        return false;
    }
    if (!g_spawn_check_wait_status(status, &err)) {
        abVshError(ctl, "%s: edit failed: %s", editor, err->message);
        return false;
    }
    return true;
}

/* virsh's question after a failed define: y (edit again), n (give up),
 * i (again without the schema), f (define the same again), ? (help).
 * One key, from the terminal; without one the answer is n. */
static int
abVshEditAsk(const char *msg, bool relaxAvail)
{
    struct termios saved, raw;
    int c = -1;

    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) < 0)
        return 'n';
    raw = saved;
    cfmakeraw(&raw);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
    while (c != 'y' && c != 'n' && c != 'f' && !(c == 'i' && relaxAvail)) {
        unsigned char key;

        printf("\r%s Try again? %s: ", msg, relaxAvail ? "[y,n,i,f,?]" : "[y,n,f,?]");
        fflush(stdout);
        if (read(STDIN_FILENO, &key, 1) != 1) {
            c = 'n';
            break;
        }
        c = g_ascii_tolower(key);
        if (c == '?') {
            printf("\r\n"
                   "y - yes, start editor again\r\n"
                   "n - no, throw away my changes\r\n");
            if (relaxAvail)
                printf("i - turn off validation and try to redefine again\r\n");
            printf("f - force, try to redefine again\r\n"
                   "? - print this help\r\n");
        }
    }
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    printf("\r\n");
    fflush(stdout);
    return c;
}

static char *
abVshEditReadBack(abVshControl *ctl, const char *path)
{
    g_autoptr(GError) err = NULL;
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, &err))
        abVshError(ctl, "cannot read the edited file '%s': %s", path, err->message);
    return text;
}

bool
abVshCmdEdit(abVshControl *ctl, const abVshCmd *cmd)
{
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(virDomain) newdom = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *native = NULL;
    g_autofree char *ext = NULL;
    g_autofree char *tmp = NULL;
    g_autofree char *edited = NULL;
    bool validate = !abVshCommandOptBool(cmd, "skip-validate");
    bool ret = false;
    int fd;

    if (!(dom = abVshCommandOptDomain(ctl, cmd, NULL)))
        return false;
    if (!(native = virDomainGetXMLDesc(dom, AB_VSH_EDIT_XML_FLAGS))) {
        abVshReportLibvirtError(ctl);
        return false;
    }
    if (!(ext = abQemuNativeToExtended(native, &err))) {
        abVshError(ctl, "%s", err->message);
        return false;
    }
    if ((fd = g_file_open_tmp("virsh-autoballoonXXXXXX.xml", &tmp, &err)) < 0) {
        abVshError(ctl, "cannot create a temporary file: %s", err->message);
        return false;
    }
    close(fd);
    if (!g_file_set_contents(tmp, ext, -1, &err)) {
        abVshError(ctl, "cannot write '%s': %s", tmp, err->message);
        goto cleanup;
    }

 reedit:
    if (!abVshEditRun(ctl, tmp))
        goto cleanup;
    g_free(edited);
    if (!(edited = abVshEditReadBack(ctl, tmp)))
        goto cleanup;
    if (g_str_equal(edited, ext)) {
        abVshPrint(ctl, "Domain '%s' XML configuration not changed.\n", virDomainGetName(dom));
        ret = true;
        goto cleanup;
    }

 redefine:
    {
        g_autofree char *reread = virDomainGetXMLDesc(dom, AB_VSH_EDIT_XML_FLAGS);
        g_autofree char *newnative = NULL;
        const char *msg = NULL;

        if (!reread) {
            abVshReportLibvirtError(ctl);
            goto cleanup;
        }
        if (!g_str_equal(reread, native)) {
            /* someone else defined it meanwhile: say so before overwriting;
             * the next try (f) compares with what is there now */
            msg = "The XML configuration was changed by another user.";
            g_free(native);
            native = g_steal_pointer(&reread);
        } else if (!(newnative = abVshReadDomainFile(ctl, tmp, "define", validate))) {
            msg = "Failed.";
        } else if (!(newdom = virDomainDefineXML(abVshConnection(ctl), newnative))) {
            abVshReportLibvirtError(ctl);
            msg = "Failed.";
        }
        if (msg) {
            switch (abVshEditAsk(msg, validate)) {
            case 'y':
                goto reedit;
            case 'f':
                goto redefine;
            case 'i':
                validate = false;
                goto redefine;
            default:
                /* nothing was defined: the domain is as it was */
                if (!isatty(STDIN_FILENO))
                    abVshError(ctl, "%s", msg);
                goto cleanup;
            }
        }
    }
    abVshPrint(ctl, "Domain '%s' XML configuration edited.\n", virDomainGetName(newdom));
    ret = true;

 cleanup:
    if (tmp)
        g_unlink(tmp);
    return ret;
}

/* The domain word of "edit [--domain] DOMAIN [--skip-validate]". */
static const char *
abVshEditDomainWord(GPtrArray *words)
{
    for (guint i = 1; i < words->len; i++) {
        const char *w = g_ptr_array_index(words, i);

        if (g_str_has_prefix(w, "--domain="))
            return w + strlen("--domain=");
        if (strcmp(w, "--domain") == 0)
            return i + 1 < words->len ? g_ptr_array_index(words, i + 1) : NULL;
        if (!g_str_has_prefix(w, "--"))
            return w;
    }
    return NULL;
}

static void
abVshEditQuiet(void *opaque, virErrorPtr err)
{
}

bool
abVshEditRoutes(const char *uri, GPtrArray *words)
{
    const char *name = abVshEditDomainWord(words);
    virConnectPtr conn;
    virDomainPtr dom = NULL;
    char *xml = NULL;
    unsigned int id;
    bool ours = false;

    if (!name)
        return false;
    /* whatever goes wrong here, the real virsh will say it better */
    virSetErrorFunc(NULL, abVshEditQuiet);
    if (!(conn = virConnectOpenReadOnly(uri)))
        return false;
    if (!(dom = virDomainLookupByName(conn, name)) &&
        !(dom = virDomainLookupByUUIDString(conn, name)) &&
        sscanf(name, "%u", &id) == 1)
        dom = virDomainLookupByID(conn, (int) id);
    if (dom) {
        xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, AB_NS_POLICY_URI,
                                   VIR_DOMAIN_AFFECT_CONFIG);
        ours = xml != NULL;
        free(xml);
        virDomainFree(dom);
    }
    virConnectClose(conn);
    virResetLastError();
    return ours;
}
