//! [`Decision`]: what every engine returns, with the reasons that explain it.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The result of one engine call: the outcome, the reasons that explain it and, when the
/// caller asked for one, a trace of how the engine got there.
///
/// ```
/// use backoffice::{Decision, Reason};
/// let d = Decision::new("approve").with_reason(Reason::builtin(
///     "within_window",
///     "return_window",
///     "requested 12 days after delivery; the window is 30 days",
/// ));
/// assert_eq!(d.reasons[0].code, "within_window");
/// assert!(d.has_reason("within_window"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision<T> {
    /// What was decided.
    pub outcome: T,
    /// Why, in machine-readable form, in the order they were produced.
    pub reasons: Vec<Reason>,
    /// How the engine got there, when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Trace>,
}

impl<T> Decision<T> {
    /// A decision without reasons or trace.
    pub fn new(outcome: T) -> Self {
        Decision {
            outcome,
            reasons: Vec::new(),
            trace: None,
        }
    }

    /// Appends a reason.
    pub fn with_reason(mut self, reason: Reason) -> Self {
        self.reasons.push(reason);
        self
    }

    /// Whether a reason with this code is present.
    pub fn has_reason(&self, code: &str) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }

    /// The reason codes, in order.
    pub fn reason_codes(&self) -> Vec<&str> {
        self.reasons.iter().map(|r| &*r.code).collect()
    }
}

/// One machine-readable explanation of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Stable snake_case identifier, e.g. `outside_return_window`. Built-in reasons
    /// borrow their codes from the library (no allocation); compare it with a `&str`
    /// (`reason.code == "outside_return_window"`) or borrow it with `&*reason.code`.
    pub code: Cow<'static, str>,
    /// Human-readable explanation with the values that mattered.
    pub message: String,
    /// What produced this reason.
    pub source: ReasonSource,
    /// What the reason is about (a line id, a node id, a field), when it is about one thing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The policy diagnostic behind a `policy_error` reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostic: Option<crate::Diagnostic>,
}

impl Reason {
    /// A reason produced by a built-in rule named `rule`.
    pub fn builtin(
        code: impl Into<Cow<'static, str>>,
        rule: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Reason {
            code: code.into(),
            message: message.into(),
            source: ReasonSource::Builtin { rule: rule.into() },
            subject: None,
            diagnostic: None,
        }
    }

    /// A reason produced by a policy hook.
    pub fn from_policy(
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
        source: PolicySource,
    ) -> Self {
        Reason {
            code: code.into(),
            message: message.into(),
            source: ReasonSource::Policy(source),
            subject: None,
            diagnostic: None,
        }
    }

    /// A `policy_error` reason: a hook failed and the engine fell back to its safe
    /// outcome ([`OnHookError::Fallback`](crate::policy::OnHookError::Fallback)).
    pub fn policy_error(
        diagnostic: crate::Diagnostic,
        source: PolicySource,
        fallback: &str,
    ) -> Self {
        Reason {
            code: Cow::Borrowed("policy_error"),
            message: format!(
                "policy hook `{}` failed ({}: {}); {fallback}",
                source.hook, diagnostic.code, diagnostic.message
            ),
            source: ReasonSource::Policy(source),
            subject: None,
            diagnostic: Some(diagnostic),
        }
    }

    /// Sets what the reason is about.
    pub fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }
}

/// Where a [`Reason`] came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReasonSource {
    /// A built-in rule of the engine.
    Builtin {
        /// The rule's name, e.g. `return_window` (borrowed from the library, like
        /// [`Reason::code`]).
        rule: Cow<'static, str>,
    },
    /// A policy hook.
    Policy(PolicySource),
}

/// Identifies the exact policy version and hook that produced a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySource {
    /// The policy's name.
    pub policy: String,
    /// The policy's content digest (`sha256:<hex>`).
    pub digest: String,
    /// The hook that ran.
    pub hook: String,
    /// The line where the hook is defined, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// How an engine reached its decision, step by step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    /// The steps, in order.
    pub steps: Vec<TraceStep>,
    /// Everything policy hooks printed with `print` or `debug`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_output: Vec<String>,
}

impl Trace {
    /// Appends a step.
    pub fn step(&mut self, stage: impl Into<String>, message: impl Into<String>) {
        self.steps.push(TraceStep {
            stage: stage.into(),
            message: message.into(),
        });
    }
}

/// One step in a [`Trace`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceStep {
    /// Which part of the engine, e.g. `eligibility` or `rule:closest`.
    pub stage: String,
    /// What happened there.
    pub message: String,
}
