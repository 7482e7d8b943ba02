//! A check on the library's own source, run with its unit tests: no source
//! file of `tornadis` or `tornadis-macros` grows past [`MAX_LINES`] lines
//! outside its test module. A file that long holds more than one concern
//! and should be split by concern (the crate layout in `lib.rs`).

use std::path::{Path, PathBuf};

/// The most lines (comments and docs included, a trailing test module left
/// out) one library source file may hold.
const MAX_LINES: usize = 600;

/// The lines before a file's test module (`#[cfg(test)]` then `mod`).
fn lines_outside_tests(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod "))
        .unwrap_or(lines.len())
}

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

#[test]
fn no_library_file_is_over_600_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    source_files(&root.join("src"), &mut files);
    let macros = root.join("../tornadis-macros/src");
    // The published crate is checked alone; in the repository both are.
    if macros.is_dir() {
        source_files(&macros, &mut files);
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = lines_outside_tests(&std::fs::read_to_string(f).ok()?);
            (n > MAX_LINES).then(|| format!("{}: {n} lines", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "library files over {MAX_LINES} lines outside their tests; split them by concern:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_test_module_is_left_out() {
    let text = "fn a() {}\n\n#[cfg(test)]\nmod tests {\n    fn b() {}\n}\n";
    assert_eq!(lines_outside_tests(text), 2);
    assert_eq!(
        lines_outside_tests("fn a() {}\n#[cfg(test)]\nfn only_for_tests() {}\n"),
        3
    );
}
