/* The workloads of `cargo xtask bench` on glibc's pthreads, built with `gcc -O2 -pthread`.
 * Each workload mirrors the Rust one in bench/common/src/lib.rs statement for statement, with
 * pthread_create/join/detach, pthread_mutex, pthread_cond and `__thread`.
 *
 * Extra workloads: `clone_join` and `clone_detached` (the raw clone floors for spawn+join and
 * detached threads), the thread-control counterparts `interrupt` (pthread_kill) and
 * `defer_interrupts` (sigprocmask), the signal round trips `signal_handler` (pthread_kill to a
 * handler) and `signal_thread` (kill to a sigwaitinfo thread), and `launch` (the launcher that
 * times whole processes: posix_spawn + waitpid). The raw futex floor under the ping-pongs is
 * bench/common's `futex_pingpong`, run on strand's threads.
 *
 * Protocol as in bench/common: `bench-glibc <workload> [key=value ...]`, printing `RESULT name
 * value`, `NOTE text` and `PROGRESS n` lines; `ERROR text` and exit status 1 on a failed check. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int g_argc;
static char **g_argv;

/* `key=value` from the command line, or `def`. */
static unsigned long long num(const char *key, unsigned long long def) {
    size_t k = strlen(key);
    for (int i = 2; i < g_argc; i++) {
        if (strcmp(g_argv[i], "--") == 0) break;
        if (strncmp(g_argv[i], key, k) == 0 && g_argv[i][k] == '=') return strtoull(g_argv[i] + k + 1, NULL, 10);
    }
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

static void result(const char *name, double value) {
    printf("RESULT %s %.3f\n", name, value);
}

static int error(const char *what, int err) {
    printf("ERROR %s: %s (errno %d)\n", what, strerror(err), err);
    return 1;
}

/* `stack=<bytes>` as thread attributes; NULL for the default. */
static pthread_attr_t attr_storage;
static pthread_attr_t *stack_attr(unsigned long long stack) {
    if (stack == 0) return NULL;
    pthread_attr_init(&attr_storage);
    pthread_attr_setstacksize(&attr_storage, stack);
    return &attr_storage;
}

/* ---- threads ------------------------------------------------------------------------------ */

static void *noop(void *arg) { return arg; }

static atomic_uint idle_started;
static atomic_uint idle_stop;

static void *idle_body(void *arg) {
    atomic_fetch_add(&idle_started, 1);
    futex_wake(&idle_started, 1);
    while (atomic_load(&idle_stop) == 0) futex_wait(&idle_stop, 0);
    return arg;
}

static void wait_idle_started(unsigned n) {
    for (;;) {
        unsigned s = atomic_load(&idle_started);
        if (s >= n) return;
        futex_wait(&idle_started, s);
    }
}

static void stop_idle(pthread_t *slots, size_t n) {
    atomic_store(&idle_stop, 1);
    futex_wake(&idle_stop, 0x7fffffff);
    for (size_t i = 0; i < n; i++) pthread_join(slots[i], NULL);
}

static pthread_t *handle_slots(size_t n) {
    pthread_t *p = calloc(n ? n : 1, sizeof(pthread_t));
    memset(p, 0, (n ? n : 1) * sizeof(pthread_t));
    return p;
}

static int start_idle(pthread_t *slots, size_t n, pthread_attr_t *attr) {
    for (size_t i = 0; i < n; i++) {
        int e = pthread_create(&slots[i], attr, idle_body, NULL);
        if (e) return error("spawning an idle thread failed", e);
    }
    wait_idle_started((unsigned)n);
    return 0;
}

static int spawn_join_once(pthread_attr_t *attr) {
    pthread_t t;
    int e = pthread_create(&t, attr, noop, NULL);
    if (e) return error("spawn failed", e);
    pthread_join(t, NULL);
    return 0;
}

/* 1 and 9: spawn+join of a no-op thread, with `others` idle threads alive. */
static int spawn_join(unsigned long long iters, unsigned long long stack, size_t others) {
    pthread_t *idle = handle_slots(others);
    pthread_attr_t idle_attr;
    pthread_attr_init(&idle_attr);
    pthread_attr_setstacksize(&idle_attr, 64 << 10);
    if (start_idle(idle, others, &idle_attr)) return 1;
    pthread_attr_t *attr = stack_attr(stack);
    unsigned long long warm = iters / 10 + 1;
    for (unsigned long long i = 0; i < warm; i++)
        if (spawn_join_once(attr)) return 1;
    unsigned long long t0 = now_ns();
    for (unsigned long long i = 0; i < iters; i++)
        if (spawn_join_once(attr)) return 1;
    unsigned long long t1 = now_ns();
    result("ns_per_op", (double)(t1 - t0) / (double)iters);
    stop_idle(idle, others);
    return 0;
}

static atomic_ullong detached_done;
static atomic_ullong detached_target;
static atomic_uint detached_all;

static void *bump(void *arg) {
    if (atomic_fetch_add(&detached_done, 1) + 1 == atomic_load(&detached_target)) {
        atomic_store(&detached_all, 1);
        futex_wake(&detached_all, 1);
    }
    return arg;
}

/* 2: detached threads that each bump an atomic and exit; until the last one has bumped. */
static int detached(unsigned long long iters) {
    atomic_store(&detached_target, iters);
    unsigned long long t0 = now_ns();
    for (unsigned long long i = 0; i < iters; i++) {
        pthread_t t;
        int e = pthread_create(&t, NULL, bump, NULL);
        if (e) return error("spawn failed", e);
        pthread_detach(t);
    }
    while (atomic_load(&detached_all) == 0) futex_wait(&detached_all, 0);
    unsigned long long t1 = now_ns();
    result("ns_per_thread", (double)(t1 - t0) / (double)iters);
    return 0;
}

/* ---- the kernel floor of 1 and 2 ---------------------------------------------------------- */

/* x86_64 syscall numbers, from arch/x86/entry/syscalls/syscall_64.tbl. */
#define NR_CLONE 56
#define NR_EXIT 60
#define NR_FUTEX 202

/* What makes a thread of this process and no more: shared memory, files, fs info, signal
 * handlers, thread group, SysV undo list (values from include/uapi/linux/sched.h). No
 * CLONE_SETTLS: the child has no TLS of its own and so must touch none. */
#define FLOOR_THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)
/* For a join: the tid stored for the parent, cleared with a futex wake when the child is gone. */
#define FLOOR_JOIN_FLAGS (FLOOR_THREAD_FLAGS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* The one stack every floor thread is given. Its threads never push or call (and no signal is
 * sent to them), so they can all share it, even at once. */
