//! Whole-file checks: every problem is reported, with file, line and command.

use super::*;

fn build_one(name: &str, text: &str) -> Result<Table, Vec<String>> {
    build(&[Source {
        display: format!("specs/{name}"),
        text: text.into(),
    }])
}

const GOOD: &str = r#"
group = "string"

[[command]]
name = "SET"
summary = "Store a value."
since = "1.0.0"
arity = -3
flags = ["write", "denyoom"]
keys = [{ first = 1 }]
reply = "()"
args = [
  { name = "key", type = "key" },
  { name = "value", type = "value" },
  { name = "get", type = "token", token = "GET", optional = true },
]

[[command.variant]]
method = "set_get"
with = ["GET"]
reply = "Option<V>"

[[command]]
name = "CLIENT KILL"
summary = "Close connections."
since = "2.4.0"
arity = -3
reply = "i64"
args = [{ name = "id", type = "integer", token = "ID" }]
"#;

#[test]
fn builds_a_sorted_table() {
    let t = build_one("string.toml", GOOD).unwrap();
    let names: Vec<_> = t.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["CLIENT KILL", "SET"]);
    let set = &t.commands[1];
    assert_eq!(set.info_ident, "INFO_SET");
    assert_eq!(set.flags, ["WRITE", "DENYOOM"]);
    let methods: Vec<_> = set.methods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(methods, ["set", "set_get"]);
    assert_eq!(set.methods[0].options.as_deref(), Some("SetOptions"));
    // The variant always sends GET, so it has no options left.
    assert_eq!(set.methods[1].options, None);
    assert!(
        set.methods[1].docs.contains("`SET key value GET`"),
        "{}",
        set.methods[1].docs
    );
    assert!(set.methods[0]
        .docs
        .contains("<https://redis.io/commands/set/>"));
    assert_eq!(t.commands[0].methods[0].name, "client_kill");
    assert!(t.commands[0].methods[0]
        .docs
        .contains("redis.io/commands/client-kill/"));
}

#[test]
fn reports_every_problem_with_file_line_and_command() {
    let bad = GOOD
        .replace(
            r#"flags = ["write", "denyoom"]"#,
            r#"flags = ["write", "denyom"]"#,
        )
        .replace(r#"reply = "Option<V>""#, r#"reply = "Option<V""#)
        .replace(r#"with = ["GET"]"#, r#"with = ["GETX"]"#)
        .replace(r#"keys = [{ first = 1 }]"#, r#"keys = [{ first = 2 }]"#)
        .replace(r#"type = "integer""#, r#"type = "int""#);
    let errs = build_one("string.toml", &bad).unwrap_err();
    let expect = [
        "specs/string.toml:4: command `SET`: unknown flag `denyom`",
        "specs/string.toml:4: command `SET`: argument `key` is a key at position 1, which no key spec covers",
        "specs/string.toml:4: command `SET`: variant `set_get`: `with` names `GETX`",
        "specs/string.toml:23: command `CLIENT KILL`: argument `id`: unknown type `int`",
    ];
    for e in expect {
        assert!(
            errs.iter().any(|x| x.starts_with(e)),
            "missing {e:?} in {errs:#?}"
        );
    }
    assert_eq!(errs.len(), 4, "{errs:#?}");
}

#[test]
fn reports_bad_replies_and_duplicates() {
    let bad = GOOD.replace(r#"reply = "i64""#, r#"reply = "Vec<Int>""#)
        + r#"
[[command]]
name = "SET"
method = "set_get"
summary = "Again."
since = "1.0.0"
arity = 1
reply = "()"
"#;
    let errs = build_one("string.toml", &bad).unwrap_err();
    assert!(errs.iter().any(|e| e.contains("command `CLIENT KILL`: method `client_kill`: bad reply type `Vec<Int>`: unknown type `Int`")), "{errs:#?}");
    assert!(
        errs.iter()
            .any(|e| e.contains("duplicate command `INFO_SET`")),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("duplicate method `set_get`")),
        "{errs:#?}"
    );
}

#[test]
fn reports_toml_errors_and_group_mismatch() {
    let errs = build_one("hash.toml", GOOD).unwrap_err();
    assert_eq!(
        errs,
        ["specs/hash.toml:1: group `string` does not match the file name (expected `hash`)"]
    );
    let errs = build_one(
        "string.toml",
        &GOOD.replace("since = \"2.4.0\"", "sinse = \"2.4.0\""),
    )
    .unwrap_err();
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("specs/string.toml:26:") && errs[0].contains("unknown field `sinse`"),
        "{errs:#?}"
    );
}

#[test]
fn checks_names_that_would_clash() {
    let bad = GOOD.replace(
        r#"{ name = "get", type = "token", token = "GET", optional = true },"#,
        r#"{ name = "get", type = "token", token = "GET", optional = true },
  { name = "cmd", type = "value" },
  { name = "mode", type = "oneof", optional = true, choices = [{ name = "g", token = "GET" }, { name = "x", token = "X" }] },"#,
    );
    let errs = build_one("string.toml", &bad).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.contains("the name `cmd` is used by the generated code")),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("options method `get` would be defined twice")),
        "{errs:#?}"
    );
}

