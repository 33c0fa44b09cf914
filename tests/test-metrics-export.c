/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metrics textfile as Prometheus sees it: the daemon on the test
 * driver with a fixed host pressure writes [metrics] textfile; the real
 * prometheus-node-exporter (textfile collector only, on a loopback port)
 * serves it; the scraped series must agree with libvirt's view of the
 * guests, before and after host pressure shrinks them. */
#include "test-daemon-fixture.h"
#include "test-metrics-util.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

typedef struct {
    GSubprocess *proc;
    guint16 port;
    bool exited;
} Exporter;

static char *tmpdir;

static void
setupMetrics(Fixture *f, gconstpointer data)
{
    abDaemonConfig *cfg = abDaemonConfigNew();

    tmpdir = g_dir_make_tmp("ab-metrics-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    cfg->metricsTextfile = g_build_filename(tmpdir, "autoballoon.prom", NULL);
    fixtureSetupWith(f, cfg, false, true);
}

static void
teardownMetrics(Fixture *f, gconstpointer data)
{
    g_autofree char *prom = g_build_filename(tmpdir, "autoballoon.prom", NULL);

    fixtureTeardown(f, data);
    g_unlink(prom);
    g_assert_cmpint(g_rmdir(tmpdir), ==, 0);
    g_clear_pointer(&tmpdir, g_free);
}

static guint16
freePort(void)
{
    g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    g_assert_true(g_socket_bind(sock, addr, FALSE, NULL));
    bound = g_socket_get_local_address(sock, NULL);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

/* GET /metrics; NULL while nothing listens. */
static char *
scrape(guint16 port)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketConnection) conn = NULL;
    g_autoptr(GOutputStream) body = g_memory_output_stream_new_resizable();
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;
    const char *req = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    char *sep;

    if (!(conn = g_socket_client_connect_to_host(client, "127.0.0.1", port, NULL, NULL)))
        return NULL;
    g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)),
                                            req, strlen(req), NULL, NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpint(g_output_stream_splice(body, g_io_stream_get_input_stream(G_IO_STREAM(conn)),
                                           G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &err),
                    >=, 0);
    g_assert_no_error(err);
    text = g_strndup(g_memory_output_stream_get_data(G_MEMORY_OUTPUT_STREAM(body)),
                     g_memory_output_stream_get_data_size(G_MEMORY_OUTPUT_STREAM(body)));
    g_assert_true(g_str_has_prefix(text, "HTTP/1.0 200") || g_str_has_prefix(text, "HTTP/1.1 200"));
    g_assert_nonnull((sep = strstr(text, "\r\n\r\n")));
    return g_strdup(sep + 4);
}

static void
exporterExited(GObject *src, GAsyncResult *res, gpointer opaque)
{
    Exporter *e = opaque;

    g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL);
    e->exited = true;
}

/* A failed assertion aborts the test before exporterStop(): the exporter
 * goes with it. */
static void
exporterChildSetup(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* Start it on a free loopback port; false if it is not installed. */
static bool
exporterStart(Exporter *e)
{
    g_autofree char *bin = g_find_program_in_path("prometheus-node-exporter");

    if (!bin)
        bin = g_find_program_in_path("node_exporter");
    if (!bin)
        return false;
    /* a port taken between freePort() and the exporter's bind: try again */
    for (int attempt = 0; attempt < 5; attempt++) {
        g_autofree char *listen = NULL;
        g_autofree char *dir = g_strdup_printf("--collector.textfile.directory=%s", tmpdir);
        g_autofree char *text = NULL;
        g_autoptr(GError) err = NULL;
        g_autoptr(GSubprocessLauncher) launcher =
            g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                      G_SUBPROCESS_FLAGS_STDERR_SILENCE);

        e->port = freePort();
        e->exited = false;
        listen = g_strdup_printf("--web.listen-address=127.0.0.1:%u", e->port);
        g_subprocess_launcher_set_child_setup(launcher, exporterChildSetup, NULL, NULL);
        e->proc = g_subprocess_launcher_spawn(launcher, &err, bin, "--collector.disable-defaults",
                                              "--collector.textfile", dir, listen, NULL);
        g_assert_no_error(err);
        g_subprocess_wait_async(e->proc, NULL, exporterExited, e);
        waitFor(e->exited || (text = scrape(e->port)));
        if (text)
            return true;
        g_test_message("node exporter exited (port %u taken?); again", e->port);
        g_clear_object(&e->proc);
    }
    g_error("prometheus-node-exporter does not start");
}

