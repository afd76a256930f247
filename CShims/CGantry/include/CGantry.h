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

/// recvmsg(2) on a non-blocking socket, returning the kernel's receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME
/// ns) in *kernel_ns when the socket has timestamps on (0 otherwise). Returns bytes read, 0 at end of stream,
/// or -errno (-EAGAIN when nothing is waiting).
long gantry_recv_timestamped(int fd, void *buffer, unsigned long length, int64_t *kernel_ns);

/// A non-blocking TCP socket connecting to an IPv4 or IPv6 literal address. Returns the fd (connect in
/// progress) or -errno. Sets TCP_NODELAY, SO_TIMESTAMPNS and, when > 0, SO_RCVBUF / SO_SNDBUF.
int gantry_tcp_connect(const char *host, int port, int rcvbuf, int sndbuf);

/// A non-blocking listening TCP socket on an IPv4 or IPv6 literal address (port 0: any free port).
/// Returns the fd or -errno.
int gantry_tcp_listen(const char *host, int port, int backlog);

/// The local port of a bound socket, or -errno.
int gantry_local_port(int fd);

/// Accepts one connection (non-blocking, with TCP_NODELAY and SO_TIMESTAMPNS). Returns the fd or -errno.
int gantry_tcp_accept(int listener);

/// The pending error of a connecting socket (SO_ERROR): 0 once connected.
int gantry_socket_error(int fd);

/// send(2) with MSG_NOSIGNAL. Returns bytes sent or -errno.
long gantry_send(int fd, const void *buffer, unsigned long length);

/// A spin-wait hint to the CPU (x86 PAUSE, arm64 YIELD).
static inline void gantry_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
