//! # backoffice
//!
//! Pure, explainable e-commerce back-office decisions.
#![forbid(unsafe_op_in_unsafe_fn)]
// Hook calls and result readers return `Result<_, Diagnostic>` by contract (issue 3); a
// diagnostic is a few strings, and failures are off the hot path.
#![allow(clippy::result_large_err)]

pub mod decision;
pub mod error;
pub mod fx;
pub mod money;
pub mod policy;

pub use decision::{Decision, PolicySource, Reason, ReasonSource, Trace, TraceStep};
pub use error::{Diagnostic, Error, Severity};
pub use money::{Currency, CurrencyOverrides, Money, RoundingMode};
