//! [`Policy`]: a compiled script, its identity (name and digest) and its hooks.

use super::runtime::{take_output, CoverageGuard, PolicyRuntime};
use super::HookSpec;
use crate::{Diagnostic, Error, PolicySource};
use rhai::{
    CallFnOptions, Dynamic, EvalAltResult, FuncArgs, ParseError, ParseErrorType, Position, Scope,
    Token, AST,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

/// What one hook call produced: the value it returned and what it printed.
#[derive(Debug, Clone)]
pub struct HookOutput {
    /// The hook's return value (`()` means "no opinion").
    pub value: Dynamic,
    /// Lines written with `print` or `debug` during the call, in order.
    pub output: Vec<String>,
}

/// One hook call, as a [`CallObserver`] sees it once the call has ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookCall {
    /// The hook's name.
    pub hook: String,
    /// `sha256:` and the first 16 hex digits of the SHA-256 of the arguments as the hook
    /// received them (rhai's debug rendering, maps in key order): equal arguments give
    /// equal digests, so a log can show that two calls saw the same values without
    /// copying them.
    pub args_digest: String,
    /// What the hook returned, as JSON (`null` for `()`, "no opinion"), when it returned.
    pub result: Option<serde_json::Value>,
    /// The diagnostic code when the call failed (`policy.runtime`, `policy.limit`, ...).
    pub error: Option<String>,
}

/// Watches the hook calls of a policy, for a decision log: [`Policy::with_observer`]
/// attaches one, and every engine's calls of that policy (and its clones) report to it.
/// The library reads no clock; an observer that can (the `backoffice` CLI) times each
/// call between [`CallObserver::started`] and [`CallObserver::finished`].
pub trait CallObserver: Send + Sync {
    /// A call of `hook` is about to run.
    fn started(&self, hook: &str);
    /// The call that last started has ended.
    fn finished(&self, call: HookCall);
}

/// The digest of hook arguments shown in [`HookCall::args_digest`].
fn args_digest(values: &[Dynamic]) -> String {
    let digest = Sha256::digest(format!("{values:?}").as_bytes());
    let mut hex = String::from("sha256:");
    for byte in digest.iter().take(8) {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// A function a policy defines, with where it is defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionInfo {
    /// The function's name.
    pub name: String,
    /// Its parameter names, in order.
    pub params: Vec<String>,
    /// 1-based line of its `fn` keyword.
    pub line: u32,
    /// 1-based column of its `fn` keyword.
    pub column: u32,
}

impl FunctionInfo {
    /// The number of parameters.
    pub fn arity(&self) -> usize {
        self.params.len()
    }
}

/// Which lines of a policy ran, for a runtime built `with_coverage()` (cargo feature
/// `coverage`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Lines that hold a statement (the denominator).
    pub statement_lines: BTreeSet<u32>,
    /// Statement lines that ran in at least one call so far.
    pub executed_lines: BTreeSet<u32>,
}

impl Coverage {
    /// Percentage of statement lines that ran, from 0 to 100 (100 when there are none).
    pub fn percent(&self) -> rust_decimal::Decimal {
        let total = self.statement_lines.len();
        if total == 0 {
            return rust_decimal::Decimal::ONE_HUNDRED;
        }
        let hit = self.executed_lines.len();
        rust_decimal::Decimal::from(hit as u64 * 100) / rust_decimal::Decimal::from(total as u64)
    }

    /// Statement lines that never ran.
    pub fn missed_lines(&self) -> BTreeSet<u32> {
        self.statement_lines
            .difference(&self.executed_lines)
            .copied()
            .collect()
    }
}

/// A compiled policy: the script's AST, its name, a content digest and the functions it
/// defines. Compile once with [`Policy::compile`], then share it (it is `Clone`, `Send`
/// and `Sync`; clones share the compiled script).
///
/// ```
/// use backoffice::policy::{HookSpec, Policy, PolicyRuntime};
/// static HOOKS: &[HookSpec] = &[HookSpec {
///     name: "fee_percent",
///     params: &["item"],
///     args: &[],
///     returns: "a decimal percentage, or () for the default",
///     doc: "Restocking fee for one item.",
/// }];
/// let runtime = PolicyRuntime::new();
/// let source = "fn fee_percent(item) { if item.opened { 15 } else { () } }";
/// let policy = Policy::compile("fees.rhai", source, &runtime)?;
/// policy.bind("returns", HOOKS)?;
/// assert!(policy.has_hook("fee_percent"));
/// let item: rhai::Map = [("opened".into(), true.into())].into_iter().collect();
/// let out = policy.call("fee_percent", (item,))?;
/// assert_eq!(out.value.as_int(), Ok(15));
/// assert!(policy.digest().starts_with("sha256:"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Policy {
    inner: Arc<PolicyInner>,
    /// Whether [`Policy::bind`] accepts a policy that defines no hook (see
    /// [`Policy::allow_empty`]).
    allow_empty: bool,
    /// Who is told of each hook call (see [`Policy::with_observer`]).
    observer: Option<Arc<dyn CallObserver>>,
}

