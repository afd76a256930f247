// CGantry: the few things Swift cannot call well through Glibc (GNU extensions, futex, pause).
// Every symbol is prefixed gantry_. Logic lives in Swift; these are one-line wrappers.
#ifndef CGANTRY_H
#define CGANTRY_H

#include <stdint.h>
#include <sys/types.h>

/// Pins the calling thread to one CPU. Returns 0 or an errno value.
int gantry_pin_current_thread(int cpu);

/// Lets the calling thread run on the `n` CPUs in `cpus`. Returns 0 or an errno value.
int gantry_allow_cpus(const int *cpus, int n);

/// Writes the CPUs the thread `tid` may run on (0 = the calling thread) into `out`.
/// Returns how many were written, or -errno.
int gantry_thread_affinity(pid_t tid, int *out, int max);

/// The CPU the calling thread runs on right now (sched_getcpu), or -1.
int gantry_current_cpu(void);

/// The kernel thread id of the calling thread (gettid).
pid_t gantry_gettid(void);

/// Names the calling thread (at most 15 characters are kept). Returns 0 or an errno value.
int gantry_set_thread_name(const char *name);

/// Sleeps while *addr == expected, at most timeout_ns (< 0: no limit). Shared futex: works across processes.
/// Returns 0 when woken, or an errno value (EAGAIN: value differed, ETIMEDOUT, EINTR).
int gantry_futex_wait(uint32_t *addr, uint32_t expected, int64_t timeout_ns);

/// Wakes up to n waiters on addr. Returns how many were woken, or -errno.
int gantry_futex_wake(uint32_t *addr, int n);

/// A non-blocking, close-on-exec eventfd (a counter other threads or processes can bump), or -errno.
int gantry_eventfd_create(void);

/// Adds 1 to an eventfd (wakes whoever polls it). Returns 0 or an errno value (EAGAIN if saturated: still awake).
int gantry_eventfd_signal(int fd);

/// Reads and resets an eventfd. Returns the count read (0 if none).
uint64_t gantry_eventfd_drain(int fd);

/// A spin-wait hint to the CPU (x86 PAUSE, arm64 YIELD).
static inline void gantry_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
