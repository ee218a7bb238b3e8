//! The one file that reads rhai's internal AST (`Stmt`, `Expr`, `FnCallExpr`, ...,
//! exported under rhai's `internals` feature, which may change between releases; the
//! rhai version is pinned exactly in `Cargo.toml`). It lowers a function body to the
//! evaluator's own [`ir`](super::ir), or says which construct at which line it cannot.

use super::ir::{Arg, BinOp, Builtin, CallArgs, Function, Node, Step, Stmt, Switch, UnOp};
use rhai::{ASTFlags, Dynamic, Expr, FnCallExpr, Position, ScriptFuncDef, Token, AST};
use std::hash::{Hash, Hasher};

/// Why a function stays on the interpreter: the construct and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// What is not supported, e.g. "`while` loop" or "call of `money`".
    pub construct: String,
    /// 1-based line (0 when rhai gives none).
    pub line: u32,
    /// 1-based column (0 when rhai gives none).
    pub column: u32,
}

fn refuse<T>(construct: impl Into<String>, pos: Position) -> Result<T, Refusal> {
    Err(Refusal {
        construct: construct.into(),
        line: pos.line().and_then(|l| u32::try_from(l).ok()).unwrap_or(0),
        column: pos
            .position()
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(0),
    })
}

/// The hash rhai's `switch` keys its cases by (rhai's `calc_switch_value_hash`: the
/// value's `Hash` through a default `ahash` hasher, rhai being built without a hashing
/// seed). [`switch_hashing_matches`] checks it against a compiled `switch` at bind time.
pub(crate) fn switch_hash(value: &Dynamic) -> u64 {
    let mut hasher = ahash::AHasher::default();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Whether [`switch_hash`] gives the keys rhai put into a `switch` it compiled.
pub(crate) fn switch_hashing_matches(engine: &rhai::Engine) -> bool {
    let Ok(ast) = engine.compile("fn f(x) { switch x { \"gold\" => 1, 7 => 2, _ => 3 } }") else {
        return false;
    };
    let mut found = false;
    for def in ast.iter_fn_def() {
        if let Some(Stmt0::Switch(x, _)) = body(&ast, def).first() {
            let cases = &x.1.cases;
            found = cases.contains_key(&switch_hash(&Dynamic::from("gold")))
                && cases.contains_key(&switch_hash(&Dynamic::from_int(7)));
        }
    }
    found
}

use rhai::Stmt as Stmt0;

/// The top-level statements of `def`'s body: rhai does not export the type of a
/// function body, so they are found by walking the script (a statement at the top of a
/// walk path whose position is inside the body, and not inside a closure's body).
fn body(ast: &AST, def: &ScriptFuncDef) -> Vec<Stmt0> {
    let place = |pos: Position| Some((pos.line()?, pos.position().unwrap_or(0)));
    let range = |d: &ScriptFuncDef| {
        Some((
            place(d.body.start_position())?,
            place(d.body.end_position())?,
        ))
    };
    let Some((start, end)) = range(def) else {
        return Vec::new();
    };
    let closures: Vec<_> = ast
        .iter_fn_def()
        .filter(|f| f.name.starts_with("anon$") && !std::ptr::eq(f.as_ref(), def))
        .filter_map(|f| range(f))
        .filter(|(s, e)| start < *s && *e <= end)
        .collect();
    let mut found = Vec::new();
    ast.walk(&mut |path: &[rhai::ASTNode]| {
        if let (1, Some(rhai::ASTNode::Stmt(stmt))) = (path.len(), path.last()) {
            if let Some(at) = place(stmt.position()) {
                if start <= at && at <= end && !closures.iter().any(|(s, e)| *s <= at && at <= *e) {
                    found.push((*stmt).clone());
                }
            }
        }
        true
    });
    // In source order whatever order the walk visits the script's functions in.
    found.sort_by_key(|s| place(s.position()));
    found
}

/// The functions of `ast` by name and arity, for helper calls.
pub(crate) struct Lowering<'a> {
    ast: &'a AST,
    switch_ok: bool,
    /// Functions lowered or being lowered: (name, arity) by index.
    pub functions: Vec<(String, usize)>,
    /// Bodies lowered so far (same indices; `None` while being lowered).
    pub bodies: Vec<Option<Function>>,
    /// For a runtime that records line coverage: the script's statement lines (see
    /// [`Lowering::recording_lines`]).
    coverage: Option<std::collections::BTreeSet<u32>>,
    /// The lines the statement being lowered reports itself (0: none).
    allowed: [u32; 2],
}