struct PolicyInner {
    name: String,
    source: String,
    digest: String,
    ast: AST,
    functions: Vec<FunctionInfo>,
    runtime: PolicyRuntime,
    statement_lines: BTreeSet<u32>,
    executed_lines: Option<Arc<Mutex<BTreeSet<u32>>>>,
    /// The hooks compiled for the native evaluator at the first [`Policy::bind`].
    native: std::sync::OnceLock<super::native::NativeHooks>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("name", &self.inner.name)
            .field("digest", &self.inner.digest)
            .field("functions", &self.inner.functions)
            .finish()
    }
}

impl Policy {
    /// Compiles `source` (named `name`, usually its file name) for `runtime`.
    ///
    /// Every problem found is returned at once in [`Error::Policy`], each diagnostic with
    /// its line and column: syntax errors (`policy.syntax`), undefined variables
    /// (`policy.undefined_variable`), sandbox violations such as `eval`, `import` or
    /// `timestamp()` (`policy.sandbox`), statements outside functions
    /// (`policy.top_level`), nesting beyond the limits (`policy.limit.expr_depth`) and
    /// closures that could end up inside a variable they capture
    /// (`policy.closure_cycle`, see the "Closures" section of [the policy
    /// chapter](crate::policy)).
    pub fn compile(name: &str, source: &str, runtime: &PolicyRuntime) -> Result<Policy, Error> {
        let engine = runtime.engine();
        let ast = match std::panic::catch_unwind(AssertUnwindSafe(|| engine.compile(source))) {
            Ok(Ok(ast)) => ast,
            Ok(Err(e)) => return Err(Error::from(parse_diagnostic(&e, name, source))),
            Err(_) => {
                return Err(Error::from(
                    Diagnostic::error(
                        "policy.internal",
                        "the script engine failed unexpectedly while compiling this policy",
                    )
                    .with_policy(name),
                ))
            }
        };

        let mut diagnostics = Vec::new();
        for stmt in ast.statements() {
            let (line, column) = line_col(stmt.position());
            diagnostics.push(
                Diagnostic::error(
                    "policy.top_level",
                    "statements outside a function never run: a policy only defines functions",
                )
                .with_help(
                    "move this into a hook, or into a `_helper()` function that a hook calls",
                )
                .with_policy(name)
                .at(line, column, source),
            );
        }

        diagnostics.extend(super::checks::functions::check_calls(
            &ast, runtime, name, source,
        ));
        // A closure stored inside a variable it captures is a reference cycle that is
        // never freed: every call of the hook would leak it.
        let is_native = |f: &str| runtime.is_known_function(f);
        match std::panic::catch_unwind(AssertUnwindSafe(|| {
            super::checks::closures::find_cycles(&ast, &is_native)
        })) {
            Ok(cycles) => diagnostics.extend(
                cycles
                    .iter()
                    .map(|cycle| closure_cycle_diagnostic(cycle, name, source)),
            ),
            Err(_) => diagnostics.push(
                Diagnostic::error(
                    "policy.internal",
                    "the closure check failed unexpectedly while compiling this policy",
                )
                .with_help("this is a bug in backoffice; please report it with the policy")
                .with_policy(name),
            ),
        }
        if !diagnostics.is_empty() {
            diagnostics.sort_by_key(|d| (d.line, d.column));
            return Err(Error::Policy { diagnostics });
        }

        let positions: std::collections::HashMap<(String, usize), (u32, u32)> =
            fn_positions(engine, source)
                .into_iter()
                .rev() // the first definition wins, as in rhai
                .map(|(name, arity, line, column)| ((name, arity), (line, column)))
                .collect();
        let functions = ast
            .iter_functions()
            .map(|f| {
                let (line, column) = positions
                    .get(&(f.name.to_string(), f.params.len()))
                    .copied()
                    .unwrap_or((0, 0));
                FunctionInfo {
                    name: f.name.to_string(),
                    params: f.params.iter().map(|p| p.to_string()).collect(),
                    line,
                    column,
                }
            })
            .collect::<Vec<_>>();
        let mut functions = functions;
        functions.sort_by_key(|f| (f.line, f.column));

        let digest = Sha256::digest(source.as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push_str(&format!("{byte:02x}"));
        }

        let executed_lines = runtime
            .records_coverage()
            .then(|| Arc::new(Mutex::new(BTreeSet::new())));

        let statement_lines = super::checks::lines::statement_lines(&ast);
        Ok(Policy {
            inner: Arc::new(PolicyInner {
                name: name.to_string(),
                source: source.to_string(),
                digest: format!("sha256:{hex}"),
                ast,
                functions,
                runtime: runtime.clone(),
                statement_lines,
                executed_lines,
                native: std::sync::OnceLock::new(),
            }),
            allow_empty: false,
            observer: None,
        })
    }

    /// Lets [`Policy::bind`] (and so every engine's `with_policy`) accept this policy
    /// even when it defines no hook of the engine. Without it, such a policy (an empty
    /// file, only comments, only `_helpers`) is refused with `policy.empty`, since
    /// attaching it changes nothing and is usually a mistake (the wrong file, a file
    /// cut short).
    ///
    /// ```
    /// use backoffice::policy::{Policy, PolicyRuntime};
    /// use backoffice::returns::{ReturnsConfig, ReturnsEngine};
    /// let policy = Policy::compile("empty.rhai", "// nothing yet\n", &PolicyRuntime::new())?;
    /// let engine = ReturnsEngine::new(ReturnsConfig::default())?;
    /// let err = engine.clone().with_policy(policy.clone()).unwrap_err();
    /// assert_eq!(err.diagnostics()[0].code, "policy.empty");
    /// assert!(engine.with_policy(policy.allow_empty()).is_ok());
    /// # Ok::<(), backoffice::Error>(())
    /// ```
    #[must_use]
    pub fn allow_empty(mut self) -> Policy {
        self.allow_empty = true;
        self
    }