#[test]
fn keyword_methods_need_a_name() {
    let bad = GOOD.replace("name = \"CLIENT KILL\"", "name = \"TYPE\"");
    let errs = build_one("string.toml", &bad).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.contains("command `TYPE`: method `type`: not a usable")),
        "{errs:#?}"
    );
}

const SHARED: &str = r#"
group = "list"

[[command]]
name = "LMOVE"
summary = "Move an element."
since = "6.2.0"
arity = 5
keys = [{ first = 1 }, { first = 2 }]
reply = "Option<V>"
args = [
  { name = "source", type = "key" },
  { name = "destination", type = "key" },
  { name = "wherefrom", type = "oneof", shared = "Direction", choices = [
    { name = "left", token = "LEFT" },
    { name = "right", token = "RIGHT" },
  ] },
  { name = "whereto", type = "oneof", shared = "Direction", choices = [
    { name = "left", token = "LEFT" },
    { name = "right", token = "RIGHT" },
  ] },
]

[[command]]
name = "LMPOP"
summary = "Pop elements."
since = "7.0.0"
arity = -4
keys = [{ numkeys = 1, first = 1, step = 1 }]
reply = "Option<(K, Vec<V>)>"
args = [
  { name = "numkeys", type = "integer" },
  { name = "key", type = "key", multiple = true },
  { name = "where", type = "oneof", shared = "Direction", choices = [
    { name = "left", token = "LEFT" },
    { name = "right", token = "RIGHT" },
  ] },
]
"#;

#[test]
fn shared_types_have_one_definition() {
    let t = build_one("list.toml", SHARED).expect("one Direction for three arguments");
    let names: Vec<_> = t
        .commands
        .iter()
        .flat_map(|c| &c.enums)
        .map(|e| match &e.kind {
            Kind::OneOf { enum_name, .. } => (enum_name.as_str(), e.shared),
            _ => ("", false),
        })
        .collect();
    assert_eq!(names, [("Direction", true), ("Direction", true)]);
    // A sharing argument whose choices differ is an error naming both places.
    // A sharing argument whose choices differ is an error naming both places.
    let last = SHARED.rfind("RIGHT").unwrap_or_default();
    let drift = format!("{}TAIL{}", &SHARED[..last], &SHARED[last + 5..]);
    let errs = build_one("list.toml", &drift).unwrap_err();
    assert!(
        errs.iter().any(
            |e| e.contains("command `LMPOP`: argument `where` shares `Direction`")
                && e.contains("command `LMOVE`")
        ),
        "{errs:#?}"
    );
    let bad = SHARED.replacen("shared = \"Direction\"", "shared = \"direction\"", 1);
    let errs = build_one("list.toml", &bad).unwrap_err();
    assert!(errs.iter().any(|e| e.contains("CamelCase")), "{errs:#?}");
}