/// A position's line (0 when rhai gives none).
fn line_of(pos: Position) -> u32 {
    pos.line().and_then(|l| u32::try_from(l).ok()).unwrap_or(0)
}

struct Scope {
    names: Vec<String>,
    /// Slots that may not be assigned (parameters, constants).
    fixed: Vec<bool>,
    loops: usize,
}

impl Scope {
    fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().rposition(|n| n == name)
    }
    fn push(&mut self, name: &str, fixed: bool) -> usize {
        self.names.push(name.to_string());
        self.fixed.push(fixed);
        self.names.len() - 1
    }
    fn truncate(&mut self, len: usize) {
        self.names.truncate(len);
        self.fixed.truncate(len);
    }
}

impl<'a> Lowering<'a> {
    /// A lowering of functions of `ast` for `engine`.
    pub(crate) fn new(ast: &'a AST, engine: &rhai::Engine) -> Self {
        Lowering {
            ast,
            switch_ok: switch_hashing_matches(engine),
            functions: Vec::new(),
            bodies: Vec::new(),
            coverage: None,
            allowed: [0, 0],
        }
    }

    /// Lowers for a runtime that records line coverage: every statement is wrapped in
    /// [`Stmt::Line`] with the lines rhai's debugger reports for it, and the function's
    /// entry line is kept. rhai also reports the line of every expression it evaluates;
    /// an expression on a statement line (of `statement_lines`) other than its own
    /// statement's is refused, so that the lines recorded are exactly the interpreter's.
    pub(crate) fn recording_lines(
        mut self,
        statement_lines: std::collections::BTreeSet<u32>,
    ) -> Self {
        self.coverage = Some(statement_lines);
        self
    }

    /// Refuses an expression at `pos` whose line rhai would record apart from its
    /// statement's (coverage only).
    fn check_line(&self, pos: Position) -> Result<(), Refusal> {
        let Some(lines) = &self.coverage else {
            return Ok(());
        };
        let line = line_of(pos);
        if line == 0 || self.allowed.contains(&line) || !lines.contains(&line) {
            return Ok(());
        }
        refuse(
            "an expression on the line of another statement (for line coverage)",
            pos,
        )
    }

    /// Lowers the function `name` with `arity` parameters (and every helper it calls),
    /// giving its index in [`Lowering::bodies`].
    pub(crate) fn function(&mut self, name: &str, arity: usize) -> Result<usize, Refusal> {
        if let Some(i) = self
            .functions
            .iter()
            .position(|(n, a)| n == name && *a == arity)
        {
            return Ok(i);
        }
        let Some(def) = self
            .ast
            .iter_fn_def()
            .find(|f| f.name.as_str() == name && f.params.len() == arity)
        else {
            return refuse(
                format!("call of `{name}` ({arity} arguments)"),
                Position::NONE,
            );
        };
        if def.this_type.is_some() {
            return refuse(
                format!("method-style function `{name}`"),
                def.body.start_position(),
            );
        }
        let index = self.functions.len();
        self.functions.push((name.to_string(), arity));
        self.bodies.push(None);
        let mut scope = Scope {
            names: Vec::new(),
            fixed: Vec::new(),
            loops: 0,
        };
        for p in &def.params {
            scope.push(p.as_str(), true);
        }
        let stmts = self.block(&body(self.ast, def), &mut scope)?;
        if let Some(slot) = self.bodies.get_mut(index) {
            *slot = Some(Function {
                body: stmts,
                line: line_of(def.body.start_position()),
            });
        }
        Ok(index)
    }