static char *floor_stack_top(void) {
    static char *top;
    if (!top) {
        size_t size = 64 << 10;
        char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (p == MAP_FAILED) return NULL;
        top = p + size;
    }
    return top;
}

/* clone(flags, stack, ptid, ctid, tls): x86_64 takes this order (kernel/fork.c, the clone
 * SYSCALL_DEFINE5 without CONFIG_CLONE_BACKWARDS*), in rdi, rsi, rdx, r10, r8. The child, on the
 * new stack, exits at once inside the asm: it never returns into C. The kernel stores the tid
 * in *tid before the child runs and clears it when the child is gone. Returns the tid or
 * -errno. */
static long clone_exiting(atomic_int *tid) {
    register long ctid __asm__("r10") = (long)tid;
    register long tls __asm__("r8") = 0;
    long ret;
    __asm__ volatile(
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 1f\n\t"
        "mov %[exit], %%eax\n\t"
        "xor %%edi, %%edi\n\t"
        "syscall\n\t"
        "ud2\n"
        "1:"
        : "=a"(ret)
        : "0"((long)NR_CLONE), "D"((long)FLOOR_JOIN_FLAGS), "S"(floor_stack_top()), "d"(tid), "r"(ctid),
          "r"(tls), [exit] "i"(NR_EXIT)
        : "rcx", "r11", "memory");
    return ret;
}

static int clone_join_once(void) {
    atomic_int tid = 0;
    long r = clone_exiting(&tid);
    if (r < 0) return error("clone failed", (int)-r);
    int v;
    /* Shared, not private: the kernel's wake at CLONE_CHILD_CLEARTID is a shared-futex wake. */
    while ((v = atomic_load(&tid)) != 0) syscall(SYS_futex, &tid, FUTEX_WAIT, v, NULL);
    return 0;
}

