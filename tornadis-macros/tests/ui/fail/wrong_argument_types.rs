// The methods are typed: integers are `i64`, choices are enums.
mod generated {
    tornadis_macros::commands!(dir = "tests/specs/basic");
}

use generated::*;
use tornadis::{Cmd, Executor, FromValue};

struct Capture;

impl Executor for Capture {
    type Output<R: FromValue> = Cmd;
    fn execute<R: FromValue>(self, cmd: Cmd) -> Cmd {
        cmd
    }
}

fn main() {
    let _ = Capture.expire("k", "ten");
    let _ = Capture.client_kill(["ID 7"]);
}
