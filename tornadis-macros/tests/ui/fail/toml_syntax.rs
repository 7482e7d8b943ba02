// A file that is not valid TOML is reported with its line.
tornadis_macros::commands!(dir = "tests/specs/syntax");

fn main() {}
