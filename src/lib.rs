//! # backoffice
//!
//! Pure, explainable decisions for an e-commerce back office: where an order ships from,
//! whether a return is accepted and how suspicious it is, what a refund pays in which
//! currency, and whether an address is deliverable as written. Merchants adjust every
//! decision with **policies**: small [Rhai](https://rhai.rs) scripts that the library
//! compiles once and runs in a sandbox.
//!
//! The library is *pure*: it does no I/O, reads no clock and draws no random numbers.
//! "Now", exchange rates, stock and customer history all arrive as input, so the same
//! input gives the same output, byte for byte, on every platform.
//!
//! ## A guided tour
//!
//! ### 1. Money is exact, and every rounding names its mode
//!
//! [`Money`] is a `rust_decimal::Decimal` with an ISO 4217 [`Currency`]. Arithmetic is
//! checked: mixing currencies is an error, not a silent bug.
//!
//! ```
//! use backoffice::{Currency, Money, RoundingMode};
//! use rust_decimal_macros::dec;
//!
//! let net = Money::new(dec!(19.99), Currency::EUR);
//! let vat = net.checked_mul(dec!(0.19))?.round(RoundingMode::HalfUp)?;
//! assert_eq!(vat.to_string(), "3.80 EUR");
//! assert_eq!(net.checked_add(vat)?.to_string(), "23.79 EUR");
//!
//! let dollars = Money::new(dec!(1), Currency::USD);
//! assert_eq!(net.checked_add(dollars).unwrap_err().code(), "currency_mismatch");
//! # Ok::<(), backoffice::Error>(())
//! ```
//!
//! ### 2. Splitting an amount never loses a cent
//!
//! [`money::allocate`] uses the largest-remainder method: shares always add up to the
//! total, each within one minor unit of its exact proportional share.
//!
//! ```
//! use backoffice::{Currency, Money};
//! use rust_decimal_macros::dec;
//!
//! let shares = Money::new(dec!(100), Currency::JPY).allocate(&[dec!(1), dec!(1), dec!(1)])?;
//! assert_eq!(shares.iter().map(|m| m.amount()).collect::<Vec<_>>(), [dec!(34), dec!(33), dec!(33)]);
//! # Ok::<(), backoffice::Error>(())
//! ```
//!
//! ### 3. Exchange rates are supplied by the caller, with their dates
//!
//! A [`fx::RateTable`] holds the rates you give it; a lookup takes the newest rate at or
//! before the time you name, may invert a stored rate or triangulate through a pivot, and
//! tells you which path it used.
//!
//! ```
//! use backoffice::fx::{Rate, RateTable};
//! use backoffice::{Currency, Money, RoundingMode};
//! use chrono::{TimeZone, Utc};
//! use rust_decimal_macros::dec;
//!
//! let at = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
//! let mut rates = RateTable::new();
//! rates.insert(Rate::new(Currency::USD, Currency::CAD, dec!(1.35), at)?);
//! let cad = rates.convert(Money::new(dec!(40), Currency::USD), Currency::CAD, at, RoundingMode::HalfEven)?;
//! assert_eq!(cad.to_string(), "54.00 CAD");
//! # Ok::<(), backoffice::Error>(())
//! ```
//!
//! ### 4. Every decision explains itself
//!
//! Engines return a [`Decision`]: the outcome, a list of [`Reason`]s (stable `code`,
//! human `message`, and the built-in rule or policy hook that produced it) and, on
//! request, a [`Trace`]. Errors are typed ([`Error`]), name the field at fault, and have a
//! stable [`Error::code`].
//!
//! ### 5. Four engines, one shape
//!
//! | engine | what it decides |
//! |---|---|
//! | [`routing`] | which node ships each unit; replenishment suggestions |
//! | [`returns`] | eligibility, refund amount, settlement, disposition, fraud score |
//! | [`refunds`] | FX refunds: proration, caps, FX gain/loss, ledger, idempotency |
//! | [`address`] | validation, canonical form, label lines, match keys |
//!
//! Each is built once from its configuration, optionally with a policy, and then asked
//! for many decisions; each module's docs open with a runnable example. Engines are
//! `Send + Sync` and cheap to share between threads.
//!
//! ### 6. Policies change decisions without a release
//!
//! A policy is a Rhai script defining some of an engine's hooks; the engine calls the
//! hooks that exist and uses its built-in behaviour for the rest. Binding checks every
//! `fn` against the engine's hooks and reports unknown ones with their position. The
//! [`policy`] module is the policy authors' chapter.
//!
//! ```
//! use backoffice::address::{Address, AddressConfig, AddressEngine, AddressRequest};
//! use backoffice::policy::{Policy, PolicyRuntime};
//!
//! let runtime = PolicyRuntime::new();
//! let source = r#"
//! fn validate(address) {
//!     if address.has_po_box && "oversized" in address.tags {
//!         return #{ field: "address_lines", code: "po_box_not_allowed",
//!                   message: "sofas cannot go to a PO box" };
//!     }
//! }
//! "#;
//! let policy = Policy::compile("shop.rhai", source, &runtime)?;
//! let engine = AddressEngine::new(AddressConfig::default())?.with_policy(policy)?;
//!
//! let mut request = AddressRequest::new(Address {
//!     country: "Schweiz".into(),
//!     address_lines: vec!["Postfach 1234".into()],
//!     postal_code: "8021".into(),
//!     locality: "Zürich".into(),
//!     ..Address::default()
//! });
//! request.tags.push("oversized".into());
//! let decision = engine.decide(&request)?;
//! assert_eq!(decision.outcome.problems[0].code, "po_box_not_allowed");
//!
//! // A typo in a hook name is caught when the policy is bound, with its position.
//! let typo = Policy::compile("typo.rhai", "fn validat(address) { () }", &runtime)?;
//! let err = AddressEngine::new(AddressConfig::default())?.with_policy(typo).unwrap_err();
//! assert_eq!(err.diagnostics()[0].code, "policy.unknown_hook");
//! assert_eq!((err.diagnostics()[0].line, err.diagnostics()[0].column), (Some(1), Some(1)));
//! # Ok::<(), backoffice::Error>(())
//! ```
//!
//! ### 7. Any engine by name, JSON in and out
//!
//! [`engine::AnyEngine`] builds an engine from its kind name and JSON configuration and
//! decides JSON requests; it is what the C ABI and the CLI use, so every language gets the
//! decision a Rust caller gets.
//!
//! ## JSON shapes
//!
//! Every input and output type derives `Serialize`/`Deserialize` with snake_case fields;
//! amounts travel as strings (`{"amount": "12.30", "currency": "EUR"}`), timestamps as
//! RFC 3339, and unknown fields are rejected with an error naming them. The same shapes
//! travel through the C ABI and the CLI.
#![forbid(unsafe_op_in_unsafe_fn)]
// Hook calls and result readers return `Result<_, Diagnostic>` by contract (issue 3); a
// diagnostic is a few strings, and failures are off the hot path.
#![allow(clippy::result_large_err)]

pub mod address;
pub mod decision;
pub mod engine;
pub mod error;
#[cfg(feature = "ffi")]
pub mod ffi;
pub mod fx;
pub mod money;
pub mod policy;
pub mod refunds;
pub mod returns;
pub mod routing;

pub use decision::{Decision, PolicySource, Reason, ReasonSource, Trace, TraceStep};
pub use error::{Diagnostic, Error, Severity};
pub use money::{Currency, CurrencyOverrides, Money, RoundingMode};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
