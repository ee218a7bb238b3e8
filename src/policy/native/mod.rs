//! Compiled policies: a native evaluator for the hooks that fit a supported subset.
//!
//! At [`Policy::bind`](super::Policy::bind) every hook of the engine that the policy
//! defines is lowered from rhai's AST (`ast`, the one file that reads rhai internals)
//! to a small program (`ir`) with variables resolved to frame slots and calls resolved
//! to the policy's helpers or to built-in functions, and run by `eval` instead of the
//! interpreter. A hook (or a helper it calls) that uses anything outside the subset stays
//! on the interpreter, and `NativeHooks::report` says which construct at which line.
//!
//! The evaluator works on rhai's own values (`Dynamic`), the arguments the hook session
//! builds today; it does not read the engines' typed values directly yet.
//!
//! # Line coverage
//!
//! For a runtime recording coverage the program carries the lines rhai's debugger
//! reports: each statement is wrapped in `Stmt::Line` (its position; for an expression
//! statement, its expression's position and the line of its first operand), and each
//! function keeps the line of its body's `{`, reported on entry. rhai also reports every
//! expression it evaluates; an expression on a statement line other than its own
//! statement's (`let x = f(a,` / `b); if c { 1 }`) is refused in coverage runtimes, so the
//! lines a native call records are exactly those the interpreter records. They are kept
//! only when the call finishes natively.
//!
//! # The subset
//!
//! `let`/`const` and shadowing, assignment and `+=`/`-=`/`*=` to local variables,
//! `if`/`else`, `switch` on values (no range cases), `while`/`loop`, `for` over arrays and
//! integer ranges with `break`/`continue`, `return`, `&&`/`||`/`!`, `??`, comparisons
//! (timestamps included), `+ - * %` with checked integers and decimals, the runtime's
//! exact `/`, `in`, property chains and indexing on variables, `.len()` (strings in
//! characters), `.is_empty()`, `.contains()`, `.to_upper()`, `.to_lower()`,
//! `.starts_with()`, `.ends_with()`, `.split()` (by a string), `.to_string()`, `.keys()`,
//! `.values()`, `.push()` on a local array, array and map literals, string interpolation,
//! `type_of`, `print`/`debug`, calls of the policy's own functions, and the runtime's
//! money and timestamp helpers (`money`, `is_money`, `round_money`, `round_dp`,
//! `percent_of`, `money_add`/`_sub`/`_mul`/`_min`/`_max`/`_sum`, `days_until`,
//! `hours_until`, `minutes_until`, `add_days`, `add_hours`, `weekday`, `weekday_number`,
//! `is_weekend`, `date`, `parse_timestamp`), as functions or methods: the evaluator runs
//! the code of their registrations (`bridge::Helper`), with the same overloads. Not yet:
//! `?.`/`?[`, assignment to properties and indexes, closures and `throw`.
//!
//! # Same results
//!
//! The evaluator only ever finishes a call the way rhai would; whenever rhai would raise
//! an error, a limit would be reached or an operand type is one it does not handle, it
//! stops and the hook runs on the interpreter, which gives the value or the diagnostic.
//! See `eval` for how operations are counted.

pub(crate) mod ast;
pub(crate) mod eval;
pub(crate) mod ir;

use super::{HookSpec, Limits};
use rhai::{Dynamic, AST};
use serde::Serialize;

/// Whether one hook runs natively, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookCompilation {
    /// The hook's name.
    pub hook: String,
    /// Whether the hook runs on the native evaluator.
    pub compiled: bool,
    /// Why it stays on the interpreter: the construct, e.g. "call of `money`".
    pub reason: Option<String>,
    /// Where that construct is (1-based line; 0 when unknown).
    pub line: Option<u32>,
    /// And its column.
    pub column: Option<u32>,
}

/// The compiled hooks of one bound policy.
#[derive(Debug, Default)]
pub(crate) struct NativeHooks {
    /// Calls finished natively, and calls handed back to the interpreter.
    counts: [std::sync::atomic::AtomicU64; 2],
    functions: Vec<ir::Function>,
    /// (hook name, function index) of every compiled hook.
    hooks: Vec<(String, usize)>,
    report: Vec<HookCompilation>,
    /// Whether calls record the lines they run (a runtime recording coverage).
    coverage: bool,
}