    fn block(&mut self, stmts: &[Stmt0], scope: &mut Scope) -> Result<Vec<Stmt>, Refusal> {
        let base = scope.names.len();
        let out = stmts
            .iter()
            .map(|s| self.stmt(s, scope))
            .collect::<Result<Vec<_>, _>>();
        scope.truncate(base);
        out
    }

    fn stmt(&mut self, stmt: &Stmt0, scope: &mut Scope) -> Result<Stmt, Refusal> {
        let Some(lines) = &self.coverage else {
            return self.stmt_inner(stmt, scope);
        };
        // The lines rhai's debugger reports for the statement itself: its position; for
        // an expression statement (which it skips), the expression's position and the
        // line of its first operand, always evaluated first (a block expression reports
        // nothing itself).
        let own = match stmt {
            Stmt0::Expr(e) if matches!(**e, Expr::Stmt(..)) => [0, 0],
            Stmt0::Expr(e) => [line_of(e.position()), line_of(e.start_position())],
            other => [line_of(other.position()), 0],
        };
        let recorded: Vec<u32> = own
            .iter()
            .enumerate()
            .filter(|(i, l)| **l > 0 && lines.contains(l) && !(*i == 1 && own[0] == **l))
            .map(|(_, l)| *l)
            .collect();
        let saved = self.allowed;
        self.allowed = own;
        let result = self.stmt_inner(stmt, scope);
        self.allowed = saved;
        let mut out = result?;
        for line in recorded {
            out = Stmt::Line(line, Box::new(out));
        }
        Ok(out)
    }

    fn stmt_inner(&mut self, stmt: &Stmt0, scope: &mut Scope) -> Result<Stmt, Refusal> {
        Ok(match stmt {
            Stmt0::Noop(..) => Stmt::Noop,
            Stmt0::Expr(expr) => match self.push_call(expr, scope)? {
                Some(push) => push,
                None => Stmt::Expr(self.expr(expr, scope)?),
            },
            Stmt0::FnCall(call, pos) => Stmt::Call(self.call(call, *pos, scope)?),
            Stmt0::Block(block) => Stmt::Block(self.block(block.statements(), scope)?),
            Stmt0::Var(x, flags, pos) => {
                let (ident, value, index) = &**x;
                if index.is_some() || flags.contains(ASTFlags::EXPORTED) {
                    return refuse("`let` re-using a variable slot", *pos);
                }
                let value = self.expr(value, scope)?;
                scope.push(ident.name.as_str(), flags.contains(ASTFlags::CONSTANT));
                Stmt::Let(value)
            }
            Stmt0::Assignment(x) => {
                let (op, bin) = &**x;
                let Expr::Variable(v, _, pos) = &bin.lhs else {
                    return refuse(
                        "assignment to a property or an index",
                        bin.lhs.start_position(),
                    );
                };
                let Some(slot) = scope.find(v.1.as_str()) else {
                    return refuse(format!("assignment to `{}`", v.1), *pos);
                };
                if scope.fixed.get(slot).copied().unwrap_or(true) {
                    return refuse(
                        format!("assignment to parameter or constant `{}`", v.1),
                        *pos,
                    );
                }
                let op = match op.get_op_assignment_info() {
                    None => None,
                    Some((_, _, _, _, Token::Plus, _)) => Some(BinOp::Add),
                    Some((_, _, _, _, Token::Minus, _)) => Some(BinOp::Sub),
                    Some((_, _, _, _, Token::Multiply, _)) => Some(BinOp::Mul),
                    Some((_, _, token, ..)) => {
                        return refuse(format!("`{token:?}` assignment"), *pos)
                    }
                };
                Stmt::Assign(slot, op, self.expr(&bin.rhs, scope)?)
            }
            Stmt0::If(flow, _) => {
                let cond = self.expr(&flow.expr, scope)?;
                let body = self.block(flow.body.statements(), scope)?;
                let branch = self.block(flow.branch.statements(), scope)?;
                Stmt::If(Box::new((cond, body, branch)))
            }
            Stmt0::Switch(x, pos) => {
                let (value, cases) = &**x;
                if !self.switch_ok {
                    return refuse("`switch` (case hashing differs from this rhai)", *pos);
                }
                if !cases.ranges.is_empty() {
                    return refuse("`switch` with range cases", *pos);
                }
                let value = self.expr(value, scope)?;
                let mut branches = Vec::new();
                for b in &cases.expressions {
                    let cond = match &b.lhs {
                        Expr::BoolConstant(true, _) => None,
                        other => Some(self.expr(other, scope)?),
                    };
                    branches.push((cond, self.expr(&b.rhs, scope)?));
                }
                let mut keyed: Vec<(u64, Vec<usize>)> = cases
                    .cases
                    .iter()
                    .map(|(hash, list)| (*hash, list.blocks.to_vec()))
                    .collect();
                keyed.sort_by_key(|(h, _)| *h);
                Stmt::Switch(Box::new(Switch {
                    value,
                    cases: keyed,
                    branches,
                    default: cases.def_case,
                }))
            }
            Stmt0::While(flow, _) => {
                let cond = match &flow.expr {
                    Expr::Unit(..) | Expr::BoolConstant(true, _) => None,
                    other => Some(self.expr(other, scope)?),
                };
                scope.loops += 1;
                let body = self.block(flow.body.statements(), scope);
                scope.loops -= 1;
                Stmt::While(Box::new((cond, body?, false)))
            }
            Stmt0::Do(_, _, pos) => return refuse("`do` loop", *pos),
            Stmt0::For(x, pos) => {
                let (var, counter, flow) = &**x;
                let iterable = self.expr(&flow.expr, scope)?;
                let base = scope.names.len();
                let counter = counter.as_ref().map(|c| scope.push(c.name.as_str(), false));
                let slot = scope.push(var.name.as_str(), false);
                let _ = pos;
                scope.loops += 1;
                let body = self.block(flow.body.statements(), scope);
                scope.loops -= 1;
                scope.truncate(base);
                Stmt::For(Box::new((counter, slot, iterable, body?)))
            }
            Stmt0::BreakLoop(value, flags, pos) => {
                if value.is_some() {
                    return refuse("`break` with a value", *pos);
                }
                if scope.loops == 0 {
                    return refuse("`break` outside a loop", *pos);
                }
                if flags.contains(ASTFlags::BREAK) {
                    Stmt::Break
                } else {
                    Stmt::Continue
                }
            }
            Stmt0::Return(value, flags, pos) => {
                if flags.contains(ASTFlags::BREAK) {
                    return refuse("`throw`", *pos);
                }
                Stmt::Return(match value {
                    Some(v) => Some(self.expr(v, scope)?),
                    None => None,
                })
            }
            Stmt0::TryCatch(_, pos) => return refuse("`try`/`catch`", *pos),
            other => return refuse("this statement", other.position()),
        })
    }

