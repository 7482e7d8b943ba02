//! Reading the library's own source, for the checks that keep its layout
//! honest (`no_name_literals`; the file-size check is a unit test of the
//! `tornadis` crate, `layout_check.rs`, so that `cargo test -p tornadis` runs it).

use std::path::{Path, PathBuf};

/// Every `.rs` file of the library crates (`tornadis/src`,
/// `tornadis-macros/src`), test-only files left out: `tests.rs` files and
/// the files of out-of-line test modules (`#[cfg(test)] mod encoding_tests;`).
pub fn library_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&root.join("tornadis/src"), &mut files);
    rust_files(&root.join("tornadis-macros/src"), &mut files);
    let test_only: Vec<PathBuf> = files.iter().flat_map(|f| test_module_files(f)).collect();
    files.retain(|f| !test_only.contains(f));
    files.sort();
    files
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(p);
        }
    }
}

/// The files of the out-of-line test modules that `file` declares
/// (`#[cfg(test)]` then `mod name;`): `name.rs` or `name/mod.rs` beside a
/// `lib.rs`/`mod.rs`, under a folder named after the file otherwise.
fn test_module_files(file: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Vec::new();
    };
    let Some(parent) = file.parent() else {
        return Vec::new();
    };
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let dir = if matches!(stem, "lib" | "mod" | "main") {
        parent.to_path_buf()
    } else {
        parent.join(stem)
    };
    test_module_names(&text)
        .into_iter()
        .flat_map(|name| {
            [
                dir.join(format!("{name}.rs")),
                dir.join(name).join("mod.rs"),
            ]
        })
        .collect()
}

/// The names of the out-of-line test modules declared in `text`.
///
/// ```
/// let text = "#[cfg(test)]\nmod encoding_tests;\n\n#[cfg(test)]\nmod tests {\n}\n";
/// assert_eq!(tornadis_tests::source::test_module_names(text), ["encoding_tests"]);
/// ```
pub fn test_module_names(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|w| w[0] == "#[cfg(test)]")
        .filter_map(|w| w[1].strip_prefix("mod ")?.strip_suffix(';'))
        .map(str::trim)
        .collect()
}

/// The lines of `text` outside test modules (`#[cfg(test)] mod … { … }`),
/// with or without line comments (doc comments included).
///
/// ```
/// let text = "fn f() {}\n// note\n#[cfg(test)]\nmod tests {\n    fn g() {}\n}\n";
/// assert_eq!(tornadis_tests::source::library_lines(text, false), ["fn f() {}"]);
/// assert_eq!(tornadis_tests::source::library_lines(text, true).len(), 2);
/// // An out-of-line test module hides nothing after it.
/// let text = "#[cfg(test)]\nmod encoding_tests;\nfn f() {}\n";
/// assert_eq!(tornadis_tests::source::library_lines(text, false), ["fn f() {}"]);
/// ```
pub fn library_lines(text: &str, keep_comments: bool) -> Vec<&str> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            if let Some(next) = lines.peek() {
                if next.trim_start().starts_with("mod ") && next.trim_end().ends_with(';') {
                    // An out-of-line test module: its file is left out by
                    // `library_files`; the code after it is library code.
                    lines.next();
                    continue;
                }
                if next.trim_start().starts_with("mod ") {
                    // A test module: skip to its closing brace at the same indent.
                    let indent = line.len() - trimmed.len();
                    for l in lines.by_ref() {
                        if l.len() - l.trim_start().len() == indent && l.trim_start() == "}" {
                            break;
                        }
                    }
                    continue;
                }
            }
        }
        if !keep_comments && trimmed.starts_with("//") {
            continue;
        }
        out.push(line);
    }
    out
}
