/* Workload 10 on bdwgc (the Boehm-Demers-Weiser collector, Debian's libgc-dev), built with
 * `gcc -O2 -pthread ... -lgc`: stopping and restarting every registered thread with
 * GC_stop_world_external / GC_start_world_external, exactly the stop a collection begins with,
 * without marking. It mirrors `stop_world` in bench/strand/src/control.rs.
 *
 * GC_THREADS before gc.h makes pthread_create GC_pthread_create (gc_pthread_redirects.h), so
 * every thread is registered with the collector, as a bdwgc program's threads must be.
 *
 * Protocol as in bench/common: `bench-bdwgc stop_world threads=N iters=M spin=0|1`, printing
 * `RESULT name value`; `ERROR text` and exit status 1 on a failed check. */
#define _GNU_SOURCE
#define GC_THREADS
#include <gc.h>

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if !defined(GC_VERSION_MAJOR) || GC_VERSION_MAJOR < 8
#error "bdwgc 8 or newer is needed for GC_stop_world_external"
#endif

static int g_argc;
static char **g_argv;

static unsigned long long num(const char *key, unsigned long long def) {
    size_t k = strlen(key);
    for (int i = 2; i < g_argc; i++)
        if (strncmp(g_argv[i], key, k) == 0 && g_argv[i][k] == '=') return strtoull(g_argv[i] + k + 1, NULL, 10);
    return def;
}

static unsigned long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void futex_wait(atomic_uint *word, unsigned expected) {
    syscall(SYS_futex, word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, expected, NULL);
}

static void futex_wake(atomic_uint *word, unsigned n) {
    syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n);
}

static atomic_uint started;
static atomic_uint stop;
static atomic_uint unregistered;

static void count_in(void) {
    if (!GC_thread_is_registered()) atomic_fetch_add(&unregistered, 1);
    atomic_fetch_add(&started, 1);
    futex_wake(&started, 1);
}

static void *parked(void *arg) {
    count_in();
    while (atomic_load(&stop) == 0) futex_wait(&stop, 0);
    return arg;
}

/* Laps of each spinning thread, so that the stopper can tell they all run again. */
#define MAX_SPINNERS 64
static atomic_ullong laps[MAX_SPINNERS];

static void *spinning(void *arg) {
    size_t i = (size_t)arg;
    count_in();
    while (atomic_load_explicit(&stop, memory_order_relaxed) == 0) {
        atomic_fetch_add_explicit(&laps[i], 1, memory_order_relaxed);
        __builtin_ia32_pause();
    }
    return arg;
}

static void sleep_us(unsigned long long us) {
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Untimed, between two stops, as in strand's program: spinning threads are waited for until
 * each has lapped; for parked ones the stopper sleeps 1 ms plus 10 us per thread. */
static void settle(size_t threads, int spin) {
    if (spin) {
        unsigned long long seen[MAX_SPINNERS];
        for (size_t i = 0; i < threads; i++) seen[i] = atomic_load_explicit(&laps[i], memory_order_relaxed);
        for (size_t i = 0; i < threads; i++)
            while (atomic_load_explicit(&laps[i], memory_order_relaxed) == seen[i]) sleep_us(100);
    } else {
        sleep_us(1000 + 10 * threads);
    }
}

static int stop_world(size_t threads, unsigned long long iters, int spin) {
    if (spin && threads > MAX_SPINNERS) {
        printf("ERROR at most %d spinning threads\n", MAX_SPINNERS);
        return 1;
    }
    pthread_t *slots = calloc(threads ? threads : 1, sizeof *slots);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 << 10);
    for (size_t i = 0; i < threads; i++) {
        int e = pthread_create(&slots[i], &attr, spin ? spinning : parked, (void *)i);
        if (e) {
            printf("ERROR spawning thread %zu failed: %s\n", i, strerror(e));
            return 1;
        }
    }
    for (;;) {
        unsigned s = atomic_load(&started);
        if (s >= threads) break;
        futex_wait(&started, s);
    }
    if (atomic_load(&unregistered) != 0) {
        printf("ERROR %u threads are not registered with the collector\n", atomic_load(&unregistered));
        return 1;
    }
    /* Only the stop and the restart are timed. */
    unsigned long long warm = iters / 10 + 1, timed = 0;
    for (unsigned long long i = 0; i < warm + iters; i++) {
        settle(threads, spin);
        unsigned long long t0 = now_ns();
        GC_stop_world_external();
        GC_start_world_external();
        unsigned long long t1 = now_ns();
        if (i >= warm) timed += t1 - t0;
    }
    printf("RESULT us_per_stop %.3f\n", (double)timed / (double)iters / 1e3);
    atomic_store(&stop, 1);
    futex_wake(&stop, 0x7fffffff);
    for (size_t i = 0; i < threads; i++) pthread_join(slots[i], NULL);
    return 0;
}

int main(int argc, char **argv) {
    g_argc = argc;
    g_argv = argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    GC_INIT();
    const char *w = argc > 1 ? argv[1] : "";
    if (strcmp(w, "stop_world") == 0) return stop_world(num("threads", 10), num("iters", 100), (int)num("spin", 0));
    printf("ERROR unknown workload '%s'\n", w);
    return 1;
}