    /// `var.push(value)` as a statement, on a local variable.
    fn push_call(&mut self, expr: &Expr, scope: &mut Scope) -> Result<Option<Stmt>, Refusal> {
        let Expr::Dot(bin, _, _) = expr else {
            return Ok(None);
        };
        let (Expr::Variable(v, _, pos), Expr::MethodCall(call, _)) = (&bin.lhs, &bin.rhs) else {
            return Ok(None);
        };
        if call.name.as_str() != "push" || call.args.len() != 1 {
            return Ok(None);
        }
        let Some(slot) = scope.find(v.1.as_str()) else {
            return refuse(format!("variable `{}`", v.1), *pos);
        };
        if scope.fixed.get(slot).copied().unwrap_or(true) {
            return refuse(format!("`push` onto parameter or constant `{}`", v.1), *pos);
        }
        let Some(arg) = call.args.first() else {
            return Ok(None);
        };
        Ok(Some(Stmt::Push(slot, self.arg(arg, scope)?)))
    }

    fn arg(&mut self, expr: &Expr, scope: &mut Scope) -> Result<Arg, Refusal> {
        match expr.get_literal_value(None) {
            Some(value) => {
                self.check_line(expr.position())?;
                check_value(&value, expr.start_position())?;
                Ok(Arg::Literal(value))
            }
            None => Ok(Arg::Expr(self.expr(expr, scope)?)),
        }
    }