/// A native call's result: the value, the operations counted and the captured output.
pub(crate) struct NativeOutput {
    pub value: Dynamic,
    #[cfg_attr(not(test), allow(dead_code))]
    pub operations: u64,
    pub output: Vec<String>,
    /// The lines run, for a runtime recording coverage (the lines rhai's debugger would
    /// report; see `ast::Lowering::recording_lines`).
    pub lines: Vec<u32>,
}

impl NativeHooks {
    /// Compiles every hook of `hooks` that `ast` defines.
    #[cfg(test)]
    pub(crate) fn compile(ast: &AST, engine: &rhai::Engine, hooks: &[HookSpec]) -> NativeHooks {
        Self::compile_for(ast, engine, hooks, false)
    }

    /// Compiles every hook of `hooks` that `ast` defines; with `coverage`, its calls
    /// record the lines they run (see [`NativeOutput::lines`]).
    pub(crate) fn compile_for(
        ast: &AST,
        engine: &rhai::Engine,
        hooks: &[HookSpec],
        coverage: bool,
    ) -> NativeHooks {
        let mut out = NativeHooks {
            coverage,
            ..NativeHooks::default()
        };
        let statement_lines = coverage.then(|| super::checks::lines::statement_lines(ast));
        for spec in hooks {
            let Some(def) = ast.iter_fn_def().find(|f| f.name.as_str() == spec.name) else {
                continue;
            };
            let arity = def.params.len();
            // Each hook is lowered on its own, so that a helper that does not fit only
            // keeps the hooks calling it on the interpreter.
            let mut lowering = ast::Lowering::new(ast, engine);
            if let Some(lines) = &statement_lines {
                lowering = lowering.recording_lines(lines.clone());
            }
            match lowering.function(spec.name, arity) {
                Ok(_) => {
                    let offset = out.functions.len();
                    let mut complete = true;
                    let mut functions = Vec::new();
                    for body in lowering.bodies {
                        match body {
                            Some(f) => functions.push(shift(f, offset)),
                            None => complete = false,
                        }
                    }
                    if complete {
                        out.functions.extend(functions);
                        out.hooks.push((spec.name.to_string(), offset));
                        out.report.push(HookCompilation {
                            hook: spec.name.to_string(),
                            compiled: true,
                            reason: None,
                            line: None,
                            column: None,
                        });
                    }
                }
                Err(refusal) => out.report.push(HookCompilation {
                    hook: spec.name.to_string(),
                    compiled: false,
                    reason: Some(refusal.construct),
                    line: Some(refusal.line),
                    column: Some(refusal.column),
                }),
            }
        }
        out
    }

    /// Per hook the policy defines: compiled or not, and why.
    pub(crate) fn report(&self) -> &[HookCompilation] {
        &self.report
    }

    /// Whether `hook` runs natively.
    pub(crate) fn has(&self, hook: &str) -> bool {
        self.hooks.iter().any(|(h, _)| h == hook)
    }

    /// Runs `hook` natively; `None` when it is not compiled or the evaluator handed the
    /// call back (see the module docs): then the interpreter runs it.
    pub(crate) fn call(
        &self,
        hook: &str,
        args: Vec<Dynamic>,
        limits: &Limits,
    ) -> Option<NativeOutput> {
        let index = self.hooks.iter().find(|(h, _)| h == hook)?.1;
        let mut machine = eval::Machine::new(&self.functions, limits);
        if self.coverage {
            machine = machine.recording_lines();
        }
        let result = machine.run(index, args).ok();
        let [native, back] = &self.counts;
        let counter = if result.is_some() { native } else { back };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        result.map(|o| NativeOutput {
            value: o.value,
            operations: o.operations,
            output: o.output,
            lines: o.lines,
        })
    }

