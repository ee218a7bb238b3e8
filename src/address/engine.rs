//! [`AddressEngine`]: the address checks as an engine with reasons, traces and an
//! optional policy.

use super::street::{PoBox, SecondaryUnit};
use super::{analyze, Address, AddressConfig, AddressOutcome, Problem, StreetLine};
use crate::policy::schema::{Field, FieldType, Record};
use crate::policy::session::{
    changed, Answer, Arg, BoundHooks, Change, Fallback, Fill, HookArg, HookId, HookSession,
};
use crate::policy::{bridge, DecideOptions, HookSpec, Policy};
use crate::{Decision, Diagnostic, Error, Reason, Trace};
use rhai::Dynamic;
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
    args: &[FieldType::Record(&ADDRESS)],
    returns: "() or #{field: string, code: string, message: string} or an array of them",
    doc: "adds problems to the built-in ones (e.g. no PO boxes for oversized goods, no deliveries to some regions)",
}];

/// `validate(address)`.
const VALIDATE: HookId = HookId::named(HOOKS, "validate");

const HOOK_EXPECTED: &str = "(), #{field, code, message} or an array of such maps";

/// The `address` argument of `validate`: the canonical address with its parsed street
/// lines and the built-in verdict. Fields in the order of their names.
pub(crate) static ADDRESS: Record = Record {
    name: "address",
    doc: "The canonical address, its parsed street lines and the built-in verdict.",
    fields: &[
        Field::new(
            "address_lines",
            FieldType::Array(&FieldType::String),
            "The street lines in canonical form, in order.",
        ),
        Field::new(
            "administrative_area",
            FieldType::String,
            "State, province or prefecture (the country's code for it when it has one); empty when absent.",
        ),
        Field::new(
            "country",
            FieldType::String,
            "The country: its alpha-2 code when recognised, else as entered.",
        ),
        Field::new(
            "dependent_locality",
            FieldType::String,
            "District or neighbourhood within the locality; empty when absent.",
        ),
        Field::new(
            "has_po_box",
            FieldType::Bool,
            "Whether a street line is a post-office box.",
        ),
        Field::new("locality", FieldType::String, "City or town; empty when absent."),
        Field::new(
            "organization",
            FieldType::String,
            "Company or organisation; empty when absent.",
        ),
        Field::new(
            "postal_code",
            FieldType::String,
            "The postal code in canonical form; empty when absent.",
        ),
        Field::new(
            "problems",
            FieldType::Array(&FieldType::Record(&PROBLEM)),
            "The problems the built-in checks found.",
        ),
        Field::new(
            "recipient",
            FieldType::String,
            "The person the item is for; empty when absent.",
        ),
        Field::new(
            "sorting_code",
            FieldType::String,
            "CEDEX-style sorting code; empty when absent.",
        ),
        Field::new(
            "street",
            FieldType::Array(&FieldType::Record(&STREET_LINE)),
            "The components of each street line, in order.",
        ),
        Field::new(
            "tags",
            FieldType::Array(&FieldType::String),
            "The request's shipment labels (`oversized`, `hazmat`, ...).",
        ),
        Field::new(
            "valid",
            FieldType::Bool,
            "Whether the built-in checks found no problem.",
        ),
    ],
};

/// One problem, as `validate` sees the built-in ones (and returns its own).
pub(crate) static PROBLEM: Record = Record {
    name: "problem",
    doc: "One thing wrong with the address.",
    fields: &[
        Field::new(
            "code",
            FieldType::String,
            "Stable code such as `missing_field`, `invalid_format`, `unknown_value`.",
        ),
        Field::new(
            "field",
            FieldType::String,
            "The field at fault: `country`, `address_lines[0]`, `postal_code`, ...",
        ),
        Field::new(
            "message",
            FieldType::String,
            "Explanation with the value that was wrong.",
        ),
    ],
};