static void
exporterStop(Exporter *e)
{
    g_subprocess_send_signal(e->proc, SIGTERM);
    waitFor(e->exited);
    g_clear_object(&e->proc);
}

static Metrics *
scrapeParse(Exporter *e)
{
    g_autofree char *text = scrape(e->port);

    g_assert_nonnull(text);
    /* the exporter read our file and its own parser took every line */
    g_assert_nonnull(strstr(text, "node_textfile_mtime_seconds"));
    /* its file label is the whole path: docs/metrics.md's staleness
     * query matches it with file=~".*<name>" */
    g_assert_nonnull(strstr(text, "node_textfile_mtime_seconds{file=\"/"));
    return metricsParse(text);
}

/* Every guest libvirt runs: managed ones with libvirt's sizes, the others
 * absent. The target is what libvirt has now (the test driver applies a
 * target at once); the actual is the balloon the tick read, which is what
 * libvirt had at the previous check (@prev: uuid -> KiB; NULL: now). Fills
 * @now with libvirt's sizes and returns how many guests are managed. */
static guint
checkAgainstLibvirt(Fixture *f, Metrics *m, GHashTable *prev, GHashTable *now)
{
    virDomainPtr *doms = NULL;
    guint managed = 0;
    int n = virConnectListAllDomains(f->conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);

    g_assert_cmpint(n, >, 0);
    for (int i = 0; i < n; i++) {
        const char *name = virDomainGetName(doms[i]);
        char uuid[VIR_UUID_STRING_BUFLEN];
        virDomainInfo vi;
        abDaemonDomainInfo di;

        g_assert_cmpint(virDomainGetUUIDString(doms[i], uuid), ==, 0);
        g_assert_cmpint(virDomainGetInfo(doms[i], &vi), ==, 0);
        g_assert_cmpint(abDaemonGetDomainInfo(f->daemon, name, &di), ==, 0);
        if (!di.managed) {
            g_assert_true(isnan(metricsGet(m, "autoballoon_guest_actual_bytes", "uuid", uuid)));
            virDomainFree(doms[i]);
            continue;
        }
        managed++;
        g_test_message("%s: libvirt %lu KiB of %lu KiB", name, vi.memory, vi.maxMem);
        g_hash_table_insert(now, g_strdup(uuid), GSIZE_TO_POINTER(vi.memory));
        g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_actual_bytes", "uuid", uuid),
                          ==, (prev ? GPOINTER_TO_SIZE(g_hash_table_lookup(prev, uuid))
                                    : vi.memory) * 1024.0);
        g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_maximum_bytes", "uuid", uuid),
                          ==, vi.maxMem * 1024.0);
        g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_target_bytes", "uuid", uuid),
                          ==, vi.memory * 1024.0);
        g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_target_bytes", "domain", name),
                          ==, vi.memory * 1024.0);
        g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_floor_bytes", "uuid", uuid),
                          <=, vi.memory * 1024.0);
        g_assert_cmpfloat(metricsGet(m, "autoballoon_guest_unresponsive", "uuid", uuid), ==, 0);
        virDomainFree(doms[i]);
    }
    g_free(doms);
    g_assert_cmpfloat(metricsGet(m, "autoballoon_managed_guests", NULL, NULL), ==, managed);
    return managed;
}

static double
sumOf(Metrics *m, const char *name)
{
    double sum = 0;

    for (guint i = 0; i < m->series->len; i++) {
        const MetricsSeries *s = m->series->pdata[i];

        if (g_str_equal(s->name, name))
            sum += s->value;
    }
    return sum;
}

