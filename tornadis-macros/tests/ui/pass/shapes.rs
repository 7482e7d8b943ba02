// Method shapes: one item of a list as plain parameters (`single`), a list
// as one `ToArgs` value (`as_args`), options a method leaves out
// (`without`) and the narrower reply of a plain form (`plain_reply`).
#![deny(warnings)]

mod generated {
    tornadis_macros::commands!(dir = "tests/specs/shapes");
}

use std::collections::BTreeMap;
use std::marker::PhantomData;

use generated::*;
use tornadis::{Cmd, Executor, Fields, FromValue};

/// Hands the command back, with the reply type it would decode.
struct Typed;

impl Executor for Typed {
    type Output<R: FromValue> = (Cmd, PhantomData<R>);
    fn execute<R: FromValue>(self, cmd: Cmd) -> Self::Output<R> {
        (cmd, PhantomData)
    }
}

fn args<R>((cmd, _): (Cmd, PhantomData<R>)) -> Vec<String> {
    assert!(cmd.validate().is_ok(), "{:?}", cmd.error());
    cmd.arg_slices()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

#[derive(serde::Serialize)]
struct User {
    name: &'static str,
    age: u32,
}

fn main() {
    // `plain_reply`: the plain form replies `()`, the options form `Option<()>`.
    let (set, PhantomData::<()>) = Typed.set("k", "v");
    assert_eq!(args((set, PhantomData::<()>)), ["SET", "k", "v"]);
    let nx: (Cmd, PhantomData<Option<()>>) = Typed.set_with("k", "v", SetOptions::new().nx().ex(5));
    assert_eq!(args(nx), ["SET", "k", "v", "NX", "EX", "5"]);
    // The variant keeps the options its command's `without` removed from `set`.
    let get: (Cmd, PhantomData<Option<String>>) =
        Typed.set_get_with("k", "v", SetGetOptions::new().xx().keepttl());
    assert_eq!(args(get), ["SET", "k", "v", "XX", "GET", "KEEPTTL"]);

    // `single`, the list form and `as_args`.
    assert_eq!(args(Typed.hset("h", "f", 1)), ["HSET", "h", "f", "1"]);
    assert_eq!(
        args(Typed.hset_multiple("h", [("a", "1"), ("b", "2")])),
        ["HSET", "h", "a", "1", "b", "2"]
    );
    let user = User {
        name: "ada",
        age: 36,
    };
    assert_eq!(
        args(Typed.hset_fields("u", Fields(&user))),
        ["HSET", "u", "name", "ada", "age", "36"]
    );
    assert_eq!(
        args(Typed.hset_fields("u", BTreeMap::from([("x", 1.5)]))),
        ["HSET", "u", "x", "1.5"]
    );
    let (empty, _) = Typed.hset_fields("u", Vec::<(String, String)>::new());
    assert!(empty.validate().unwrap_err().is_client());

    // `without` a whole optional block: the plain method has no options at all.
    let one: (Cmd, PhantomData<Option<String>>) = Typed.hrandfield("h");
    assert_eq!(args(one), ["HRANDFIELD", "h"]);
    let some: (Cmd, PhantomData<Vec<String>>) = Typed.hrandfield_count("h", -2);
    assert_eq!(args(some), ["HRANDFIELD", "h", "-2"]);
    let pairs: (Cmd, PhantomData<Vec<(String, i64)>>) = Typed.hrandfield_withvalues("h", 2);
    assert_eq!(args(pairs), ["HRANDFIELD", "h", "2", "WITHVALUES"]);
}