/* The floor of 1: spawn+join as the kernel sees it (clone, exit, futex), nothing else. The same
 * loop and warm-up as `spawn_join`; `stack` and `others` are ignored. */
static int clone_join(unsigned long long iters) {
    if (!floor_stack_top()) return error("mmap of the stack failed", errno);
    unsigned long long warm = iters / 10 + 1;
    for (unsigned long long i = 0; i < warm; i++)
        if (clone_join_once()) return 1;
    unsigned long long t0 = now_ns();
    for (unsigned long long i = 0; i < iters; i++)
        if (clone_join_once()) return 1;
    unsigned long long t1 = now_ns();
    result("ns_per_op", (double)(t1 - t0) / (double)iters);
    return 0;
}

/* The floor of 2: `detached` with each thread a bare clone whose child, inside the asm, bumps
 * the counter, wakes the waiter if it was the last, and exits. Nobody joins: no tid words. */
static long clone_bumping(void) {
    register long ctid __asm__("r10") = 0;
    register long tls __asm__("r8") = 0;
    long ret;
    __asm__ volatile(
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 2f\n\t"
        "mov $1, %%eax\n\t"
        "lock xadd %%rax, (%[done])\n\t"
        "inc %%rax\n\t"
        "cmp (%[target]), %%rax\n\t"
        "jne 1f\n\t"
        "movl $1, (%[all])\n\t"
        "mov %[all], %%rdi\n\t"
        "mov %[wake], %%esi\n\t"
        "mov $1, %%edx\n\t"
        "mov %[futex], %%eax\n\t"
        "syscall\n"
        "1:\n\t"
        "mov %[exit], %%eax\n\t"
        "xor %%edi, %%edi\n\t"
        "syscall\n\t"
        "ud2\n"
        "2:"
        : "=a"(ret)
        : "0"((long)NR_CLONE), "D"((long)FLOOR_THREAD_FLAGS), "S"(floor_stack_top()), "d"(0L), "r"(ctid),
          "r"(tls), [exit] "i"(NR_EXIT), [futex] "i"(NR_FUTEX),
          [wake] "i"(FUTEX_WAKE | FUTEX_PRIVATE_FLAG), [done] "r"(&detached_done), [target] "r"(&detached_target),
          [all] "r"(&detached_all)
        : "rcx", "r11", "memory");
    return ret;
}

/* The same loop as `detached`. */
static int clone_detached(unsigned long long iters) {
    if (!floor_stack_top()) return error("mmap of the stack failed", errno);
    atomic_store(&detached_target, iters);
    unsigned long long t0 = now_ns();
    for (unsigned long long i = 0; i < iters; i++) {
        long r = clone_bumping();
        if (r < 0) return error("clone failed", (int)-r);
    }
    while (atomic_load(&detached_all) == 0) futex_wait(&detached_all, 0);
    unsigned long long t1 = now_ns();
    result("ns_per_thread", (double)(t1 - t0) / (double)iters);
    return 0;
}

/* 3: the whole process is what the launcher times (`nothing`: start and exit only). */
static int one_thread(void) {
    return spawn_join_once(NULL);
}

static void rss_and_maps(unsigned long long *rss, unsigned long long *maps) {
    char line[256];
    *rss = 0;
    *maps = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "VmRSS:", 6) == 0) *rss = strtoull(line + 6, NULL, 10) * 1024;
        fclose(f);
    }
    f = fopen("/proc/self/maps", "r");
    if (f) {
        int c;
        while ((c = getc(f)) != EOF)
            if (c == '\n') ++*maps;
        fclose(f);
    }
}

