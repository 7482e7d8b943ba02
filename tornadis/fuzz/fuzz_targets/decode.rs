//! Fuzz target: arbitrary bytes into the RESP decoder (see the crate docs for
//! the properties checked).
//!
//! With libFuzzer (nightly): `cargo fuzz run decode --features libfuzzer`.
//! Without it, as a plain binary that generates its own inputs:
//! `cargo run --release --manifest-path tornadis/fuzz/Cargo.toml -- 10000000 [seed]`.
#![cfg_attr(feature = "libfuzzer", no_main)]

#[cfg(feature = "libfuzzer")]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tornadis_fuzz::decode_input(data));

#[cfg(not(feature = "libfuzzer"))]
fn main() {
    use std::time::Instant;
    use tornadis_fuzz::{decode_input, generate, XorShift};

    let mut args = std::env::args().skip(1);
    let iterations: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut rng = XorShift::new(seed);
    let mut input = Vec::new();
    let started = Instant::now();
    for i in 0..iterations {
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
        "{iterations} executions without a failure in {:.1?} (seed {seed})",
        started.elapsed()
    );
}
