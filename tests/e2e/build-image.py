#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Build the end-to-end test guest: a Debian cloud kernel and an initramfs.

The kernel comes from Debian's linux-image-*-cloud-amd64 package, fetched with
`apt-get download` (never installed) into a cache directory; only vmlinuz and
the virtio modules are taken out of it. The initramfs holds busybox-static,
our memload program (compiled here with gcc -static), the modules in
dependency order and a busybox init script. It is written as a cpio "newc"
archive by this script, with fixed owners and times, so the same inputs give
the same bytes and the file is cached under a hash of its content.

Usage: build-image.py [--cache DIR]   prints a JSON object with the paths.
Importable: build_image(cache_dir) -> dict.
"""

import argparse
import glob
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CACHE = "/var/cache/autoballoon-e2e"
KERNEL_META = "linux-image-cloud-amd64"
BUSYBOX = "/bin/busybox"
# What the guest needs; their dependencies are added from the modules' own
# .modinfo, so a kernel that splits them differently still loads in order.
WANTED_MODULES = ["virtio_pci", "virtio_balloon", "virtio_console", "virtio_blk",
                  "virtio_mem"]
READY_MARKER = "ab-e2e: ready"
PROMPT = "ab-e2e# "

INIT_SCRIPT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# ab.noballoon=1 on the kernel command line: a guest without a balloon
# driver (the device is there, nothing in the guest answers it).
noballoon=
grep -q 'ab.noballoon=1' /proc/cmdline && noballoon=1
# ab.virtiomem=1: load virtio_mem (last, after the virtio transport); the
# guests of the virtio-mem scenario also boot with
# memhp_default_state=online_movable, so plugged blocks come online movable
# and can be unplugged again.
virtiomem=
grep -q 'ab.virtiomem=1' /proc/cmdline && virtiomem=1
for m in $(cat /etc/modules.order); do
    if [ -n "$noballoon" ] && [ "$m" = virtio_balloon ]; then
        echo "ab-e2e: virtio_balloon not loaded (ab.noballoon=1)"
        continue
    fi
    if [ -z "$virtiomem" ] && [ "$m" = virtio_mem ]; then
        continue
    fi
    insmod /lib/modules/$m.ko || echo "ab-e2e: insmod $m failed"
done
# Hold the disk open for the guest's whole life: Linux drops a block
# device's page cache when its last opener closes it, and the scenarios
# need the cache that memload -c fills to stay (only the balloon returns it).
[ -b /dev/vda ] && exec 9</dev/vda
# Echo would repeat every typed line into the log; the harness matches output
# markers only, so keep echo but make the prompt recognisable.
export PS1='%(prompt)s'
echo "%(ready)s uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
while :; do
    setsid cttyhack sh
done
""" % {"prompt": PROMPT, "ready": READY_MARKER}


class BuildError(Exception):
    pass


def log(msg):
    print("build-image: " + msg, file=sys.stderr)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw)


def kernel_package_name():
    """The versioned image package the cloud metapackage points at."""
    for attempt in range(2):
        try:
            out = run(["apt-cache", "depends", KERNEL_META]).stdout
        except subprocess.CalledProcessError:
            out = ""
        m = re.search(r"Depends:\s*(linux-image-\S+-cloud-amd64)", out)
        if m:
            return m.group(1)
        if attempt == 0:
            log("apt lists have no %s, running apt-get update" % KERNEL_META)
            subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    return None


def fetch_kernel_deb(cache):
    pkg = kernel_package_name()
    if pkg is None:
        # Offline but cached: use the newest .deb we already have.
        debs = sorted(glob.glob(os.path.join(cache, "linux-image-*-cloud-amd64_*.deb")))
        if debs:
            return debs[-1]
        raise BuildError("cannot resolve %s with apt-cache" % KERNEL_META)
    debs = sorted(glob.glob(os.path.join(cache, pkg + "_*.deb")))
    if debs:
        return debs[-1]
    log("downloading " + pkg)
    # apt-get download drops privileges to _apt when it can; a root-only cache
    # just makes it warn and download as root.
    subprocess.run(["apt-get", "download", "-q", pkg], cwd=cache, check=True,
                   stdout=subprocess.DEVNULL)
    debs = sorted(glob.glob(os.path.join(cache, pkg + "_*.deb")))
    if not debs:
        raise BuildError("apt-get download %s left no .deb in %s" % (pkg, cache))
    return debs[-1]


def module_name(path):
    return os.path.basename(path)[:-3].replace("-", "_")


def module_depends(data):
    """depends= from a module's .modinfo strings (no modinfo(8) needed)."""
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", data)
    if not m or not m.group(1):
        return []
    return [d.replace("-", "_") for d in m.group(1).decode().split(",") if d]


