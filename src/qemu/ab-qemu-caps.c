/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-qemu-caps.c: probe, parse and cache a QEMU binary's balloon properties */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ab-config.h"
#include "ab-enum.h"
#include "ab-error.h"
#include "ab-qemu-caps.h"

AB_ENUM_IMPL_LIST(abQemuCap, AB_QEMU_CAP_, AB_QEMU_CAP_LIST);

AB_ENUM_IMPL_LIST(abQemuMemCap, AB_QEMU_MEM_CAP_, AB_QEMU_MEM_CAP_LIST);

AB_ENUM_IMPL_LIST(abQemuCapsSource, AB_QEMU_CAPS_FROM_, AB_QEMU_CAPS_FROM_LIST);

/* Bumped whenever the parser learns something, so that files written by an
 * older parser are re-probed rather than trusted. */
#define AB_QEMU_CAPS_FORMAT 2
#define AB_QEMU_CAPS_GROUP "balloon"

abQemuCaps *
abQemuCapsNew(const char *binary)
{
    abQemuCaps *caps = g_new0(abQemuCaps, 1);
    caps->binary = g_strdup(binary);
    return caps;
}

abQemuCaps *
abQemuCapsCopy(const abQemuCaps *caps)
{
    abQemuCaps *copy = abQemuCapsNew(caps->binary);
    copy->size = caps->size;
    copy->mtimeNs = caps->mtimeNs;
    copy->flags = caps->flags;
    copy->memFlags = caps->memFlags;
    return copy;
}

void
abQemuCapsFree(abQemuCaps *caps)
{
    if (!caps)
        return;
    g_free(caps->binary);
    g_free(caps);
}

const char *
abQemuCapsAutomaticProperty(const abQemuCaps *caps)
{
    if (abQemuCapsHas(caps, AB_QEMU_CAP_AUTOMATIC))
        return abQemuCapToString(AB_QEMU_CAP_AUTOMATIC);
    if (abQemuCapsHas(caps, AB_QEMU_CAP_AUTO_BALLOON))
        return abQemuCapToString(AB_QEMU_CAP_AUTO_BALLOON);
    return NULL;
}

typedef const char *(*abQemuCapName)(int cap);
typedef int (*abQemuCapLookup)(const char *prop);

static const char *
abQemuCapName0(int cap)
{
    return abQemuCapToString(cap);
}

static const char *
abQemuMemCapName(int cap)
{
    return abQemuMemCapToString(cap);
}

static char *
abQemuCapsFormatWith(guint flags, int last, abQemuCapName name)
{
    g_autoptr(GString) buf = g_string_new(NULL);

    for (int i = 0; i < last; i++) {
        if (!(flags & AB_QEMU_CAP_FLAG(i)))
            continue;
        if (buf->len)
            g_string_append_c(buf, ' ');
        g_string_append(buf, name(i));
    }
    return g_string_free(g_steal_pointer(&buf), FALSE);
}

char *
abQemuCapsFlagsFormat(guint flags)
{
    return abQemuCapsFormatWith(flags, AB_QEMU_CAP_LAST, abQemuCapName0);
}

char *
abQemuCapsMemFlagsFormat(guint memFlags)
{
    return abQemuCapsFormatWith(memFlags, AB_QEMU_MEM_CAP_LAST, abQemuMemCapName);
}