    /// Whether the script defines none of `hooks` (only helpers, comments or nothing).
    pub fn defines_no_hook(&self, hooks: &[HookSpec]) -> bool {
        !self
            .inner
            .functions
            .iter()
            .any(|f| hooks.iter().any(|h| h.name == f.name))
    }

    /// The `policy.empty` diagnostic (error severity) for a policy that defines none of
    /// the `engine`'s `hooks`; `backoffice check` shows it as a warning.
    pub fn empty_diagnostic(&self, engine: &str, hooks: &[HookSpec]) -> Diagnostic {
        let known = hooks.iter().map(|h| h.name).collect::<Vec<_>>().join(", ");
        Diagnostic::error(
            "policy.empty",
            format!(
                "the policy defines no hook of the {engine} engine, so attaching it changes nothing"
            ),
        )
        .with_help(format!(
            "define one of the hooks ({known}); to attach an empty policy on purpose, call `Policy::allow_empty` first"
        ))
        .with_policy(self.name())
    }

    /// The policy's name, as given to [`Policy::compile`].
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The SHA-256 of the source text, as `sha256:<64 hex digits>`.
    pub fn digest(&self) -> &str {
        &self.inner.digest
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// The compiled script, for the engines' analyses of what their hooks read or write
    /// (every function body is walkable: rhai is built without its bytecode VM).
    pub(crate) fn ast(&self) -> &AST {
        &self.inner.ast
    }

    /// The runtime the policy was compiled for.
    pub fn runtime(&self) -> &PolicyRuntime {
        &self.inner.runtime
    }

    /// Every function the script defines, in source order, with its position.
    pub fn functions(&self) -> &[FunctionInfo] {
        &self.inner.functions
    }

    /// Whether the script defines a function called `hook`.
    pub fn has_hook(&self, hook: &str) -> bool {
        self.inner.functions.iter().any(|f| f.name == hook)
    }

    /// Checks the script against the hooks of the engine called `engine` (used in
    /// messages): every function must be one of `hooks` with the right number of
    /// parameters, or a private helper whose name starts with `_`, and no hook may assign
    /// into its (read-only) arguments. Every violation is reported
    /// (`policy.unknown_hook`, `policy.hook_arity`, `policy.read_only_argument`), each
    /// with its position. A policy that defines none of `hooks` is refused with
    /// `policy.empty` unless [`Policy::allow_empty`] was asked for.
    pub fn bind(&self, engine: &str, hooks: &[HookSpec]) -> Result<(), Error> {
        let source = self.source();
        let mut diagnostics = Vec::new();
        for f in &self.inner.functions {
            // Closures (`|x| ...`) compile to anonymous functions named `anon$<hash>`;
            // they are not hooks (`$` cannot appear in a written name).
            if f.name.starts_with('_') || f.name.starts_with("anon$") {
                continue;
            }
            match hooks.iter().find(|h| h.name == f.name) {
                None => {
                    let known = hooks
                        .iter()
                        .map(|h| format!("{}/{}", h.name, h.arity()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let known = if known.is_empty() {
                        "none".to_string()
                    } else {
                        known
                    };
                    let suggestion =
                        crate::error::closest_name(&f.name, hooks.iter().map(|h| h.name))
                            .and_then(|name| hooks.iter().find(|h| h.name == name))
                            .map(|h| {
                                format!("did you mean `fn {}({})`? ", h.name, h.params.join(", "))
                            })
                            .unwrap_or_default();
                    diagnostics.push(at_signature(
                        Diagnostic::error(
                            "policy.unknown_hook",
                            format!("`fn {}` is not a hook of the {engine} engine", f.name),
                        )
                        .with_help(format!(
                            "{suggestion}known hooks: {known}; prefix private helpers with `_`"
                        ))
                        .with_policy(self.name()),
                        f,
                        source,
                    ));
                }
                Some(spec) if spec.arity() != f.arity() => {
                    let diagnostic = Diagnostic::error(
                        "policy.hook_arity",
                        format!(
                            "hook `{}` takes {} parameter{} but `fn {}` has {}",
                            spec.name,
                            spec.arity(),
                            if spec.arity() == 1 { "" } else { "s" },
                            f.name,
                            f.arity()
                        ),
                    )
                    .with_help(format!(
                        "write `fn {}({})`",
                        spec.name,
                        spec.params.join(", ")
                    ))
                    .with_policy(self.name());
                    diagnostics.push(at_signature(diagnostic, f, source));
                }
                Some(_) => {}
            }
        }
        // Hook arguments are read-only; a write into one is refused here (see
        // `arguments`), where it can be shown at its position.
        let hook_names: Vec<&str> = hooks.iter().map(|h| h.name).collect();
        for write in super::checks::arguments::argument_writes(&self.inner.ast, &hook_names) {
            let param = &write.param;
            let what = match write.method.as_deref() {
                Some("call") => format!(
                    "calls a function with `this` bound to its argument `{param}` (`{param}.call(...)`) in a script that assigns to properties of `this`"
                ),
                Some(method) => format!(
                    "calls `{param}.{method}()`, which assigns to a property of `this`, so it writes into its argument `{param}`"
                ),
                None => format!("assigns to a property of its argument `{param}`"),
            };
            let diagnostic = Diagnostic::error(
                "policy.read_only_argument",
                format!(
                    "hook `{}` {what}; hook arguments are read-only",
                    write.hook
                ),
            )
            .with_hook(&write.hook)
            .with_help(format!(
                "copy the value into a variable and change the copy (`let copy = {param}; copy.x = ...;`)"
            ))
            .with_policy(self.name());
            diagnostics.push(located(diagnostic, write.position, source));
        }
        // Fields the hooks' typed arguments do not have, and comparisons that can never
        // match (see `checks::fields`).
        for problem in super::checks::fields::check(&self.inner.ast, hooks) {
            let diagnostic = problem.diagnostic.with_policy(self.name());
            diagnostics.push(located(diagnostic, problem.position, source));
        }
        if diagnostics.is_empty() && !self.allow_empty && self.defines_no_hook(hooks) {
            diagnostics.push(self.empty_diagnostic(engine, hooks));
        }
        if diagnostics.is_empty() {
            let ast = &self.inner.ast;
            let engine = self.inner.runtime.engine();
            let coverage = self.inner.runtime.records_coverage();
            self.inner.native.get_or_init(|| {
                super::native::NativeHooks::compile_for(ast, engine, hooks, coverage)
            });
            Ok(())
        } else {
            Err(Error::Policy { diagnostics })
        }
    }

    /// For every hook the policy defines (once bound with [`Policy::bind`]): whether it
    /// runs on the native evaluator, and if not, which construct at which line keeps it
    /// on the interpreter. Empty before the policy is bound.
    ///
    /// ```
    /// use backoffice::policy::{HookSpec, Policy, PolicyRuntime};
    /// static HOOKS: &[HookSpec] = &[
    ///     HookSpec { name: "fee", params: &["x"], args: &[], returns: "", doc: "" },
    ///     HookSpec { name: "tag", params: &["x"], args: &[], returns: "", doc: "" },
    /// ];
    /// let source = "fn fee(x) { if x > 10 { x * 2 } else { () } }\nfn tag(x) { let n = x; do { n += 1; } while n < 3; n }";
    /// let policy = Policy::compile("p.rhai", source, &PolicyRuntime::new())?;
    /// policy.bind("demo", HOOKS)?;
    /// let report = policy.native_report();
    /// assert!(report[0].compiled);
    /// assert_eq!(report[1].reason.as_deref(), Some("`do` loop"));
    /// assert_eq!(report[1].line, Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn native_report(&self) -> Vec<super::native::HookCompilation> {
        self.inner
            .native
            .get()
            .map(|n| n.report().to_vec())
            .unwrap_or_default()
    }

    /// How many hook calls of this policy (and its clones) so far finished on the native
    /// evaluator, and how many it handed back to the interpreter (an error, a limit, an
    /// operand type it does not handle): `(native, handed_back)`.
    pub fn native_calls(&self) -> (u64, u64) {
        self.inner.native.get().map_or((0, 0), |n| n.counts())
    }

    /// Whether `hook` runs on the native evaluator (compiled at bind, and the runtime
    /// does not force the interpreter).
    pub fn runs_natively(&self, hook: &str) -> bool {
        !self.inner.runtime.is_interpreted() && self.inner.native.get().is_some_and(|n| n.has(hook))
    }

    /// Identifies this policy version and `hook`, for reasons and traces.
    pub fn source_ref(&self, hook: &str) -> PolicySource {
        PolicySource {
            policy: self.inner.name.clone(),
            digest: self.inner.digest.clone(),
            hook: hook.to_string(),
            line: self
                .inner
                .functions
                .iter()
                .find(|f| f.name == hook)
                .map(|f| f.line),
        }
    }

    /// Fills in the policy name and, when the diagnostic names a hook but has no position,
    /// a position in that hook (for `policy.bad_return` diagnostics made by the
    /// [`bridge`](super::bridge) readers): the value the hook handed back (a `return`
    /// or its last expression) when the returned type tells which one it was, else the
    /// hook's signature, with the lines that return listed in the help.
    pub fn annotate(&self, mut diagnostic: Diagnostic) -> Diagnostic {
        if diagnostic.policy.is_none() {
            diagnostic.policy = Some(self.inner.name.clone());
        }
        if diagnostic.line.is_none() {
            if let Some(f) = diagnostic
                .hook
                .as_deref()
                .and_then(|h| self.inner.functions.iter().find(|f| f.name == h))
            {
                let source = &self.inner.source;
                let returned = super::bridge::returned_kind(&diagnostic);
                diagnostic = match super::checks::returned::returning_point(
                    &self.inner.ast,
                    &f.name,
                    returned,
                ) {
                    // The value the hook handed back: a `return` or its last expression.
                    Ok(pos) => {
                        let (line, column) = line_col(pos);
                        diagnostic.at_expression(line, column, source)
                    }
                    Err(lines) if lines.len() > 1 => {
                        let lines: Vec<String> = lines.iter().map(u32::to_string).collect();
                        let note = format!(
                            "`{}` hands back a value at lines {}",
                            f.name,
                            lines.join(", ")
                        );
                        let help = match diagnostic.help.take() {
                            Some(help) => format!("{help}; {note}"),
                            None => note,
                        };
                        at_signature(diagnostic.with_help(help), f, source)
                    }
                    Err(_) => at_signature(diagnostic, f, source),
                };
            }
        }
        diagnostic
    }

    /// Calls `hook` with `args` under the runtime's limits.
    ///
    /// `args` is a tuple of values (`rhai::Dynamic`, `rhai::Map`, `i64`, ...) or a
    /// `Vec<Dynamic>`. `print`/`debug` output is returned in [`HookOutput::output`], never
    /// written anywhere. A failure is a [`Diagnostic`] naming the hook and the position in
    /// the script: `policy.limit.operations`, `policy.limit.call_depth`,
    /// `policy.limit.size`, `policy.limit.variables`, `policy.runtime`.
    pub fn call(&self, hook: &str, args: impl FuncArgs) -> Result<HookOutput, Diagnostic> {
        let Some(observer) = &self.observer else {
            return self.call_unobserved(hook, args);
        };
        let mut values: Vec<Dynamic> = Vec::new();
        args.parse(&mut values);
        let digest = args_digest(&values);
        observer.started(hook);
        let result = self.call_unobserved(hook, values);
        observer.finished(HookCall {
            hook: hook.to_string(),
            args_digest: digest,
            result: result
                .as_ref()
                .ok()
                .map(|out| super::testing::to_json(&out.value)),
            error: result.as_ref().err().map(|d| d.code.clone()),
        });
        result
    }

    /// Tells `observer` of every hook call of this policy and its clones from now on
    /// (for a decision log; see [`CallObserver`]). Observing parses each call's
    /// arguments once more, to digest them.
    ///
    /// ```
    /// use backoffice::policy::{CallObserver, HookCall, Policy, PolicyRuntime};
    /// use std::sync::{Arc, Mutex};
    /// struct Log(Mutex<Vec<HookCall>>);
    /// impl CallObserver for Log {
    ///     fn started(&self, _hook: &str) {}
    ///     fn finished(&self, call: HookCall) {
    ///         if let Ok(mut calls) = self.0.lock() {
    ///             calls.push(call);
    ///         }
    ///     }
    /// }
    /// let log = Arc::new(Log(Mutex::new(Vec::new())));
    /// let policy = Policy::compile("p.rhai", "fn fee(x) { x * 2 }", &PolicyRuntime::new())?
    ///     .with_observer(log.clone());
    /// policy.call("fee", (21_i64,))?;
    /// let calls = log.0.lock().map(|c| c.clone()).unwrap_or_default();
    /// assert_eq!(calls.len(), 1);
    /// assert_eq!(calls[0].hook, "fee");
    /// assert_eq!(calls[0].result, Some(serde_json::json!(42)));
    /// assert_eq!(calls[0].args_digest.len(), "sha256:".len() + 16);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// [`Policy::call`] without telling an observer.
    fn call_unobserved(&self, hook: &str, args: impl FuncArgs) -> Result<HookOutput, Diagnostic> {
        let inner = &*self.inner;
        let engine = inner.runtime.engine();
        // Test and debug builds check that no argument holds a shared value nested inside
        // an array or a map: rhai's size checks stop with an internal error on one, so an
        // engine passing one would fail hooks that copy their arguments into containers.
        #[cfg(debug_assertions)]
        let args = {
            let mut values: Vec<Dynamic> = Vec::new();
            args.parse(&mut values);
            if let Some(position) = values.iter().position(holds_nested_shared) {
                return Err(Diagnostic::error(
                    "policy.internal",
                    format!(
                        "argument {} of `{hook}` holds a shared value inside an array or a map",
                        position.saturating_add(1)
                    ),
                )
                .with_policy(&inner.name)
                .with_hook(hook)
                .with_help("this is a bug in the engine calling the hook; please report it"));
            }
            values
        };
        // The native evaluator, for a hook it compiled; it hands back every call it
        // cannot finish exactly as the interpreter would (see `native`).
        #[cfg(not(debug_assertions))]
        let args = {
            let mut values: Vec<Dynamic> = Vec::new();
            args.parse(&mut values);
            values
        };
        if let Some(native) = inner.native.get() {
            if !inner.runtime.is_interpreted() && native.has(hook) {
                if let Some(out) = native.call(hook, args.clone(), &inner.runtime.inner.limits) {
                    if let Some(sink) = &inner.executed_lines {
                        let mut lines =
                            sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                        lines.extend(out.lines);
                    }
                    return Ok(HookOutput {
                        value: out.value,
                        output: out.output,
                    });
                }
            }
        }
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        // Drop anything a previous panic-free but interrupted call may have left.
        let _ = take_output();
        // The script engine is not expected to panic; if it ever does, the caller gets a
        // diagnostic instead of an unwinding thread.
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let _guard = inner.executed_lines.clone().map(CoverageGuard::set);
            with_scope(|scope| {
                engine.call_fn_with_options::<Dynamic>(options, scope, &inner.ast, hook, args)
            })
        }));
        let output = take_output();
        match result {
            Err(_) => Err(Diagnostic::error(
                "policy.internal",
                "the script engine failed unexpectedly while running this hook",
            )
            .with_policy(&inner.name)
            .with_hook(hook)
            .with_help("this is a bug in backoffice or rhai; please report it with the policy")),
            Ok(Ok(value)) => Ok(HookOutput { value, output }),
            Ok(Err(err)) => Err(runtime_diagnostic(
                &err,
                hook,
                &inner.name,
                &inner.source,
                &inner.functions,
            )),
        }
    }

    /// Calls `hook` only if the policy defines it (`Ok(None)` otherwise), appends what it
    /// printed to `trace` when there is one, and annotates a failure with the hook's
    /// position. The usual way for an engine to run a hook:
    ///
    /// ```
    /// use backoffice::policy::{Policy, PolicyRuntime};
    /// use backoffice::Trace;
    /// let policy = Policy::compile("p.rhai", "fn window_days(item) { print(\"vip\"); 60 }", &PolicyRuntime::new())?;
    /// let mut trace = Some(Trace::default());
    /// let days = policy.call_if_defined("window_days", (rhai::Map::new(),), trace.as_mut())?;
    /// assert_eq!(days.map(|d| d.as_int()), Some(Ok(60)));
    /// assert_eq!(trace.unwrap().policy_output, ["vip"]);
    /// assert!(policy.call_if_defined("eligibility", (1_i64,), None)?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_if_defined(
        &self,
        hook: &str,
        args: impl FuncArgs,
        trace: Option<&mut crate::Trace>,
    ) -> Result<Option<Dynamic>, Diagnostic> {
        if !self.has_hook(hook) {
            return Ok(None);
        }
        let out = self.call(hook, args)?;
        if let Some(trace) = trace {
            trace.policy_output.extend(out.output);
        }
        Ok(Some(out.value))
    }

    /// Lines that ran so far and lines that hold statements, when the runtime records
    /// coverage (`PolicyRuntime::with_coverage()`, cargo feature `coverage`); `None`
    /// otherwise.
    pub fn coverage(&self) -> Option<Coverage> {
        let executed = self.inner.executed_lines.as_ref()?;
        let executed = executed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Some(Coverage {
            statement_lines: self.inner.statement_lines.clone(),
            executed_lines: executed
                .intersection(&self.inner.statement_lines)
                .copied()
                .collect(),
        })
    }

    /// Forgets the lines recorded so far (coverage runtimes only).
    pub fn reset_coverage(&self) {
        if let Some(executed) = &self.inner.executed_lines {
            executed
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clear();
        }
    }
}

