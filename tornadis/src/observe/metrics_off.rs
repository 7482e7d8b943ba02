//! The `metrics` hooks when the feature is off: nothing.

use std::time::Duration;

use crate::error::ErrorKind;

#[inline(always)]
pub(crate) fn request_done(_elapsed: Duration, _error: Option<ErrorKind>) {}

#[inline(always)]
pub(crate) fn connection_opened() {}

#[inline(always)]
pub(crate) fn connection_lost() {}
