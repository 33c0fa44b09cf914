/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-qemu-monitor.c: QEMU monitor balloon events to published status */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "ab-error.h"
#include "ab-qemu-monitor.h"

const char * const abQemuMonitorBalloonEvents[] = { "BALLOON_CHANGE", NULL };

static bool
abQemuMonitorIsBalloonEvent(const char *event)
{
    return event && g_strv_contains(abQemuMonitorBalloonEvents, event);
}

/* The unsigned number under the top-level key @key of a flat JSON object.
 * QEMU's balloon event data is one such object; a JSON library would be a
 * dependency for one integer. */
static int
abQemuMonitorJsonNumber(const char *json, const char *key,
                        unsigned long long *value)
{
    g_autofree char *quoted = g_strdup_printf("\"%s\"", key);
    const char *p = json ? strstr(json, quoted) : NULL;
    char *end = NULL;

    if (!p)
        return -1;
    p += strlen(quoted);
    while (g_ascii_isspace(*p))
        p++;
    if (*p++ != ':')
        return -1;
    while (g_ascii_isspace(*p))
        p++;
    if (!g_ascii_isdigit(*p))
        return -1;
    errno = 0;
    *value = strtoull(p, &end, 10);
    if (errno != 0 || end == p || (*end && !strchr(" \t\r\n,}", *end)))
        return -1;
    return 0;
}

int
abQemuMonitorEventToStatus(const char *event, long long seconds,
                           const char *details,
                           unsigned long long prevActualKiB,
                           abConfStatus *st, GError **error)
{
    unsigned long long actual = 0;
    abStatusAction action;

    if (!abQemuMonitorIsBalloonEvent(event)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "QEMU monitor event '%s' is not a balloon event",
                    event ? event : "(null)");
        return -1;
    }
    if (abQemuMonitorJsonNumber(details, "actual", &actual) < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "QEMU monitor event '%s': no unsigned 'actual' in its data '%s'",
                    event, details ? details : "(null)");
        return -1;
    }

    /* The balloon size is what the guest keeps: smaller means inflated. */
    actual /= 1024;
    if (prevActualKiB == 0 || actual == prevActualKiB)
        action = AB_STATUS_ACTION_HOLD;
    else if (actual < prevActualKiB)
        action = AB_STATUS_ACTION_INFLATE;
    else
        action = AB_STATUS_ACTION_DEFLATE;

    memset(st, 0, sizeof(*st));
    st->level = AB_LEVEL_NONE;      /* QEMU does not say what pressure it saw */
    st->source = AB_STATUS_SOURCE_QEMU;
    st->targetKiB = actual;         /* QEMU sets its own target: what it reached */
    st->actualKiB = actual;
    st->action = action;
    st->reason = g_strdup(AB_QEMU_MONITOR_REASON);
    st->time = seconds;
    return 0;
}

typedef struct {
    abQemuMonitorActualFunc actualFunc;
    abQemuMonitorStatusFunc func;
    void *opaque;
    GDestroyNotify freeFunc;
} abQemuMonitorCallback;

static void
abQemuMonitorCallbackFree(void *opaque)
{
    abQemuMonitorCallback *cb = opaque;

    if (cb->freeFunc)
        cb->freeFunc(cb->opaque);
    g_free(cb);
}

static void
abQemuMonitorEvent(virConnectPtr conn, virDomainPtr dom, const char *event,
                   long long seconds, unsigned int micros, const char *details,
                   void *opaque)
{
    abQemuMonitorCallback *cb = opaque;
    g_autoptr(GError) err = NULL;
    unsigned long long prev = cb->actualFunc ? cb->actualFunc(dom, cb->opaque) : 0;
    abConfStatus st;

    if (abQemuMonitorEventToStatus(event, seconds, details, prev, &st, &err) < 0) {
        g_debug("domain '%s': %s", virDomainGetName(dom), err->message);
        return;
    }
    cb->func(conn, dom, &st, cb->opaque);
    abConfStatusClear(&st);
}

int
abQemuMonitorRegister(virConnectPtr conn, virDomainPtr dom,
                      abQemuMonitorActualFunc actualFunc,
                      abQemuMonitorStatusFunc func, void *opaque,
                      GDestroyNotify freeFunc, GError **error)
{
    g_autoptr(GString) regex = g_string_new("^(");
    abQemuMonitorCallback *cb = g_new0(abQemuMonitorCallback, 1);
    int id;

    for (size_t i = 0; abQemuMonitorBalloonEvents[i]; i++)
        g_string_append_printf(regex, "%s%s", i ? "|" : "", abQemuMonitorBalloonEvents[i]);
    g_string_append(regex, ")$");

    cb->actualFunc = actualFunc;
    cb->func = func;
    cb->opaque = opaque;
    cb->freeFunc = freeFunc;

    id = virConnectDomainQemuMonitorEventRegister(conn, dom, regex->str,
                                                  abQemuMonitorEvent, cb,
                                                  abQemuMonitorCallbackFree,
                                                  VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_REGEX);
    if (id < 0) {
        /* libvirt did not take @cb, so its free function will not run */
        cb->freeFunc = NULL;
        abQemuMonitorCallbackFree(cb);
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED,
                    "cannot register for QEMU monitor events '%s'%s%s: %s",
                    regex->str, dom ? " of domain " : "",
                    dom ? virDomainGetName(dom) : "", virGetLastErrorMessage());
        return -1;
    }
    return id;
}

int
abQemuMonitorDeregister(virConnectPtr conn, int callbackID, GError **error)
{
    if (virConnectDomainQemuMonitorEventDeregister(conn, callbackID) < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED,
                    "cannot deregister QEMU monitor event callback %d: %s",
                    callbackID, virGetLastErrorMessage());
        return -1;
    }
    return 0;
}