    fn call_args(&mut self, args: &[Expr], scope: &mut Scope) -> Result<CallArgs, Refusal> {
        Ok(CallArgs {
            first_is_variable: matches!(args.first(), Some(Expr::Variable(..))),
            args: args
                .iter()
                .map(|a| self.arg(a, scope))
                .collect::<Result<_, _>>()?,
        })
    }

    fn call(
        &mut self,
        call: &FnCallExpr,
        pos: Position,
        scope: &mut Scope,
    ) -> Result<Node, Refusal> {
        if call.capture_parent_scope {
            return refuse("call capturing the scope (`!`)", pos);
        }
        let name = call.name.as_str();
        let args = &call.args[..];
        // The runtime's custom operators: `/` (exact) and the comparisons (so that two
        // types that never match are `policy.type_mismatch`, not a silent boolean). Both
        // arguments are evaluated, then the call is dispatched (one operation); a pair of
        // types the evaluator does not handle hands the call back to rhai, which decides.
        let custom = match (name, args.len()) {
            ("/", 2) => Some(Builtin::Divide),
            ("==", 2) => Some(Builtin::Compare(BinOp::Eq)),
            ("!=", 2) => Some(Builtin::Compare(BinOp::Ne)),
            ("<", 2) => Some(Builtin::Compare(BinOp::Lt)),
            ("<=", 2) => Some(Builtin::Compare(BinOp::Le)),
            (">", 2) => Some(Builtin::Compare(BinOp::Gt)),
            (">=", 2) => Some(Builtin::Compare(BinOp::Ge)),
            _ => None,
        };
        if let Some(builtin) = custom {
            let mut call_args = self.call_args(args, scope)?;
            call_args.first_is_variable = false;
            return Ok(Node::Builtin(builtin, call_args));
        }
        if let Some(token) = &call.op_token {
            if args.len() == 1 {
                let op = match token {
                    Token::Bang => UnOp::Not,
                    Token::Minus | Token::UnaryMinus => UnOp::Neg,
                    Token::UnaryPlus => UnOp::Plus,
                    other => return refuse(format!("operator `{other:?}`"), pos),
                };
                let Some(a) = args.first() else {
                    return refuse("operator", pos);
                };
                return Ok(Node::Unary(op, Box::new(self.arg(a, scope)?)));
            }
            if args.len() == 2 {
                let op = match token {
                    Token::Plus => BinOp::Add,
                    Token::Minus => BinOp::Sub,
                    Token::Multiply => BinOp::Mul,
                    Token::Modulo => BinOp::Rem,
                    Token::In => BinOp::In,
                    Token::ExclusiveRange => BinOp::Range,
                    Token::InclusiveRange => BinOp::RangeInclusive,
                    other => return refuse(format!("operator `{other:?}`"), pos),
                };
                let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
                    return refuse("operator", pos);
                };
                let pair = (self.arg(a, scope)?, self.arg(b, scope)?);
                return Ok(Node::Binary(op, Box::new(pair)));
            }
            return refuse(format!("operator `{name}`"), pos);
        }
        let builtin = match (name, args.len()) {
            ("len", 1) => Some(Builtin::Len),
            ("is_empty", 1) => Some(Builtin::IsEmpty),
            ("contains", 2) => Some(Builtin::Contains),
            ("to_upper", 1) => Some(Builtin::ToUpper),
            ("to_lower", 1) => Some(Builtin::ToLower),
            ("type_of", 1) => Some(Builtin::TypeOf),
            ("print", 1) => Some(Builtin::Print),
            ("keys", 1) => Some(Builtin::Keys),
            ("values", 1) => Some(Builtin::Values),
            ("starts_with", 2) => Some(Builtin::StartsWith),
            ("ends_with", 2) => Some(Builtin::EndsWith),
            ("split", 2) => Some(Builtin::Split),
            ("to_string", 1) => Some(Builtin::ToString),
            ("debug", 1) => Some(Builtin::Debug(
                pos.line().and_then(|l| u32::try_from(l).ok()).unwrap_or(0),
            )),
            _ => None,
        };
        if let Some(builtin) = builtin {
            return Ok(Node::Builtin(builtin, self.call_args(args, scope)?));
        }
        if self
            .ast
            .iter_fn_def()
            .any(|f| f.name.as_str() == name && f.params.len() == args.len())
        {
            if name.starts_with("anon$") {
                return refuse("closure call", pos);
            }
            let call_args = self.call_args(args, scope)?;
            let index = match self.function(name, args.len()) {
                Ok(i) => i,
                Err(inner) => {
                    return Err(Refusal {
                        construct: format!("call of `{name}`, which uses {}", inner.construct),
                        ..inner
                    })
                }
            };
            return Ok(Node::Helper(index, call_args));
        }
        if let Some(helper) = crate::policy::bridge::Helper::named(name, args.len()) {
            return Ok(Node::Builtin(
                Builtin::Helper(helper),
                self.call_args(args, scope)?,
            ));
        }
        refuse(format!("call of `{name}`"), pos)
    }

    fn expr(&mut self, expr: &Expr, scope: &mut Scope) -> Result<Node, Refusal> {
        if !matches!(expr, Expr::Stmt(..)) {
            self.check_line(expr.position())?;
        }
        if let Some(value) = literal(expr) {
            check_value(&value, expr.start_position())?;
            return Ok(Node::Constant(value));
        }
        Ok(match expr {
            Expr::Variable(v, _, pos) => match scope.find(v.1.as_str()) {
                Some(slot) => Node::Variable(slot),
                None => return refuse(format!("variable `{}`", v.1), *pos),
            },
            Expr::InterpolatedString(parts, _) => Node::Interpolated(
                parts
                    .iter()
                    .map(|p| self.expr(p, scope))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Array(items, _) => Node::Array(
                items
                    .iter()
                    .map(|p| self.expr(p, scope))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Map(x, _) => {
                let (entries, template) = &**x;
                let values = entries
                    .iter()
                    .map(|(k, v)| Ok((k.name.as_str().into(), self.expr(v, scope)?)))
                    .collect::<Result<_, Refusal>>()?;
                Node::Map(Box::new(template.clone()), values)
            }
            Expr::And(items, _) => Node::And(
                items
                    .iter()
                    .map(|p| self.expr(p, scope))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(items, _) => Node::Or(
                items
                    .iter()
                    .map(|p| self.expr(p, scope))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::FnCall(call, pos) => self.call(call, *pos, scope)?,
            Expr::Stmt(block) => {
                let stmts = self.block(block.statements(), scope)?;
                Node::Block(stmts)
            }
            Expr::Dot(bin, flags, pos) | Expr::Index(bin, flags, pos) => {
                if flags.contains(ASTFlags::NEGATED) {
                    return refuse("`?.` / `?[`", *pos);
                }
                let root = &bin.lhs;
                let mut steps = Vec::new();
                if matches!(expr, Expr::Dot(..)) {
                    self.dot_steps(&bin.rhs, &mut steps, scope)?;
                } else {
                    self.index_steps(&bin.rhs, &mut steps, scope)?;
                }
                let root = match root {
                    Expr::ThisPtr(p) => return refuse("`this`", *p),
                    other => self.expr(other, scope)?,
                };
                Node::Chain(Box::new(root), steps)
            }
            Expr::ThisPtr(pos) => return refuse("`this`", *pos),
            Expr::Coalesce(items, _) => Node::Coalesce(
                items
                    .iter()
                    .map(|p| self.expr(p, scope))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::MethodCall(_, pos) => return refuse("method call", *pos),
            other => return refuse("this expression", other.start_position()),
        })
    }

    /// The steps after a `.`.
    fn dot_steps(
        &mut self,
        rhs: &Expr,
        steps: &mut Vec<Step>,
        scope: &mut Scope,
    ) -> Result<(), Refusal> {
        self.check_line(rhs.position())?;
        match rhs {
            Expr::Property(p, _) => steps.push(Step::Property(p.2.as_str().into())),
            Expr::MethodCall(call, pos) => steps.push(self.method(call, *pos, scope)?),
            Expr::Dot(bin, flags, pos) | Expr::Index(bin, flags, pos) => {
                if flags.contains(ASTFlags::NEGATED) {
                    return refuse("`?.` / `?[`", *pos);
                }
                self.check_line(bin.lhs.position())?;
                match &bin.lhs {
                    Expr::Property(p, _) => steps.push(Step::Property(p.2.as_str().into())),
                    Expr::MethodCall(call, pos) => steps.push(self.method(call, *pos, scope)?),
                    other => return refuse("this chain", other.start_position()),
                }
                if matches!(rhs, Expr::Dot(..)) {
                    self.dot_steps(&bin.rhs, steps, scope)?;
                } else {
                    self.index_steps(&bin.rhs, steps, scope)?;
                }
            }
            other => return refuse("this chain", other.start_position()),
        }
        Ok(())
    }

    /// The steps inside and after a `[`.
    fn index_steps(
        &mut self,
        rhs: &Expr,
        steps: &mut Vec<Step>,
        scope: &mut Scope,
    ) -> Result<(), Refusal> {
        match rhs {
            Expr::Dot(bin, flags, pos) | Expr::Index(bin, flags, pos)
                if !flags.contains(ASTFlags::BREAK) =>
            {
                self.check_line(*pos)?;
                if flags.contains(ASTFlags::NEGATED) {
                    return refuse("`?.` / `?[`", *pos);
                }
                steps.push(Step::Index(self.expr(&bin.lhs, scope)?));
                if matches!(rhs, Expr::Dot(..)) {
                    self.dot_steps(&bin.rhs, steps, scope)?;
                } else {
                    self.index_steps(&bin.rhs, steps, scope)?;
                }
            }
            other => steps.push(Step::Index(self.expr(other, scope)?)),
        }
        Ok(())
    }

    fn method(
        &mut self,
        call: &FnCallExpr,
        pos: Position,
        scope: &mut Scope,
    ) -> Result<Step, Refusal> {
        let builtin = match (call.name.as_str(), call.args.len()) {
            ("len", 0) => Builtin::Len,
            ("is_empty", 0) => Builtin::IsEmpty,
            ("contains", 1) => Builtin::Contains,
            ("to_upper", 0) => Builtin::ToUpper,
            ("to_lower", 0) => Builtin::ToLower,
            ("keys", 0) => Builtin::Keys,
            ("values", 0) => Builtin::Values,
            ("starts_with", 1) => Builtin::StartsWith,
            ("ends_with", 1) => Builtin::EndsWith,
            ("split", 1) => Builtin::Split,
            ("to_string", 0) => Builtin::ToString,
            (name, n) => match crate::policy::bridge::Helper::named(name, n + 1) {
                Some(helper) => Builtin::Helper(helper),
                None => return refuse(format!("method `{name}`"), pos),
            },
        };
        let args = call
            .args
            .iter()
            .map(|a| self.arg(a, scope))
            .collect::<Result<_, _>>()?;
        Ok(Step::Method(builtin, args))
    }
}

/// The value of a literal expression (rhai's own notion of one).
fn literal(expr: &Expr) -> Option<Dynamic> {
    match expr {
        Expr::DynamicConstant(..)
        | Expr::IntegerConstant(..)
        | Expr::CharConstant(..)
        | Expr::StringConstant(..)
        | Expr::BoolConstant(..)
        | Expr::Unit(..) => expr.get_literal_value(None),
        _ => None,
    }
}

/// Literals the evaluator handles: numbers, strings, booleans, `()` and arrays and maps
/// of them.
fn check_value(value: &Dynamic, pos: Position) -> Result<(), Refusal> {
    if value.is_unit()
        || value.is_bool()
        || value.is_int()
        || value.is_decimal()
        || value.is_string()
        || value.is::<std::ops::Range<rhai::INT>>()
        || value.is::<std::ops::RangeInclusive<rhai::INT>>()
    {
        return Ok(());
    }
    if let Some(array) = value.read_lock::<rhai::Array>() {
        return array.iter().try_for_each(|v| check_value(v, pos));
    }
    if let Some(map) = value.read_lock::<rhai::Map>() {
        return map.values().try_for_each(|v| check_value(v, pos));
    }
    refuse(format!("a `{}` literal", value.type_name()), pos)
}
