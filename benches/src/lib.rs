//! Side-by-side benchmarks of tornadis, redis-rs and fred.
//!
//! The `compare` binary runs end-to-end workloads against a `redis-server`
//! it starts itself; `benches/codec.rs` holds criterion benchmarks of the
//! wire format. See `README.md` in this folder for the command and results.
//!
//! ## Layout
//! - [`workload`]: the workloads and their sizes (full and quick).
//! - [`clients`]: one module per client library, each driving every workload
//!   the way that library documents.
//! - [`measure`]: wall and CPU clocks (`getrusage`), latency histograms,
//!   resident memory.
//! - [`child`]: one run in a child process (for callgrind and peak memory).
//! - [`instructions`]: instructions per operation under callgrind.
//! - [`options`]: command-line flags and environment variables.
//! - [`server`]: the `redis-server` / `valkey-server` the workloads run against.
//! - [`reference`]: `redis-benchmark -P`, the C reference for `pipeline`.
//! - [`report`]: medians, ranges and ratios, as a Markdown table.
//! - [`chart`]: the SVG bar chart of ops/s.
//! - [`versions`]: the versions, date and machine a run is reported with.

pub mod chart;
pub mod child;
pub mod clients;
pub mod instructions;
pub mod measure;
pub mod options;
pub mod reference;
pub mod report;
pub mod server;
pub mod versions;
pub mod workload;