fn line_col(pos: Position) -> (u32, u32) {
    let line = pos.line().and_then(|l| u32::try_from(l).ok()).unwrap_or(0);
    let column = pos
        .position()
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(0);
    (line, column)
}

/// `diagnostic` placed at `pos` in `source`, when the position is known.
pub(crate) fn located(diagnostic: Diagnostic, pos: Position, source: &str) -> Diagnostic {
    if pos.is_none() {
        diagnostic
    } else {
        let (line, column) = line_col(pos);
        diagnostic.at(line, column, source)
    }
}

/// `policy.closure_cycle`: a write that may store a closure into a variable a closure
/// captures.
fn closure_cycle_diagnostic(
    cycle: &super::checks::closures::Cycle,
    policy: &str,
    source: &str,
) -> Diagnostic {
    let (line, column) = line_col(cycle.captured_at);
    let variable = &cycle.variable;
    let what = match &cycle.method {
        None => "this assignment".to_string(),
        Some(method) => format!("this call of `{method}`"),
    };
    located(
        Diagnostic::error(
            "policy.closure_cycle",
            format!(
                "{what} may store a closure in `{variable}`, which a closure captures at {line}:{column}; the two would keep each other alive and leak memory on every call"
            ),
        )
        .with_help(format!(
            "store only plain values (numbers, strings, arrays and maps of them) in `{variable}`; for a function that calls itself, write a `_helper` function instead of a closure"
        ))
        .with_policy(policy),
        cycle.at,
        source,
    )
}

