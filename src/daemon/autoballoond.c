/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* autoballoond: sets virtio balloon targets of libvirt guests from host
 * memory pressure and guest stats. */
#include "ab-config.h"
#include "ab-daemon.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    GMainLoop *loop;
    abDaemon *daemon;
    char *configPath;
    bool configExplicit;
    char *tickOverride;             /* --tick, NULL: none */
    int exitCode;
} abDaemonMain;

static gboolean
abDaemonMainQuit(gpointer opaque)
{
    abDaemonMain *m = opaque;

    g_message("exiting on signal");
    g_main_loop_quit(m->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean
abDaemonMainReload(gpointer opaque)
{
    abDaemonMain *m = opaque;
    g_autoptr(GError) err = NULL;
    abDaemonConfig *cfg;

    if (!(cfg = abDaemonConfigLoad(m->configPath, !m->configExplicit, &err))) {
        g_warning("reload failed, keeping the current configuration: %s", err->message);
        return G_SOURCE_CONTINUE;
    }
    /* checked at start: cannot fail */
    if (m->tickOverride)
        abDaemonConfigSetValue(cfg, "daemon", "tick", m->tickOverride, NULL);
    abDaemonReload(m->daemon, cfg);
    /* sources and thresholds may have changed, and guests started since
     * the last open let cgroup = auto find their cgroup */
    abDaemonSetPressure(m->daemon, abDaemonPressureOpen(cfg, NULL));
    return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
    g_autofree char *uri = NULL;
    g_autofree char *configPath = NULL;
    g_autofree char *tick = NULL;
    gboolean dryRun = FALSE, verbose = FALSE, version = FALSE, once = FALSE;
    GOptionEntry entries[] = {
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
          "libvirt connection URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)", "URI" },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &configPath,
          "configuration file (default: " AB_SYSCONFDIR "/autoballoon/autoballoond.conf; its .conf.d/ drop-ins are read too)", "FILE" },
        { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dryRun,
          "decide and log, but change no balloon target, stats period or metadata", NULL },
        { "once", 0, 0, G_OPTION_ARG_NONE, &once,
          "connect, run one tick, write the status and exit (exit 1 if the configuration or the connection fails)", NULL },
        { "tick", 0, 0, G_OPTION_ARG_STRING, &tick,
          "seconds between ticks, overriding the configuration's [daemon] tick", "SECONDS" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
          "also log info and debug messages (of autoballoon's modules only)", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version,
          "print the version and exit", NULL },
        { NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- automatic virtio balloon for libvirt guests");
    g_autoptr(GError) err = NULL;
    g_autoptr(GMainLoop) loop = NULL;
    abDaemonConfig *cfg;
    abDaemonMain m = { 0 };
    guint sigs[3];

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx,
        "Manages the guests whose <memballoon> says autoballoon='on' (or all\n"
        "running guests with [daemon] manage = all). SIGHUP reloads the\n"
        "configuration; SIGTERM and SIGINT exit. See autoballoond(8).");
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "error: %s\n", err->message);
        return 1;
    }
    if (argc > 1) {
        fprintf(stderr, "error: unexpected argument '%s'\n", argv[1]);
        return 1;
    }
    if (version) {
        printf("autoballoond %s\n", AB_VERSION);
        return 0;
    }
    /* our own debug output, not that of every library in the process */
    abDaemonLogSetup(verbose);

    m.configExplicit = configPath != NULL;
    m.configPath = configPath ? g_strdup(configPath) : abDaemonConfigDefaultPath();
    if (!(cfg = abDaemonConfigLoad(m.configPath, !m.configExplicit, &err))) {
        fprintf(stderr, "error: %s\n", err->message);
        g_free(m.configPath);
        return 1;
    }
    /* the configuration's own parser: finite, within the same bounds */
    if (tick) {
        if (abDaemonConfigSetValue(cfg, "daemon", "tick", tick, &err) < 0) {
            fprintf(stderr, "error: invalid --tick '%s': %s seconds\n", tick, err->message);
            abDaemonConfigFree(cfg);
            g_free(m.configPath);
            return 1;
        }
        m.tickOverride = tick;
    }

    m.daemon = abDaemonNew(uri, cfg, dryRun);
    abDaemonSetPressure(m.daemon, abDaemonPressureOpen(cfg, NULL));

    if (once) {
        if (abDaemonConnect(m.daemon, &err) < 0) {
            fprintf(stderr, "error: %s\n", err->message);
            m.exitCode = 1;
        } else {
            abDaemonTick(m.daemon);
            abDaemonFlushStatus(m.daemon, true);
        }
        abDaemonFree(m.daemon);
        g_free(m.configPath);
        return m.exitCode;
    }

    loop = g_main_loop_new(NULL, FALSE);
    m.loop = loop;
    sigs[0] = g_unix_signal_add(SIGTERM, abDaemonMainQuit, &m);
    sigs[1] = g_unix_signal_add(SIGINT, abDaemonMainQuit, &m);
    sigs[2] = g_unix_signal_add(SIGHUP, abDaemonMainReload, &m);

    abDaemonStart(m.daemon);
    g_main_loop_run(loop);

    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++)
        g_source_remove(sigs[i]);
    /* A call blocked on a hung QEMU would hold the connection's close
     * (libvirt waits for it); everything the daemon has lives in libvirt,
     * so it leaves without closing. */
    if (abDaemonCallsBlocked() > 0) {
        g_message("exiting with %u libvirt call(s) unanswered", abDaemonCallsBlocked());
        _exit(0);
    }
    abDaemonFree(m.daemon);
    g_free(m.configPath);
    return 0;
}