static int
abQemuCapsParseHelp(const char *output, const char *device, abQemuCapLookup lookup,
                    guint *flags, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(output ? output : "", "\n", -1);
    g_autofree char *header = g_strdup_printf("%s options:", device);
    g_autofree char *oldPrefix = g_strdup_printf("%s.", device);
    size_t oldPrefixLen = strlen(oldPrefix);
    bool listing = false;
    guint found = 0;

    for (size_t i = 0; lines[i]; i++) {
        const char *line = lines[i];
        const char *name;
        const char *eq;
        g_autofree char *prop = NULL;
        int cap;

        if (g_str_equal(g_strstrip(lines[i]), header)) {
            listing = true;
            continue;
        }
        /* QEMU < 2.12 printed one "DEV.prop=type" line per property. */
        if (g_str_has_prefix(line, oldPrefix)) {
            listing = true;
            name = line + oldPrefixLen;
        } else if (listing) {
            name = line;
        } else {
            continue;
        }
        if (!(eq = strchr(name, '=')) || eq == name)
            continue;
        prop = g_strndup(name, eq - name);
        if ((cap = lookup(prop)) >= 0)
            found |= AB_QEMU_CAP_FLAG(cap);
    }

    if (!listing) {
        g_autofree char *first = g_strdup(lines[0] ? lines[0] : "");
        g_set_error(error, AB_ERROR, AB_ERROR_UNSUPPORTED,
                    "no property listing for device '%s' in the QEMU output: '%s'",
                    device, g_strstrip(first));
        return -1;
    }
    *flags = found;
    return 0;
}

int
abQemuCapsParseDeviceHelp(const char *output, const char *device,
                          guint *flags, GError **error)
{
    return abQemuCapsParseHelp(output, device, abQemuCapFromString, flags, error);
}

int
abQemuCapsParseVirtioMemHelp(const char *output, guint *memFlags, GError **error)
{
    return abQemuCapsParseHelp(output, AB_QEMU_VIRTIO_MEM_DEVICE,
                               abQemuMemCapFromString, memFlags, error);
}

/* `@binary -device @device,help`: stdout, or NULL with @error. */
static char *
abQemuCapsRunHelp(const char *binary, const char *device, GError **error)
{
    g_autofree char *devarg = g_strdup_printf("%s,help", device);
    const char *argv[] = { binary, "-device", devarg, NULL };
    g_auto(GStrv) envp = g_environ_setenv(g_get_environ(), "LC_ALL", "C", TRUE);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) spawnErr = NULL;
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, envp, G_SPAWN_STDIN_FROM_DEV_NULL,
                      NULL, NULL, &out, &err, &status, &spawnErr)) {
        g_set_error(error, AB_ERROR, AB_ERROR_SYSTEM,
                    "cannot run QEMU binary '%s': %s", binary, spawnErr->message);
        return NULL;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_set_error(error, AB_ERROR, AB_ERROR_UNSUPPORTED,
                    "QEMU binary '%s' failed to list '%s' properties: %s",
                    binary, device, g_strstrip(err));
        return NULL;
    }
    return g_steal_pointer(&out);
}

static int
abQemuCapsStatBinary(const char *binary, guint64 *size, gint64 *mtimeNs,
                     GError **error)
{
    struct stat sb;

    if (stat(binary, &sb) < 0) {
        int err = errno;
        g_set_error(error, AB_ERROR, AB_ERROR_SYSTEM,
                    "cannot stat QEMU binary '%s': %s", binary, g_strerror(err));
        return -1;
    }
    *size = (guint64)sb.st_size;
    *mtimeNs = (gint64)sb.st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) +
               sb.st_mtim.tv_nsec;
    return 0;
}