fn parse_diagnostic(err: &ParseError, policy: &str, source: &str) -> Diagnostic {
    let kind = err.err_type();
    let pos = err.position();
    let diagnostic = match kind {
        ParseErrorType::VariableUndefined(var) => Diagnostic::error(
            "policy.undefined_variable",
            format!("undefined variable `{var}`"),
        )
        .with_help(format!(
            "declare it with `let {var} = ...;` or take it as a parameter; functions cannot see variables defined outside them"
        )),
        ParseErrorType::Reserved(word) if word == "import" || word == "export" => {
            Diagnostic::error(
                "policy.sandbox",
                format!("`{word}` is not available: policies cannot load modules or files"),
            )
            .with_help("keep the whole policy in one file; shared logic goes into `_helper` functions")
        }
        ParseErrorType::BadInput(rhai::LexError::ImproperSymbol(word, _)) if word == "eval" => {
            Diagnostic::error("policy.sandbox", "`eval` is not available in policies")
                .with_help("write the code directly in the hook")
        }
        ParseErrorType::ExprTooDeep => Diagnostic::error(
            "policy.limit.expr_depth",
            "expression nested too deeply",
        )
        .with_help("split the expression using `let` variables or `_helper` functions"),
        ParseErrorType::LiteralTooLarge(what, max) => Diagnostic::error(
            "policy.limit.size",
            format!("{what} is larger than the limit of {max}"),
        ),
        ParseErrorType::BadInput(rhai::LexError::StringTooLong(max)) => Diagnostic::error(
            "policy.limit.size",
            format!("string literal longer than the limit of {max} bytes"),
        ),
        other => Diagnostic::error("policy.syntax", syntax_message(other)),
    };
    located(diagnostic.with_policy(policy), pos, source)
}

