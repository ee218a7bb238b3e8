//! [`PolicyRuntime`]: the one sandboxed `rhai::Engine` every policy runs in.

use rhai::packages::{Package, StandardPackage};
use rhai::{Engine, OptimizationLevel};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

/// The resource limits every hook call runs under. All are finite by default and all can
/// be changed with [`PolicyRuntime::with_limits`].
///
/// | limit | default | what happens when exceeded |
/// |---|---|---|
/// | `max_operations` | 200 000 per hook call | `policy.limit.operations` |
/// | `max_call_depth` | 8 nested function calls | `policy.limit.call_depth` |
/// | `max_expr_depth` | 64 (top level) | `policy.limit.expr_depth` at compile time |
/// | `max_function_expr_depth` | 32 (inside functions) | `policy.limit.expr_depth` at compile time |
/// | `max_string_size` | 65 536 bytes (all strings inside one array or map together) | `policy.limit.size` |
/// | `max_array_size` | 2 000 items (nested arrays count too) | `policy.limit.size` |
/// | `max_map_size` | 2 000 entries (nested maps count too) | `policy.limit.size` |
/// | `max_variables` | 256 live variables | `policy.limit.variables` |
/// | `max_output_bytes` | 65 536 bytes of `print`/`debug` per call | further output dropped, one `…` line |
///
/// ```
/// use backoffice::policy::{Limits, PolicyRuntime};
/// let limits = Limits { max_operations: 10_000, ..Limits::default() };
/// let runtime = PolicyRuntime::new().with_limits(limits);
/// assert_eq!(runtime.limits().max_operations, 10_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Operations one hook call may perform (each expression, statement and loop
    /// iteration counts at least one). `loop {}` stops after this many.
    pub max_operations: u64,
    /// Depth of nested function calls (recursion included).
    pub max_call_depth: usize,
    /// Nesting depth of expressions at the top level of a script.
    pub max_expr_depth: usize,
    /// Nesting depth of expressions inside functions.
    pub max_function_expr_depth: usize,
    /// Largest string, in bytes.
    pub max_string_size: usize,
    /// Largest array, in items.
    pub max_array_size: usize,
    /// Largest map (object), in entries.
    pub max_map_size: usize,
    /// Variables alive at once in one call.
    pub max_variables: usize,
    /// Bytes of `print`/`debug` output kept per call.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 200_000,
            max_call_depth: 8,
            max_expr_depth: 64,
            max_function_expr_depth: 32,
            max_string_size: 64 * 1024,
            max_array_size: 2_000,
            max_map_size: 2_000,
            max_variables: 256,
            max_output_bytes: 64 * 1024,
        }
    }
}

/// The binding power rhai gives `*`, `/` and `%`.
const DIVISION_PRECEDENCE: u8 = 180;

/// The comparison operators with the binding power rhai gives them (`==`/`!=` bind more
/// loosely than `<`, `<=`, `>`, `>=`).
const COMPARISONS: [(&str, u8); 6] = [
    ("==", 90),
    ("!=", 90),
    ("<", 130),
    ("<=", 130),
    (">", 130),
    (">=", 130),
];

/// The sandboxed script engine shared by every policy and thread.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`. Build one per process (or one per set
/// of limits) and compile every policy against it.
///
/// ```
/// use backoffice::policy::{Policy, PolicyRuntime};
/// let runtime = PolicyRuntime::new();
/// let policy = Policy::compile("fee.rhai", "fn fee(price) { price * 15 / 100 }", &runtime)?;
/// let out = policy.call("fee", (rhai::Dynamic::from(20_i64),))?;
/// assert_eq!(out.value.to_string(), "3");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PolicyRuntime {
    pub(crate) inner: Arc<RuntimeInner>,
}

pub(crate) struct RuntimeInner {
    pub(crate) engine: Engine,
    pub(crate) limits: Limits,
    pub(crate) coverage: bool,
    /// Whether every hook runs on the interpreter (see [`PolicyRuntime::interpreted`]).
    pub(crate) interpreter_only: bool,
    /// Names of every function a script can call without defining it.
    pub(crate) known_functions: HashSet<String>,
}

impl std::fmt::Debug for PolicyRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyRuntime")
            .field("limits", &self.inner.limits)
            .field("coverage", &self.inner.coverage)
            .finish()
    }
}

impl Default for PolicyRuntime {
    fn default() -> Self {
        Self::new()
    }
}

impl PolicyRuntime {
    /// A runtime with the default [`Limits`] and no coverage recording.
    pub fn new() -> Self {
        Self::build(Limits::default(), false)
    }

