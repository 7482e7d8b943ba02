// What a method's shape leaves out is not there to call: SET's plain form
// replies `()` (not `Option<()>`), its options builder has no GET, and
// HRANDFIELD's count form takes no WITHVALUES flag.
mod generated {
    tornadis_macros::commands!(dir = "tests/specs/shapes");
}

use generated::*;
use tornadis::{Cmd, Executor, FromValue};

struct Typed;

impl Executor for Typed {
    type Output<R: FromValue> = std::marker::PhantomData<R>;
    fn execute<R: FromValue>(self, _: Cmd) -> Self::Output<R> {
        std::marker::PhantomData
    }
}

fn main() {
    let _: std::marker::PhantomData<Option<()>> = Typed.set("k", "v");
    let _ = SetOptions::new().nx().get();
    let _ = Typed.hrandfield_count::<String>("h", 2, true);
    let _ = Typed.hrandfield_with::<String>("h", HrandfieldOptions::new());
    let _ = Typed.hset("h", [("f", "v")]);
}
