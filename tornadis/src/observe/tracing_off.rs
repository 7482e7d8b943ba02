//! The `tracing` hooks when the feature is off: nothing.

use crate::config::Config;
use crate::error::{Error, ErrorKind};

/// A command's span; empty without the feature.
#[derive(Debug)]
pub(crate) struct CommandSpan;

impl CommandSpan {
    #[inline(always)]
    pub(crate) fn start(_name: &str, _config: &Config) -> CommandSpan {
        CommandSpan
    }

    #[inline(always)]
    pub(crate) fn finish(self, _error: Option<ErrorKind>) {}
}

#[inline(always)]
pub(crate) fn connected(_config: &Config, _addr: &dyn std::fmt::Display) {}

#[inline(always)]
pub(crate) fn connect_failed(_config: &Config, _error: &Error) {}

#[inline(always)]
pub(crate) fn disconnected(_config: &Config, _error: Option<&Error>) {}
