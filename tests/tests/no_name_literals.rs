//! No library decision is keyed on a command-name string literal: every fact
//! about a command lives in the spec table and reaches the code through
//! `CommandInfo` (DESIGN.md, invariant 7).
//!
//! The check reads `tornadis/src` and `tornadis-macros/src` (test modules
//! left out) and flags a string literal that is a command name (or the first
//! word of one, `CLIENT`) where it is compared: `== "X"`, `"X" =>` in a match,
//! `"X" | "Y"`, `eq_ignore_ascii_case("X")`, `matches!(.., "X")`. Naming what
//! the library sends (`cmd("WATCH")`, `.arg("SETNAME")`) or labelling an error
//! (`with_command("EXEC")`) is not a decision and passes.

use std::collections::BTreeSet;

use tornadis_tests::source::{library_files, library_lines};

/// The code of `text` without test modules and line comments.
fn library_code(text: &str) -> String {
    library_lines(text, false).join("\n") + "\n"
}

/// Command names and container words from the table.
fn names() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for info in tornadis::command_info::COMMANDS {
        out.insert(info.name.to_string());
        for word in info.name.split(' ') {
            out.insert(word.to_string());
        }
    }
    out
}

/// The string literals of `line`.
fn literals(line: &str) -> Vec<&str> {
    line.split('"').skip(1).step_by(2).collect()
}

/// A hand-written list of command names (`["BLPOP", "BRPOP"]`, or one line
/// of a list written over several), which decides by name once something
/// looks a name up in it.
fn name_list(line: &str, names: &BTreeSet<String>) -> bool {
    let lits = literals(line);
    let all_names = !lits.is_empty() && lits.iter().all(|l| names.contains(*l));
    let trimmed = line.trim();
    let list_line = trimmed.starts_with('"') && trimmed.ends_with(',') && all_names;
    let inline = trimmed.contains('[') && lits.len() >= 2 && all_names;
    list_line || inline
}

/// Every comparison with a command-name literal in `code`, and every list of
/// command names, as (line number, line text).
fn decisions(code: &str, names: &BTreeSet<String>) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        if name_list(line, names) {
            found.push((n + 1, line.trim().to_string()));
            continue;
        }
        let mut i = 0;
        while let Some(start) = line[i..].find('"').map(|p| p + i) {
            let Some(len) = line[start + 1..].find('"') else {
                break;
            };
            let end = start + 1 + len;
            let lit = &line[start + 1..end];
            i = end + 1;
            if !names.contains(lit) {
                continue;
            }
            let mut before = line[..start].trim_end();
            before = before.strip_suffix('b').unwrap_or(before).trim_end();
            if let Some(b) = before.strip_suffix("Some(") {
                before = b.trim_end();
            }
            let mut after = line[end + 1..].trim_start();
            if let Some(a) = after.strip_prefix(')') {
                if line[..start].trim_end().ends_with("Some(") {
                    after = a.trim_start();
                }
            }
            let compared = before.ends_with("==")
                || before.ends_with("!=")
                || after.starts_with("==")
                || after.starts_with("!=")
                || after.starts_with("=>")
                || (after.starts_with('|') && !after.starts_with("||"))
                || (before.ends_with('|') && !before.ends_with("||"))
                || before.ends_with("eq_ignore_ascii_case(")
                || before.ends_with("starts_with(")
                || (before.ends_with(',') && line.contains("matches!("));
            if compared {
                found.push((n + 1, line.trim().to_string()));
            }
        }
    }
    found
}

#[test]
fn library_code_never_decides_by_a_command_name() {
    let names = names();
    let files = library_files();
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (line, code) in decisions(&library_code(&text), &names) {
            problems.push(format!("{}:{line}: {code}", f.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "decisions keyed on a command name; put the fact in the spec table instead:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_flags_the_forms_it_looks_for() {
    let names = names();
    let flagged = [
        r#"if info.name == "MONITOR" {"#,
        r#"        "XREAD" | "XREADGROUP" => cmd.arg_slices().any(|a| a.eq_ignore_ascii_case(b"BLOCK")),"#,
        r#"    let everywhere = matches!(info.name, "DBSIZE" | "KEYS");"#,
        r#"        && info.name != "SORT_RO""#,
        r#"        "MSET" => true,"#,
        r#"    if self.type_set && self.command != "SCAN" {"#,
        r#"    if first.eq_ignore_ascii_case(b"WAIT") {"#,
        r#"    let everywhere = matches!(info.name, "KEYS");"#,
        r#"const BLOCKING: &[&str] = &["BLPOP", "BRPOP"];"#,
        r#"    "BZPOPMIN", "BZPOPMAX","#,
    ];
    for line in flagged {
        assert!(!decisions(line, &names).is_empty(), "not flagged: {line}");
    }
    let passed = [
        r#"let mut watch = cmd("WATCH");"#,
        r#"hello.arg("AUTH").arg(user);"#,
        r#"return Err(Error::from_server(e).with_command("EXEC"));"#,
        r#"Some("MOVED") | Some("ASK") if redirects < max => {"#,
        r#"(Family::Channel, true) => "SUBSCRIBE","#,
        r#"if a || "GET".is_empty() {"#,
        r#"match node.call(("CLUSTER", "SLOTS")).await {"#,
        r#"    "not a name", "GET","#,
    ];
    for line in passed {
        assert!(decisions(line, &names).is_empty(), "flagged: {line}");
    }
    let with_tests = "fn f() {}\n#[cfg(test)]\nmod tests {\n    fn g() { if x == \"GET\" {} }\n}\n";
    assert!(decisions(&library_code(with_tests), &names).is_empty());
    // Code after an out-of-line test module is still read.
    let after_decl = "#[cfg(test)]\nmod encoding_tests;\nfn f() { if x == \"GET\" {} }\n";
    assert!(!decisions(&library_code(after_decl), &names).is_empty());
}

#[test]
fn out_of_line_test_modules_are_left_out_and_nothing_else() {
    let files = library_files();
    let ends = |suffix: &str| files.iter().any(|f| f.ends_with(suffix));
    assert!(!ends("tornadis/src/commands/encoding_tests.rs"));
    assert!(ends("tornadis/src/commands.rs"));
    assert!(ends("tornadis/src/client/driver.rs"));
}