/* 7: RSS and mappings per idle thread. */
static int idle_memory(size_t n, unsigned long long stack) {
    pthread_t *slots = handle_slots(n);
    pthread_attr_t *attr = stack_attr(stack);
    unsigned long long rss0, maps0, rss1, maps1;
    rss_and_maps(&rss0, &maps0);
    for (size_t i = 0; i < n; i++) {
        int e = pthread_create(&slots[i], attr, idle_body, NULL);
        if (e) return error("spawning an idle thread failed", e);
    }
    wait_idle_started((unsigned)n);
    rss_and_maps(&rss1, &maps1);
    result("rss_bytes_per_thread", (double)(rss1 > rss0 ? rss1 - rss0 : 0) / (double)n);
    result("maps_per_thread", (double)(maps1 > maps0 ? maps1 - maps0 : 0) / (double)n);
    stop_idle(slots, n);
    return 0;
}

/* 7: as many idle threads as will start, up to `limit`; says why it stopped. */
static int max_threads(size_t limit, unsigned long long stack) {
    pthread_t *slots = handle_slots(limit);
    pthread_attr_t *attr = stack_attr(stack);
    size_t n = 0;
    while (n < limit) {
        int e = pthread_create(&slots[n], attr, idle_body, NULL);
        if (e == 0) {
            n++;
            if (n % 10 == 0) printf("PROGRESS %zu\n", n);
        } else {
            printf("NOTE spawn %zu returned an error: pthread_create returned %d (%s)\n", n + 1, e, strerror(e));
            break;
        }
    }
    wait_idle_started((unsigned)n);
    result("threads", (double)n);
    stop_idle(slots, n);
    return 0;
}

static __thread unsigned long long tls_counter;

/* 8: read+write of a thread-local counter. */
static int tls(unsigned long long iters) {
    unsigned long long t0 = now_ns();
    for (unsigned long long i = 0; i < iters; i++) {
        tls_counter += 1;
        __asm__ volatile("" ::: "memory");
    }
    unsigned long long t1 = now_ns();
    if (tls_counter != iters) {
        printf("ERROR thread-local counter is %llu after %llu increments\n", tls_counter, iters);
        return 1;
    }
    result("ns_per_iter", (double)(t1 - t0) / (double)iters);
    return 0;
}

/* ---- locks -------------------------------------------------------------------------------- */

struct counter_lock {
    pthread_mutex_t m;
    unsigned long long v;
};

/* `units` dependent multiply-adds kept opaque to the optimiser: bench_common's `work`. */
static inline void work(unsigned units) {
    unsigned long long x = 1;
    for (unsigned i = 0; i < units; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        __asm__ volatile("" : "+r"(x));
    }
}

static inline void incr(struct counter_lock *l, unsigned units) {
    pthread_mutex_lock(&l->m);
    l->v += 1;
    work(units);
    pthread_mutex_unlock(&l->m);
}

static unsigned long long get(struct counter_lock *l) {
    pthread_mutex_lock(&l->m);
    unsigned long long v = l->v;
    pthread_mutex_unlock(&l->m);
    return v;
}

/* 4: lock, increment, unlock on one thread. */
static int uncontended(unsigned long long iters) {
    struct counter_lock l = {PTHREAD_MUTEX_INITIALIZER, 0};
    unsigned long long warm = iters / 10 + 1;
    for (unsigned long long i = 0; i < warm; i++) incr(&l, 0);
    unsigned long long t0 = now_ns();
    for (unsigned long long i = 0; i < iters; i++) incr(&l, 0);
    unsigned long long t1 = now_ns();
    if (get(&l) != warm + iters) {
        printf("ERROR counter is %llu, expected %llu\n", get(&l), warm + iters);
        return 1;
    }
    result("ns_per_op", (double)(t1 - t0) / (double)iters);
    return 0;
}

struct contended_state {
    struct counter_lock lock;
    atomic_uint go;
    unsigned long long iters;
    unsigned work;
};

static void *contender(void *arg) {
    struct contended_state *c = arg;
    while (atomic_load(&c->go) == 0) futex_wait(&c->go, 0);
    for (unsigned long long i = 0; i < c->iters; i++) incr(&c->lock, c->work);
    return NULL;
}

