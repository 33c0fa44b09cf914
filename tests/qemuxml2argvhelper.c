/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemuxml2argvhelper: the QEMU command line real libvirt renders for domain
 * XML files, through the embedded QEMU driver (qemu:///embed?root=ROOT),
 * which needs no daemon, only an event loop thread.
 *   qemuxml2argvhelper ROOT IN OUT [IN OUT]...
 * writes the argv of each IN to OUT, or "error: MESSAGE". Exit 2 when the
 * driver cannot be opened. Run it unprivileged: as root the driver wants the
 * 'libvirt-qemu' user, which only libvirt-daemon-system creates. */
#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static gpointer
eventLoop(gpointer opaque)
{
    for (;;)
        virEventRunDefaultImpl();
    return NULL;
}

int
main(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    virConnectPtr conn;

    if (argc < 2 || argc % 2 != 0) {
        g_printerr("usage: %s ROOT IN OUT [IN OUT]...\n", argv[0]);
        return 1;
    }
    if (virEventRegisterDefaultImpl() < 0) {
        g_printerr("cannot register libvirt's event loop: %s\n", virGetLastErrorMessage());
        return 2;
    }
    g_thread_unref(g_thread_new("libvirt-events", eventLoop, NULL));

    uri = g_strdup_printf("qemu:///embed?root=%s", argv[1]);
    if (!(conn = virConnectOpen(uri))) {
        g_printerr("cannot open %s: %s\n", uri, virGetLastErrorMessage());
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        g_autofree char *xml = NULL;
        g_autofree char *out = NULL;
        g_autoptr(GError) err = NULL;
        char *args;

        if (!g_file_get_contents(argv[i], &xml, NULL, &err)) {
            g_printerr("%s\n", err->message);
            return 1;
        }
        if ((args = virConnectDomainXMLToNative(conn, "qemu-argv", xml, 0))) {
            out = g_strdup_printf("%s\n", args);
            free(args);
        } else {
            out = g_strdup_printf("error: %s\n", virGetLastErrorMessage());
        }
        if (!g_file_set_contents(argv[i + 1], out, -1, &err)) {
            g_printerr("%s\n", err->message);
            return 1;
        }
    }
    /* The event thread never returns; exiting ends it with the process. */
    virConnectClose(conn);
    return 0;
}
