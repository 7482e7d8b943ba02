// Every problem of a broken table is reported at once, each naming the file,
// the line of its `[[command]]` and the command.
tornadis_macros::commands!(dir = "tests/specs/errors");

fn main() {}
