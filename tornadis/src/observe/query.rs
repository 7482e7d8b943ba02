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
use crate::resp::Value;

/// Longest query text recorded; longer text is cut and ends with `…`.
const MAX_QUERY_TEXT: usize = 2048;

/// The command's query text with every value replaced by `?`.
pub(crate) fn sanitized(info: &CommandInfo, cmd: &Cmd) -> String {
    let args: Vec<&[u8]> = cmd.arg_slices().collect();
    let mut out = String::new();
    push_sanitized(&mut out, Some(info), &args);
    cut(out)
}

/// The query text of a batch's encoded commands (as written to the
/// socket, in pieces sent back to back), each sanitized, separated by `; `.
pub(crate) fn sanitized_batch(encoded: &[&[u8]]) -> String {
    let mut buf = bytes::BytesMut::from(encoded.concat().as_slice());
    let mut decoder = crate::resp::Decoder::default();
    let mut out = String::new();
    while let Ok(Some(Value::Array(items))) = decoder.decode(&mut buf) {
        if out.len() >= MAX_QUERY_TEXT {
            break;
        }
        let args: Vec<&[u8]> = items
            .iter()
            .filter_map(|v| match v {
                Value::Bulk(b) => Some(b.as_ref()),
                _ => None,
            })
            .collect();
        let Some(first) = args.first() else {
            continue;
        };
        if !out.is_empty() {
            out.push_str("; ");
        }
        let info = crate::commands::lookup_args(first, args.get(1).copied());
        push_sanitized(&mut out, info, &args);
    }
    cut(out)
}

/// Appends one command: the name, its tokens and keys as sent, `?` for the rest.
fn push_sanitized(out: &mut String, info: Option<&CommandInfo>, args: &[&[u8]]) {
    let (words, keys, tokens) = match info {
        Some(info) => {
            out.push_str(info.name);
            (
                info.name.split(' ').count(),
                info.key_positions(args),
                info.tokens,
            )
        }
        None => {
            // Unknown to the table: only its name can be trusted not to be a value.
            let name = args
                .first()
                .map(|n| String::from_utf8_lossy(n))
                .unwrap_or_default();
            out.push_str(&name.to_ascii_uppercase());
            (1, Vec::new(), &[][..])
        }
    };
    let start = out.len();
    for (i, arg) in args.iter().enumerate().skip(words) {
        if out.len() - start >= MAX_QUERY_TEXT {
            break;
        }
        out.push(' ');
        let token = tokens
            .iter()
            .any(|t| t.as_bytes().eq_ignore_ascii_case(arg));
        if token || keys.contains(&i) {
            out.push_str(&String::from_utf8_lossy(arg));
        } else {
            out.push('?');
        }
    }
}

/// Cuts text longer than [`MAX_QUERY_TEXT`] at a character boundary, with `…`.
fn cut(mut out: String) -> String {
    if out.len() > MAX_QUERY_TEXT {
        let mut at = MAX_QUERY_TEXT;
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        out.truncate(at);
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
    fn batches_are_sanitized_command_by_command() {
        let mut buf = bytes::BytesMut::new();
        let mut set = crate::cmd::cmd("SET");
        set.arg("k").arg("secret").arg("PX").arg(5);
        set.write_to(&mut buf);
        let mut auth = crate::cmd::cmd("AUTH");
        auth.arg("hunter2");
        auth.write_to(&mut buf);
        let mut module = crate::cmd::cmd("my.command");
        module.arg("k").arg("secret");
        module.write_to(&mut buf);
        assert_eq!(
            sanitized_batch(&[&buf]),
            "SET k ? PX ?; AUTH ?; MY.COMMAND ? ?"
        );
        // A truncated batch yields what was whole.
        assert_eq!(
            sanitized_batch(&[&buf[..buf.len() - 3]]),
            "SET k ? PX ?; AUTH ?"
        );
        assert_eq!(sanitized_batch(&[b"garbage"]), "");
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
