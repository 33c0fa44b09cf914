# SPDX-License-Identifier: LGPL-2.1-or-later
# autoballoon: the two entry points (make demo, make check) and helpers.
# Both install what they need on Debian 12 when run as root.

BUILDDIR ?= build
MESON_OPTS ?= -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false

# Build and unit/integration test dependencies.
DEPS_BUILD = meson ninja-build pkg-config gcc libc6-dev libglib2.0-dev \
	libxml2-dev libxml2-utils libvirt-dev libvirt-glib-1.0-dev \
	libvirt-clients libvirt-daemon python3 valgrind \
	prometheus-node-exporter systemd bash-completion
# The Debian package (make deb, and its install test in make check).
DEPS_DEB = dpkg-dev debhelper lintian
# Real guests: end-to-end tests and the demo.
DEPS_E2E = qemu-system-x86 libvirt-daemon-driver-qemu libvirt-daemon \
	libvirt-clients busybox-static cpio gzip gcc libc6-dev python3 faketime \
	libvirt-dbus dbus
DEPS_DEMO = gnuplot-nox
# Benchmarks: charts (the simulator itself needs only DEPS_BUILD).
DEPS_BENCH = gnuplot-nox
# Fuzzing (docs/fuzzing.md): clang's libFuzzer, in a build of its own.
DEPS_FUZZ = clang
FUZZDIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_MESON_OPTS = -Dfuzz=true -Dwerror=false -Db_sanitize=address,undefined \
	-Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link -De2e=disabled
# Real-guest benchmarks: DEPS_E2E, DEPS_BENCH and libvirt's Python binding.
DEPS_BENCH_E2E = python3-libvirt

.PHONY: all deps deps-e2e build check deb demo bench bench-e2e fuzz clean

all: build

deps:
	@sh scripts/install-deps.sh $(DEPS_BUILD) $(DEPS_DEB)

deps-e2e:
	@sh scripts/install-deps.sh $(DEPS_E2E)

$(BUILDDIR)/build.ninja:
	meson setup $(BUILDDIR) $(MESON_OPTS)

build: deps $(BUILDDIR)/build.ninja
	meson compile -C $(BUILDDIR)

check: deps deps-e2e $(BUILDDIR)/build.ninja
	@sh scripts/check.sh $(BUILDDIR)

# build-deb/autoballoon_VERSION_amd64.deb, built from a copy of the tree
deb:
	@sh scripts/install-deps.sh $(DEPS_BUILD) $(DEPS_DEB)
	@sh scripts/build-deb.sh . build-deb

demo: deps deps-e2e
	@sh scripts/install-deps.sh $(DEPS_DEMO)
	@test -f build-demo/build.ninja || meson setup build-demo
	meson compile -C build-demo
	@sh demo/run-demo.sh build-demo

bench: deps $(BUILDDIR)/build.ninja
	@sh scripts/install-deps.sh $(DEPS_BENCH)
	meson compile -C $(BUILDDIR)
	@sh bench/run.sh $(BUILDDIR)

# make bench, then reaction time and reclaim rate on a real guest.
bench-e2e: bench deps-e2e
	@sh scripts/install-deps.sh $(DEPS_BENCH_E2E)
	@sh bench/run-e2e.sh $(BUILDDIR)

# Each libFuzzer target for FUZZ_SECONDS, one after the other; the figures
# go to bench/results/DATE-COMMIT-fuzz.json. make check replays the corpora.
fuzz: deps
	@sh scripts/install-deps.sh $(DEPS_FUZZ)
	@test -f $(FUZZDIR)/build.ninja || CC=clang meson setup $(FUZZDIR) $(FUZZ_MESON_OPTS)
	meson compile -C $(FUZZDIR)
	python3 bench/fuzz.py $(FUZZDIR) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILDDIR) $(BUILDDIR)-vg build-demo build-deb $(FUZZDIR)