/* 5: `threads` threads each do `iters` lock/increment/unlock on one counter, `work` units inside. */
static int contended(size_t threads, unsigned long long iters, unsigned work) {
    struct contended_state c = {{PTHREAD_MUTEX_INITIALIZER, 0}, 0, iters, work};
    pthread_t *slots = handle_slots(threads);
    for (size_t i = 0; i < threads; i++) {
        int e = pthread_create(&slots[i], NULL, contender, &c);
        if (e) return error("spawn failed", e);
    }
    unsigned long long t0 = now_ns();
    atomic_store(&c.go, 1);
    futex_wake(&c.go, 0x7fffffff);
    for (size_t i = 0; i < threads; i++) pthread_join(slots[i], NULL);
    unsigned long long t1 = now_ns();
    unsigned long long expected = threads * iters;
    if (get(&c.lock) != expected) {
        printf("ERROR counter is %llu, expected %llu\n", get(&c.lock), expected);
        return 1;
    }
    result("ms", (double)(t1 - t0) / 1e6);
    return 0;
}

/* ---- reader-writer locks (13, 14) ----------------------------------------------------------- */

struct rw_counter {
    pthread_rwlock_t l;
    unsigned long long v;
};

static inline unsigned long long rw_read(struct rw_counter *c) {
    pthread_rwlock_rdlock(&c->l);
    unsigned long long v = c->v;
    pthread_rwlock_unlock(&c->l);
    return v;
}

static inline void rw_incr(struct rw_counter *c) {
    pthread_rwlock_wrlock(&c->l);
    c->v += 1;
    pthread_rwlock_unlock(&c->l);
}

/* 13: read lock, read, unlock on one thread. */
static int rw_uncontended(unsigned long long iters) {
    struct rw_counter c = {PTHREAD_RWLOCK_INITIALIZER, 0};
    rw_incr(&c);
    unsigned long long warm = iters / 10 + 1, sum = 0;
    for (unsigned long long i = 0; i < warm; i++) sum += rw_read(&c);
    unsigned long long t0 = now_ns();
    for (unsigned long long i = 0; i < iters; i++) sum += rw_read(&c);
    unsigned long long t1 = now_ns();
    if (sum != warm + iters) {
        printf("ERROR read sum is %llu, expected %llu\n", sum, warm + iters);
        return 1;
    }
    result("ns_per_op", (double)(t1 - t0) / (double)iters);
    return 0;
}

struct rw_contended_state {
    struct rw_counter c;
    atomic_uint go;
    unsigned long long iters, write_pct;
};

static void *rw_contender(void *arg) {
    struct rw_contended_state *s = arg;
    while (atomic_load(&s->go) == 0) futex_wait(&s->go, 0);
    unsigned long long sum = 0;
    for (unsigned long long i = 0; i < s->iters; i++) {
        if (i % 100 < s->write_pct) rw_incr(&s->c);
        else sum += rw_read(&s->c);
    }
    __asm__ volatile("" : : "r"(sum) : "memory");
    return NULL;
}

/* 14: `threads` threads, `write_pct` of every 100 operations a write, the rest reads. */
static int rw_contended(size_t threads, unsigned long long iters, unsigned long long write_pct) {
    struct rw_contended_state s = {{PTHREAD_RWLOCK_INITIALIZER, 0}, 0, iters, write_pct > 100 ? 100 : write_pct};
    pthread_t *slots = handle_slots(threads);
    for (size_t i = 0; i < threads; i++) {
        int e = pthread_create(&slots[i], NULL, rw_contender, &s);
        if (e) return error("spawn failed", e);
    }
    unsigned long long t0 = now_ns();
    atomic_store(&s.go, 1);
    futex_wake(&s.go, 0x7fffffff);
    for (size_t i = 0; i < threads; i++) pthread_join(slots[i], NULL);
    unsigned long long t1 = now_ns();
    unsigned long long per_thread = 0;
    for (unsigned long long i = 0; i < iters; i++) per_thread += i % 100 < s.write_pct;
    unsigned long long expected = threads * per_thread;
    if (rw_read(&s.c) != expected) {
        printf("ERROR counter is %llu, expected %llu\n", rw_read(&s.c), expected);
        return 1;
    }
    result("ms", (double)(t1 - t0) / 1e6);
    return 0;
}

struct pingpong_state {
    pthread_mutex_t m;
    pthread_cond_t cv;
    unsigned turn;
    unsigned long long rounds;
    int relock;
};

