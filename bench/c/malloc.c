/* Workload 17 of `cargo xtask bench`, the multi-threaded small-object allocator workload, on the
 * C library's malloc: built twice, against glibc (`gcc -O2 -pthread`) and statically against musl
 * (`musl-gcc -O2 -static`, Debian's musl-tools). Mirrors bench/strand/src/alloc_bench.rs statement for
 * statement.
 *
 * `bench-malloc-* alloc threads=N iters=M`: each of N threads keeps 256 slots of blocks; every
 * iteration frees one slot's block (checking its tag) and puts a new one of 16..=512 bytes there.
 * Every 16th iteration a thread also hands a fresh block to the next thread's inbox and frees
 * what its own inbox holds (a block another thread allocated: the cross-thread free).
 * Prints `RESULT ms <wall time>` (protocol of bench/c/bench.c). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 256
#define MAX_THREADS 64

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

/* Every worker and main meet here, so that the clock starts when all threads are up. */
static pthread_barrier_t start;
static _Atomic(unsigned char *) inbox[MAX_THREADS];
static atomic_uint bad;
static size_t g_threads;
static unsigned long long g_iters;

static uint64_t next(uint64_t *s) {
    /* xorshift64 */
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void *worker(void *arg) {
    size_t me = (size_t)arg;
    unsigned char *slots[SLOTS] = {0};
    uint64_t rng = 0x9e3779b97f4a7c15ull * (me + 1);
    pthread_barrier_wait(&start);
    for (unsigned long long i = 0; i < g_iters; i++) {
        uint64_t r = next(&rng);
        size_t k = r % SLOTS;
        if (slots[k]) {
            if (slots[k][0] != (unsigned char)k) atomic_fetch_add(&bad, 1);
            free(slots[k]);
        }
        size_t size = 16 + (r >> 16) % 497;
        unsigned char *p = malloc(size);
        if (!p) { atomic_fetch_add(&bad, 1); return NULL; }
        p[0] = (unsigned char)k;
        p[size - 1] = 1;
        slots[k] = p;
        if (i % 16 == 15) {
            unsigned char *give = malloc(64);
            if (!give) { atomic_fetch_add(&bad, 1); return NULL; }
            give[0] = 0xab;
            unsigned char *old = atomic_exchange(&inbox[(me + 1) % g_threads], give);
            free(old);
            unsigned char *got = atomic_exchange(&inbox[me], NULL);
            if (got && got[0] != 0xab) atomic_fetch_add(&bad, 1);
            free(got);
        }
    }
    for (size_t k = 0; k < SLOTS; k++) free(slots[k]);
    return NULL;
}

int main(int argc, char **argv) {
    g_argc = argc;
    g_argv = argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2 || strcmp(argv[1], "alloc") != 0) {
        printf("ERROR unknown workload '%s'\n", argc > 1 ? argv[1] : "");
        return 1;
    }
    g_threads = num("threads", 2);
    g_iters = num("iters", 1000);
    if (g_threads < 1 || g_threads > MAX_THREADS) {
        printf("ERROR threads must be 1..=%d\n", MAX_THREADS);
        return 1;
    }
    pthread_t t[MAX_THREADS];
    pthread_barrier_init(&start, NULL, (unsigned)g_threads + 1);
    for (size_t i = 0; i < g_threads; i++) {
        int e = pthread_create(&t[i], NULL, worker, (void *)i);
        if (e) { printf("ERROR spawn failed: %s\n", strerror(e)); return 1; }
    }
    pthread_barrier_wait(&start);
    unsigned long long t0 = now_ns();
    for (size_t i = 0; i < g_threads; i++) pthread_join(t[i], NULL);
    unsigned long long t1 = now_ns();
    for (size_t i = 0; i < g_threads; i++) free(atomic_exchange(&inbox[i], NULL));
    if (atomic_load(&bad)) { printf("ERROR %u blocks were corrupted or refused\n", atomic_load(&bad)); return 1; }
    printf("RESULT ms %.3f\n", (double)(t1 - t0) / 1e6);
    return 0;
}
