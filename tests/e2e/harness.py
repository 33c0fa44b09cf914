# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end test harness: real libvirt, real QEMU (TCG), tiny guests.

A test does:

    with harness.Session("smoke") as s:          # deps, libvirtd, cleanup
        if s.skip_reason: tap.skip_all(s.skip_reason)
        w = s.event_watcher()                      # a real `virsh event` process
        g = s.guest("a", memory_mib=512)           # defined from generated XML
        w.sync(g.name)                             # the watcher is registered
        g.start(); g.wait_ready()
        g.setmem(256); g.wait_memstat(lambda st: ..., timeout=20)
        rc, out = g.run("memload 300", timeout=60)

Everything the session started or changed is undone when it ends, on an
exception, on SIGTERM/SIGINT (meson's timeout) and at interpreter exit:
guests are destroyed and undefined, cgroup limits written back, and the
libvirtd/virtlogd it started (only those) stopped.

Host changes: libvirtd runs in a private mount namespace where /etc/libvirt
(with our qemu.conf), /etc/passwd and /etc/group (with a libvirt-qemu user)
are bind-mounted copies, so the host's files are never edited. See docs/e2e.md.
"""

import atexit
import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from xml.sax.saxutils import quoteattr, escape

URI = "qemu:///system"
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("AB_SOURCE_ROOT") or os.path.dirname(os.path.dirname(HERE))
BUILD_ROOT = os.environ.get("AB_BUILD_ROOT") or os.path.join(SOURCE_ROOT, "build")
RUN_ROOT = "/run/autoballoon-e2e"
LIBVIRT_SOCK = "/var/run/libvirt/libvirt-sock"
VIRTLOGD_SOCK = "/var/run/libvirt/virtlogd-sock"
MACHINE_CGROUP = "/sys/fs/cgroup/memory/machine"
NAME_PREFIX = "ab-e2e-"
# tsc=unstable: under TCG on busy cores the guest calibrates its TSC wrongly
# (measured: a guest whose clock ran ~5x fast, so `memload -d 500` slept
# 100 ms); jiffies follow the host-timed tick and never run fast.
KERNEL_CMDLINE = "console=ttyS0 quiet loglevel=4 panic=-1 tsc=unstable no_timer_check"

# libvirtd reads these before anything else; without them it wants a
# libvirt-qemu user, relabels files and builds a mount namespace per guest
# (seconds per start).
QEMU_CONF = """\
# written by autoballoon's e2e harness (private mount namespace only)
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
"""


def log(msg):
    """Diagnostics go to stderr: stdout is the TAP stream."""
    print("# " + msg, file=sys.stderr, flush=True)


def virsh_cmd(*args):
    return ["virsh", "-q", "-c", URI] + list(args)


def virsh(*args, timeout=30, check=True):
    p = subprocess.run(virsh_cmd(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("virsh %s failed: %s" % (" ".join(args), p.stderr.strip()))
    return p


def build_tool(relpath):
    """A program of ours from the build dir, or None when not built (yet)."""
    path = os.path.join(BUILD_ROOT, relpath)
    return path if os.access(path, os.X_OK) else None


def autoballoond():
    return build_tool("src/daemon/autoballoond")


def virsh_autoballoon():
    return build_tool("tools/virsh-autoballoon")


def wait_until(pred, timeout, interval=0.05, what="condition"):
    """Poll pred() until it returns a true value; return (value, seconds)."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        v = pred()
        if v:
            return v, time.monotonic() - start
        if time.monotonic() >= deadline:
            raise TimeoutError("%s not reached within %.1f s" % (what, timeout))
        time.sleep(interval)


def terminate(p, grace=10):
    """SIGTERM p, SIGKILL it if it is still there after grace seconds; its
    exit status, or None when it had to be killed."""
    if p.poll() is not None:
        return p.returncode
    p.terminate()
    try:
        return p.wait(grace)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None


# --- dependencies -----------------------------------------------------------

def deps_e2e():
    """DEPS_E2E from the Makefile: one list for make, CI and the harness."""
    with open(os.path.join(SOURCE_ROOT, "Makefile")) as f:
        text = f.read().replace("\\\n", " ")
    m = re.search(r"^DEPS_E2E\s*=\s*(.*)$", text, re.M)
    return m.group(1).split() if m else []


def ensure_deps():
    script = os.path.join(SOURCE_ROOT, "scripts", "install-deps.sh")
    if os.geteuid() == 0 and os.path.exists(script):
        subprocess.run(["sh", script] + deps_e2e(), stdout=sys.stderr)


def skip_reason():
    if os.geteuid() != 0:
        return "needs root (starts libvirtd and QEMU guests)"
    for prog in ("qemu-system-x86_64", "virsh", "libvirtd", "virtlogd", "gcc"):
        if shutil.which(prog) is None:
            return "%s is not installed" % prog
    if not os.path.exists("/bin/busybox"):
        return "busybox-static is not installed"
    return None


def load_image_builder():
    spec = importlib.util.spec_from_file_location("ab_build_image",
                                                  os.path.join(HERE, "build-image.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --- libvirt daemons ----------------------------------------------------------

def socket_alive(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(2)
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def libvirt_usable():
    if not socket_alive(LIBVIRT_SOCK):
        return False
    try:
        return virsh("version", timeout=10, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


class Libvirt:
    """Use a running libvirtd, or start virtlogd + libvirtd and stop them later."""

    def __init__(self, workdir, rundir):
        self.workdir = workdir
        self.rundir = rundir
        self.procs = []          # (name, Popen) that we started, stopped in reverse

    def start(self):
        if libvirt_usable():
            log("using the running libvirtd")
            return
        for d in ("/var/log/libvirt/qemu", "/var/lib/libvirt/qemu", "/var/cache/libvirt/qemu",
                  "/var/run/libvirt"):
            os.makedirs(d, exist_ok=True)
        if not socket_alive(VIRTLOGD_SOCK):
            self._spawn("virtlogd", ["virtlogd"], VIRTLOGD_SOCK)
        etc = self._private_etc()
        conf = os.path.join(etc, "libvirt", "libvirtd.conf")
        binds = " && ".join("mount --bind %s %s" % (os.path.join(etc, src), dst)
                            for src, dst in (("libvirt", "/etc/libvirt"),
                                             ("passwd", "/etc/passwd"),
                                             ("group", "/etc/group")))
        # unshare execs (no fork), so the Popen pid is libvirtd's own pid.
        cmd = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
               binds + " && exec libvirtd --config " + conf]
        t0 = time.monotonic()
        self._spawn("libvirtd", cmd, LIBVIRT_SOCK, check=libvirt_usable)
        log("libvirtd ready in %.2f s" % (time.monotonic() - t0))
        # libvirt makes its machine partition when it starts the first
        # domain; scenarios that limit it before that (overcommit, the
        # benchmarks) would find nothing on a fresh machine. An existing
        # directory is what libvirt uses as is.
        if os.path.isdir(os.path.dirname(MACHINE_CGROUP)):
            os.makedirs(MACHINE_CGROUP, exist_ok=True)

    def _private_etc(self):
        etc = os.path.join(self.rundir, "etc")
        shutil.rmtree(etc, ignore_errors=True)
        shutil.copytree("/etc/libvirt", os.path.join(etc, "libvirt"), symlinks=True)
        with open(os.path.join(etc, "libvirt", "qemu.conf"), "w") as f:
            f.write(QEMU_CONF)
        with open(os.path.join(etc, "libvirt", "libvirtd.conf"), "w") as f:
            f.write('log_outputs = "3:file:%s"\n' % os.path.join(self.workdir, "libvirtd.log"))
        shutil.copy("/etc/passwd", os.path.join(etc, "passwd"))
        shutil.copy("/etc/group", os.path.join(etc, "group"))
        with open(os.path.join(etc, "group")) as f:
            groups = f.read()
        with open(os.path.join(etc, "passwd")) as f:
            users = f.read()
        if not re.search(r"^libvirt-qemu:", groups, re.M):
            with open(os.path.join(etc, "group"), "a") as f:
                f.write("libvirt-qemu:x:64055:\n")
        if not re.search(r"^libvirt-qemu:", users, re.M):
            with open(os.path.join(etc, "passwd"), "a") as f:
                f.write("libvirt-qemu:x:64055:64055:libvirt qemu (e2e):/var/lib/libvirt:"
                        "/usr/sbin/nologin\n")
        return etc

    def _spawn(self, name, cmd, sock, check=None, timeout=30):
        logf = open(os.path.join(self.workdir, name + ".out"), "ab")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                             start_new_session=True)
        logf.close()
        self.procs.append((name, p))

        def up():
            if p.poll() is not None:
                raise RuntimeError("%s exited with %s, see %s" % (
                    name, p.returncode, os.path.join(self.workdir, name + ".out")))
            return check() if check else socket_alive(sock)
        wait_until(up, timeout, interval=0.05, what=name + " socket")

    def started_libvirtd(self):
        return any(name == "libvirtd" for name, _ in self.procs)

    def restart_libvirtd(self, timeout=30):
        """Stop the libvirtd we started and start a new one (the guests keep
        running; the new one reconnects to their monitors). Returns the
        seconds it took, or None when the libvirtd in use is not ours."""
        for i, (name, p) in enumerate(self.procs):
            if name != "libvirtd":
                continue
            t0 = time.monotonic()
            terminate(p, timeout)
            del self.procs[i]
            log("stopped libvirtd (pid %d) for a restart" % p.pid)
            self.start()
            return time.monotonic() - t0
        return None

    def kill_libvirtd(self):
        """SIGKILL the libvirtd we started, as a crash would (its guests run
        on); start() brings up a new one. Returns its pid, or None when
        the libvirtd in use is not ours."""
        for i, (name, p) in enumerate(self.procs):
            if name == "libvirtd":
                p.kill()
                p.wait()
                del self.procs[i]
                log("killed libvirtd (pid %d) with SIGKILL" % p.pid)
                return p.pid
        return None

    def stop(self):
        while self.procs:
            name, p = self.procs.pop()
            terminate(p)
            log("stopped the %s we started (pid %d)" % (name, p.pid))


# --- events -------------------------------------------------------------------

class EventWatcher:
    """A real `virsh event --loop --timestamp` process (or any other
    command that prints one event a line: cmd); lines kept with receive
    times."""

    def __init__(self, events=None, domain=None, name="events", workdir=None, cmd=None):
        if cmd is None:
            cmd = virsh_cmd("event", "--loop", "--timestamp")
            cmd += ["--event", events] if events else ["--all"]
            if domain:
                cmd += ["--domain", domain]
        self.lines = []          # (monotonic time, line)
        self.cond = threading.Condition()
        self.logpath = os.path.join(workdir, name + ".log") if workdir else None
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, bufsize=1)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        logf = open(self.logpath, "a") if self.logpath else None
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if not line:
                continue
            if logf:
                logf.write(line + "\n")
                logf.flush()
            with self.cond:
                self.lines.append((time.monotonic(), line))
                self.cond.notify_all()
        if logf:
            logf.close()

    def mark(self):
        with self.cond:
            return len(self.lines)

    def wait_for(self, regex, timeout, since=0):
        """First line at index >= since matching regex: (index, time, line, match)."""
        rx = re.compile(regex)
        deadline = time.monotonic() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.lines):
                    t, line = self.lines[i]
                    m = rx.search(line)
                    if m:
                        return i, t, line, m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise TimeoutError("no event matching %r within %.1f s (saw %d lines%s)" % (
                        regex, timeout, len(self.lines),
                        ", virsh exited %s" % self.proc.returncode
                        if self.proc.poll() is not None else ""))
                self.cond.wait(min(left, 0.5))

    def sync(self, domain, timeout=15):
        """Block until the watcher is registered: change the domain's
        description until a metadata-change for it comes through."""
        deadline = time.monotonic() + timeout
        n = 0
        while True:
            n += 1
            since = self.mark()
            virsh("desc", domain, "--config", "--title", "ab-e2e-sync-%d" % n)
            try:
                return self.wait_for(r"'metadata-change' for domain '?%s'?" % re.escape(domain),
                                     min(0.5, max(0.05, deadline - time.monotonic())), since)
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise

    def close(self):
        terminate(self.proc, 5)
        self.thread.join(2)


# --- guests -------------------------------------------------------------------

def domain_xml(name, memory_mib, kernel, initrd, console_sock, console_log,
               current_mib=None, vcpus=1, cmdline=KERNEL_CMDLINE, autodeflate=True,
               stats_period=1, disk=None, balloon_attrs="", balloon_children="",
               metadata="", extra_top="", extra_devices=""):
    """Native libvirt XML for a TCG guest booting kernel+initrd directly.

    balloon_attrs/balloon_children/metadata let later tests write the
    extended autoballoon XML (e.g. autoballoon='on', <autoballoon>...) and
    define it with `virsh-autoballoon define` instead of `virsh define`.
    extra_top (after <currentMemory>: <maxMemory>, <cpu>) and extra_devices
    (before the balloon: a <memory> device) are inserted as given.
    """
    cur = current_mib if current_mib is not None else memory_mib
    disk_xml = ""
    # cache='none' (O_DIRECT), as production guests are set up: the host's
    # page cache of the image would be charged to the machine cgroup, and
    # the scenarios are about guest memory (the guest's own page cache of
    # its disk stays, and only the balloon gives it back).
    if disk:
        disk_xml = """
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none'/>
      <source file=%s/>
      <target dev='vda' bus='virtio'/>
    </disk>""" % quoteattr(disk)
    deflate = " autodeflate='on'" if autodeflate else ""
    stats = "<stats period='%d'/>" % stats_period if stats_period else ""
    return """<domain type='qemu'>
  <name>%(name)s</name>
  <metadata>%(metadata)s</metadata>
  <memory unit='MiB'>%(mem)d</memory>
  <currentMemory unit='MiB'>%(cur)d</currentMemory>%(extra_top)s
  <vcpu>%(vcpus)d</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>%(kernel)s</kernel>
    <initrd>%(initrd)s</initrd>
    <cmdline>%(cmdline)s</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>%(disk)s
    <serial type='unix'>
      <source mode='bind' path=%(sock)s/>
      <log file=%(log)s append='off'/>
      <target port='0'/>
    </serial>%(extra_devices)s
    <memballoon model='virtio'%(deflate)s%(battrs)s>
      %(stats)s%(bchildren)s
    </memballoon>
  </devices>
</domain>
""" % {"name": escape(name), "metadata": metadata, "mem": memory_mib, "cur": cur,
       "vcpus": vcpus, "kernel": escape(kernel), "initrd": escape(initrd),
       "cmdline": escape(cmdline), "disk": disk_xml, "sock": quoteattr(console_sock),
       "log": quoteattr(console_log), "deflate": deflate,
       "battrs": (" " + balloon_attrs) if balloon_attrs else "",
       "stats": stats, "bchildren": balloon_children,
       "extra_top": extra_top, "extra_devices": extra_devices}


def parse_memstat(text):
    stats = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            stats[parts[0]] = int(parts[1])
    return stats


class Guest:
    def __init__(self, session, name, memory_mib, define_cmd=None, **xml_kw):
        self.session = session
        self.name = name
        self.memory_mib = memory_mib
        self.sock = os.path.join(session.rundir, name + ".sock")
        self.console_log = os.path.join(session.workdir, name + ".console.log")
        self.xml = domain_xml(name, memory_mib, session.image["kernel"], session.image["initrd"],
                              self.sock, self.console_log, **xml_kw)
        self.define_cmd = define_cmd or virsh_cmd("define")
        self.conn = None
        self.pos = 0             # console log offset the next wait starts at
        self.started_at = None
        self.cmd_seq = 0

    def define(self):
        path = os.path.join(self.session.workdir, self.name + ".xml")
        with open(path, "w") as f:
            f.write(self.xml)
        p = subprocess.run(self.define_cmd + [path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError("define %s failed: %s" % (self.name, p.stderr.strip()))

    def start(self):
        if os.path.exists(self.console_log):
            os.unlink(self.console_log)
        self.pos = 0
        self.started_at = time.monotonic()
        virsh("start", self.name, timeout=60)
        self._connect()

    def _connect(self):
        """Keep the console socket open and drained, so the guest never blocks
        on a full socket; what it prints is read back from the log file."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        wait_until(lambda: s.connect_ex(self.sock) == 0, 10, what="console socket")
        self.conn = s

        def drain():
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass
        threading.Thread(target=drain, daemon=True).start()

    def console_text(self):
        try:
            with open(self.console_log, "rb") as f:
                return f.read().decode("utf-8", "replace").replace("\r", "")
        except FileNotFoundError:
            return ""

    def console_wait(self, regex, timeout):
        """Wait for regex in console output after the previous match."""
        rx = re.compile(regex)

        def found():
            return rx.search(self.console_text(), self.pos)
        try:
            m, _ = wait_until(found, timeout, interval=0.05, what="console /%s/" % regex)
        except TimeoutError as e:
            tail = self.console_text()[-800:]
            raise TimeoutError("%s: %s; console tail:\n%s" % (self.name, e, tail)) from None
        self.pos = m.end()
        return m

    def wait_ready(self, timeout=60):
        """Seconds from `virsh start` to the guest's ready marker."""
        self.console_wait(re.escape(self.session.image["ready_marker"]), timeout)
        return time.monotonic() - self.started_at

    def send(self, line):
        self.conn.sendall(line.encode() + b"\n")

    def interrupt(self):
        """Ctrl-C to the console's foreground job (init gives the shell a
        controlling tty with cttyhack, so this works like a terminal)."""
        self.conn.sendall(b"\x03")

    def run(self, command, timeout=60):
        """Run a shell command on the console; return (exit status, output)."""
        self.cmd_seq += 1
        tag = "ab-e2e-rc-%d" % self.cmd_seq
        # The echoed command line shows `$?`, the output a number: only the
        # output matches.
        self.send("%s; echo %s=$?" % (command, tag))
        start = self.pos
        m = self.console_wait(r"%s=(\d+)" % tag, timeout)
        return int(m.group(1)), self.console_text()[start:m.start()]

    def dommemstat(self):
        return parse_memstat(virsh("dommemstat", self.name).stdout)

    def wait_memstat(self, pred, timeout, interval=0.1, what="memstat condition"):
        """Poll dommemstat until pred(stats) holds: (stats, seconds)."""
        def check():
            st = self.dommemstat()
            return st if pred(st) else None
        try:
            return wait_until(check, timeout, interval, what="%s: %s" % (self.name, what))
        except TimeoutError as e:
            raise TimeoutError("%s (last: %s)" % (e, self.dommemstat())) from None

    def qemu_pid(self):
        with open("/var/run/libvirt/qemu/%s.pid" % self.name) as f:
            return int(f.read().strip())

    def memory_cgroup(self):
        """The cgroup v1 memory directory libvirt put this guest's QEMU in."""
        with open("/proc/%d/cgroup" % self.qemu_pid()) as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if "memory" in controllers.split(","):
                    return "/sys/fs/cgroup/memory" + path
        return None

    def setmem(self, mib):
        virsh("setmem", self.name, "%dM" % mib, "--live")

    def destroy(self):
        if self.conn:
            self.conn.close()
            self.conn = None
        virsh("destroy", self.name, check=False)

    def undefine(self):
        self.destroy()
        virsh("undefine", self.name, "--nvram", check=False)
        virsh("undefine", self.name, check=False)


# --- cgroup -------------------------------------------------------------------

def machine_used():
    """What autoballoond's headroom source counts as used in libvirt's
    machine cgroup (bytes): its usage less its inactive file pages (page
    cache the kernel drops before it reclaims anything else)."""
    with open(os.path.join(MACHINE_CGROUP, "memory.usage_in_bytes")) as f:
        usage = int(f.read())
    with open(os.path.join(MACHINE_CGROUP, "memory.stat")) as f:
        m = re.search(r"^total_inactive_file (\d+)$", f.read(), re.M)
    return usage - (int(m.group(1)) if m else 0)


@contextlib.contextmanager
def cgroup_limit(limit_bytes, cgroup=MACHINE_CGROUP, knob="memory.limit_in_bytes"):
    """Set a cgroup v1 memory limit for the block; always write the old one back."""
    path = os.path.join(cgroup, knob)
    with open(path) as f:
        old = f.read().strip()
    with open(path, "w") as f:
        f.write(str(limit_bytes))
    try:
        yield old
    finally:
        with open(path, "w") as f:
            f.write(old)


@contextlib.contextmanager
def own_memory_cgroup(name, limit_bytes, root="/sys/fs/cgroup/memory"):
    """A cgroup v1 memory cgroup of its own (ROOT/NAME) limited to
    limit_bytes for the block; afterwards whatever still runs in it goes
    back to the root cgroup and the directory is removed."""
    path = os.path.join(root, name)
    os.mkdir(path)
    try:
        with open(os.path.join(path, "memory.limit_in_bytes"), "w") as f:
            f.write(str(limit_bytes))
        yield path
    finally:
        try:
            with open(os.path.join(path, "cgroup.procs")) as f:
                pids = f.read().split()
        except OSError:
            pids = []
        for pid in pids:
            try:
                with open(os.path.join(root, "cgroup.procs"), "w") as f:
                    f.write(pid)
            except OSError:
                pass             # gone meanwhile
        wait_until(lambda: _rmdir(path), 10, interval=0.1, what="rmdir " + path)


def _rmdir(path):
    try:
        os.rmdir(path)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


# --- session ------------------------------------------------------------------

class Session:
    """One test program's world: deps, image, libvirtd, guests, watchers."""

    def __init__(self, test_name, install_deps=True):
        self.test_name = test_name
        self.install_deps = install_deps
        self.skip_reason = None
        self.guests = []
        self.procs = []
        self.watchers = []
        self.libvirt = None
        self.image = None
        self.workdir = os.path.join(BUILD_ROOT if os.path.isdir(BUILD_ROOT) else "/tmp",
                                    "e2e-work", test_name)
        self.rundir = os.path.join(RUN_ROOT, "%s-%d" % (test_name, os.getpid()))
        self._closed = False

    def __enter__(self):
        if self.install_deps and os.geteuid() == 0:
            ensure_deps()
        self.skip_reason = skip_reason()
        if self.skip_reason:
            return self
        self._lock()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        atexit.register(self.close)
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.makedirs(self.workdir)
        os.makedirs(self.rundir, exist_ok=True)
        t0 = time.monotonic()
        self.image = load_image_builder().build_image()
        log("image ready in %.2f s: %s" % (time.monotonic() - t0,
                                           os.path.basename(self.image["initrd"])))
        self.libvirt = Libvirt(self.workdir, self.rundir)
        self.libvirt.start()
        self._clean_stale()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _lock(self):
        """One session at a time on a host: every session shares libvirtd's
        socket and the machine cgroup's limit. Held until the process ends."""
        import fcntl
        os.makedirs(RUN_ROOT, exist_ok=True)
        self._lockf = open(os.path.join(RUN_ROOT, "session.lock"), "w")
        try:
            fcntl.flock(self._lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("waiting for another e2e session on this host to end")
            t0 = time.monotonic()
            fcntl.flock(self._lockf, fcntl.LOCK_EX)
            log("waited %.1f s for the e2e lock" % (time.monotonic() - t0))

    def _on_signal(self, sig, frame):
        raise SystemExit(128 + sig)

    def _clean_stale(self):
        """Guests a killed earlier run left behind (its pid is gone)."""
        out = virsh("list", "--all", "--name", check=False).stdout
        for name in out.split():
            m = re.match(re.escape(NAME_PREFIX) + r".*-(\d+)$", name)
            if m and not os.path.exists("/proc/" + m.group(1)):
                log("removing stale guest " + name)
                virsh("destroy", name, check=False)
                virsh("undefine", name, check=False)

    def guest(self, short, memory_mib, define=True, **kw):
        name = "%s%s-%s-%d" % (NAME_PREFIX, self.test_name, short, os.getpid())
        g = Guest(self, name, memory_mib, **kw)
        self.guests.append(g)
        if define:
            g.define()
        return g

    def disk(self, short, size_mib):
        """A sparse raw image for a guest's disk (memload -c /dev/vda fills
        the guest's page cache from it; the host barely stores anything)."""
        path = os.path.join(self.workdir, "%s.img" % short)
        with open(path, "wb") as f:
            f.truncate(size_mib * 1024 * 1024)
        return path

    def spawn(self, name, argv, env=None):
        """A background program (autoballoond, later) that the session stops
        before it removes the guests; its output goes to workdir/NAME.log."""
        logf = open(os.path.join(self.workdir, name + ".log"), "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                             env=env, start_new_session=True)
        logf.close()
        self.procs.append((name, p))
        return p

    def event_watcher(self, events=None, domain=None, name="events", cmd=None):
        w = EventWatcher(events, domain, name, self.workdir, cmd)
        self.watchers.append(w)
        return w

    def close(self):
        if self._closed or self.skip_reason:
            return
        self._closed = True
        # A second SIGTERM must not cut the cleanup short.
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for name, p in reversed(self.procs):
            terminate(p)
        for g in reversed(self.guests):
            try:
                g.undefine()
            except Exception as e:       # keep cleaning the rest
                log("cleanup of %s: %s" % (g.name, e))
        for w in self.watchers:
            w.close()
        if self.libvirt:
            self.libvirt.stop()
        shutil.rmtree(self.rundir, ignore_errors=True)


# --- TAP ----------------------------------------------------------------------

class Tap:
    """TAP for meson: a plan, then one ok/not ok line per check."""

    def __init__(self, planned):
        self.planned = planned
        self.n = 0
        self.failed = 0
        print("1..%d" % planned, flush=True)

    attachments = None

    def attach(self, label, path, lines=60, skip=None):
        """A log (e.g. autoballoond's) whose tail is printed as TAP
        diagnostics after the first failure; lines matching the regex skip
        (noise) are left out."""
        if self.attachments is None:
            self.attachments = []
        self.attachments.append((label, path, lines, skip))

    def _dump_attachments(self):
        for label, path, lines, skip in self.attachments or []:
            try:
                with open(path, errors="replace") as f:
                    tail = [line for line in f.read().splitlines()
                            if not (skip and re.search(skip, line))][-lines:]
            except OSError as e:
                tail = ["(cannot read: %s)" % e]
            print("# --- last %d lines of %s (%s) ---" % (len(tail), label, path), flush=True)
            for line in tail:
                print("#   " + line, flush=True)
        self.attachments = None      # once is enough

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        # A TAP test line is one line: further lines of desc (a table, say)
        # follow as diagnostics, or meson reports unknown TAP output.
        first, *rest = str(desc).splitlines() or [""]
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, first), flush=True)
        for line in rest:
            print("#   " + line, flush=True)
        if diag and not cond:
            for line in str(diag).splitlines():
                print("# " + line, flush=True)
        if not cond:
            self._dump_attachments()
        return cond

    def skip_rest(self, reason):
        while self.n < self.planned:
            self.n += 1
            print("ok %d # SKIP %s" % (self.n, reason), flush=True)

    def bail(self, reason):
        """A step the rest depends on failed: the rest fail too, with the reason."""
        while self.n < self.planned:
            self.ok(False, "not reached", reason)

    def exit_code(self):
        return 1 if self.failed or self.n != self.planned else 0
