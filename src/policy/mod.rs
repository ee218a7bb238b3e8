//! Policies: merchant rules written as sandboxed Rhai scripts.
//!
//! This chapter is for **policy authors** (the people who write `.rhai` files) and for
//! engine authors who call them. The `backoffice` command-line tool links here.
//!
//! # What a policy is
//!
//! A policy is one [Rhai](https://rhai.rs) file that defines some of the **hooks** of one
//! engine: plain functions with documented names and parameters, such as
//! `fn eligibility(item, request)` for returns. The engine calls the hooks that exist at
//! documented points of a decision and uses its built-in behaviour for the rest. A hook
//! that returns `()` means "no opinion: do what you would have done".
//!
//! ```
//! use backoffice::policy::{HookSpec, Policy, PolicyRuntime};
//!
//! // What an engine declares (here a made-up one with a single hook).
//! static HOOKS: &[HookSpec] = &[HookSpec {
//!     name: "restocking_fee",
//!     params: &["item", "request"],
//!     args: &[],
//!     returns: "a money map, or () for the built-in fee",
//!     doc: "The fee kept from the refund of one returned item.",
//! }];
//!
//! // What a merchant writes.
//! let source = r#"
//! /// Opened electronics pay 15 %, rounded to the cent; everything else is free.
//! fn restocking_fee(item, request) {
//!     if item.opened && item.category == "electronics" {
//!         return round_money(percent_of(item.price, 15), "half_even");
//!     }
//!     _free(item)
//! }
//!
//! fn _free(item) { money(0, item.price.currency) }
//! "#;
//!
//! let runtime = PolicyRuntime::new();
//! let policy = Policy::compile("fees.rhai", source, &runtime)?;
//! policy.bind("returns", HOOKS)?;
//!
//! let item = backoffice::policy::bridge::to_dynamic(&serde_json::json!({
//!     "opened": true,
//!     "category": "electronics",
//!     "price": {"amount": "249.99", "currency": "EUR"},
//! }))?;
//! let out = policy.call("restocking_fee", (item, rhai::Map::new()))?;
//! assert_eq!(out.value.to_string(), r#"#{"amount": 37.50, "currency": "EUR"}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Writing hooks
//!
//! - A policy only **defines functions**. Each public function must be a hook of the
//!   engine, with exactly the hook's number of parameters; anything else is reported when
//!   the policy is attached to the engine (`policy.unknown_hook`, `policy.hook_arity`).
//! - **Hook arguments are read-only.** Every engine passes them as read-only values: a
//!   method that would change one (`order.tags.push("x")`) fails when the hook runs
//!   ("constant" error), and an assignment into one (`order.x = 1`,
//!   `node.atp["A"] += 1`, `item._mark()` where `_mark` assigns to `this.seen`) is
//!   refused when the policy is attached (`policy.read_only_argument`): Rhai would
//!   otherwise let it add a key that later hooks of the decision see. Copy first to
//!   change: `let copy = order; copy.x = 1;` (passing an argument to a helper copies it
//!   too).
//! - Helpers are private: start their name with `_` (`fn _is_vip(customer) { ... }`).
//! - Statements outside functions are an error (`policy.top_level`): they would never
//!   run, and functions cannot see variables defined outside them anyway. Put constants
//!   in a helper: `fn _window_days() { 30 }`.
//! - Return `()` (or nothing) to defer to the built-in behaviour. Any other result is
//!   checked against the hook's documented shape; a wrong one is `policy.bad_return`.
//! - Hooks are pure: the same input always gives the same output. Everything a hook
//!   needs ("now", the customer's history, exchange rates) arrives in its arguments.
//!
//! # Values inside scripts
//!
//! | Rust side | in the script | example |
//! |---|---|---|
//! | struct, JSON object | map | `item.sku`, `"gift" in item` (test an optional field) |
//! | `Vec`, JSON array | array | `for line in order.lines { ... }`, `order.lines.len()` |
//! | [`Money`](crate::Money) | map `#{amount: <decimal>, currency: "EUR"}` | `item.price.amount > 100` |
//! | `Decimal` (rates, percentages) | decimal | `0.15`, `rate * 100` |
//! | integer | integer | `item.quantity >= 3` |
//! | `DateTime<Utc>` | [`Timestamp`] | `request.delivered_at.days_until(request.now)` |
//!
//! **Numbers are exact.** There is no floating point: a literal such as `0.15` is a
//! decimal, so `0.1 + 0.2 == 0.3`, and `/` between two integers gives an exact decimal
//! (`15 / 100 == 0.15`, `7 / 2 == 3.5`) instead of truncating; dividing by zero is an
//! error. `x /= y` is refused when the policy is compiled (on integers it would
//! truncate): write `x = x / y`.
//! Integers and decimals mix freely (`price * 15 / 100`).
//!
//! ```
//! # use backoffice::policy::{Policy, PolicyRuntime};
//! let p = Policy::compile("m.rhai", "fn f() { [15 / 100, 7 / 2, 0.1 + 0.2 == 0.3] }", &PolicyRuntime::new())?;
//! assert_eq!(p.call("f", ())?.value.to_string(), "[0.15, 3.5, true]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Comparisons
//!
//! `==`, `!=`, `<`, `<=`, `>` and `>=` compare two values of the same type (integers,
//! decimals, strings, characters, booleans, timestamps; arrays and maps with `==` and
//! `!=`), and an integer with a decimal by value (`1 == 1.0`). `()` equals only `()`,
//! so `x == ()` and `x != ()` test for a missing value whatever `x` is. Any other pair
//! (`3 == "3"`, `helper() > "100"`, `() < 1`) is a `policy.type_mismatch` error at the
//! operator, never a silent `false`: fields compared with literals are caught when the
//! policy is bound, values whose type is known only at run time when the comparison
//! runs. Membership (`x in list`, `list.contains(x)`) and `switch` still skip items of
//! another type.
//!
//! ```
//! # use backoffice::policy::{Policy, PolicyRuntime};
//! let p = Policy::compile("c.rhai", "fn _n() { 3 }\nfn f() { _n() == \"3\" }", &PolicyRuntime::new())?;
//! let err = p.call("f", ()).unwrap_err();
//! assert_eq!((err.code.as_str(), err.line, err.column), ("policy.type_mismatch", Some(2), Some(15)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Reading a property that does not exist is an error naming it
//! (`property `prise` not found`), never a silent `()`: test optional fields with
//! `"field" in map`.
//!
//! # Helpers
//!
//! Besides Rhai's standard functions for strings, arrays and maps (`len`, `contains`,
//! `filter`, `map`, `reduce`, `sort`, `to_upper`, `split`, `abs`, `min`, `max`, ...),
//! every policy can call these. All are pure; none rounds unless asked, and every
//! rounding names its mode: `"half_up"`, `"half_even"`, `"half_down"`, `"up"`, `"down"`,
//! `"ceiling"` or `"floor"`.
//!
//! | helper | result |
//! |---|---|
//! | `money(amount, "EUR")` | a money map; `amount` is an integer, a decimal or a decimal string |
//! | `is_money(value)` | whether `value` is a map `#{amount, currency}` with a known currency |
//! | `round_money(m, mode)` | `m` rounded to its currency's minor unit (EUR: cents, JPY: units) |
//! | `round_money(m, places, mode)` | `m` rounded to `places` decimal places |
//! | `round_dp(d, places, mode)` | a decimal rounded to `places` decimal places |
//! | `percent_of(m, p)` | `p` percent of money `m` (or of a number), exact, unrounded |
//! | `money_add(a, b)`, `money_sub(a, b)` | sum and difference; different currencies are an error |
//! | `money_mul(m, factor)` | `m` times a number, unrounded |
//! | `money_min(a, b)`, `money_max(a, b)` | the smaller / larger amount (same currency) |
//! | `money_sum(list, "EUR")` | the total of an array of money maps (zero when empty) |
//! | `parse_timestamp("2026-03-02T10:00:00Z")` | a [`Timestamp`] from RFC 3339 text |
//! | `t.days_until(u)`, `t.hours_until(u)`, `t.minutes_until(u)` | whole units from `t` to `u`, truncated toward zero (negative if `u` is earlier) |
//! | `t.add_days(n)`, `t.add_hours(n)` | `t` moved by `n` (may be negative) |
//! | `t.weekday()` | `"monday"` … `"sunday"` (UTC) |
//! | `t.weekday_number()` | 1 (Monday) … 7 (Sunday) |
//! | `t.is_weekend()` | Saturday or Sunday (UTC) |
//! | `t.date()` | `"YYYY-MM-DD"` (UTC) |
//! | `t < u`, `t == u`, ... | comparisons; `` `${t}` `` prints RFC 3339 |
//!
//! ```
//! # use backoffice::policy::{Policy, PolicyRuntime};
//! let source = r#"fn f() {
//!     let price = money("19.99", "EUR");
//!     let fee = round_money(percent_of(price, 15), "half_even");
//!     let t = parse_timestamp("2026-03-02T10:00:00Z");
//!     [fee.amount, money_sub(price, fee).amount, t.add_days(30).date(), t.weekday()]
//! }"#;
//! let p = Policy::compile("helpers.rhai", source, &PolicyRuntime::new())?;
//! assert_eq!(p.call("f", ())?.value.to_string(), r#"[3.00, 16.99, "2026-04-01", "monday"]"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Closures
//!
//! Closures (`|item| item.qty > 2`) work as in Rhai: pass them to `filter`, `map`,
//! `reduce`, `for_each`, `sort` and friends, keep them in variables and call them with
//! `f.call(x)`. A closure that uses a variable of its function **captures** it: the
//! function and the closure then share that variable, so changes made by either are seen
//! by both.
//!
//! One thing is refused when the policy is compiled (`policy.closure_cycle`): storing a
//! closure, or a value that may contain one, **in a variable that a closure captures**,
//! as in `f = || f`, `a.push(|| a)`, `m.f = || m` or `let g = || a; a.push(g);`. The
//! closure would keep the variable alive and the variable the closure: Rhai never frees
//! such a cycle, so every call of the hook would leak memory. The check is conservative:
//!
//! - a captured variable may be assigned (`x = ...`, `x[i] = ...`, `x.p = ...`,
//!   `x += ...`) and given to methods (`x.push(...)`) only values that cannot hold a
//!   closure: numbers, strings, booleans, hook parameters, and arrays and maps built from
//!   them. Closures, function pointers, `this`, results of `_helper` calls and the
//!   parameters of helpers and closures may hold one;
//! - a variable that only ever holds numbers or strings may be updated with `+=`, `-=`,
//!   ... from anything (`total += this.qty` inside `for_each` is fine);
//! - it applies anywhere in the function, before or after the closure (a loop may run
//!   the write after the capture), and inside the closure's own body;
//! - read-only methods (`contains`, `get`, `len`, `filter`, `map`, ...) may be called on
//!   a captured variable with anything, unless the variable may itself hold closures (a
//!   map property holding a closure is called as a method, with `this` bound to the map);
//!   `f.call(x)` is fine on a variable that only ever holds a closure.
//!
//! To refer to a function from inside itself, write a named `_helper` function; to
//! collect closures, keep them in a variable no closure uses.
//!
//! ```
//! # use backoffice::policy::{Policy, PolicyRuntime};
//! let runtime = PolicyRuntime::new();
//! let fine = "fn f(items) {
//!     let min = 10;
//!     let total = 0;
//!     items.filter(|i| i.price > min).for_each(|| total += this.qty);
//!     total
//! }";
//! assert!(Policy::compile("ok.rhai", fine, &runtime).is_ok());
//! let leaks = "fn f(items) { let seen = []; seen.push(|| seen.len()); seen.len() }";
//! let err = Policy::compile("cycle.rhai", leaks, &runtime).unwrap_err();
//! assert_eq!(err.diagnostics()[0].code, "policy.closure_cycle");
//! assert_eq!(err.diagnostics()[0].column, Some(30));
//! ```
//!
//! # The sandbox
//!
//! Policies run in a [`PolicyRuntime`] built from Rhai's bare engine plus the standard
//! language packages and the helpers above. A policy **cannot**:
//!
//! - read files or load code: `import` is refused at compile time (`policy.sandbox`);
//! - evaluate text as code: `eval` is refused (`policy.sandbox`);
//! - read the clock (`timestamp()` is refused), draw random numbers, read the
//!   environment, or block (`sleep()` is refused): none of these exist;
//! - write to stdout or stderr: `print` and `debug` output is captured per call,
//!   returned in [`HookOutput::output`] and shown in decision traces
//!   ([`Trace::policy_output`](crate::Trace::policy_output)); `debug` lines are prefixed
//!   with their line number, and at most [`Limits::max_output_bytes`] are kept per call;
//! - use a variable it did not declare: that is a compile error with its position
//!   (`policy.undefined_variable`), as is calling a function that exists nowhere
//!   (`policy.unknown_function`);
//! - run forever, recurse without end, or grow data without bound: see the limits below.
//!
//! ```
//! # use backoffice::policy::{Policy, PolicyRuntime};
//! let err = Policy::compile("p.rhai", "fn h() { timestamp() }", &PolicyRuntime::new()).unwrap_err();
//! assert_eq!(err.diagnostics()[0].code, "policy.sandbox");
//! let p = Policy::compile("p.rhai", "fn h() { loop {} }", &PolicyRuntime::new())?;
//! assert_eq!(p.call("h", ()).unwrap_err().code, "policy.limit.operations");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Limits and their defaults
//!
//! Every hook call runs under [`Limits`]; all are finite by default and configurable with
//! [`PolicyRuntime::with_limits`].
//!
//! | limit | default | when exceeded |
//! |---|---|---|
//! | operations per hook call | 200 000 | `policy.limit.operations` |
//! | nested function calls | 8 | `policy.limit.call_depth` |
//! | expression nesting (top level / in functions) | 64 / 32 | `policy.limit.expr_depth` (compile time) |
//! | string size (all strings in one value together) | 64 KiB | `policy.limit.size` |
//! | array size (nested arrays included) | 2 000 items | `policy.limit.size` |
//! | map size (nested maps included) | 2 000 entries | `policy.limit.size` |
//! | variables alive at once | 256 | `policy.limit.variables` |
//! | `print`/`debug` output per call | 64 KiB | further output is dropped |
//!
//! A hostile `loop {}` stops at the operation limit in a few milliseconds in an optimised
//! build. The call-depth default keeps the deepest recursion the parser accepts within a
//! 2 MiB thread stack (Rust's default for spawned threads) even in unoptimised builds;
//! raise `max_call_depth` only on threads with a larger stack. Rhai 1.27 checks the
//! value stored by `map[key] = value` but not the map's new size, so a map grown only that
//! way is bounded by the operation limit rather than the map limit.
//!
//! # Diagnostics
//!
//! Every problem is a [`Diagnostic`](crate::Diagnostic) with a stable `code`, a message,
//! advice when there is some, the policy name, the hook (for run-time errors) and a line
//! and column. [`Error::Policy`](crate::Error::Policy) carries all of them at once, and
//! `Display` renders them like the Rust compiler:
//!
//! ```
//! # use backoffice::policy::{Policy, PolicyRuntime};
//! let source = "fn eligibility(item, request) {\n    if item.price > limit { \"reject\" }\n}";
//! let err = Policy::compile("returns.rhai", source, &PolicyRuntime::new()).unwrap_err();
//! assert_eq!(err.to_string(), "\
//! error[policy.undefined_variable]: undefined variable `limit`
//!  --> returns.rhai:2:21
//!   |
//! 2 |     if item.price > limit { \"reject\" }
//!   |                     ^^^^^
//!   = help: declare it with `let limit = ...;` or take it as a parameter; functions cannot see variables defined outside them");
//! ```
//!
//! | code | when |
//! |---|---|
//! | `policy.syntax` | the text is not valid Rhai |
//! | `policy.undefined_variable` | a variable is used but never declared |
//! | `policy.unknown_function` | a called function exists nowhere |
//! | `policy.sandbox` | `eval`, `import`, `timestamp()` or `sleep()` |
//! | `policy.top_level` | a statement outside any function |
//! | `policy.limit.expr_depth` | an expression nested deeper than the limit |
//! | `policy.closure_cycle` | a closure may be stored in a variable that a closure captures (see [Closures](#closures)) |
//! | `policy.unknown_hook` | a public function that is not a hook of the engine |
//! | `policy.hook_arity` | a hook with the wrong number of parameters |
//! | `policy.read_only_argument` | a hook assigns into one of its (read-only) arguments |
//! | `policy.unknown_field` | a hook reads a field its argument does not have (with the nearest name) |
//! | `policy.type_mismatch` | when bound: a field compared with or combined with a literal of a type it can never match (`item.quantity == "3"`); at run time: any comparison of two values of different types (see [Comparisons](#comparisons)) |
//! | `policy.empty` | the policy defines no hook of the engine (refused unless [`Policy::allow_empty`]; a warning in `backoffice check`) |
//! | `policy.limit.operations` | a call ran more operations than allowed |
//! | `policy.limit.call_depth` | function calls nested deeper than allowed |
//! | `policy.limit.size` | a string, array or map grew beyond its limit |
//! | `policy.limit.variables` | too many variables alive at once |
//! | `policy.runtime` | any other run-time error (missing property, division by zero, `throw`, wrong argument types) |
//! | `policy.bad_return` | a hook returned a value of the wrong shape |
//! | `policy.internal` | the script engine failed unexpectedly (a bug: please report it) |
//!
//! Errors inside a helper point into the helper and name it; limit errors point at the
//! hook's definition.
//!
//! # When a hook fails during a decision
//!
//! Each decision chooses with [`DecideOptions::on_hook_error`]: [`OnHookError::Fail`]
//! (the default) fails the decision with the diagnostic; [`OnHookError::Fallback`] takes
//! the engine's documented safe outcome (for returns: manual review) and records a
//! `policy_error` reason ([`Reason::policy_error`](crate::Reason::policy_error)) that
//! carries the diagnostic.
//!
//! # Checking and testing a policy
//!
//! The `backoffice` command-line tool (`cargo install --path . --features cli`) does for
//! policy files what this module does for programs:
//!
//! ```text
//! backoffice check returns.rhai                    # compile + hook check, rustc-style diagnostics
//! backoffice eval --policy returns.rhai --input request.json --explain
//! backoffice test policies/ --threshold 90         # *.test.json suites with line coverage
//! backoffice hooks --engine returns                # what a policy may define
//! backoffice definitions .rhai-defs/               # editor completion files
//! backoffice bench --policy returns.rhai --input request.json
//! ```
//!
//! A policy names its engine with a `// engine: returns` comment at the top (or the file
//! is named after the engine, or `--engine` says). Test files hold decision cases (a
//! request and the expected outcome fields, reason codes and amounts) and hook cases
//! ([`testing::PolicyCase`]); their format is documented in `docs/policy-tests.md` in the
//! repository.
//!
//! # For engine authors
//!
//! - Compile once ([`Policy::compile`]), check hooks once in `with_policy`
//!   ([`Policy::bind`]), and share the [`Policy`] (it is `Clone + Send + Sync`).
//! - Convert inputs once per decision: [`bridge::to_dynamic`] for convenience, or build
//!   `rhai::Map`s with [`bridge::money`], [`bridge::decimal`] and [`bridge::timestamp`]
//!   on hot paths. Call a hook only when [`Policy::has_hook`] says it exists.
//! - Read results with `bridge::expect_*`; pass their diagnostics through
//!   [`Policy::annotate`] to add the policy name and the hook's position.
//! - Record [`Policy::source_ref`] in reasons, and [`HookOutput::output`] in the trace.
//! - `PolicyRuntime::with_coverage()` (cargo feature `coverage`, part of `cli`) records
//!   which lines ran ([`Policy::coverage`]); the CLI uses it for coverage reports. Builds
//!   without the feature contain no debugger hooks, so ordinary use pays nothing.

