//! `db.query.text` and `db.stored_procedure.name`, read from the spec table.
//!
//! Query text is sanitized by the table's facts alone: the command's name,
//! the words that are its tokens (`EX`, `WITHSCORES`) and its keys appear as
//! sent; every other argument, whatever it holds, becomes `?`. So passwords
//! (`AUTH`, `HELLO ... AUTH`, `CONFIG SET requirepass`) and values never do.

#![cfg_attr(not(feature = "tracing"), allow(dead_code))]

use std::borrow::Cow;

use crate::cmd::Cmd;
use crate::command_info::CommandInfo;

/// Longest query text recorded; longer text is cut and ends with `…`.
const MAX_QUERY_TEXT: usize = 2048;

/// The command's query text with every value replaced by `?`.
pub(crate) fn sanitized(info: &CommandInfo, cmd: &Cmd) -> String {
    let args: Vec<&[u8]> = cmd.arg_slices().collect();
    let words = info.name.split(' ').count();
    let keys = info.key_positions(&args);
    let mut out = String::from(info.name);
    for (i, arg) in args.iter().enumerate().skip(words) {
        if out.len() >= MAX_QUERY_TEXT {
            out.push('…');
            break;
        }
        out.push(' ');
        let token = info
            .tokens
            .iter()
            .any(|t| t.as_bytes().eq_ignore_ascii_case(arg));
        if token || keys.contains(&i) {
            out.push_str(&String::from_utf8_lossy(arg));
        } else {
            out.push('?');
        }
    }
    if out.len() > MAX_QUERY_TEXT + '…'.len_utf8() {
        let mut cut = MAX_QUERY_TEXT;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// The script digest or function name the command runs, where the table
/// says it sits.
pub(crate) fn stored_procedure<'a>(info: &CommandInfo, cmd: &'a Cmd) -> Option<Cow<'a, str>> {
    let at = usize::from(info.stored_procedure?);
    cmd.arg_slices().nth(at).map(String::from_utf8_lossy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(args: &[&str]) -> String {
        let mut cmd = crate::cmd::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        let info = crate::client::routing::info_of(&cmd).expect("a command of the table");
        sanitized(info, &cmd)
    }

    #[test]
    fn shows_names_tokens_and_keys_only() {
        assert_eq!(
            text(&["SET", "user:1", "secret", "EX", "10"]),
            "SET user:1 ? EX ?"
        );
        assert_eq!(text(&["set", "k", "v", "nx"]), "SET k ? nx");
        assert_eq!(text(&["MSET", "a", "1", "b", "2"]), "MSET a ? b ?");
        assert_eq!(
            text(&["ZADD", "z", "XX", "1", "m", "2", "n"]),
            "ZADD z XX ? ? ? ?"
        );
        assert_eq!(text(&["EVALSHA", "abc", "1", "k", "v"]), "EVALSHA ? ? k ?");
    }

    #[test]
    fn never_shows_secrets() {
        assert_eq!(text(&["AUTH", "admin", "hunter2"]), "AUTH ? ?");
        assert_eq!(
            text(&["HELLO", "3", "AUTH", "default", "hunter2", "SETNAME", "app"]),
            "HELLO ? AUTH ? ? SETNAME ?"
        );
        assert_eq!(
            text(&["CONFIG", "SET", "requirepass", "hunter2"]),
            "CONFIG SET ? ?"
        );
    }

    #[test]
    fn long_text_is_cut() {
        let keys: Vec<String> = (0..2000).map(|i| format!("key:{i}")).collect();
        let mut args = vec!["DEL"];
        args.extend(keys.iter().map(String::as_str));
        let t = text(&args);
        assert!(t.len() <= MAX_QUERY_TEXT + 8, "{}", t.len());
        assert!(t.ends_with('…'));
    }

    #[test]
    fn finds_the_stored_procedure() {
        let mut cmd = crate::cmd::cmd("FCALL");
        cmd.arg("myfunc").arg(0);
        let info = crate::client::routing::info_of(&cmd).unwrap();
        assert_eq!(stored_procedure(info, &cmd).as_deref(), Some("myfunc"));
        let get = crate::cmd::cmd("GET");
        let info = crate::client::routing::info_of(&get).unwrap();
        assert_eq!(stored_procedure(info, &get), None);
    }
}