abQemuCaps *
abQemuCapsProbe(const char *binary, GError **error)
{
    g_autoptr(abQemuCaps) caps = NULL;
    g_autofree char *out = NULL;
    g_autofree char *memOut = NULL;
    g_autoptr(GError) memErr = NULL;

    if (!g_path_is_absolute(binary)) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "QEMU binary '%s' is not an absolute path", binary);
        return NULL;
    }

    caps = abQemuCapsNew(binary);
    if (abQemuCapsStatBinary(binary, &caps->size, &caps->mtimeNs, error) < 0)
        return NULL;

    if (!(out = abQemuCapsRunHelp(binary, AB_QEMU_BALLOON_DEVICE, error)))
        return NULL;
    if (abQemuCapsParseDeviceHelp(out, AB_QEMU_BALLOON_DEVICE,
                                  &caps->flags, error) < 0) {
        g_prefix_error(error, "QEMU binary '%s': ", binary);
        return NULL;
    }

    /* QEMU exits 1 with "Device 'virtio-mem-pci' not found" where it has
     * no virtio-mem (before 5.1, or not built for this target): the
     * balloon still works, so that is an empty set, not an error */
    if (!(memOut = abQemuCapsRunHelp(binary, AB_QEMU_VIRTIO_MEM_DEVICE, &memErr)) ||
        abQemuCapsParseVirtioMemHelp(memOut, &caps->memFlags, &memErr) < 0) {
        g_debug("QEMU binary '%s' has no virtio-mem: %s", binary, memErr->message);
        caps->memFlags = 0;
    }
    return g_steal_pointer(&caps);
}

struct _abQemuCapsCache {
    GMutex lock;
    char *dir;              /* NULL: memory only */
    GHashTable *entries;    /* binary path -> abQemuCaps */
};

abQemuCapsCache *
abQemuCapsCacheNew(const char *cacheDir)
{
    abQemuCapsCache *cache = g_new0(abQemuCapsCache, 1);

    g_mutex_init(&cache->lock);
    cache->dir = g_strdup(cacheDir);
    cache->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify)abQemuCapsFree);
    return cache;
}

void
abQemuCapsCacheFree(abQemuCapsCache *cache)
{
    if (!cache)
        return;
    g_hash_table_unref(cache->entries);
    g_free(cache->dir);
    g_mutex_clear(&cache->lock);
    g_free(cache);
}

char *
abQemuCapsCacheDefaultDir(void)
{
    if (geteuid() == 0)
        return g_strdup("/var/cache/autoballoon");
    return g_build_filename(g_get_user_cache_dir(), "autoballoon", NULL);
}

/* One file per binary, named by a hash of its path so any path fits. */
static char *
abQemuCapsCacheFile(abQemuCapsCache *cache, const char *binary)
{
    g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
                                                         binary, -1);
    g_autofree char *name = g_strdup_printf("qemu-balloon-%s.caps", sum);
    return g_build_filename(cache->dir, name, NULL);
}

static abQemuCaps *
abQemuCapsCacheLoad(abQemuCapsCache *cache, const char *binary,
                    guint64 size, gint64 mtimeNs)
{
    g_autofree char *path = abQemuCapsCacheFile(cache, binary);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(abQemuCaps) caps = NULL;
    g_autofree char *fileBinary = NULL;
    g_autofree char *generator = NULL;
    g_auto(GStrv) props = NULL;
    g_auto(GStrv) memProps = NULL;
    const char *grp = AB_QEMU_CAPS_GROUP;

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
        return NULL;
    fileBinary = g_key_file_get_string(kf, grp, "binary", NULL);
    generator = g_key_file_get_string(kf, grp, "generator", NULL);
    if (g_key_file_get_integer(kf, grp, "format", NULL) != AB_QEMU_CAPS_FORMAT ||
        g_strcmp0(generator, AB_VERSION) != 0 ||
        g_strcmp0(fileBinary, binary) != 0 ||
        g_key_file_get_uint64(kf, grp, "size", NULL) != size ||
        g_key_file_get_int64(kf, grp, "mtime-ns", NULL) != mtimeNs)
        return NULL;
    if (!(props = g_key_file_get_string_list(kf, grp, "properties", NULL, NULL)))
        props = g_new0(char *, 1);

    caps = abQemuCapsNew(binary);
    caps->size = size;
    caps->mtimeNs = mtimeNs;
    for (size_t i = 0; props[i]; i++) {
        int cap = abQemuCapFromString(props[i]);
        if (cap < 0)
            return NULL;    /* written by something else: re-probe */
        caps->flags |= AB_QEMU_CAP_FLAG(cap);
    }
    if (!(memProps = g_key_file_get_string_list(kf, grp, "virtio-mem-properties", NULL, NULL)))
        memProps = g_new0(char *, 1);
    for (size_t i = 0; memProps[i]; i++) {
        int cap = abQemuMemCapFromString(memProps[i]);
        if (cap < 0)
            return NULL;
        caps->memFlags |= AB_QEMU_CAP_FLAG(cap);
    }
    return g_steal_pointer(&caps);
}

