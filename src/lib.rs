//! # backoffice
//!
//! Pure, explainable e-commerce back-office decisions.
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod decision;
pub mod error;
pub mod fx;
pub mod money;
pub mod policy;
pub mod returns;

pub use decision::{Decision, PolicySource, Reason, ReasonSource, Trace, TraceStep};
pub use error::{Diagnostic, Error, Severity};
pub use money::{Currency, CurrencyOverrides, Money, RoundingMode};
