/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memload: a guest-side memory load for the end-to-end tests.
 *
 * Runs inside the test guest's initramfs (linked statically, no libc in the
 * guest), so it only uses the C library and prints one line per step that
 * the harness matches on the serial console:
 *
 *   memload [-s STEP_MIB] [-d STEP_DELAY_MS] [-t HOLD_S] MIB
 *       allocate and touch MIB MiB of anonymous memory (STEP_MIB at a time,
 *       waiting STEP_DELAY_MS between steps), hold it HOLD_S seconds
 *       (-1: until SIGINT/SIGTERM), free it, print "memload: done".
 *   memload -c FILE [-s STEP_MIB]
 *       read FILE (a disk: /dev/vda) to the end to fill the page cache,
 *       print "memload: cached N MiB" and "memload: done".
 *
 * Progress lines: "memload: at N MiB" after each step, "memload: holding N MiB",
 * "memload: freed N MiB". An allocation failure prints "memload: failed at N MiB"
 * and exits 1 (the OOM killer gives no line at all: the harness sees no "done").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

static volatile sig_atomic_t stopRequested;

static void
onSignal(int sig)
{
    (void)sig;
    stopRequested = 1;
}

static void
sleepMs(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (!stopRequested && nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static double
nowS(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
fillCache(const char *path, unsigned long stepMib)
{
    static char buf[1 << 20];
    unsigned long total = 0, lastReport = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY);

    if (fd < 0) {
        printf("memload: failed to open %s: %s\n", path, strerror(errno));
        return 1;
    }
    while (!stopRequested && (n = read(fd, buf, sizeof(buf))) > 0) {
        total += n;
        if (total / MIB >= lastReport + stepMib) {
            lastReport = total / MIB;
            printf("memload: at %lu MiB\n", lastReport);
        }
    }
    close(fd);
    printf("memload: cached %lu MiB\n", total / MIB);
    printf("memload: done\n");
    return 0;
}

int
main(int argc, char **argv)
{
    unsigned long mib, stepMib = 0, done = 0;
    long delayMs = 0, holdS = 0;
    const char *cacheFile = NULL;
    struct { char *p; size_t len; } *chunks;
    size_t nchunks = 0;
    double start;
    int opt;

    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGINT, onSignal);
    signal(SIGTERM, onSignal);

    while ((opt = getopt(argc, argv, "s:d:t:c:")) != -1) {
        switch (opt) {
        case 's': stepMib = strtoul(optarg, NULL, 10); break;
        case 'd': delayMs = strtol(optarg, NULL, 10); break;
        case 't': holdS = strtol(optarg, NULL, 10); break;
        case 'c': cacheFile = optarg; break;
        default:
            fprintf(stderr, "usage: memload [-s STEP_MIB] [-d DELAY_MS] [-t HOLD_S] MIB | -c FILE\n");
            return 2;
        }
    }
    if (cacheFile)
        return fillCache(cacheFile, stepMib ? stepMib : 64);
    if (optind >= argc) {
        fprintf(stderr, "memload: MIB missing\n");
        return 2;
    }
    mib = strtoul(argv[optind], NULL, 10);
    if (stepMib == 0 || stepMib > mib)
        stepMib = mib ? mib : 1;

    chunks = calloc(mib / stepMib + 2, sizeof(*chunks));
    if (!chunks)
        return 1;
    start = nowS();
    while (done < mib && !stopRequested) {
        unsigned long n = mib - done < stepMib ? mib - done : stepMib;
        char *p = mmap(NULL, n * MIB, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        size_t off;

        if (p == MAP_FAILED) {
            printf("memload: failed at %lu MiB: %s\n", done, strerror(errno));
            return 1;
        }
        /* Touch every page so the memory is really backed, with a value
         * that is not zero so no page can be deduplicated as a zero page. */
        for (off = 0; off < n * MIB; off += 4096)
            p[off] = (char)(off >> 12) | 1;
        chunks[nchunks].p = p;
        chunks[nchunks++].len = n * MIB;
        done += n;
        printf("memload: at %lu MiB\n", done);
        if (delayMs > 0 && done < mib)
            sleepMs(delayMs);
    }
    printf("memload: holding %lu MiB after %.2f s\n", done, nowS() - start);
    if (holdS < 0) {
        while (!stopRequested)
            pause();
    } else if (holdS > 0) {
        sleepMs(holdS * 1000);
    }
    while (nchunks > 0) {
        nchunks--;
        munmap(chunks[nchunks].p, chunks[nchunks].len);
    }
    free(chunks);
    printf("memload: freed %lu MiB\n", done);
    printf("memload: done\n");
    return 0;
}