static void
abQemuCapsCacheSave(abQemuCapsCache *cache, const abQemuCaps *caps)
{
    g_autofree char *path = abQemuCapsCacheFile(cache, caps->binary);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GPtrArray) props = g_ptr_array_new();
    g_autoptr(GPtrArray) memProps = g_ptr_array_new();
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    const char *grp = AB_QEMU_CAPS_GROUP;
    gsize len = 0;

    for (int i = 0; i < AB_QEMU_CAP_LAST; i++) {
        if (caps->flags & AB_QEMU_CAP_FLAG(i))
            g_ptr_array_add(props, (char *)abQemuCapToString(i));
    }
    for (int i = 0; i < AB_QEMU_MEM_CAP_LAST; i++) {
        if (caps->memFlags & AB_QEMU_CAP_FLAG(i))
            g_ptr_array_add(memProps, (char *)abQemuMemCapToString(i));
    }
    g_key_file_set_integer(kf, grp, "format", AB_QEMU_CAPS_FORMAT);
    g_key_file_set_string(kf, grp, "generator", AB_VERSION);
    g_key_file_set_string(kf, grp, "binary", caps->binary);
    g_key_file_set_string(kf, grp, "device", AB_QEMU_BALLOON_DEVICE);
    g_key_file_set_uint64(kf, grp, "size", caps->size);
    g_key_file_set_int64(kf, grp, "mtime-ns", caps->mtimeNs);
    g_key_file_set_string_list(kf, grp, "properties",
                               (const char * const *)props->pdata, props->len);
    g_key_file_set_string_list(kf, grp, "virtio-mem-properties",
                               (const char * const *)memProps->pdata, memProps->len);
    data = g_key_file_to_data(kf, &len, NULL);

    /* A cache that cannot be written only costs a probe next time. */
    if (g_mkdir_with_parents(cache->dir, 0755) < 0 ||
        !g_file_set_contents_full(path, data, len,
                                  G_FILE_SET_CONTENTS_CONSISTENT, 0644, &err))
        g_debug("cannot write QEMU capabilities cache '%s': %s", path,
                err ? err->message : g_strerror(errno));
}

abQemuCaps *
abQemuCapsCacheLookup(abQemuCapsCache *cache, const char *binary,
                      abQemuCapsSource *src, GError **error)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&cache->lock);
    abQemuCaps *mem;
    abQemuCaps *caps;
    abQemuCapsSource from;
    guint64 size;
    gint64 mtimeNs;

    if (abQemuCapsStatBinary(binary, &size, &mtimeNs, error) < 0)
        return NULL;

    mem = g_hash_table_lookup(cache->entries, binary);
    if (mem && mem->size == size && mem->mtimeNs == mtimeNs) {
        if (src)
            *src = AB_QEMU_CAPS_FROM_MEMORY;
        return abQemuCapsCopy(mem);
    }

    if (cache->dir && (caps = abQemuCapsCacheLoad(cache, binary, size, mtimeNs))) {
        from = AB_QEMU_CAPS_FROM_DISK;
    } else {
        if (!(caps = abQemuCapsProbe(binary, error)))
            return NULL;
        from = AB_QEMU_CAPS_FROM_PROBE;
        if (cache->dir)
            abQemuCapsCacheSave(cache, caps);
    }

    g_hash_table_replace(cache->entries, g_strdup(binary), abQemuCapsCopy(caps));
    if (src)
        *src = from;
    return caps;
}