    /// (calls finished natively, calls handed back to the interpreter) so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        let [native, back] = &self.counts;
        (
            native.load(std::sync::atomic::Ordering::Relaxed),
            back.load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// Like [`NativeHooks::call`], with why it handed the call back.
    #[cfg(test)]
    pub(crate) fn try_call(
        &self,
        hook: &str,
        args: Vec<Dynamic>,
        limits: &Limits,
    ) -> Result<NativeOutput, eval::Bail> {
        let index = self
            .hooks
            .iter()
            .find(|(h, _)| h == hook)
            .ok_or(eval::Bail::Unsupported)?
            .1;
        let mut machine = eval::Machine::new(&self.functions, limits);
        if self.coverage {
            machine = machine.recording_lines();
        }
        machine.run(index, args).map(|o| NativeOutput {
            value: o.value,
            operations: o.operations,
            output: o.output,
            lines: o.lines,
        })
    }
}

/// `f` with its helper indices moved by `offset` (functions of one hook are appended
/// after those of earlier hooks).
fn shift(mut f: ir::Function, offset: usize) -> ir::Function {
    fn node(n: &mut ir::Node, offset: usize) {
        use ir::Node;
        match n {
            Node::Constant(_) | Node::Variable(_) => {}
            Node::Array(items)
            | Node::And(items)
            | Node::Or(items)
            | Node::Coalesce(items)
            | Node::Interpolated(items) => items.iter_mut().for_each(|i| node(i, offset)),
            Node::Map(_, values) => values.iter_mut().for_each(|(_, v)| node(v, offset)),
            Node::Unary(_, a) => arg(a, offset),
            Node::Binary(_, pair) => {
                arg(&mut pair.0, offset);
                arg(&mut pair.1, offset);
            }
            Node::Builtin(_, args) => args.args.iter_mut().for_each(|a| arg(a, offset)),
            Node::Helper(index, args) => {
                *index += offset;
                args.args.iter_mut().for_each(|a| arg(a, offset));
            }
            Node::Chain(root, steps) => {
                node(root, offset);
                for s in steps {
                    match s {
                        ir::Step::Property(_) => {}
                        ir::Step::Index(i) => node(i, offset),
                        ir::Step::Method(_, args) => args.iter_mut().for_each(|a| arg(a, offset)),
                    }
                }
            }
            Node::Block(stmts) => stmts.iter_mut().for_each(|s| stmt(s, offset)),
        }
    }
    fn arg(a: &mut ir::Arg, offset: usize) {
        if let ir::Arg::Expr(n) = a {
            node(n, offset);
        }
    }
    fn stmt(s: &mut ir::Stmt, offset: usize) {
        use ir::Stmt;
        match s {
            Stmt::Expr(n) | Stmt::Call(n) | Stmt::Let(n) | Stmt::Assign(_, _, n) => node(n, offset),
            Stmt::Push(_, a) => arg(a, offset),
            Stmt::If(x) => {
                node(&mut x.0, offset);
                x.1.iter_mut().for_each(|s| stmt(s, offset));
                x.2.iter_mut().for_each(|s| stmt(s, offset));
            }
            Stmt::Switch(sw) => {
                node(&mut sw.value, offset);
                for (c, r) in &mut sw.branches {
                    if let Some(c) = c {
                        node(c, offset);
                    }
                    node(r, offset);
                }
            }
            Stmt::While(x) => {
                if let Some(c) = &mut x.0 {
                    node(c, offset);
                }
                x.1.iter_mut().for_each(|s| stmt(s, offset));
            }
            Stmt::For(x) => {
                node(&mut x.2, offset);
                x.3.iter_mut().for_each(|s| stmt(s, offset));
            }
            Stmt::Return(Some(n)) => node(n, offset),
            Stmt::Line(_, s) => stmt(s, offset),
            Stmt::Block(stmts) => stmts.iter_mut().for_each(|s| stmt(s, offset)),
            Stmt::Return(None) | Stmt::Break | Stmt::Continue | Stmt::Noop => {}
        }
    }
    f.body.iter_mut().for_each(|s| stmt(s, offset));
    f
}

#[cfg(test)]
mod tests;