use serde::{Deserialize, Serialize};

pub mod bridge;
pub(crate) mod checks;
mod compiled;
pub mod native;
mod runtime;
pub mod schema;
pub mod session;
pub mod testing;

pub use bridge::Timestamp;
pub use compiled::{CallObserver, Coverage, FunctionInfo, HookCall, HookOutput, Policy};
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
    /// The type of each parameter, in the order of `params` (usually a
    /// [`FieldType::Record`](schema::FieldType::Record) declared beside the engine's
    /// hooks); see [`schema`].
    pub args: &'static [schema::FieldType],
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

impl OnHookError {
    /// Applies this choice to a hook that failed with `diagnostic`: `Fail` gives the
    /// error that fails the decision; `Fallback` gives the `policy_error` reason to record
    /// while the engine takes its safe outcome (described by `fallback`, e.g.
    /// `"sent to manual review"`).
    ///
    /// ```
    /// use backoffice::policy::{OnHookError, Policy, PolicyRuntime};
    /// let policy = Policy::compile("p.rhai", "fn eligibility(item) { item.nope }", &PolicyRuntime::new())?;
    /// let diagnostic = policy.call("eligibility", (rhai::Map::new(),)).unwrap_err();
    /// let source = policy.source_ref("eligibility");
    ///
    /// let err = OnHookError::Fail.handle(diagnostic.clone(), source.clone(), "sent to manual review").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].code, "policy.runtime");
    ///
    /// let reason = OnHookError::Fallback.handle(diagnostic, source, "sent to manual review")?;
    /// assert_eq!(reason.code, "policy_error");
    /// assert_eq!(
    ///     reason.message,
    ///     "policy hook `eligibility` failed (policy.runtime: property `nope` not found); sent to manual review"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn handle(
        self,
        diagnostic: crate::Diagnostic,
        source: crate::PolicySource,
        fallback: &str,
    ) -> Result<crate::Reason, crate::Error> {
        match self {
            OnHookError::Fail => Err(crate::Error::from(diagnostic)),
            OnHookError::Fallback => Ok(crate::Reason::policy_error(diagnostic, source, fallback)),
        }
    }
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