fn syntax_message(kind: &ParseErrorType) -> String {
    lowercase_first(&kind.to_string())
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "syntax error".to_string(),
    }
}

/// Whether `value` holds a shared value inside an array or a map (a shared value as the
/// whole argument is fine: scripts copy it when they use it).
#[cfg(debug_assertions)]
fn holds_nested_shared(value: &Dynamic) -> bool {
    fn nested(value: &Dynamic) -> bool {
        if let Some(array) = value.read_lock::<rhai::Array>() {
            return array.iter().any(|v| v.is_shared() || nested(v));
        }
        if let Some(map) = value.read_lock::<rhai::Map>() {
            return map.values().any(|v| v.is_shared() || nested(v));
        }
        false
    }
    nested(value)
}

thread_local! {
    /// One scope per thread, reused by every hook call: a call leaves it empty (calls
    /// rewind their scope), and keeping its buffers saves a few allocations per call.
    static SCOPE: std::cell::RefCell<Scope<'static>> = std::cell::RefCell::new(Scope::new());
}

/// Runs `f` with this thread's empty reusable scope (or a fresh one if it is in use).
fn with_scope<T>(f: impl FnOnce(&mut Scope<'static>) -> T) -> T {
    SCOPE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scope) => {
            scope.clear();
            let result = f(&mut scope);
            scope.clear();
            result
        }
        Err(_) => f(&mut Scope::new()),
    })
}