def extract_kernel(deb, cache):
    """vmlinuz and the virtio modules of one .deb, extracted once."""
    stem = os.path.basename(deb)[:-4]
    dest = os.path.join(cache, stem)
    stamp = os.path.join(dest, ".complete")
    if not os.path.exists(stamp):
        log("extracting " + os.path.basename(deb))
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(os.path.join(dest, "modules"))
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
        kver = None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                name = member.name
                if not member.isfile():
                    continue
                base = os.path.basename(name)
                if re.match(r"\./boot/vmlinuz-", name):
                    kver = base[len("vmlinuz-"):]
                    target = os.path.join(dest, "vmlinuz")
                elif "/kernel/" in name and base.endswith(".ko") and base.startswith("virtio"):
                    target = os.path.join(dest, "modules", base)
                else:
                    continue
                with open(target, "wb") as f:
                    shutil.copyfileobj(tar.extractfile(member), f)
        if proc.wait() != 0:
            raise BuildError("dpkg-deb --fsys-tarfile %s failed" % deb)
        if kver is None:
            raise BuildError("%s has no /boot/vmlinuz-*" % deb)
        with open(os.path.join(dest, "kver"), "w") as f:
            f.write(kver + "\n")
        open(stamp, "w").close()
    with open(os.path.join(dest, "kver")) as f:
        kver = f.read().strip()
    return dest, kver


def module_order(moddir, wanted):
    """Wanted modules with their dependencies first (depth-first order)."""
    mods = {}
    for path in glob.glob(os.path.join(moddir, "*.ko")):
        with open(path, "rb") as f:
            mods[module_name(path)] = (path, module_depends(f.read()))
    order = []

    def visit(name, chain):
        if name in order:
            return
        if name in chain:
            raise BuildError("module dependency loop: " + " -> ".join(chain + [name]))
        if name not in mods:
            raise BuildError("module %s (needed by %s) is not in the kernel package"
                             % (name, chain[-1] if chain else "the guest"))
        for dep in mods[name][1]:
            visit(dep, chain + [name])
        order.append(name)

    for name in wanted:
        visit(name, [])
    return [(name, mods[name][0]) for name in order]


def build_memload(cache):
    src = os.path.join(HERE, "memload.c")
    with open(src, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    out = os.path.join(cache, "memload-" + digest)
    if not os.path.exists(out):
        log("compiling memload")
        tmp = out + ".tmp"
        run(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", tmp, src])
        os.rename(tmp, out)
    return out


class Cpio:
    """A cpio newc writer with fixed owners and times (reproducible bytes)."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name_b), 0]
        self.ino += 1
        self.buf.write(b"070701" + b"".join(b"%08X" % v for v in fields))
        self.buf.write(name_b)
        self.buf.write(b"\0" * (-(110 + len(name_b)) % 4))
        self.buf.write(data)
        self.buf.write(b"\0" * (-len(data) % 4))

    def dir(self, name):
        self._entry(name, 0o040755)

    def file(self, name, data, mode=0o644):
        self._entry(name, 0o100000 | mode, data)

    def chardev(self, name, major, minor):
        self._entry(name, 0o020600, rdev=(major, minor))

    def finish(self):
        self.ino = 0
        self._entry("TRAILER!!!", 0)
        return self.buf.getvalue()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def build_image(cache_dir=None):
    cache = cache_dir or os.environ.get("AB_E2E_CACHE") or DEFAULT_CACHE
    os.makedirs(cache, exist_ok=True)
    deb = fetch_kernel_deb(cache)
    kdir, kver = extract_kernel(deb, cache)
    modules = module_order(os.path.join(kdir, "modules"), WANTED_MODULES)
    memload = build_memload(cache)

    cpio = Cpio()
    for d in ["bin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "tmp", "root"]:
        cpio.dir(d)
    cpio.chardev("dev/console", 5, 1)
    cpio.file("init", INIT_SCRIPT.encode(), 0o755)
    cpio.file("bin/busybox", read(BUSYBOX), 0o755)
    cpio.file("bin/memload", read(memload), 0o755)
    cpio.file("etc/modules.order", "".join(n + "\n" for n, _ in modules).encode())
    for name, path in modules:
        cpio.file("lib/modules/%s.ko" % name, read(path))
    raw = cpio.finish()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    initrd = os.path.join(cache, "initramfs-%s.img" % digest)
    if not os.path.exists(initrd):
        log("writing " + os.path.basename(initrd))
        tmp = initrd + ".tmp"
        with open(tmp, "wb") as f:
            # mtime=0 keeps the gzip header reproducible too.
            with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=6, mtime=0) as gz:
                gz.write(raw)
        os.rename(tmp, initrd)
    return {
        "kernel": os.path.join(kdir, "vmlinuz"),
        "initrd": initrd,
        "kernel_version": kver,
        "kernel_deb": os.path.basename(deb),
        "modules": [n for n, _ in modules],
        "ready_marker": READY_MARKER,
        "prompt": PROMPT,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", help="cache directory (default $AB_E2E_CACHE or %s)" % DEFAULT_CACHE)
    args = ap.parse_args()
    try:
        info = build_image(args.cache)
    except (BuildError, subprocess.CalledProcessError, OSError) as e:
        print("build-image: error: %s" % e, file=sys.stderr)
        return 1
    print(json.dumps(info, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
