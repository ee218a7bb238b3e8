//! [`AddressEngine`]: the address checks as an engine with reasons, traces and an
//! optional policy.

use super::{analyze, Address, AddressConfig, AddressOutcome, Problem, StreetLine};
use crate::policy::{bridge, DecideOptions, HookSpec, OnHookError, Policy};
use crate::{Decision, Diagnostic, Error, Reason, Trace};
use serde::{Deserialize, Serialize};

/// The hooks an address policy may define.
///
/// `validate(address)` receives the canonical address as a map: the fields of
/// [`Address`] (`country` is the alpha-2 code when resolved), `street` (the components of
/// each line, see [`StreetLine`]), `has_po_box`, `problems` (the built-in ones, each
/// `#{field, code, message}`) and `valid`. It returns `()` (nothing to add), one problem
/// map `#{field, code, message}` (`field` may be omitted: it defaults to `address`), or
/// an array of them. The problems are reported beside the built-in ones.
pub static HOOKS: &[HookSpec] = &[HookSpec {
    name: "validate",
    params: &["address"],
    returns: "() or #{field: string, code: string, message: string} or an array of them",
    doc: "adds problems to the built-in ones (e.g. no PO boxes for oversized goods, no deliveries to some regions)",
}];

const HOOK_EXPECTED: &str = "(), #{field, code, message} or an array of such maps";

/// What a `validate` hook sees.
#[derive(Serialize)]
struct HookView<'a> {
    #[serde(flatten)]
    address: &'a Address,
    street: &'a [StreetLine],
    has_po_box: bool,
    problems: &'a [Problem],
    valid: bool,
    tags: &'a [String],
}

/// One address to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
    /// The address as entered.
    pub address: Address,
    /// Labels of the shipment that policies may act on (`oversized`, `hazmat`, ...);
    /// the `validate` hook sees them as `address.tags`. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl AddressRequest {
    /// A request for `address` without tags.
    pub fn new(address: Address) -> Self {
        AddressRequest {
            address,
            tags: Vec::new(),
        }
    }
}

/// Checks, canonicalises and keys addresses; see the [module docs](super).
///
/// ```
/// use backoffice::address::{Address, AddressConfig, AddressEngine, AddressRequest};
/// let engine = AddressEngine::new(AddressConfig::default());
/// let request = AddressRequest::new(Address {
///     country: "Deutschland".into(),
///     address_lines: vec!["Unter den Linden 77".into()],
///     locality: "Berlin".into(),
///     postal_code: "10117".into(),
///     ..Address::default()
/// });
/// let decision = engine.decide(&request)?;
/// assert!(decision.outcome.valid);
/// assert_eq!(decision.outcome.canonical.country, "DE");
/// assert_eq!(decision.reason_codes(), ["valid"]);
/// # Ok::<(), backoffice::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AddressEngine {
    config: AddressConfig,
    policy: Option<Policy>,
}

impl AddressEngine {
    /// Builds the engine. Use [`AddressEngine::try_new`] to have a `default_country`
    /// checked up front.
    pub fn new(config: AddressConfig) -> Self {
        AddressEngine {
            config,
            policy: None,
        }
    }

