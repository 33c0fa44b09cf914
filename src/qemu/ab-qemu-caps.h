/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-qemu-caps.h: what a QEMU binary's virtio balloon and virtio-mem
 * devices can do.
 *
 * The answer comes from the binary itself (`QEMU -device
 * virtio-balloon-pci,help`, which needs no guest and no machine), parsed by
 * a pure parser, and cached per binary the way libvirt caches QEMU
 * capabilities: keyed by (path, size, mtime), in memory and in one file per
 * binary under a cache directory the caller chooses. A key that no longer
 * matches the binary on disk invalidates both.
 *
 * Automatic ballooning never shipped in QEMU: the 2013 patches called the
 * property `auto-balloon`, the 2014 ones `automatic`. Both are probed, never
 * assumed.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "ab-enum.h"

/* AB_QEMU_CAP_DEFLATE_ON_OOM (0) .. AB_QEMU_CAP_AUTOMATIC. The names are
 * the QEMU property names, so ToString gives the name QEMU knows and
 * FromString maps a property to its capability. */
#define AB_QEMU_CAP_LIST(X, P) \
    X(P, DEFLATE_ON_OOM, "deflate-on-oom")            /* QEMU 2.1 */ \
    X(P, FREE_PAGE_REPORTING, "free-page-reporting")  /* 5.1 */ \
    X(P, FREE_PAGE_HINT, "free-page-hint")            /* 4.1 */ \
    X(P, GUEST_STATS_POLLING_INTERVAL, "guest-stats-polling-interval") \
    X(P, AUTO_BALLOON, "auto-balloon")                /* the 2013 patches */ \
    X(P, AUTOMATIC, "automatic")                      /* the 2014 patches */

AB_ENUM_TYPEDEF(abQemuCap, AB_QEMU_CAP_, AB_QEMU_CAP_LIST);

#define AB_QEMU_CAP_FLAG(cap) (1u << (cap))

/* The balloon device the probe asks about. */
#define AB_QEMU_BALLOON_DEVICE "virtio-balloon-pci"

/* Properties of the virtio-mem device (the virtio-mem backend,
 * docs/virtio-mem.md), probed the same way on AB_QEMU_VIRTIO_MEM_DEVICE.
 * A binary without the device has none. */
/* AB_QEMU_MEM_CAP_REQUESTED_SIZE (0) .. AB_QEMU_MEM_CAP_DYNAMIC_MEMSLOTS */
#define AB_QEMU_MEM_CAP_LIST(X, P) \
    X(P, REQUESTED_SIZE, "requested-size")                  /* 5.1: resizable at all */ \
    X(P, BLOCK_SIZE, "block-size")                          /* 5.1 */ \
    X(P, UNPLUGGED_INACCESSIBLE, "unplugged-inaccessible")  /* 7.0 */ \
    X(P, PREALLOC, "prealloc")                              /* 7.1 */ \
    X(P, DYNAMIC_MEMSLOTS, "dynamic-memslots")              /* 8.2 */

AB_ENUM_TYPEDEF(abQemuMemCap, AB_QEMU_MEM_CAP_, AB_QEMU_MEM_CAP_LIST);

#define AB_QEMU_VIRTIO_MEM_DEVICE "virtio-mem-pci"

typedef struct {
    char *binary;           /* absolute path as probed */
    guint64 size;           /* cache key, from stat() */
    gint64 mtimeNs;         /* cache key, nanoseconds since the epoch */
    guint flags;            /* AB_QEMU_CAP_FLAG() bits */
    guint memFlags;         /* AB_QEMU_CAP_FLAG(abQemuMemCap) bits; 0: no virtio-mem */
} abQemuCaps;

abQemuCaps *abQemuCapsNew(const char *binary);
abQemuCaps *abQemuCapsCopy(const abQemuCaps *caps);
void abQemuCapsFree(abQemuCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abQemuCaps, abQemuCapsFree)

static inline bool
abQemuCapsHas(const abQemuCaps *caps, abQemuCap cap)
{
    return caps && (caps->flags & AB_QEMU_CAP_FLAG(cap));
}

static inline bool
abQemuCapsHasMem(const abQemuCaps *caps, abQemuMemCap cap)
{
    return caps && (caps->memFlags & AB_QEMU_CAP_FLAG(cap));
}

/* The property name of the automatic-ballooning switch this binary has
 * (`automatic` preferred over `auto-balloon`), or NULL if it has none. */
const char *abQemuCapsAutomaticProperty(const abQemuCaps *caps);

/* Space-separated property names of the capabilities set in @flags, in
 * enum order; "" for none. */
char *abQemuCapsFlagsFormat(guint flags);
char *abQemuCapsMemFlagsFormat(guint memFlags);

/* Pure parser of `-device DEV,help` output, both the current format
 * ("DEV options:" then "  name=<type> - ...") and the pre-2.12 one
 * ("DEV.name=type"). Unknown properties are ignored. -1 if the text is not
 * a property listing for @device (e.g. "Device 'x' not found"). */
int abQemuCapsParseDeviceHelp(const char *output, const char *device,
                              guint *flags, GError **error);
/* The same for the virtio-mem device's listing: abQemuMemCap bits. */
int abQemuCapsParseVirtioMemHelp(const char *output, guint *memFlags,
                                 GError **error);

/* Run @binary (no shell, no guest) twice, once per device, and parse its
 * answers; a binary without virtio-mem is not an error. Uncached. */
abQemuCaps *abQemuCapsProbe(const char *binary, GError **error);

/* Where a cache lookup found its answer, for tests and the docs' figures:
 * AB_QEMU_CAPS_FROM_PROBE (0) .. AB_QEMU_CAPS_FROM_MEMORY. */
#define AB_QEMU_CAPS_FROM_LIST(X, P) \
    X(P, PROBE, "probe")      /* ran the binary */ \
    X(P, DISK, "disk")        /* read the cache file */ \
    X(P, MEMORY, "memory")    /* in-memory hit */

AB_ENUM_TYPEDEF(abQemuCapsSource, AB_QEMU_CAPS_FROM_, AB_QEMU_CAPS_FROM_LIST);

typedef struct _abQemuCapsCache abQemuCapsCache;

/* @cacheDir: where the per-binary files live, created on first write
 * (e.g. $XDG_CACHE_HOME/autoballoon or /var/cache/autoballoon); NULL keeps
 * the cache in memory only. Thread-safe. */
abQemuCapsCache *abQemuCapsCacheNew(const char *cacheDir);
void abQemuCapsCacheFree(abQemuCapsCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abQemuCapsCache, abQemuCapsCacheFree)

/* The capabilities of @binary, probing only when neither the memory nor
 * the disk entry matches the binary's current (size, mtime). Returns a copy
 * the caller frees; @src (may be NULL) says where it came from. A cache
 * file that cannot be written is not an error (the answer is still right). */
abQemuCaps *abQemuCapsCacheLookup(abQemuCapsCache *cache, const char *binary,
                                  abQemuCapsSource *src, GError **error);

/* The default cache directory: $XDG_CACHE_HOME/autoballoon for users,
 * /var/cache/autoballoon for root. */
char *abQemuCapsCacheDefaultDir(void);
