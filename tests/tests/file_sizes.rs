//! No library source file grows past 600 lines outside its test module:
//! a file that long holds more than one concern and should be split by
//! concern (DESIGN.md's module layout), not by line count.

use tornadis_tests::source::{library_files, library_lines};

/// The most lines (doc comments and comments included, test modules left
/// out) one library file may hold.
const MAX_LINES: usize = 600;

#[test]
fn no_library_file_is_over_600_lines() {
    let files = library_files();
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut long = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let n = library_lines(&text, true).len();
        if n > MAX_LINES {
            long.push(format!("{}: {n} lines", f.display()));
        }
    }
    assert!(
        long.is_empty(),
        "library files over {MAX_LINES} lines outside their tests; split them by concern:\n{}",
        long.join("\n")
    );
}