/// The components of one street line.
pub(crate) static STREET_LINE: Record = Record {
    name: "street_line",
    doc: "The components recognised in one street line (each as written).",
    fields: &[
        Field::new(
            "building",
            FieldType::Optional(&FieldType::String),
            "A building or complex name written after the street (`Overlook Park Flats`).",
        ),
        Field::new(
            "house_number",
            FieldType::Optional(&FieldType::String),
            "House (building) number, e.g. `1600`, `12a`.",
        ),
        Field::new(
            "po_box",
            FieldType::Optional(&FieldType::Record(&PO_BOX)),
            "The post-office box, when the line is one.",
        ),
        Field::new(
            "post_directional",
            FieldType::Optional(&FieldType::String),
            "Directional after the street (`NW` in `Main St NW`).",
        ),
        Field::new(
            "pre_directional",
            FieldType::Optional(&FieldType::String),
            "Directional before the street name (`N` in `123 N Main St`).",
        ),
        Field::new(
            "street_name",
            FieldType::Optional(&FieldType::String),
            "The street's name without its type.",
        ),
        Field::new(
            "street_type",
            FieldType::Optional(&FieldType::String),
            "Street type (`St`, `Parkway`, `Rue`).",
        ),
        Field::new("text", FieldType::String, "The line as written (cleaned)."),
        Field::new(
            "units",
            FieldType::Array(&FieldType::Record(&UNIT)),
            "Secondary units in order (`Ste 5 Unit 2` gives two).",
        ),
    ],
};

/// A secondary unit of a street line.
pub(crate) static UNIT: Record = Record {
    name: "unit",
    doc: "A secondary unit (`Apt 2F`).",
    fields: &[
        Field::new(
            "designator",
            FieldType::String,
            "The designator as written (`Ste`, `Apartment`, `#`).",
        ),
        Field::new(
            "identifier",
            FieldType::String,
            "The identifier (`5`, `2F`).",
        ),
    ],
};

/// A post-office box of a street line.
pub(crate) static PO_BOX: Record = Record {
    name: "po_box",
    doc: "A post-office box (`PO Box 12`, `Postfach 1234`).",
    fields: &[
        Field::new(
            "designator",
            FieldType::String,
            "The designator as written (`P.O. Box`, `Postfach`).",
        ),
        Field::new("number", FieldType::String, "The box number."),
    ],
};

/// What a `validate` hook sees.
struct AddressArg<'a> {
    outcome: &'a AddressOutcome,
    tags: &'a [String],
}

impl HookArg for AddressArg<'_> {
    fn record(&self) -> &'static Record {
        &ADDRESS
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        let (address, outcome) = (&self.outcome.canonical, self.outcome);
        fill.strings("address_lines", &address.address_lines);
        fill.text("administrative_area", &address.administrative_area);
        fill.text("country", &address.country);
        fill.text("dependent_locality", &address.dependent_locality);
        fill.bool(
            "has_po_box",
            outcome.street.iter().any(StreetLine::is_po_box),
        );
        fill.text("locality", &address.locality);
        fill.text("organization", &address.organization);
        fill.text("postal_code", &address.postal_code);
        fill.records(
            "problems",
            outcome.problems.iter().map(|p| p as &dyn HookArg),
        );
        fill.text("recipient", &address.recipient);
        fill.text("sorting_code", &address.sorting_code);
        fill.records("street", outcome.street.iter().map(|l| l as &dyn HookArg));
        fill.strings("tags", self.tags);
        fill.bool("valid", outcome.valid);
    }
}

impl HookArg for Problem {
    fn record(&self) -> &'static Record {
        &PROBLEM
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.text("code", &self.code);
        fill.text("field", &self.field);
        fill.text("message", &self.message);
    }
}

impl HookArg for StreetLine {
    fn record(&self) -> &'static Record {
        &STREET_LINE
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.opt_text("building", self.building.as_deref());
        fill.opt_text("house_number", self.house_number.as_deref());
        fill.opt_record("po_box", self.po_box.as_ref().map(|b| b as &dyn HookArg));
        fill.opt_text("post_directional", self.post_directional.as_deref());
        fill.opt_text("pre_directional", self.pre_directional.as_deref());
        fill.opt_text("street_name", self.street_name.as_deref());
        fill.opt_text("street_type", self.street_type.as_deref());
        fill.text("text", &self.text);
        fill.records("units", self.units.iter().map(|u| u as &dyn HookArg));
    }
}

impl HookArg for SecondaryUnit {
    fn record(&self) -> &'static Record {
        &UNIT
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.text("designator", &self.designator);
        fill.text("identifier", &self.identifier);
    }
}

impl HookArg for PoBox {
    fn record(&self) -> &'static Record {
        &PO_BOX
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.text("designator", &self.designator);
        fill.text("number", &self.number);
    }
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
/// let engine = AddressEngine::new(AddressConfig::default())?;
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
    hooks: Option<BoundHooks>,
}