fn runtime_diagnostic(
    err: &EvalAltResult,
    hook: &str,
    policy: &str,
    source: &str,
    positions: &[FunctionInfo],
) -> Diagnostic {
    // Walk into nested function calls: the innermost error is what went wrong, the last
    // known position is where.
    let mut current = err;
    let mut pos = err.position();
    let mut chain: Vec<String> = Vec::new();
    while let EvalAltResult::ErrorInFunctionCall(function, _, inner, _) = current {
        if function != hook && chain.last() != Some(function) {
            chain.push(function.clone());
        }
        current = inner;
        if !current.position().is_none() {
            pos = current.position();
        }
    }
    let (code, message, help) = match current {
        EvalAltResult::ErrorTooManyOperations(_) => (
            "policy.limit.operations",
            "the hook ran too many operations (is there an endless loop?)".to_string(),
            Some(
                "loops must end; the operation limit is set with `Limits::max_operations`"
                    .to_string(),
            ),
        ),
        EvalAltResult::ErrorStackOverflow(_) => (
            "policy.limit.call_depth",
            "function calls nested too deeply (is there unbounded recursion?)".to_string(),
            Some(
                "recursion must end; the depth limit is set with `Limits::max_call_depth`"
                    .to_string(),
            ),
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => (
            "policy.limit.size",
            format!("{} exceeds its limit", lowercase_first(what)),
            Some("string, array and map sizes are limited by `Limits`".to_string()),
        ),
        EvalAltResult::ErrorTooManyVariables(_) => (
            "policy.limit.variables",
            "too many variables alive at once".to_string(),
            None,
        ),
        EvalAltResult::ErrorVariableNotFound(var, _) => (
            "policy.undefined_variable",
            format!("undefined variable `{var}`"),
            None,
        ),
        EvalAltResult::ErrorPropertyNotFound(prop, _) => (
            "policy.runtime",
            format!("property `{prop}` not found"),
            Some(format!(
                "check the spelling; test for an optional property with `\"{prop}\" in value`"
            )),
        ),
        // The hook itself, called with another number of arguments than it takes.
        EvalAltResult::ErrorFunctionNotFound(signature, _)
            if chain.is_empty()
                && signature == hook
                && positions.iter().any(|f| f.name == hook) =>
        {
            let defined: Vec<String> = positions
                .iter()
                .filter(|f| f.name == hook)
                .map(|f| format!("`fn {hook}({})`", f.params.join(", ")))
                .collect();
            (
                "policy.runtime",
                format!(
                    "hook `{hook}` was called with a number of arguments that {} does not take",
                    defined.join(" or ")
                ),
                Some("pass one argument per parameter".to_string()),
            )
        }
        EvalAltResult::ErrorFunctionNotFound(signature, _)
            if comparison_of_types(signature).is_some() =>
        {
            let (op, left, right) = comparison_of_types(signature).unwrap_or_default();
            let describe = |name: &str| match name {
                "()" => "`()` (no value)".to_string(),
                _ => format!("{} {name}", super::checks::fields::article(name)),
            };
            let help = if left == "()" || right == "()" {
                "`()` only compares with `==` and `!=`: test for it first (`if x != () { ... }`)"
            } else {
                "convert one side first (`parse_int(text)`, `parse_decimal(text)`, `value.to_string()`)"
            };
            (
                "policy.type_mismatch",
                format!(
                    "`{op}` between {} and {}: values of different types cannot be compared",
                    describe(left),
                    describe(right)
                ),
                Some(help.to_string()),
            )
        }
        EvalAltResult::ErrorFunctionNotFound(signature, _) => (
            "policy.runtime",
            format!("function not found: {signature}"),
            Some("check the name and the types of the arguments".to_string()),
        ),
        EvalAltResult::ErrorRuntime(value, _) => (
            "policy.runtime",
            if value.is_string() {
                value.to_string()
            } else {
                format!("script threw {}", super::bridge::describe(value))
            },
            None,
        ),
        EvalAltResult::ErrorArithmetic(message, _) => {
            ("policy.runtime", message.to_lowercase(), None)
        }
        other => {
            let text = other.to_string();
            // rhai appends " (line L, position C)": the diagnostic has its own location.
            let text = match text.rfind(" (line ") {
                Some(idx) => text.get(..idx).unwrap_or(&text).to_string(),
                None => text,
            };
            ("policy.runtime", text, None)
        }
    };
    let message = if chain.is_empty() {
        message
    } else {
        format!("{message} (in `{}`)", chain.join("` called from `"))
    };
    let mut diagnostic = Diagnostic::error(code, message)
        .with_policy(policy)
        .with_hook(hook);
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    if pos.is_none() {
        // Limits carry no position: point at the hook's definition.
        if let Some(f) = positions.iter().find(|f| f.name == hook) {
            return at_signature(diagnostic, f, source);
        }
    }
    located(diagnostic, pos, source)
}

/// The operator and the two types (as policies name them) of a comparison that has no
/// meaning, from rhai's signature of the call it could not find (`== (i64, string)`).
/// The comparison operators only exist for the pairs the bridge registers, so any
/// other pair is a comparison of values of different types.
fn comparison_of_types(signature: &str) -> Option<(&str, &'static str, &'static str)> {
    let (op, args) = signature.split_once(" (")?;
    if !matches!(op, "==" | "!=" | "<" | "<=" | ">" | ">=") {
        return None;
    }
    let (left, right) = args.strip_suffix(')')?.split_once(", ")?;
    let name = |rhai_name: &str| -> &'static str {
        match rhai_name {
            "i64" => "integer",
            "decimal" => "decimal",
            "&str | ImmutableString | String" | "string" => "string",
            "bool" => "bool",
            "char" => "char",
            "()" => "()",
            "array" => "array",
            "map" => "map",
            "Timestamp" => "timestamp",
            "Fn" => "function pointer",
            _ => "value of another type",
        }
    };
    Some((op, name(left), name(right)))
}

