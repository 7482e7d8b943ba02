//! Benchmarks (filled in by the performance work).