    /// Builds the engine, checking the configuration: `default_country` and
    /// `origin_country` must be known countries and the limits must be positive.
    pub fn try_new(config: AddressConfig) -> Result<Self, Error> {
        if let Some(country) = &config.default_country {
            if super::resolve_country(country).is_none() {
                return Err(Error::invalid(
                    "default_country",
                    format!("unknown country `{country}`; use an ISO 3166-1 code such as `DE`"),
                ));
            }
        }
        if let Some(country) = &config.origin_country {
            if super::resolve_country(country).is_none() {
                return Err(Error::invalid(
                    "origin_country",
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
        Ok(AddressEngine {
            config,
            policy: None,
        })
    }

    /// Attaches a policy after checking that it only defines the address hooks
    /// ([`HOOKS`]) with the right arity.
    ///
    /// ```
    /// use backoffice::address::{Address, AddressConfig, AddressEngine, AddressRequest};
    /// use backoffice::policy::{Policy, PolicyRuntime};
    /// let source = r#"
    /// fn validate(address) {
    ///     if address.has_po_box && "oversized" in address.tags {
    ///         #{field: "address_lines", code: "po_box_not_allowed", message: "we cannot ship furniture to a PO box"}
    ///     }
    /// }
    /// "#;
    /// let policy = Policy::compile("furniture.rhai", source, &PolicyRuntime::new())?;
    /// let engine = AddressEngine::new(AddressConfig::default()).with_policy(policy)?;
    /// let address = Address {
    ///     country: "US".into(),
    ///     address_lines: vec!["PO Box 12".into()],
    ///     locality: "Austin".into(),
    ///     administrative_area: "TX".into(),
    ///     postal_code: "78701".into(),
    ///     ..Address::default()
    /// };
    /// let decision = engine.decide(&AddressRequest {
    ///     address,
    ///     tags: vec!["oversized".into()],
    /// })?;
    /// assert!(!decision.outcome.valid);
    /// assert_eq!(decision.reason_codes(), ["po_box_not_allowed"]);
    /// # Ok::<(), backoffice::Error>(())
    /// ```
    pub fn with_policy(mut self, policy: Policy) -> Result<Self, Error> {
        policy.bind("address", HOOKS)?;
        self.policy = Some(policy);
        Ok(self)
    }

    /// The attached policy, if any.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
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
        let mut outcome = analyze(&request.address, &self.config)?;
        let mut trace = options.trace.then(Trace::default);
        if let Some(trace) = trace.as_mut() {
            trace_outcome(trace, &request.address, &outcome);
        }
        let mut reasons = builtin_reasons(&outcome);
        if let Some(policy) = self.policy.as_ref().filter(|p| p.has_hook("validate")) {
            match call_validate(policy, &outcome, &request.tags) {
                Ok((added, output)) => {
                    if let Some(trace) = trace.as_mut() {
                        trace.step(
                            "policy:validate",
                            format!("{} added {} problem(s)", policy.name(), added.len()),
                        );
                        trace.policy_output.extend(output);
                    }
                    for problem in added {
                        reasons.push(
                            Reason::from_policy(
                                problem.code.clone(),
                                problem.message.clone(),
                                policy.source_ref("validate"),
                            )
                            .about(problem.field.clone()),
                        );
                        outcome.problems.push(problem);
                    }
                }
                Err(diagnostic) => {
                    let diagnostic = policy.annotate(diagnostic);
                    match options.on_hook_error {
                        OnHookError::Fail => {
                            return Err(Error::Policy {
                                diagnostics: vec![diagnostic],
                            })
                        }
                        OnHookError::Fallback => {
                            if let Some(trace) = trace.as_mut() {
                                trace.step(
                                    "policy:validate",
                                    format!("failed: {}", diagnostic.message),
                                );
                            }
                            outcome.problems.push(Problem {
                                field: "address".to_string(),
                                code: "policy_error".to_string(),
                                message: format!(
                                    "the policy's `validate` hook failed ({}); the address is treated as not valid",
                                    diagnostic.code
                                ),
                            });
                            reasons.push(Reason::policy_error(
                                diagnostic,
                                policy.source_ref("validate"),
                                "the address is treated as not valid",
                            ));
                        }
                    }
                }
            }
            outcome.valid = outcome.problems.is_empty();
        }
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

/// Calls the `validate` hook and reads the problems it adds.
fn call_validate(
    policy: &Policy,
    outcome: &AddressOutcome,
    tags: &[String],
) -> Result<(Vec<Problem>, Vec<String>), Diagnostic> {
    let view = HookView {
        address: &outcome.canonical,
        street: &outcome.street,
        has_po_box: outcome.street.iter().any(StreetLine::is_po_box),
        problems: &outcome.problems,
        valid: outcome.valid,
        tags,
    };
    let argument = bridge::to_dynamic(&view).map_err(|e| {
        Diagnostic::error(
            "policy.internal",
            format!("could not pass the address to `validate`: {e}"),
        )
        .with_hook("validate")
    })?;
    let result = policy.call("validate", (argument,))?;
    let value = result.value;
    if bridge::is_unit(&value) {
        return Ok((Vec::new(), result.output));
    }
    let items = if value.is_array() {
        bridge::expect_array(&value, "validate", HOOK_EXPECTED)?
    } else {
        vec![value]
    };
    let mut problems = Vec::with_capacity(items.len());
    for item in &items {
        let map = bridge::expect_map(item, "validate", HOOK_EXPECTED)?;
        let text = |key: &str| -> Result<Option<String>, Diagnostic> {
            match map.get(key) {
                None => Ok(None),
                Some(v) if bridge::is_unit(v) => Ok(None),
                Some(v) => bridge::expect_string(
                    v,
                    "validate",
                    &format!("`{key}` to be a string in {HOOK_EXPECTED}"),
                )
                .map(Some),
            }
        };
        for key in map.keys() {
            if !matches!(key.as_str(), "field" | "code" | "message") {
                return Err(bridge::bad_return(
                    "validate",
                    &format!("{HOOK_EXPECTED} (unknown key `{key}`)"),
                    item,
                ));
            }
        }
        let (Some(code), Some(message)) = (text("code")?, text("message")?) else {
            return Err(bridge::bad_return(
                "validate",
                &format!("{HOOK_EXPECTED} with `code` and `message`"),
                item,
            ));
        };
        problems.push(Problem {
            field: text("field")?.unwrap_or_else(|| "address".to_string()),
            code,
            message,
        });
    }
    Ok((problems, result.output))
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

impl crate::engine::Engine for AddressEngine {
    const KIND: &'static str = "address";
    type Config = AddressConfig;
    type Request = AddressRequest;
    type Outcome = AddressOutcome;

    fn hooks() -> &'static [HookSpec] {
        HOOKS
    }

    fn from_config(config: AddressConfig) -> Result<Self, Error> {
        AddressEngine::try_new(config)
    }

    fn attach_policy(self, policy: Policy) -> Result<Self, Error> {
        self.with_policy(policy)
    }

    fn decide_with(
        &self,
        request: &AddressRequest,
        options: &DecideOptions,
    ) -> Result<Decision<AddressOutcome>, Error> {
        AddressEngine::decide_with(self, request, options)
    }
}
