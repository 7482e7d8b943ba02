//! The facts that telemetry reads (FORMAT.md "Telemetry"): the tokens a
//! command may carry, shown in sanitized query text, and where the name of
//! the stored procedure it runs sits (`stored_procedure`).

use super::args::{Arg, Kind};
use super::routing::width;

/// Every token of the command's arguments, in upper case, once each.
pub fn tokens(args: &[Arg]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in args {
        a.walk(&mut |a| {
            for t in a.token.iter().chain(a.specials.iter().map(|(t, _)| t)) {
                let t = t.to_ascii_uppercase();
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        });
    }
    out
}

/// The argument position (0 is the command's first word) of the top-level
/// argument `name`, which names the script or function the command runs.
/// It must be one required value at a fixed position.
pub fn stored_procedure(
    command: &str,
    name: Option<&str>,
    args: &[Arg],
    errs: &mut Vec<String>,
) -> Option<u16> {
    let name = name?;
    let Some(i) = args.iter().position(|a| a.name == name) else {
        errs.push(format!(
            "`stored_procedure` names `{name}`, which is not a top-level argument"
        ));
        return None;
    };
    let arg = &args[i];
    if arg.optional || arg.multiple || arg.token.is_some() || !matches!(arg.kind, Kind::Value) {
        errs.push(format!(
            "`stored_procedure`: `{name}` must be one required value without a token"
        ));
        return None;
    }
    let words = command.split(' ').count() as u16;
    match args[..i].iter().map(width).sum::<Option<u16>>() {
        Some(before) => Some(words + before),
        None => {
            errs.push(format!(
                "`stored_procedure`: `{name}` has no fixed position (an argument before it varies in length)"
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{build, Source, Table};

    fn one(command: &str) -> Result<Table, Vec<String>> {
        build(&[Source {
            display: "specs/scripting.toml".into(),
            text: format!(
                "group = \"scripting\"\n\n[[command]]\nsummary = \"s\"\nsince = \"1.0.0\"\narity = -3\nreply = \"()\"\n{command}"
            ),
        }])
    }

    #[test]
    fn locates_the_procedure_and_collects_tokens() {
        let t = one(
            "name = \"FCALL\"\nstored_procedure = \"function\"\nargs = [\n  \
             { name = \"function\", type = \"value\" },\n  { name = \"numkeys\", type = \"integer\" },\n  \
             { name = \"mode\", type = \"oneof\", optional = true, choices = [{ name = \"a\", token = \"ALPHA\" }, { name = \"b\", token = \"beta\" }] },\n]\n",
        )
        .unwrap();
        let c = &t.commands[0];
        assert_eq!(c.stored_procedure, Some(1));
        assert_eq!(c.tokens, ["ALPHA", "BETA"]);
    }

    #[test]
    fn refuses_a_procedure_without_a_fixed_place() {
        let errs = one(
            "name = \"FCALL\"\nstored_procedure = \"function\"\nargs = [\n  \
             { name = \"key\", type = \"key\", multiple = true },\n  { name = \"function\", type = \"value\" },\n]\n",
        )
        .unwrap_err();
        assert!(
            errs.iter().any(|e| e.contains("no fixed position")),
            "{errs:?}"
        );
        let errs = one("name = \"FCALL\"\nstored_procedure = \"nope\"\nargs = []\n").unwrap_err();
        assert!(
            errs.iter().any(|e| e.contains("not a top-level argument")),
            "{errs:?}"
        );
    }
}
