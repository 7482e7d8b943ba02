// Method shapes that do not fit the command's arguments are spec errors,
// each naming the file, the command and the method.
tornadis_macros::commands!(dir = "tests/specs/shape_errors");

fn main() {}
