// The messages a user meets when a typed method gets the wrong kind of value:
// each names the fix (`on_unimplemented` on ToArgList, ToArg, ToArgs,
// FromValue, Executor and Replies).
use tornadis::{Cmd, Commands, Executor, FromValue};

struct Capture;

impl Executor for Capture {
    type Output<R: FromValue> = Cmd;
    fn execute<R: FromValue>(self, cmd: Cmd) -> Cmd {
        cmd
    }
}

struct Session {
    user: String,
}

fn main() {
    let json = String::from("{}");
    // The old trap: one element per character. Refused, with the way out.
    let _ = Capture.lpush("jobs", json.chars());
    // A struct is not one argument.
    let session = Session { user: "ada".into() };
    let _ = Capture.set("session", &session);
    // Nor a list of arguments.
    let mut cmd = Cmd::new();
    cmd.args(&session);
    // A reply type needs FromValue (or Serde<T>).
    let _ = Capture.get::<Session>("session");
    // Typed methods need an executor.
    let _ = Commands::get::<String>(session.user, "k");
}

// A typed pipeline with no command has no tuple of replies.
async fn _empty(client: &tornadis::Client) {
    let _ = client.pipeline().query().await;
}

// A pipeline built in a loop has one reply type: SET replies `()`, not `i64`.
async fn _one_reply_type(client: &tornadis::Client) {
    let mut pipe = client.pipeline_of::<i64>();
    pipe.push(|c| c.incr("n"));
    pipe.push(|c| c.set("k", 1));
}

// A reply of pairs goes into a Vec of pairs or a map, not a string.
async fn _pairs(client: &tornadis::Client) -> tornadis::Result<()> {
    let _: String = client.zrange_withscores("z", 0, -1).await?;
    Ok(())
}
