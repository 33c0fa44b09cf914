/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-pressure-cgroup.c: find the cgroups that hold the guests
 *
 * A manager that reads only /proc/meminfo never sees a full machine cgroup,
 * so the daemon watches the cgroup libvirt put the qemu processes in. */
#include <stdlib.h>
#include <string.h>

#include "ab-pressure.h"
#include "ab-error.h"

char *
abPressureJoinRoot(const char *root, const char *path)
{
    if (!root || !*root)
        return g_strdup(path);
    return g_build_filename(root, path, NULL);
}

int
abCgroupParseProcCgroup(const char *text, char **v1Memory, char **v2,
                        GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    *v1Memory = NULL;
    *v2 = NULL;
    for (size_t i = 0; lines[i]; i++) {
        g_auto(GStrv) f = NULL;
        if (!*lines[i])
            continue;
        /* the path may itself contain ':' */
        f = g_strsplit(lines[i], ":", 3);
        if (g_strv_length(f) != 3 || f[2][0] != '/') {
            g_clear_pointer(v1Memory, g_free);
            g_clear_pointer(v2, g_free);
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "/proc/PID/cgroup: bad line '%s'", lines[i]);
            return -1;
        }
        if (strcmp(f[0], "0") == 0 && !*f[1]) {
            g_free(*v2);
            *v2 = g_strdup(f[2]);
        } else {
            g_auto(GStrv) ctrls = g_strsplit(f[1], ",", -1);
            if (g_strv_contains((const char * const *)ctrls, "memory")) {
                g_free(*v1Memory);
                *v1Memory = g_strdup(f[2]);
            }
        }
    }
    return 0;
}

void
abCgroupParseMounts(const char *text, char **v1MemoryMount, char **v2Mount)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    *v1MemoryMount = NULL;
    *v2Mount = NULL;
    for (size_t i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], " ", -1);
        if (g_strv_length(f) < 4)
            continue;
        if (strcmp(f[2], "cgroup2") == 0 && !*v2Mount) {
            *v2Mount = g_strdup(f[1]);
        } else if (strcmp(f[2], "cgroup") == 0 && !*v1MemoryMount) {
            g_auto(GStrv) opts = g_strsplit(f[3], ",", -1);
            if (g_strv_contains((const char * const *)opts, "memory"))
                *v1MemoryMount = g_strdup(f[1]);
        }
    }
}

static bool
abCgroupIsPartition(const char *component)
{
    return strcmp(component, "machine") == 0 ||
           strcmp(component, "machine.slice") == 0;
}

char *
abCgroupCommonParent(const char * const *paths, guint npaths)
{
    g_auto(GStrv) common = NULL;
    guint ncommon;
    GString *out;

    if (npaths == 0)
        return NULL;
    common = g_strsplit(paths[0], "/", -1);
    ncommon = g_strv_length(common);
    for (guint p = 1; p < npaths; p++) {
        g_auto(GStrv) c = g_strsplit(paths[p], "/", -1);
        guint n = 0;
        while (n < ncommon && c[n] && strcmp(c[n], common[n]) == 0)
            n++;
        ncommon = n;
    }
    /* libvirt's partition is the natural home of all guests; a qemu may sit
     * deeper (v2: .../libvirt/emulator) */
    for (guint i = 0; i < ncommon; i++) {
        if (abCgroupIsPartition(common[i])) {
            ncommon = i + 1;
            goto build;
        }
    }
    if (npaths == 1 && ncommon > 1)
        ncommon--;   /* the guest's own cgroup: look at its parent */
 build:
    out = g_string_new("");
    for (guint i = 0; i < ncommon; i++) {
        if (!*common[i])
            continue;
        g_string_append_c(out, '/');
        g_string_append(out, common[i]);
    }
    if (out->len == 0)
        g_string_append_c(out, '/');
    return g_string_free(out, FALSE);
}

void
abGuestCgroupsFree(abGuestCgroups *guests)
{
    if (!guests)
        return;
    g_free(guests->v1Path);
    g_free(guests->v1Dir);
    g_free(guests->v2Path);
    g_free(guests->v2Dir);
    g_free(guests);
}

/* One pid file of libvirt's: a regular file (never a FIFO or a link
 * someone left there), one PID in it. */
static bool
abCgroupReadPidFile(const char *file, int *pid)
{
    if (!g_file_test(file, G_FILE_TEST_IS_REGULAR) ||
        g_file_test(file, G_FILE_TEST_IS_SYMLINK))
        return false;
    return (*pid = abResidentReadPidFile(NULL, file, NULL)) > 0;
}

/* A domain name that names a file in @dir and nothing else. */
static bool
abCgroupIsPlainName(const char *name)
{
    return *name && *name != '.' && !strchr(name, '/');
}

static gint
abCgroupCmpInt(gconstpointer a, gconstpointer b)
{
    return *(const int *)a - *(const int *)b;
}

GArray *
abCgroupReadPidFiles(const char *root, const char *dir,
                     const char * const *names)
{
    g_autofree char *path = abPressureJoinRoot(root, dir);
    GArray *pids = g_array_new(FALSE, FALSE, sizeof(int));
    g_autoptr(GDir) d = NULL;
    const char *name;
    int pid;

    if (names) {
        for (size_t i = 0; names[i]; i++) {
            g_autofree char *base = g_strconcat(names[i], ".pid", NULL);
            g_autofree char *file = g_build_filename(path, base, NULL);

            if (abCgroupIsPlainName(names[i]) && abCgroupReadPidFile(file, &pid))
                g_array_append_val(pids, pid);
        }
    } else if ((d = g_dir_open(path, 0, NULL))) {
        while ((name = g_dir_read_name(d))) {
            g_autofree char *file = NULL;

            if (!g_str_has_suffix(name, ".pid"))
                continue;
            file = g_build_filename(path, name, NULL);
            if (abCgroupReadPidFile(file, &pid))
                g_array_append_val(pids, pid);
        }
    }
    g_array_sort(pids, abCgroupCmpInt);
    return pids;
}

