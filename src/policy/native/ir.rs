//! The native evaluator's program form: statements and expressions with variables
//! resolved to frame slots and calls resolved to helpers or built-in functions. Made by
//! [`super::ast`] from a hook's rhai AST; run by [`super::eval`].

use rhai::{Dynamic, Identifier, ImmutableString, Map};

/// One compiled function (a hook or a `_helper`).
#[derive(Debug, Clone)]
pub(crate) struct Function {
    /// The body (its parameters are the first slots of its frame).
    pub body: Vec<Stmt>,
    /// The line of the body's `{`, which rhai's debugger reports when the function is
    /// entered (0 when unknown); recorded for line coverage.
    pub line: u32,
}

/// A call's argument, with how rhai counts it: a literal counts one operation, any other
/// expression is evaluated (and counts its own operations).
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// A literal value.
    Literal(Dynamic),
    /// Any other expression.
    Expr(Node),
}

/// The arguments of a call that rhai makes through its normal function-call path.
#[derive(Debug, Clone)]
pub(crate) struct CallArgs {
    /// Whether the first argument is a plain variable (rhai counts one operation for it
    /// instead of evaluating it).
    pub first_is_variable: bool,
    /// The arguments, in order.
    pub args: Vec<Arg>,
}

/// Unary operators evaluated on the fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
    /// `!`
    Not,
    /// `-`
    Neg,
    /// `+`
    Plus,
}

/// Binary operators evaluated on the fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `%`
    Rem,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in` (arguments already in rhai's order: container, then item)
    In,
    /// `..`
    Range,
    /// `..=`
    RangeInclusive,
}

/// Functions of the runtime the evaluator runs natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    /// `len(x)` / `x.len()`: array items, map entries, string characters.
    Len,
    /// `is_empty(x)`.
    IsEmpty,
    /// `contains(container, item)`.
    Contains,
    /// `to_upper(s)`.
    ToUpper,
    /// `to_lower(s)`.
    ToLower,
    /// `type_of(x)`.
    TypeOf,
    /// `print(x)`.
    Print,
    /// `debug(x)`, with the line it is on.
    Debug(u32),
    /// The exact `/` of the runtime.
    Divide,
    /// A comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`): custom operators of the runtime,
    /// dispatched like `/`, with the meaning of [`BinOp`]'s comparisons.
    Compare(BinOp),
    /// `keys(map)`: the keys in order, as strings.
    Keys,
    /// `values(map)`.
    Values,
    /// `starts_with(s, prefix)`.
    StartsWith,
    /// `ends_with(s, suffix)`.
    EndsWith,
    /// `split(s, delimiter)` with a string delimiter.
    Split,
    /// `to_string(x)` of a number, string, boolean or timestamp.
    ToString,
    /// A money or timestamp helper the runtime registers (`money`, `percent_of`,
    /// `days_until`, ...), run by the same code as its registration.
    Helper(crate::policy::bridge::Helper),
}

/// One step of a property chain.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// `.name`
    Property(Identifier),
    /// `[index]`
    Index(Node),
    /// `.method(args)` with a built-in method.
    Method(Builtin, Vec<Arg>),
}

/// An expression.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A literal.
    Constant(Dynamic),
    /// A variable, by frame slot.
    Variable(usize),
    /// `[a, b, ...]`
    Array(Vec<Node>),
    /// `#{k: v, ...}`: the template map (keys in order) and each key's value.
    Map(Box<Map>, Vec<(Identifier, Node)>),
    /// `a && b && ...`
    And(Vec<Node>),
    /// `a || b || ...`
    Or(Vec<Node>),
    /// `a ?? b ?? ...`: the first operand that is not `()`.
    Coalesce(Vec<Node>),
    /// A unary operator on the fast path.
    Unary(UnOp, Box<Arg>),
    /// A binary operator on the fast path.
    Binary(BinOp, Box<(Arg, Arg)>),
    /// A built-in function through the normal call path.
    Builtin(Builtin, CallArgs),
    /// A call of the policy's own function, by index.
    Helper(usize, CallArgs),
    /// `root.a[i].m()`: the root and its steps.
    Chain(Box<Node>, Vec<Step>),
    /// `` `text ${x}` ``
    Interpolated(Vec<Node>),
    /// `{ ... }` as an expression.
    Block(Vec<Stmt>),
}

/// How a `switch` picks its branch.
#[derive(Debug, Clone)]
pub(crate) struct Switch {
    /// The value switched on.
    pub value: Node,
    /// The hash of each case value, with the indices of its (condition, result) pairs.
    pub cases: Vec<(u64, Vec<usize>)>,
    /// (condition, result) pairs; `None` as a condition is `true`.
    pub branches: Vec<(Option<Node>, Node)>,
    /// The default branch.
    pub default: Option<usize>,
}

/// A statement.
#[derive(Debug, Clone)]
pub(crate) enum Stmt {
    /// An expression statement (its value is the block's value when it is last).
    Expr(Node),
    /// A function call statement (counted once, not twice).
    Call(Node),
    /// `let` / `const`: evaluates into a new slot.
    Let(Node),
    /// `x = value` or `x op= value` on a local variable slot.
    Assign(usize, Option<BinOp>, Node),
    /// `x.push(value)` on a local variable slot.
    Push(usize, Arg),
    /// `if`
    If(Box<(Node, Vec<Stmt>, Vec<Stmt>)>),
    /// `switch`
    Switch(Box<Switch>),
    /// `while cond {}` (`loop` is `while true`); `until` flips the condition.
    While(Box<(Option<Node>, Vec<Stmt>, bool)>),
    /// `for x in iterable {}`: the loop variable's slot, the counter's, the iterable.
    For(Box<(Option<usize>, usize, Node, Vec<Stmt>)>),
    /// `break`
    Break,
    /// `continue`
    Continue,
    /// `return`
    Return(Option<Node>),
    /// A nested `{ ... }` block.
    Block(Vec<Stmt>),
    /// An empty statement.
    Noop,
    /// The statement, run on a line that line coverage records (only in the programs
    /// of runtimes that record coverage; it counts no operation of its own).
    Line(u32, Box<Stmt>),
}

/// A literal string, shared.
pub(crate) fn text(value: &str) -> Dynamic {
    Dynamic::from(ImmutableString::from(value))
}
