//! What the client knows about the server it talks to: its kind and
//! version, and the check typed methods make against them.

use super::Client;
use crate::cmd::Cmd;
use crate::command_info::ServerInfo;
use crate::error::Result;

impl Client {
    /// The kind (Redis or Valkey) and version of the server, as the last
    /// handshake reported them: `None` before the first connection, or when
    /// the server would not say (an ACL that refuses `INFO` on RESP2).
    ///
    /// Typed methods check what they send against it and fail with a client
    /// error, before sending, when the server lacks the command, an option
    /// or a reply shape (`hgetex` on Redis 7.0); raw [`call`](Self::call) is
    /// never checked.
    ///
    /// ```no_run
    /// # async fn demo(client: tornadis::Client) -> tornadis::Result<()> {
    /// use tornadis::command_info::ServerKind;
    /// client.connect().await?;
    /// if let Some(server) = client.server() {
    ///     println!("connected to {server}"); // "Valkey 9.1.2"
    ///     assert!(matches!(server.kind, ServerKind::Redis | ServerKind::Valkey));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn server(&self) -> Option<ServerInfo> {
        ServerInfo::unpack(
            self.shared()
                .server
                .load(std::sync::atomic::Ordering::Acquire),
        )
    }

    /// Opens the connection first when the server is not known yet and
    /// `cmd` is a typed command that needs more than every server has, so
    /// that [`check_server`](Self::check_server) can check even the first
    /// command this client sends (a cluster's node, reached through its raw
    /// path, would otherwise send it unchecked). A connection error is returned as is.
    pub(crate) async fn learn_server(&self, cmd: &Cmd) -> Result<()> {
        self.learn_server_when(cmd.gate().is_some_and(|g| !g.is_baseline()))
            .await
    }

    /// [`learn_server`](Self::learn_server) for commands that `need` more
    /// than every server has (a cluster pipeline's batch for one node).
    pub(crate) async fn learn_server_when(&self, need: bool) -> Result<()> {
        let unknown = self.server().is_none() && !self.is_connected();
        if unknown && self.config().autoconnect && need {
            self.connect().await?;
        }
        Ok(())
    }

    /// Fails `cmd` when the server it would go to is known to lack what it
    /// sends (see [`server`](Self::server)).
    pub(crate) fn check_server(&self, cmd: &Cmd) -> Result<()> {
        match self.server() {
            Some(server) => cmd.check_server(server),
            None => Ok(()),
        }
    }
}