static bool
abCgroupHasFile(const char *dir, const char *name)
{
    g_autofree char *p = g_build_filename(dir, name, NULL);
    return g_file_test(p, G_FILE_TEST_EXISTS);
}

/* @path in the hierarchy mounted at @mount (root prefix included); the
 * root cgroup is the mount point itself. */
static char *
abCgroupDir(const char *mount, const char *path)
{
    if (strcmp(path, "/") == 0)
        return g_strdup(mount);
    return g_build_filename(mount, path, NULL);
}

static void
abCgroupSetV1(abGuestCgroups *guests, const char *mount, const char *path)
{
    guests->v1Path = g_strdup(path);
    guests->v1Dir = abCgroupDir(mount, path);
}

static void
abCgroupSetV2(abGuestCgroups *guests, const char *mount, const char *path)
{
    guests->v2Path = g_strdup(path);
    guests->v2Dir = abCgroupDir(mount, path);
    guests->v2HasMemory = abCgroupHasFile(guests->v2Dir, "memory.current");
    guests->v2HasPressure = abCgroupHasFile(guests->v2Dir, "memory.pressure");
}

/* The mount points of the v1 memory hierarchy and of cgroup2 under @root,
 * root prefix included. */
static void
abCgroupMounts(const char *root, char **v1Mount, char **v2Mount)
{
    g_autofree char *path = abPressureJoinRoot(root, "/proc/self/mounts");
    g_autofree char *mounts = NULL;
    g_autofree char *m1 = NULL;
    g_autofree char *m2 = NULL;

    *v1Mount = *v2Mount = NULL;
    if (!g_file_get_contents(path, &mounts, NULL, NULL))
        return;
    abCgroupParseMounts(mounts, &m1, &m2);
    if (m1)
        *v1Mount = abPressureJoinRoot(root, m1);
    if (m2)
        *v2Mount = abPressureJoinRoot(root, m2);
}

abGuestCgroups *
abCgroupGuestsAt(const char *root, const char *path)
{
    g_autoptr(abGuestCgroups) guests = g_new0(abGuestCgroups, 1);
    g_autofree char *v1Mount = NULL;
    g_autofree char *v2Mount = NULL;
    g_autofree char *d1 = NULL;
    g_autofree char *d2 = NULL;

    abCgroupMounts(root, &v1Mount, &v2Mount);
    if (v1Mount && g_file_test((d1 = abCgroupDir(v1Mount, path)), G_FILE_TEST_IS_DIR))
        abCgroupSetV1(guests, v1Mount, path);
    if (v2Mount && g_file_test((d2 = abCgroupDir(v2Mount, path)), G_FILE_TEST_IS_DIR))
        abCgroupSetV2(guests, v2Mount, path);
    if (!guests->v1Dir && !guests->v2Dir)
        return NULL;
    return g_steal_pointer(&guests);
}

abGuestCgroups *
abCgroupFindGuests(const char *root, GArray *pids, GError **error)
{
    /* libvirt's default partition: systemd's (machine.slice), then its own */
    static const char *const partitions[] = { "/machine.slice", "/machine" };
    g_autoptr(GArray) scanned = NULL;
    g_autoptr(GPtrArray) v1 = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) v2 = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(abGuestCgroups) guests = g_new0(abGuestCgroups, 1);
    g_autofree char *v1Mount = NULL;
    g_autofree char *v2Mount = NULL;

    /* only what libvirt says: its pid files, never process names (any
     * user can name a process qemu-system-x86_64) */
    if (!pids)
        pids = scanned = abCgroupReadPidFiles(root, AB_LIBVIRT_QEMU_RUN_DIR, NULL);

    for (guint i = 0; i < pids->len; i++) {
        int pid = g_array_index(pids, int, i);
        g_autofree char *rel = g_strdup_printf("/proc/%d/cgroup", pid);
        g_autofree char *file = abPressureJoinRoot(root, rel);
        g_autofree char *text = NULL;
        g_autoptr(GError) err = NULL;
        char *m1 = NULL, *m2 = NULL;

        if (!g_file_get_contents(file, &text, NULL, NULL))
            continue;   /* the guest went away */
        if (abCgroupParseProcCgroup(text, &m1, &m2, &err) < 0) {
            g_warning("%s", err->message);
            continue;
        }
        guests->npids++;
        if (m1)
            g_ptr_array_add(v1, m1);
        if (m2)
            g_ptr_array_add(v2, m2);
    }
    if (guests->npids == 0) {
        for (size_t i = 0; i < G_N_ELEMENTS(partitions); i++) {
            abGuestCgroups *at = abCgroupGuestsAt(root, partitions[i]);

            if (at)
                return at;
        }
        g_set_error(error, AB_ERROR, AB_ERROR_UNSUPPORTED,
                    "no running qemu found (%u pids given) and no %s or %s cgroup",
                    pids->len, partitions[0], partitions[1]);
        return NULL;
    }

    abCgroupMounts(root, &v1Mount, &v2Mount);
    if (v1->len > 0 && v1Mount) {
        g_autofree char *path = abCgroupCommonParent((const char * const *)v1->pdata, v1->len);

        abCgroupSetV1(guests, v1Mount, path);
    }
    if (v2->len > 0 && v2Mount) {
        g_autofree char *path = abCgroupCommonParent((const char * const *)v2->pdata, v2->len);

        abCgroupSetV2(guests, v2Mount, path);
    }
    return g_steal_pointer(&guests);
}
