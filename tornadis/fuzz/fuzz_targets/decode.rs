//! Fuzz target: arbitrary bytes into the RESP decoder (see the crate docs for
//! the properties checked).
//!
//! With libFuzzer (nightly): `cargo fuzz run decode --features libfuzzer`.
//! Without it, as a plain binary that generates its own inputs:
//! `cargo run --release --manifest-path tornadis/fuzz/Cargo.toml -- 10000000 [seed]`,
//! or for a bounded time rather than a count of inputs: `-- 30s [seed]`.
#![cfg_attr(feature = "libfuzzer", no_main)]

#[cfg(feature = "libfuzzer")]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tornadis_fuzz::decode_input(data));

#[cfg(not(feature = "libfuzzer"))]
fn main() {
    use std::time::Instant;
    use tornadis_fuzz::{decode_input, generate, XorShift};

    use std::time::Duration;

    let mut args = std::env::args().skip(1);
    // A count of inputs ("10000000") or a time budget ("30s").
    let (iterations, budget) = match args.next() {
        Some(arg) => match arg.strip_suffix('s').map(str::parse::<u64>) {
            Some(Ok(secs)) => (u64::MAX, Some(Duration::from_secs(secs))),
            _ => match arg.parse() {
                Ok(n) => (n, None),
                Err(_) => {
                    eprintln!("usage: decode [COUNT | SECONDSs] [SEED]   e.g. `decode 30s 7`");
                    std::process::exit(2);
                }
            },
        },
        None => (1_000_000, None),
    };
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut rng = XorShift::new(seed);
    let mut input = Vec::new();
    let started = Instant::now();
    let mut done = 0u64;
    for i in 0..iterations {
        // Checked every 4096 inputs: reading the clock costs more than a
        // small input.
        if i % 4096 == 0 && budget.is_some_and(|b| started.elapsed() >= b) {
            break;
        }
        done = i + 1;
        generate(&mut rng, &mut input);
        let result = std::panic::catch_unwind(|| decode_input(&input));
        if result.is_err() {
            let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
            eprintln!("failure at iteration {i} (seed {seed}); input (hex): {hex}");
            std::process::exit(1);
        }
        if (i + 1) % 1_000_000 == 0 {
            eprintln!("{} executions, {:.1?}", i + 1, started.elapsed());
        }
    }
    println!(
        "{done} executions without a failure in {:.1?} (seed {seed})",
        started.elapsed()
    );
}
