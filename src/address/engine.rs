//! [`AddressEngine`]: the address checks as an engine with reasons, traces and an
//! optional policy.

use super::{analyze, Address, AddressConfig, AddressOutcome};
use crate::policy::{DecideOptions, HookSpec};
use crate::{Decision, Error, Reason, Trace};
use serde::{Deserialize, Serialize};

/// The hooks an address policy may define.
pub static HOOKS: &[HookSpec] = &[HookSpec {
    name: "validate",
    params: &["address"],
    returns: "[#{field: string, code: string, message: string}, ...] or ()",
    doc: "adds problems to the built-in ones (e.g. no PO boxes for oversized goods); `address` is the canonical address with `street` components, `country` and `problems`",
}];

/// One address to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
    /// The address as entered.
    pub address: Address,
}

/// Checks, canonicalises and keys addresses; see the [module docs](super).
///
/// ```
/// use backoffice::address::{Address, AddressConfig, AddressEngine, AddressRequest};
/// let engine = AddressEngine::new(AddressConfig::default());
/// let request = AddressRequest {
///     address: Address {
///         country: "Deutschland".into(),
///         address_lines: vec!["Unter den Linden 77".into()],
///         locality: "Berlin".into(),
///         postal_code: "10117".into(),
///         ..Address::default()
///     },
/// };
/// let decision = engine.decide(&request)?;
/// assert!(decision.outcome.valid);
/// assert_eq!(decision.outcome.canonical.country, "DE");
/// assert_eq!(decision.reason_codes(), ["valid"]);
/// # Ok::<(), backoffice::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AddressEngine {
    config: AddressConfig,
}

impl AddressEngine {
    /// Builds the engine. Use [`AddressEngine::try_new`] to have a `default_country`
    /// checked up front.
    pub fn new(config: AddressConfig) -> Self {
        AddressEngine { config }
    }

    /// Builds the engine, checking the configuration: `default_country` must be a known
    /// country and the limits must be positive.
    pub fn try_new(config: AddressConfig) -> Result<Self, Error> {
        if let Some(country) = &config.default_country {
            if super::resolve_country(country).is_none() {
                return Err(Error::invalid(
                    "default_country",
                    format!("unknown country `{country}`; use an ISO 3166-1 code such as `DE`"),
                ));
            }
        }
        if config.max_field_bytes == 0 {
            return Err(Error::invalid(
                "max_field_bytes",
                "must be at least 1, got 0",
            ));
        }
        Ok(AddressEngine { config })
    }

    /// The configuration.
    pub fn config(&self) -> &AddressConfig {
        &self.config
    }

    /// Checks one address with the default options.
    pub fn decide(&self, request: &AddressRequest) -> Result<Decision<AddressOutcome>, Error> {
        self.decide_with(request, &DecideOptions::default())
    }

    /// Checks one address.
    ///
    /// Errors: [`Error::InvalidInput`] when a field is longer than
    /// `max_field_bytes` or there are more than `max_address_lines` lines.
    pub fn decide_with(
        &self,
        request: &AddressRequest,
        options: &DecideOptions,
    ) -> Result<Decision<AddressOutcome>, Error> {
        let outcome = analyze(&request.address, &self.config)?;
        let mut trace = options.trace.then(Trace::default);
        if let Some(trace) = trace.as_mut() {
            trace_outcome(trace, &request.address, &outcome);
        }
        let mut reasons = builtin_reasons(&outcome);
        if outcome.valid {
            reasons.push(Reason::builtin(
                "valid",
                "validation",
                format!(
                    "no problems found for {}",
                    outcome.country.as_deref().unwrap_or("the address")
                ),
            ));
        }
        Ok(Decision {
            outcome,
            reasons,
            trace,
        })
    }
}

fn builtin_reasons(outcome: &AddressOutcome) -> Vec<Reason> {
    let mut reasons = Vec::new();
    for change in &outcome.changes {
        reasons.push(
            Reason::builtin(
                change.code.clone(),
                "canonical_form",
                change.message.clone(),
            )
            .about(change.field.clone()),
        );
    }
    for problem in &outcome.problems {
        reasons.push(
            Reason::builtin(problem.code.clone(), "validation", problem.message.clone())
                .about(problem.field.clone()),
        );
    }
    reasons
}

fn trace_outcome(trace: &mut Trace, input: &Address, outcome: &AddressOutcome) {
    match &outcome.country {
        Some(code) => trace.step("country", format!("`{}` resolved to {code}", input.country)),
        None => trace.step("country", format!("`{}` not resolved", input.country)),
    }
    if !input.administrative_area.is_empty() {
        trace.step(
            "subdivision",
            format!(
                "`{}` → `{}`",
                input.administrative_area, outcome.canonical.administrative_area
            ),
        );
    }
    if !input.postal_code.is_empty() {
        trace.step(
            "postal_code",
            format!(
                "`{}` → `{}`",
                input.postal_code, outcome.canonical.postal_code
            ),
        );
    }
    for (i, line) in outcome.street.iter().enumerate() {
        let kind = if line.is_po_box() { "PO box" } else { "street" };
        trace.step(
            "street",
            format!(
                "address_lines[{i}] `{}` parsed as {kind}; canonical `{}`",
                line.text,
                outcome
                    .canonical
                    .address_lines
                    .get(i)
                    .map(String::as_str)
                    .unwrap_or("")
            ),
        );
    }
    trace.step("match_key", outcome.match_key.clone());
}
