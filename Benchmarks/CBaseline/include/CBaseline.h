// Minimal C baselines, measured in the same run as Gantry's rings because these VMs' cross-core figures
// move by up to 20x from one hour to the next.
#ifndef CBASELINE_H
#define CBASELINE_H
#include <stdint.h>

/// Starts an echo thread pinned to `echo_cpu` that copies a cache line's value to another line.
/// Returns 0 or an errno value.
int cb_pingpong_start(int echo_cpu);
/// One round trip: write the ping line, spin until the echo thread writes it back to the pong line.
void cb_pingpong_roundtrip(void);
/// Stops and joins the echo thread.
void cb_pingpong_stop(void);

/// Moves `count` 8-byte items through a plain C SPSC ring of `capacity` slots from the calling thread to a
/// consumer thread pinned to `consumer_cpu`, claiming and releasing up to `batch` at a time.
/// Returns the nanoseconds taken, or 0 if the consumer saw a wrong value.
uint64_t cb_spsc_transfer(uint64_t count, uint64_t capacity, uint64_t batch, int consumer_cpu);

/// The fixed-point parse a C programmer would write: [-]digits[.digits] into a mantissa at `scale`, byte by
/// byte (no exponent, no error detail). Returns 0 on success, -1 on malformed text or lost digits.
int cb_parse_fixed(const char *text, int length, int scale, int64_t *out);

/// Parses each of `count` texts `rounds` times with cb_parse_fixed; returns the sum of the mantissas.
int64_t cb_parse_all(const char *const *texts, const int *lengths, int count, int rounds, int scale);

/// Pins the calling thread to `cpu`. Returns 0 or an errno value.
int cb_pin(int cpu);
#endif
