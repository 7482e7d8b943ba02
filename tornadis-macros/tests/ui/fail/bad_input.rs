// The macro takes nothing or `dir = "path"`, and the directory must exist.
mod a {
    tornadis_macros::commands!(path = "tests/specs/basic");
}

mod b {
    tornadis_macros::commands!(dir = "tests/specs/no-such-dir");
}

fn main() {}