/* One side of the ping-pong: wait for my turn, hand the turn over, notify; with `relock`, the
   lock is taken afresh for each pass and let go after the notify. */
static void side(struct pingpong_state *p, unsigned me, unsigned long long rounds) {
    if (p->relock) {
        for (unsigned long long i = 0; i < rounds; i++) {
            pthread_mutex_lock(&p->m);
            while (p->turn != me) pthread_cond_wait(&p->cv, &p->m);
            p->turn = 1 - me;
            pthread_cond_signal(&p->cv);
            pthread_mutex_unlock(&p->m);
        }
        return;
    }
    pthread_mutex_lock(&p->m);
    for (unsigned long long i = 0; i < rounds; i++) {
        while (p->turn != me) pthread_cond_wait(&p->cv, &p->m);
        p->turn = 1 - me;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->m);
}

static void *pong(void *arg) {
    struct pingpong_state *p = arg;
    side(p, 1, p->rounds);
    return NULL;
}

/* 6: condition-variable ping-pong between two threads; ns per round trip. */
static int pingpong(unsigned long long rounds, int relock) {
    struct pingpong_state p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, rounds, relock};
    pthread_t t;
    int e = pthread_create(&t, NULL, pong, &p);
    if (e) return error("spawn failed", e);
    unsigned long long t0 = now_ns();
    side(&p, 0, rounds);
    pthread_join(t, NULL);
    unsigned long long t1 = now_ns();
    result("ns_per_round_trip", (double)(t1 - t0) / (double)rounds);
    return 0;
}

/* sem_pingpong: the turn through two POSIX semaphores (glibc's sem_t, itself on a futex). */
struct sem_pingpong_state {
    sem_t ping, pong;
    unsigned long long rounds;
};

static void *sem_pong(void *arg) {
    struct sem_pingpong_state *p = arg;
    for (unsigned long long i = 0; i < p->rounds; i++) {
        while (sem_wait(&p->ping) != 0) {}
        sem_post(&p->pong);
    }
    return NULL;
}

static int sem_pingpong(unsigned long long rounds) {
    struct sem_pingpong_state p;
    sem_init(&p.ping, 0, 0);
    sem_init(&p.pong, 0, 0);
    p.rounds = rounds;
    pthread_t t;
    int e = pthread_create(&t, NULL, sem_pong, &p);
    if (e) return error("spawn failed", e);
    unsigned long long t0 = now_ns();
    for (unsigned long long i = 0; i < rounds; i++) {
        sem_post(&p.ping);
        while (sem_wait(&p.pong) != 0) {}
    }
    pthread_join(t, NULL);
    unsigned long long t1 = now_ns();
    result("ns_per_round_trip", (double)(t1 - t0) / (double)rounds);
    return 0;
}

/* ---- thread control: the glibc counterparts of workloads 11 and 12 ----------------------- */

static atomic_uint ctl_started;
static atomic_uint ctl_stop;
static atomic_uint ctl_ack;
static atomic_ullong ctl_ran;

static void *ctl_parked(void *arg) {
    atomic_fetch_add(&ctl_started, 1);
    futex_wake(&ctl_started, 1);
    while (atomic_load(&ctl_stop) == 0) futex_wait(&ctl_stop, 0);
    return arg;
}

/* The handler does what strand's run_in does around an empty closure: counts the call, then
 * acknowledges on a futex word the sender sleeps on. */
static void on_interrupt(int sig) {
    (void)sig;
    atomic_fetch_add(&ctl_ran, 1);
    atomic_store(&ctl_ack, 1);
    futex_wake(&ctl_ack, 1);
}

/* The handler of workload 15: the same, as an SA_SIGINFO handler (strand's handlers all get
 * siginfo). */
static void on_signal(int sig, siginfo_t *info, void *uc) {
    (void)info;
    (void)uc;
    on_interrupt(sig);
}

/* Installs `sa` for `sig`, parks a thread, then times pthread_kill of `sig` to it, the handler,
 * its futex acknowledgement, and the sender woken by it. */