impl AddressEngine {
    /// Builds the engine, checking the configuration: `default_country` and
    /// `origin_country` must be known countries and the limits must be positive. Like
    /// every engine's `new`, it is fallible.
    ///
    /// ```
    /// use backoffice::address::{AddressConfig, AddressEngine};
    /// let config = AddressConfig { default_country: Some("Atlantis".into()), ..AddressConfig::default() };
    /// assert_eq!(AddressEngine::new(config).unwrap_err().field(), Some("default_country"));
    /// ```
    pub fn new(config: AddressConfig) -> Result<Self, Error> {
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
            hooks: None,
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
    /// let engine = AddressEngine::new(AddressConfig::default())?.with_policy(policy)?;
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
    /// assert_eq!(decision.reason_codes(), ["po_box_not_allowed", "problems_from_policy"]);
    /// # Ok::<(), backoffice::Error>(())
    /// ```
    pub fn with_policy(mut self, policy: Policy) -> Result<Self, Error> {
        self.hooks = Some(BoundHooks::bind(policy, "address", HOOKS)?);
        Ok(self)
    }

    /// The attached policy, if any.
    pub fn policy(&self) -> Option<&Policy> {
        self.hooks.as_ref().map(BoundHooks::policy)
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
        let mut session = HookSession::new(self.hooks.as_ref(), options);
        if session.defines(VALIDATE) {
            let arg = AddressArg {
                outcome: &outcome,
                tags: &request.tags,
            };
            let fallback = Fallback::new("the address is treated as not valid");
            let answer = session.call(VALIDATE, [Arg::fresh(&arg)], fallback, read_validate)?;
            let output = session.take_output();
            let source = session.source(VALIDATE);
            let added = match answer {
                Answer::Value(added) => Ok(added),
                Answer::Default => Ok(Vec::new()),
                Answer::Failed(reason) => Err(reason),
            };
            match (added, source) {
                (Ok(added), Some(source)) => {
                    if let Some(trace) = trace.as_mut() {
                        trace.step(
                            "policy:validate",
                            format!("{} added {} problem(s)", source.policy, added.len()),
                        );
                        trace.policy_output.extend(output);
                    }
                    let before = problems_text(outcome.problems.len());
                    let after = problems_text(outcome.problems.len().saturating_add(added.len()));
                    let codes: Vec<String> = added
                        .iter()
                        .map(|p| format!("{} ({})", p.code, p.field))
                        .collect();
                    let note = format!("it adds {}", codes.join(", "));
                    let change =
                        Change::new("problems_from_policy", "the address", &before, &after)
                            .note(&note);
                    let summary = changed(source.clone(), change);
                    for problem in added {
                        reasons.push(
                            Reason::from_policy(
                                problem.code.clone(),
                                problem.message.clone(),
                                source.clone(),
                            )
                            .about(problem.field.clone()),
                        );
                        outcome.problems.push(problem);
                    }
                    reasons.extend(summary);
                }
                (Err(reason), _) => {
                    let code = reason
                        .as_ref()
                        .and_then(|r| r.diagnostic.as_ref())
                        .map_or("policy.runtime", |d| d.code.as_str());
                    if let Some(trace) = trace.as_mut() {
                        let message = reason.as_ref().map_or("", |r| r.message.as_str());
                        trace.step("policy:validate", format!("failed: {message}"));
                    }
                    outcome.problems.push(Problem {
                        field: "address".to_string(),
                        code: "policy_error".to_string(),
                        message: format!(
                            "the policy's `validate` hook failed ({code}); the address is treated as not valid"
                        ),
                    });
                    reasons.extend(reason);
                }
                // No source means no policy, and then the hook was not called.
                (Ok(_), None) => {}
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

/// An address's verdict as messages write it: `valid`, `not valid, 2 problem(s)`.
fn problems_text(count: usize) -> String {
    if count == 0 {
        "valid".to_string()
    } else {
        format!("not valid, {count} problem(s)")
    }
}

/// Reads the problems a `validate` hook adds (not called for `()`).
fn read_validate(value: &Dynamic) -> Result<Vec<Problem>, Diagnostic> {
    let items = if value.is_array() {
        bridge::expect_array(value, "validate", HOOK_EXPECTED)?
    } else {
        vec![value.clone()]
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
    Ok(problems)
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
        AddressEngine::new(config)
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
