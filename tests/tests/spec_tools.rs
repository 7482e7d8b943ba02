//! The table's refresh tooling against live servers: `generate.py --check
//! --live` reads a running Redis's and Valkey's `COMMAND DOCS`/`COMMAND INFO`
//! and reports where the table disagrees (arity, flags, key specs,
//! arguments, availability). The table must agree on which commands exist
//! and where their keys are; other differences are reported, not failed on
//! here (the live spec-table test holds arity and flags to account).

use std::path::Path;
use std::process::Command;

use tornadis_tests::{RedisServer, ServerKind};

/// The count line `generate.py` prints for one server, e.g. `valkey 9.1.2:
/// 384 server commands, 379 compared with the table; differences: 0 missing, ...`.
fn live_check(server: &RedisServer) -> (String, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands/tools/generate.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(["--check", "--live"])
        .arg(format!("redis://127.0.0.1:{}", server.port()))
        .output()
        .expect("python3 runs commands/tools/generate.py");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.is_empty(), "generate.py failed:\n{stderr}\n{stdout}");
    // Exit status 1 only says that some difference was reported.
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let counts = stdout
        .lines()
        .find(|l| l.contains(" server commands, "))
        .unwrap_or_else(|| panic!("no count line in:\n{stdout}"))
        .to_string();
    (counts, stdout)
}

#[test]
fn generate_py_checks_the_table_against_live_servers() {
    for kind in ServerKind::ALL {
        let server = RedisServer::builder().kind(kind).start();
        let (counts, all) = live_check(&server);
        println!("{counts}");
        assert!(counts.starts_with(kind.name()), "{counts}");
        assert!(
            all.contains("; 0 problems"),
            "the table itself is valid:\n{all}"
        );
        for clean in ["0 missing", "0 availability", "0 keys"] {
            assert!(counts.contains(clean), "{clean}:\n{all}");
        }
        let n: usize = counts
            .split(": ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(n > 300, "read the server's commands: {counts}");
        if kind == ServerKind::Valkey {
            // The table carries Valkey's own arity and flags.
            assert!(counts.contains("0 arity, 0 flags"), "{all}");
        }
    }
}