    /// The same runtime with other limits. Policies compiled earlier keep the runtime
    /// they were compiled with.
    pub fn with_limits(self, limits: Limits) -> Self {
        Self::build(limits, self.inner.coverage).forced(self.inner.interpreter_only)
    }

    /// The same runtime, running every hook on the rhai interpreter instead of the
    /// native evaluator of [`native`](crate::policy::native), for comparisons and tests.
    /// Policies compiled earlier keep the runtime they were compiled with.
    ///
    /// ```
    /// let runtime = backoffice::policy::PolicyRuntime::new().interpreted();
    /// assert!(runtime.is_interpreted());
    /// ```
    pub fn interpreted(self) -> Self {
        Self::build(self.inner.limits, self.inner.coverage).forced(true)
    }

    /// Whether every hook runs on the interpreter ([`PolicyRuntime::interpreted`]). A
    /// runtime recording coverage runs compiled hooks natively too: the native evaluator
    /// records the lines the interpreter's debugger would.
    pub fn is_interpreted(&self) -> bool {
        self.inner.interpreter_only
    }

    fn forced(self, interpreter_only: bool) -> Self {
        if self.inner.interpreter_only == interpreter_only {
            return self;
        }
        let inner = &self.inner;
        PolicyRuntime {
            inner: Arc::new(RuntimeInner {
                engine: build_engine(&inner.limits, inner.coverage),
                limits: inner.limits,
                coverage: inner.coverage,
                interpreter_only,
                known_functions: inner.known_functions.clone(),
            }),
        }
    }

    /// The same runtime, recording which source lines run in every hook call (for the
    /// CLI's coverage report; see [`Policy::coverage`](crate::policy::Policy::coverage)).
    ///
    /// Needs the `coverage` cargo feature (enabled by `cli`); builds without it contain no
    /// debugger hooks at all.
    #[cfg(feature = "coverage")]
    pub fn with_coverage(self) -> Self {
        Self::build(self.inner.limits, true).forced(self.inner.interpreter_only)
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Whether this runtime records line coverage.
    pub fn records_coverage(&self) -> bool {
        self.inner.coverage
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    fn build(limits: Limits, coverage: bool) -> Self {
        let engine = build_engine(&limits, coverage);
        let mut known_functions: HashSet<String> = engine
            .gen_fn_signatures(true)
            .iter()
            .filter_map(|signature| signature.split('(').next())
            .map(|name| name.trim().to_string())
            .collect();
        // Keywords that look like calls.
        for keyword in [
            "print",
            "debug",
            "type_of",
            "Fn",
            "call",
            "curry",
            "is_shared",
            "is_def_fn",
            "is_def_var",
        ] {
            known_functions.insert(keyword.to_string());
        }
        PolicyRuntime {
            inner: Arc::new(RuntimeInner {
                engine,
                limits,
                coverage,
                interpreter_only: false,
                known_functions,
            }),
        }
    }

    /// Rhai definition files (`*.d.rhai`) describing every function and operator a
    /// policy can call, as `(file name, content)` pairs, for editor completion (the
    /// `backoffice definitions` command writes them to a directory).
    ///
    /// ```
    /// let files = backoffice::policy::PolicyRuntime::new().definition_files();
    /// assert!(files.iter().any(|(_, text)| text.contains("fn round_money(")));
    /// ```
    pub fn definition_files(&self) -> Vec<(String, String)> {
        self.inner
            .engine
            .definitions()
            .with_headers(true)
            .include_standard_packages(true)
            .iter_files()
            .collect()
    }

    /// Whether scripts can call a function called `name` without defining it (a helper
    /// or a built-in of the language).
    pub fn is_known_function(&self, name: &str) -> bool {
        self.inner.known_functions.contains(name)
    }
}

#[cfg_attr(not(feature = "coverage"), allow(unused_variables))]
fn build_engine(limits: &Limits, coverage: bool) -> Engine {
    // `new_raw` has no packages, no print/debug output and no module resolver.
    let mut engine = Engine::new_raw();
    StandardPackage::new().register_into_engine(&mut engine);
    engine
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true)
        // Built-in arithmetic skips function lookup (about a quarter of a typical hook's
        // time); `/` and the comparisons are made custom operators below.
        .set_fast_operators(true)
        .set_optimization_level(OptimizationLevel::Simple)
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_depth)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_variables(limits.max_variables);
    engine.disable_symbol("eval");
    // `/` becomes a custom operator with the precedence of `*` so that only the exact
    // division functions registered by the bridge give it a meaning (fast operators would
    // otherwise truncate `7 / 2` to 3 without any function lookup).
    engine.disable_symbol("/");
    // This only fails for an active standard symbol, and `/` was just disabled; the
    // tests of exact division (`7 / 2 == 3.5`) would catch a change in rhai.
    let _ = engine.register_custom_operator("/", DIVISION_PRECEDENCE);
    // The comparisons, likewise: with fast operators rhai answers a comparison of two
    // values of different types (`3 == "3"`, `helper() > "100"`) with a constant `false`
    // (`true` for `!=`) before looking for any function. As custom operators they only
    // mean what the bridge registers (the same types, integers with decimals, and `()`
    // against anything for `==`/`!=`), so any other pair is an error at its position,
    // `policy.type_mismatch`.
    for (symbol, precedence) in COMPARISONS {
        engine.disable_symbol(symbol);
        let _ = engine.register_custom_operator(symbol, precedence);
    }
    // `x /= y` on integers would truncate and cannot be overridden with fast operators on:
    // refuse it when the script is compiled, with a message that says what to write.
    #[allow(deprecated)] // rhai marks the token-mapper API "volatile", not deprecated.
    engine.on_parse_token(|token, _position, _state| match token {
        rhai::Token::DivideAssign => {
            rhai::Token::LexError(Box::new(rhai::LexError::ImproperSymbol(
                "/=".to_string(),
                "`/=` is not available in policies; write `x = x / y` (division is exact)"
                    .to_string(),
            )))
        }
        other => other,
    });