static int handler_round_trips(unsigned long long iters, int sig, struct sigaction *sa) {
    sigemptyset(&sa->sa_mask);
    if (sigaction(sig, sa, NULL)) return error("sigaction failed", errno);
    pthread_t t;
    int e = pthread_create(&t, NULL, ctl_parked, NULL);
    if (e) return error("spawn failed", e);
    while (atomic_load(&ctl_started) == 0) futex_wait(&ctl_started, 0);
    unsigned long long warm = iters / 10 + 1;
    unsigned long long t0 = 0;
    for (unsigned long long i = 0; i < warm + iters; i++) {
        if (i == warm) t0 = now_ns();
        atomic_store(&ctl_ack, 0);
        pthread_kill(t, sig);
        while (atomic_load(&ctl_ack) == 0) futex_wait(&ctl_ack, 0);
    }
    unsigned long long t1 = now_ns();
    if (atomic_load(&ctl_ran) != warm + iters) {
        printf("ERROR the handler ran %llu times, not %llu\n", (unsigned long long)atomic_load(&ctl_ran), warm + iters);
        return 1;
    }
    result("ns_per_round_trip", (double)(t1 - t0) / (double)iters);
    atomic_store(&ctl_stop, 1);
    futex_wake(&ctl_stop, 1);
    pthread_join(t, NULL);
    return 0;
}

/* 11: a synchronous interrupt of a parked thread (what strand's run_in does). */
static int interrupt(unsigned long long iters) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESTART;
    return handler_round_trips(iters, SIGUSR1, &sa);
}

/* 15: a signal to a parked thread's SA_SIGINFO handler and back. */
static int signal_handler(unsigned long long iters) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    return handler_round_trips(iters, SIGUSR2, &sa);
}

/* 16: a signal to the process taken by a dedicated signal thread, round trip: SIGUSR2 blocked
 * in every thread, a thread in sigwaitinfo that acknowledges on a futex word, `kill` of the
 * process, the sender woken. The usual C design that strand's Router replaces. */
static sigset_t routed;

static void *sig_waiter(void *arg) {
    atomic_fetch_add(&ctl_started, 1);
    futex_wake(&ctl_started, 1);
    for (;;) {
        siginfo_t si;
        if (sigwaitinfo(&routed, &si) < 0) continue;
        if (atomic_load(&ctl_stop)) return arg;
        atomic_fetch_add(&ctl_ran, 1);
        atomic_store(&ctl_ack, 1);
        futex_wake(&ctl_ack, 1);
    }
}

static int signal_thread(unsigned long long iters) {
    sigemptyset(&routed);
    sigaddset(&routed, SIGUSR2);
    /* Blocked before the thread is created, so every thread (it inherits) blocks it. */
    int e = pthread_sigmask(SIG_BLOCK, &routed, NULL);
    if (e) return error("pthread_sigmask failed", e);
    pthread_t t;
    e = pthread_create(&t, NULL, sig_waiter, NULL);
    if (e) return error("spawn failed", e);
    while (atomic_load(&ctl_started) == 0) futex_wait(&ctl_started, 0);
    pid_t pid = getpid();
    unsigned long long warm = iters / 10 + 1;
    unsigned long long t0 = 0;
    for (unsigned long long i = 0; i < warm + iters; i++) {
        if (i == warm) t0 = now_ns();
        atomic_store(&ctl_ack, 0);
        kill(pid, SIGUSR2);
        while (atomic_load(&ctl_ack) == 0) futex_wait(&ctl_ack, 0);
    }
    unsigned long long t1 = now_ns();
    if (atomic_load(&ctl_ran) != warm + iters) {
        printf("ERROR the signal thread took %llu signals, not %llu\n", (unsigned long long)atomic_load(&ctl_ran), warm + iters);
        return 1;
    }
    result("ns_per_round_trip", (double)(t1 - t0) / (double)iters);
    atomic_store(&ctl_stop, 1);
    kill(pid, SIGUSR2);
    pthread_join(t, NULL);
    return 0;
}

/* 12: what a glibc program does to keep a signal-delivered interrupt out of a section: block
 * the one signal, then restore the old mask (two rt_sigprocmask syscalls). */
