//! Policies: merchant rules written as sandboxed Rhai scripts.
//!
//! (The policy authors' chapter is written with the runtime; see `runtime`, `compiled`
//! and `bridge`.)

use serde::{Deserialize, Serialize};

pub mod bridge;
mod compiled;
mod runtime;

pub use bridge::Timestamp;
pub use compiled::{Coverage, FunctionInfo, HookOutput, Policy};
pub use runtime::{Limits, PolicyRuntime};

/// One hook an engine offers to policies: its name, parameters, what it must return, and
/// what it is for. Engines list theirs in a `static` slice; binding a policy checks every
/// `fn` of the script against that list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HookSpec {
    /// The function name a script defines, e.g. `eligibility`.
    pub name: &'static str,
    /// Parameter names, in order (their count is the required arity).
    pub params: &'static [&'static str],
    /// The shape the hook must return, e.g. `#{decision: "accept"|"reject"|"review", reason: string} or ()`.
    pub returns: &'static str,
    /// One line saying what the hook decides.
    pub doc: &'static str,
}

impl HookSpec {
    /// The number of parameters the hook takes.
    pub fn arity(&self) -> usize {
        self.params.len()
    }
}

/// What an engine does when a policy hook fails at run time (a script error, a limit, a
/// return value of the wrong shape).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnHookError {
    /// Fail the decision with the hook's diagnostic (the default).
    #[default]
    Fail,
    /// Fall back to the engine's documented safe outcome (for returns: manual review) and
    /// record a `policy_error` reason carrying the diagnostic.
    Fallback,
}

/// Per-call options shared by every engine's `decide_with`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecideOptions {
    /// Record a [`Trace`](crate::Trace) of how the decision was reached.
    pub trace: bool,
    /// What a failing hook does.
    pub on_hook_error: OnHookError,
}

impl DecideOptions {
    /// Options with tracing on.
    pub fn traced() -> Self {
        DecideOptions {
            trace: true,
            ..Self::default()
        }
    }
}