/// Places `diagnostic` at the definition of `function`, spanning its signature
/// (`fn name(params)`).
fn at_signature(diagnostic: Diagnostic, function: &FunctionInfo, source: &str) -> Diagnostic {
    let located = diagnostic.at(function.line, function.column, source);
    // The signature ends at the first `)` after `fn` on its line.
    let end = located.snippet.as_deref().and_then(|text| {
        let start = function.column.checked_sub(1)? as usize;
        let offset = text.chars().skip(start).position(|c| c == ')')?;
        u32::try_from(start + offset + 2).ok()
    });
    match end {
        Some(end_column) => located.spanning(function.line, end_column),
        None => located,
    }
}

/// Positions of `fn` definitions, from rhai's own tokenizer (so comments and strings
/// cannot fool it): `(name, arity, line, column)`.
fn fn_positions(engine: &rhai::Engine, source: &str) -> Vec<(String, usize, u32, u32)> {
    let inputs = [source];
    let (tokens, control) = engine.lex(&inputs);
    let mut found = Vec::new();
    // Brace depth, and the depths at which interpolations `${ ... }` were opened.
    let mut depth: usize = 0;
    let mut interpolations: Vec<usize> = Vec::new();
    // State of a definition being read: Some((name, line, col, params, in_params)).
    let mut pending: Option<(Option<String>, u32, u32, usize, bool, bool)> = None;
    for (token, pos) in tokens {
        match &token {
            Token::EOF => break,
            Token::InterpolatedString(_) => interpolations.push(depth),
            Token::LeftBrace => depth = depth.saturating_add(1),
            Token::RightBrace => {
                depth = depth.saturating_sub(1);
                if interpolations.last() == Some(&depth) {
                    interpolations.pop();
                    control.borrow_mut().is_within_text = true;
                }
            }
            _ => {}
        }
        if let Some((name, line, col, params, in_params, saw_ident)) = pending.as_mut() {
            match &token {
                Token::Identifier(id) if !*in_params => *name = Some(id.to_string()),
                Token::Period if !*in_params => *name = None,
                Token::LeftParen if !*in_params => *in_params = true,
                // `fn name()` lexes its empty parentheses as one `()` token.
                Token::Unit if !*in_params => {
                    if let Some(name) = name.take() {
                        found.push((name, 0, *line, *col));
                    }
                    pending = None;
                }
                Token::Identifier(_) if *in_params => {
                    if !*saw_ident {
                        *params += 1;
                        *saw_ident = true;
                    }
                }
                Token::Comma if *in_params => *saw_ident = false,
                Token::RightParen if *in_params => {
                    if let Some(name) = name.take() {
                        found.push((name, *params, *line, *col));
                    }
                    pending = None;
                }
                _ if *in_params => {}
                _ => pending = None,
            }
            continue;
        }
        if depth == 0 && interpolations.is_empty() && matches!(token, Token::Fn) {
            let (line, col) = line_col(pos);
            pending = Some((None, line, col, 0, false, false));
        }
    }
    found
}