    let max_output = limits.max_output_bytes;
    engine.on_print(move |text| capture(text, max_output));
    engine.on_debug(move |text, _source, pos| {
        let line = match pos.line() {
            Some(line) => format!("[debug line {line}] {text}"),
            None => format!("[debug] {text}"),
        };
        capture(&line, max_output);
    });

    super::bridge::register(&mut engine);
    // The standard package's `sleep` would block the host thread; functions registered on
    // the engine itself are found before package functions, so this one shadows it (for
    // calls through `Fn("sleep")` too).
    engine.register_fn(
        "sleep",
        |_: rhai::INT| -> Result<(), Box<rhai::EvalAltResult>> {
            Err("`sleep()` is not available in policies".into())
        },
    );

    #[cfg(feature = "coverage")]
    if coverage {
        #[allow(deprecated)] // rhai marks the debugger API "volatile", not deprecated.
        engine.register_debugger(
            |_, debugger| debugger,
            |_context, _event, _node, _source, pos| {
                // Statements and expressions both count: an expression statement
                // (`base` as a function's last line) only reports its expression.
                if let Some(line) = pos.line() {
                    record_line(line);
                }
                Ok(rhai::debugger::DebuggerCommand::StepInto)
            },
        );
    }
    engine
}

/// Output captured during the current call on this thread.
struct Captured {
    lines: Vec<String>,
    bytes: usize,
    truncated: bool,
}

thread_local! {
    static OUTPUT: RefCell<Captured> = const {
        RefCell::new(Captured { lines: Vec::new(), bytes: 0, truncated: false })
    };
    static COVERAGE_SINK: RefCell<Option<Arc<Mutex<BTreeSet<u32>>>>> = const { RefCell::new(None) };
}

fn capture(text: &str, max_bytes: usize) {
    OUTPUT.with(|out| {
        let mut out = out.borrow_mut();
        if out.truncated {
            return;
        }
        if out.bytes.saturating_add(text.len()) > max_bytes {
            out.truncated = true;
            out.lines
                .push("… (further policy output dropped: output limit reached)".to_string());
            return;
        }
        out.bytes = out.bytes.saturating_add(text.len());
        out.lines.push(text.to_string());
    });
}

/// Empties this thread's capture buffer, returning what it held.
pub(crate) fn take_output() -> Vec<String> {
    OUTPUT.with(|out| {
        let mut out = out.borrow_mut();
        out.bytes = 0;
        out.truncated = false;
        std::mem::take(&mut out.lines)
    })
}

#[cfg_attr(not(feature = "coverage"), allow(dead_code))]
fn record_line(line: usize) {
    COVERAGE_SINK.with(|sink| {
        if let Some(sink) = sink.borrow().as_ref() {
            if let Ok(line) = u32::try_from(line) {
                let mut lines = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                lines.insert(line);
            }
        }
    });
}

/// Routes coverage of calls on this thread into `sink` until the guard drops.
pub(crate) struct CoverageGuard;

impl CoverageGuard {
    pub(crate) fn set(sink: Arc<Mutex<BTreeSet<u32>>>) -> Self {
        COVERAGE_SINK.with(|s| *s.borrow_mut() = Some(sink));
        CoverageGuard
    }
}

impl Drop for CoverageGuard {
    fn drop(&mut self) {
        COVERAGE_SINK.with(|s| *s.borrow_mut() = None);
    }
}
