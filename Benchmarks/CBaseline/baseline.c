#define _GNU_SOURCE
#include "CBaseline.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

// Spin loops do not PAUSE: the baseline is the tightest loop C can write (Gantry's busy-poll does not either).
static inline void relax(void) {}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cb_pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : errno;
}

// ---- cache-line ping-pong ------------------------------------------------------------------------

static struct {
    alignas(128) _Atomic uint64_t ping;
    alignas(128) _Atomic uint64_t pong;
    alignas(128) _Atomic int stop;
    uint64_t counter;
    int cpu;
    pthread_t thread;
} pp;

static void *pp_echo(void *arg) {
    (void)arg;
    cb_pin(pp.cpu);
    uint64_t seen = 0;
    for (;;) {
        uint64_t v;
        while ((v = atomic_load_explicit(&pp.ping, memory_order_acquire)) == seen) {
            if (atomic_load_explicit(&pp.stop, memory_order_relaxed)) return NULL;
        }
        seen = v;
        atomic_store_explicit(&pp.pong, v, memory_order_release);
    }
}

int cb_pingpong_start(int echo_cpu) {
    atomic_store(&pp.ping, 0);
    atomic_store(&pp.pong, 0);
    atomic_store(&pp.stop, 0);
    pp.counter = 0;
    pp.cpu = echo_cpu;
    return pthread_create(&pp.thread, NULL, pp_echo, NULL);
}

void cb_pingpong_roundtrip(void) {
    uint64_t v = ++pp.counter;
    atomic_store_explicit(&pp.ping, v, memory_order_release);
    while (atomic_load_explicit(&pp.pong, memory_order_acquire) != v) {}
}

void cb_pingpong_stop(void) {
    atomic_store(&pp.stop, 1);
    pthread_join(pp.thread, NULL);
}

// ---- SPSC ring -----------------------------------------------------------------------------------

typedef struct {
    alignas(128) _Atomic uint64_t head;  // published by the producer
    alignas(128) _Atomic uint64_t tail;  // consumed by the consumer
    alignas(128) uint64_t *slots;
    uint64_t mask;
    uint64_t count;
    uint64_t batch;
    int cpu;
    int ok;
    _Atomic int ready;
} ring_t;

static void *ring_consumer(void *arg) {
    ring_t *r = arg;
    cb_pin(r->cpu);
    atomic_store(&r->ready, 1);
    uint64_t next = 0, available = 0, expected = 0;
    int ok = 1;
    while (next < r->count) {
        if (available == next) {
            while ((available = atomic_load_explicit(&r->head, memory_order_acquire)) == next) relax();
        }
        uint64_t n = available - next;
        uint64_t room = r->mask + 1 - (next & r->mask);
        if (n > room) n = room;
        if (n > r->batch) n = r->batch;
        for (uint64_t i = 0; i < n; i++) {
            if (r->slots[(next + i) & r->mask] != expected) ok = 0;
            expected++;
        }
        next += n;
        atomic_store_explicit(&r->tail, next, memory_order_release);
    }
    r->ok = ok;
    return NULL;
}

uint64_t cb_spsc_transfer(uint64_t count, uint64_t capacity, uint64_t batch, int consumer_cpu) {
    ring_t *r = aligned_alloc(128, sizeof(ring_t));
    atomic_store(&r->head, 0);
    atomic_store(&r->tail, 0);
    r->slots = aligned_alloc(128, capacity * sizeof(uint64_t));
    for (uint64_t i = 0; i < capacity; i++) r->slots[i] = 0;  // pre-fault
    r->mask = capacity - 1;
    r->count = count;
    r->batch = batch;
    r->cpu = consumer_cpu;
    r->ok = 0;
    atomic_store(&r->ready, 0);
    pthread_t t;
    pthread_create(&t, NULL, ring_consumer, r);
    while (!atomic_load(&r->ready)) sched_yield();  // as Gantry's runner start does: time the transfer only
    uint64_t start = now_ns();
    uint64_t next = 0, limit = capacity;
    while (next < count) {
        if (limit == next) {
            while ((limit = atomic_load_explicit(&r->tail, memory_order_acquire) + capacity) == next) relax();
        }
        uint64_t n = limit - next;
        uint64_t room = capacity - (next & r->mask);
        if (n > room) n = room;
        if (n > batch) n = batch;
        if (n > count - next) n = count - next;
        for (uint64_t i = 0; i < n; i++) r->slots[(next + i) & r->mask] = next + i;
        next += n;
        atomic_store_explicit(&r->head, next, memory_order_release);
    }
    pthread_join(t, NULL);
    uint64_t elapsed = now_ns() - start;
    int ok = r->ok;
    free(r->slots);
    free(r);
    return ok ? elapsed : 0;
}

// ---- fixed-point parse ---------------------------------------------------------------------------

static const uint64_t pow10_table[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull, 1000000000ull,
    10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull, 100000000000000ull,
    1000000000000000ull, 10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
    10000000000000000000ull};

int cb_parse_fixed(const char *text, int length, int scale, int64_t *out) {
    int i = 0, negative = 0, digits = 0, fraction = 0;
    uint64_t m = 0;
    if (length > 0 && text[0] == '-') { negative = 1; i = 1; }
    while (i < length && (unsigned)(text[i] - '0') < 10) { m = m * 10 + (uint64_t)(text[i] - '0'); i++; digits++; }
    if (digits == 0) return -1;
    if (i < length && text[i] == '.') {
        i++;
        while (i < length && (unsigned)(text[i] - '0') < 10) { m = m * 10 + (uint64_t)(text[i] - '0'); i++; fraction++; }
        if (fraction == 0) return -1;
    }
    if (i != length || digits + fraction > 19) return -1;
    int shift = scale - fraction;
    if (shift > 0) {
        if (__builtin_mul_overflow(m, pow10_table[shift], &m)) return -1;
    } else if (shift < 0) {
        if (m % pow10_table[-shift]) return -1;
        m /= pow10_table[-shift];
    }
    if (m > (uint64_t)INT64_MAX + (uint64_t)negative) return -1;
    *out = negative ? (int64_t)(0 - m) : (int64_t)m;
    return 0;
}

int64_t cb_parse_all(const char *const *texts, const int *lengths, int count, int rounds, int scale) {
    int64_t sum = 0, v = 0;
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < count; k++) sum += cb_parse_fixed(texts[k], lengths[k], scale, &v) == 0 ? v : 1;
    }
    return sum;
}