static int defer_interrupts(unsigned long long iters) {
    sigset_t one, old;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    unsigned long long warm = iters / 10 + 1;
    for (unsigned long long i = 0; i < warm; i++) {
        sigprocmask(SIG_BLOCK, &one, &old);
        __asm__ volatile("" ::: "memory");
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    unsigned long long t0 = now_ns();
    for (unsigned long long i = 0; i < iters; i++) {
        sigprocmask(SIG_BLOCK, &one, &old);
        __asm__ volatile("" ::: "memory");
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    unsigned long long t1 = now_ns();
    sigprocmask(SIG_BLOCK, NULL, &old);
    if (sigismember(&old, SIGUSR1)) {
        printf("ERROR SIGUSR1 is still blocked after the loop\n");
        return 1;
    }
    result("ns_per_pair", (double)(t1 - t0) / (double)iters);
    return 0;
}

/* ---- the launcher ------------------------------------------------------------------------- */

static int cmp_ull(const void *a, const void *b) {
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

/* 3: `launch iters=N -- prog args...`: times N whole runs of a program (posix_spawn to waitpid),
 * after a few warm-up runs; prints the median in microseconds. */
static int launch(unsigned long long iters) {
    int at = 2;
    while (at < g_argc && strcmp(g_argv[at], "--") != 0) at++;
    if (at + 1 >= g_argc) {
        printf("ERROR launch needs -- <program> [args]\n");
        return 1;
    }
    char **child = g_argv + at + 1;
    unsigned long long *times = calloc(iters, sizeof *times);
    unsigned long long warm = iters / 10 + 2;
    for (unsigned long long i = 0; i < warm + iters; i++) {
        pid_t pid;
        int status;
        unsigned long long t0 = now_ns();
        int e = posix_spawn(&pid, child[0], NULL, NULL, child, environ);
        if (e) return error("posix_spawn failed", e);
        if (waitpid(pid, &status, 0) < 0) return error("waitpid failed", errno);
        unsigned long long t1 = now_ns();
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("ERROR %s ended with status %#x\n", child[0], status);
            return 1;
        }
        if (i >= warm) times[i - warm] = t1 - t0;
    }
    qsort(times, iters, sizeof *times, cmp_ull);
    result("us_per_process", (double)times[iters / 2] / 1e3);
    return 0;
}

int main(int argc, char **argv) {
    g_argc = argc;
    g_argv = argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *w = argc > 1 ? argv[1] : "";
    unsigned long long iters = num("iters", 1000);
    if (strcmp(w, "spawn_join") == 0) return spawn_join(iters, num("stack", 0), num("others", 0));
    if (strcmp(w, "detached") == 0) return detached(iters);
    if (strcmp(w, "clone_join") == 0) return clone_join(iters);
    if (strcmp(w, "clone_detached") == 0) return clone_detached(iters);
    if (strcmp(w, "one_thread") == 0) return one_thread();
    if (strcmp(w, "nothing") == 0) return 0;
    if (strcmp(w, "idle") == 0) return idle_memory(num("threads", 1000), num("stack", 0));
    if (strcmp(w, "max_threads") == 0) return max_threads(num("limit", 30000), num("stack", 0));
    if (strcmp(w, "tls") == 0) return tls(iters);
    if (strcmp(w, "lock") == 0) return uncontended(iters);
    if (strcmp(w, "contended") == 0) return contended(num("threads", 2), iters, num("work", 0));
    if (strcmp(w, "pingpong") == 0) return pingpong(iters, num("relock", 0) != 0);
    if (strcmp(w, "rw_read") == 0) return rw_uncontended(iters);
    if (strcmp(w, "rw_contended") == 0) return rw_contended(num("threads", 2), iters, num("write_pct", 1));
    if (strcmp(w, "sem_pingpong") == 0) return sem_pingpong(iters);
    if (strcmp(w, "interrupt") == 0) return interrupt(iters);
    if (strcmp(w, "defer_interrupts") == 0) return defer_interrupts(iters);
    if (strcmp(w, "signal_handler") == 0) return signal_handler(iters);
    if (strcmp(w, "signal_thread") == 0) return signal_thread(iters);
    if (strcmp(w, "launch") == 0) return launch(iters);
    printf("ERROR unknown workload '%s'\n", w);
    return 1;
}
