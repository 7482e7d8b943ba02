//! Reading the library's own source, for the checks that keep its layout
//! honest (`no_name_literals`; the file-size check is a unit test of the
//! `tornadis` crate, `layout_check.rs`, so that `cargo test -p tornadis` runs it).

use std::path::{Path, PathBuf};

/// Every `.rs` file of the library crates (`tornadis/src`,
/// `tornadis-macros/src`), test-only `tests.rs` files left out.
pub fn library_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&root.join("tornadis/src"), &mut files);
    rust_files(&root.join("tornadis-macros/src"), &mut files);
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

/// The lines of `text` outside test modules (`#[cfg(test)] mod … { … }`),
/// with or without line comments (doc comments included).
///
/// ```
/// let text = "fn f() {}\n// note\n#[cfg(test)]\nmod tests {\n    fn g() {}\n}\n";
/// assert_eq!(tornadis_tests::source::library_lines(text, false), ["fn f() {}"]);
/// assert_eq!(tornadis_tests::source::library_lines(text, true).len(), 2);
/// ```
pub fn library_lines(text: &str, keep_comments: bool) -> Vec<&str> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            if let Some(next) = lines.peek() {
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