static void
testNodeExporter(Fixture *f, gconstpointer data)
{
    Exporter e = { 0 };
    g_autoptr(Metrics) before = NULL;
    g_autoptr(Metrics) after = NULL;
    g_autoptr(GHashTable) sizes0 = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) sizes1 = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    double shrunk = 0;

    tick(f, 2);
    if (!exporterStart(&e)) {
        g_test_skip("prometheus-node-exporter is not installed (make deps installs it)");
        return;
    }

    before = scrapeParse(&e);
    g_assert_cmpfloat(metricsGet(before, "node_textfile_scrape_error", NULL, NULL), ==, 0);
    g_assert_cmpuint(checkAgainstLibvirt(f, before, NULL, sizes0), ==, abDaemonCountManaged(f->daemon));
    g_assert_cmpfloat(metricsGet(before, "autoballoon_connected", NULL, NULL), ==, 1);
    g_assert_cmpfloat(metricsGet(before, "autoballoon_host_pressure_level", NULL, NULL), ==, 0);
    g_assert_cmpfloat(metricsGet(before, "autoballoon_ticks_total", NULL, NULL), ==, 1);
    g_assert_cmpfloat(metricsGet(before, "autoballoon_balloon_commands_total", NULL, NULL),
                      ==, abDaemonCountSetMemory(f->daemon));

    /* host pressure: the daemon shrinks guests, the exporter reads the
     * new file at the next scrape */
    abDaemonPressureFixedSet(f->pressure, AB_LEVEL_MEDIUM, AB_STATUS_SOURCE_PSI, 32 * MiB);
    tick(f, 2);
    g_assert_cmpuint(abDaemonCountSetMemory(f->daemon), >, 0);
    after = scrapeParse(&e);
    g_assert_cmpfloat(metricsGet(after, "node_textfile_scrape_error", NULL, NULL), ==, 0);
    checkAgainstLibvirt(f, after, sizes0, sizes1);
    g_assert_cmpfloat(metricsGet(after, "autoballoon_host_pressure_level", NULL, NULL), ==, AB_LEVEL_MEDIUM);
    g_assert_cmpfloat(metricsGet(after, "autoballoon_host_pressure_source", "source", "psi"), ==, 1);
    g_assert_cmpfloat(metricsGet(after, "autoballoon_host_pressure_source_level", "source", "psi"),
                      ==, AB_LEVEL_MEDIUM);
    g_assert_cmpfloat(metricsGet(after, "autoballoon_host_deficit_bytes", NULL, NULL), ==, 32 * MiB * 1024.0);
    g_assert_cmpfloat(metricsGet(after, "autoballoon_ticks_total", NULL, NULL), ==, 2);
    g_assert_cmpfloat(metricsGet(after, "autoballoon_balloon_commands_total", NULL, NULL),
                      ==, abDaemonCountSetMemory(f->daemon));
    g_assert_cmpfloat(sumOf(after, "autoballoon_guest_balloon_commands_total"),
                      ==, abDaemonCountSetMemory(f->daemon));
    g_assert_cmpfloat(metricsGet(after, "autoballoon_errors_total", "op", "set_memory"), ==, 0);
    g_assert_cmpstr(metricsLabelOf(after, "autoballoon_guest_last_reason", "domain", "vm-on",
                                   "reason"), ==, "host-pressure");
    /* set in this tick, on the daemon's (fake) clock */
    g_assert_cmpfloat(metricsGet(after, "autoballoon_guest_last_decision_age_seconds",
                                 "domain", "vm-on"), ==, 0);
    shrunk = sumOf(before, "autoballoon_guest_target_bytes") -
             sumOf(after, "autoballoon_guest_target_bytes");
    g_test_message("shrunk by %.0f bytes", shrunk);
    g_assert_cmpfloat(shrunk, >, 0);

    exporterStop(&e);
}

/* Unset, no file; a directory that is not there is warned about once. */
static void
testWriteFails(Fixture *f, gconstpointer data)
{
    abDaemonConfig *cfg = abDaemonConfigNew();

    cfg->metricsTextfile = g_strdup("/nonexistent-ab-dir/autoballoon.prom");
    abDaemonReload(f->daemon, cfg);
    tick(f, 2);
    tick(f, 2);
    assertLogged("WARNING", "cannot write the metrics textfile", "nonexistent-ab-dir");
    g_assert_cmpuint(testLogCount("cannot write the metrics textfile"), ==, 1);
}

static const FixtureTest tests[] = {
    { "/metrics/node-exporter", testNodeExporter, NULL, setupMetrics, teardownMetrics },
    { "/metrics/write-fails", testWriteFails, NULL, setupMetrics, teardownMetrics },
};

FIXTURE_MAIN(tests)
