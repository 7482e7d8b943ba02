//! Finding the server's address at connect time, for clients whose server
//! can move (a Sentinel-managed primary).

use std::future::Future;
use std::pin::Pin;

use crate::config::ServerAddr;
use crate::error::Result;

/// The future a resolver returns.
pub type ResolveFuture<'a> = Pin<Box<dyn Future<Output = Result<ServerAddr>> + Send + 'a>>;

/// Tells a client where to connect, asked before every connection attempt
/// (the first one and each reconnect). Used by the Sentinel client to follow
/// a failover; implement it to plug in another discovery mechanism.
pub trait AddrResolver: Send + Sync + std::fmt::Debug {
    /// The address to connect to now.
    fn resolve(&self) -> ResolveFuture<'_>;
}
