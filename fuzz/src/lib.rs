//! A small policy grammar for the policy fuzz targets.
//!
//! Byte-level fuzzing of policy source rarely gets past the parser, and a fixed set of
//! policies fed random values never runs an engine's hooks. [`Script`] is built by
//! `arbitrary` from the fuzzer's bytes and rendered by [`Script::render`] as Rhai source
//! that defines hooks of one engine with their real names and parameter names, whose
//! bodies declare variables, branch, loop, compare, read fields the engine really passes
//! (`order.ship_to.country`, `item.unit_price`, `refund.amount.amount`, …), do
//! arithmetic, call a helper, and return values of the hook's documented shape (or, now
//! and then, of a wrong one). Variables are only used where declared, so nearly every
//! script compiles under the runtime's strict-variables mode and attaches to its engine:
//! the fuzzer's time goes into the engines and the interpreter instead of the parser.

use arbitrary::Arbitrary;
use std::fmt::Write as _;

/// An engine: its kind name, its hooks and, per hook parameter name, the field paths a
/// script may read from it.
pub struct EngineGrammar {
    /// The engine kind (`routing`, `returns`, `refunds`, `address`).
    pub kind: &'static str,
    /// Field paths per parameter name. An entry ending in `[]` is an array (iterated by
    /// `for`, indexed by `[0]`).
    pub fields: &'static [(&'static str, &'static [&'static str])],
}

/// The four engines, in the order an input's engine byte picks them.
pub const ENGINES: [EngineGrammar; 4] = [
    EngineGrammar {
        kind: "routing",
        fields: &[
            (
                "node",
                &[
                    "id",
                    "kind",
                    "country",
                    "market",
                    "priority",
                    "tags[]",
                    "daily_capacity",
                    "orders_today",
                    "distance_km",
                    "in_market",
                    "atp",
                ],
            ),
            (
                "order",
                &[
                    "id",
                    "channel",
                    "tags[]",
                    "holder",
                    "preferred_node",
                    "units",
                    "ship_to.country",
                    "ship_to.market",
                    "ship_to.region",
                    "ship_to.latitude",
                    "ship_to.longitude",
                    "lines[]",
                    "lines[0].sku",
                    "lines[0].quantity",
                    "lines[0].tags[]",
                    "kits[]",
                ],
            ),
        ],
    },
    EngineGrammar {
        kind: "returns",
        fields: &[
            (
                "item",
                &[
                    "attributes",
                    "category",
                    "condition",
                    "days_since_delivery",
                    "exchange_sku",
                    "final_sale",
                    "gift_card",
                    "inside_window",
                    "line_id",
                    "merchant_fault",
                    "product_id",
                    "quantity",
                    "reason",
                    "reason_codes[]",
                    "refund",
                    "returned_weight_grams",
                    "sku",
                    "status",
                    "unit_price",
                    "window_basis",
                    "window_days",
                ],
            ),
            (
                "request",
                &[
                    "currency",
                    "customer_id",
                    "days_since_delivery",
                    "items[]",
                    "items[0].sku",
                    "items[0].unit_price",
                    "items[0].quantity",
                    "now",
                    "order_id",
                    "payment_method",
                    "refund_total",
                    "requested_settlement",
                    "ship_from_country",
                    "ship_to_country",
                    "customer.account_age_days",
                    "customer.chargebacks",
                    "customer.loyalty_tier",
                    "customer.orders_90d",
                    "customer.return_value_90d",
                    "customer.returns_30d",
                    "customer.returns_365d",
                ],
            ),
        ],
    },
    EngineGrammar {
        kind: "refunds",
        fields: &[
            (
                "order",
                &[
                    "order_id",
                    "presentment_currency",
                    "settlement_currency",
                    "customer_country",
                    "placed_at",
                    "age_days",
                    "captured.amount",
                    "captured.currency",
                ],
            ),
            (
                "refund",
                &[
                    "idempotency_key",
                    "reason",
                    "method",
                    "now",
                    "lines[]",
                    "lines[0].line_id",
                    "lines[0].quantity",
                    "lines[0].amount.amount",
                    "shipping.amount",
                    "shipping_requested",
                    "amount.amount",
                    "amount.currency",
                ],
            ),
        ],
    },
    EngineGrammar {
        kind: "address",
        fields: &[(
            "address",
            &[
                "country",
                "address_lines[]",
                "locality",
                "dependent_locality",
                "administrative_area",
                "postal_code",
                "sorting_code",
                "organization",
                "recipient",
                "street[]",
                "street[0].text",
                "street[0].house_number",
                "street[0].street_name",
                "street[0].po_box",
                "has_po_box",
                "problems[]",
                "valid",
                "tags[]",
            ],
        )],
    },
];

/// Words the scripts compare against and return: values the engines and their requests
/// really use, so that comparisons are sometimes true.
const WORDS: &[&str] = &[
    "",
    "vip",
    "express",
    "store",
    "warehouse",
    "dropship",
    "web",
    "DE",
    "US",
    "FR",
    "CH",
    "EUR",
    "USD",
    "oversized",
    "apparel",
    "cosmetics",
    "electronics",
    "changed_mind",
    "defective",
    "new",
    "opened",
    "used",
    "gold",
    "silver",
    "card",
    "accepted",
    "review",
    "rejected",
    "delivered",
    "original_payment",
    "store_credit",
    "exchange",
];

/// The rule names a routing `chain` hook may return.
const RULES: &[&str] = &[
    "preferred_node",
    "minimize_splits",
    "stay_in_market",
    "closest",
    "priority",
    "most_stock",
    "lowest_cost",
    "policy",
    "no_such_rule",
];

/// A whole script: some hooks of one engine and an optional helper `_h(x)`.
#[derive(Debug, Arbitrary)]
pub struct Script {
    /// Hooks to define (at most four); each picks a hook of the engine, and a hook picked
    /// again is left out.
    pub hooks: Vec<Hook>,
    /// The helper's body, if the script has one.
    pub helper: Option<Body>,
}

/// One hook definition.
#[derive(Debug, Arbitrary)]
pub struct Hook {
    /// Which of the engine's hooks (modulo their number).
    pub which: u8,
    /// Its body.
    pub body: Body,
}

/// Statements, then a result.
#[derive(Debug, Arbitrary)]
pub struct Body {
    /// Statements run first.
    pub statements: Vec<Statement>,
    /// The value of the body.
    pub result: Ret,
}

/// A statement.
#[derive(Debug, Arbitrary)]
pub enum Statement {
    /// `let vN = expr;`
    Let(Expr),
    /// `vN op= expr;` on a declared variable.
    Update(u8, ArithOp, Expr),
    /// `if cond { … } else { … }`
    If(Expr, Vec<Statement>, Vec<Statement>),
    /// `for vN in <array field> { … }`
    ForEach(u8, Vec<Statement>),
    /// `for vN in 0..n { … }`
    Repeat(u8, Vec<Statement>),
    /// `if cond { return <result>; }`
    EarlyReturn(Expr, Ret),
    /// `vN.push(expr);` on a declared variable (an array, if it is one).
    Push(u8, Expr),
}

/// What a body evaluates to.
#[derive(Debug, Arbitrary)]
pub enum Ret {
    /// A value of the hook's documented shape (variant picked by the byte), filled with
    /// the expressions where the shape has room for one.
    Shaped(u8, Expr, Expr),
    /// `()`: leave the decision to the engine.
    Unit,
    /// Any expression, of whatever shape it happens to have.
    Any(Expr),
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

/// Comparison and logical operators.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum CmpOp {
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
    /// `&&`
    And,
    /// `||`
    Or,
    /// `in`
    In,
}

/// Calls of standard functions and methods on one value.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Call {
    /// `x.len()`
    Len,
    /// `x.to_string()`
    ToString,
    /// `type_of(x)`
    TypeOf,
    /// `x.abs()`
    Abs,
    /// `x.is_empty()`
    IsEmpty,
    /// `x.to_upper()`
    ToUpper,
    /// `x.keys()`
    Keys,
    /// `_h(x)`: the script's helper (or `x` when it has none).
    Helper,
    /// `!x`
    Not,
    /// `-x`
    Neg,
}

/// An expression.
#[derive(Debug, Arbitrary)]
pub enum Expr {
    /// An integer literal.
    Int(i16),
    /// A decimal literal `m / 10^s` (written as `m.ddd`; `no_float` scripts read it as a
    /// decimal).
    Decimal(i32, u8),
    /// A word from [`WORDS`].
    Word(u8),
    /// `true` / `false`.
    Bool(bool),
    /// `()`
    Unit,
    /// A field read `param.path` (parameter and path picked by the bytes).
    Field(u8, u8),
    /// A declared variable (or a field read when none is in scope).
    Var(u8),
    /// `a op b`
    Arith(Box<Expr>, ArithOp, Box<Expr>),
    /// `a op b`
    Compare(Box<Expr>, CmpOp, Box<Expr>),
    /// A call on one value.
    Call(Call, Box<Expr>),
    /// `if c { a } else { b }`
    IfElse(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `[a, b, …]`
    Array(Vec<Expr>),
    /// `#{k: v, …}` with keys from [`WORDS`] (a key must be an identifier: empty words
    /// become `k`).
    Map(Vec<(u8, Expr)>),
    /// `a[i]` on an array field, or `a.sub_string(0, i)` when the value is a string.
    Index(Box<Expr>, u8),
    /// `` `…${a}…` ``
    Interpolate(Box<Expr>),
}

/// Deepest expression nesting rendered; deeper ones become literals.
const MAX_DEPTH: usize = 6;
/// Most statements rendered per block, and most items per array or map literal.
const MAX_ITEMS: usize = 8;

struct Renderer {
    out: String,
    /// The current function's parameters with their field paths.
    params: Vec<(&'static str, &'static [&'static str])>,
    /// Variables in scope (`v0`, `v1`, …), innermost last.
    scope: Vec<usize>,
    next_var: usize,
    has_helper: bool,
    hook: &'static str,
}

fn pick<T: Copy>(items: &[T], byte: u8) -> Option<T> {
    if items.is_empty() {
        None
    } else {
        items.get(usize::from(byte) % items.len()).copied()
    }
}

impl Renderer {
    fn word(byte: u8) -> &'static str {
        pick(WORDS, byte).unwrap_or("")
    }

    /// A field read, e.g. `order.ship_to.country` or `order.lines[0].sku`.
    fn field(&self, param: u8, path: u8) -> String {
        let Some((name, paths)) = pick(&self.params, param) else {
            return "()".to_string();
        };
        match pick(paths, path) {
            Some(p) => format!("{name}.{}", p.trim_end_matches("[]")),
            None => name.to_string(),
        }
    }

    /// An array field to iterate, or a literal array when the function has none.
    fn array_field(&self, byte: u8) -> String {
        let arrays: Vec<String> = self
            .params
            .iter()
            .flat_map(|(name, paths)| {
                paths
                    .iter()
                    .filter(|p| p.ends_with("[]"))
                    .map(move |p| format!("{name}.{}", p.trim_end_matches("[]")))
            })
            .collect();
        arrays
            .get(usize::from(byte) % arrays.len().max(1))
            .cloned()
            .unwrap_or_else(|| "[1, 2, 3]".to_string())
    }

    fn var(&self, byte: u8) -> Option<usize> {
        pick(&self.scope, byte)
    }

    fn expr(&mut self, e: &Expr, depth: usize) {
        if depth > MAX_DEPTH {
            self.out.push('1');
            return;
        }
        match e {
            Expr::Int(i) => {
                // Negative literals in parentheses: `a - -1` and `a--1` differ.
                let _ = write!(self.out, "({i})");
            }
            Expr::Decimal(m, s) => {
                let scale = u32::from(*s % 5);
                let d = rust_decimal::Decimal::try_new(i64::from(*m), scale).unwrap_or_default();
                // `1` would be an integer: always write a fractional part.
                let text = if scale == 0 {
                    format!("{d}.0")
                } else {
                    d.to_string()
                };
                let _ = write!(self.out, "({text})");
            }
            Expr::Word(w) => {
                let _ = write!(self.out, "{:?}", Self::word(*w));
            }
            Expr::Bool(b) => {
                let _ = write!(self.out, "{b}");
            }
            Expr::Unit => self.out.push_str("()"),
            Expr::Field(p, f) => {
                let field = self.field(*p, *f);
                self.out.push_str(&field);
            }
            Expr::Var(v) => match self.var(*v) {
                Some(n) => {
                    let _ = write!(self.out, "v{n}");
                }
                None => {
                    let field = self.field(*v, v.wrapping_mul(7));
                    self.out.push_str(&field);
                }
            },
            Expr::Arith(a, op, b) => {
                self.out.push('(');
                self.expr(a, depth + 1);
                self.out.push_str(match op {
                    ArithOp::Add => " + ",
                    ArithOp::Sub => " - ",
                    ArithOp::Mul => " * ",
                    ArithOp::Div => " / ",
                    ArithOp::Rem => " % ",
                });
                self.expr(b, depth + 1);
                self.out.push(')');
            }
            Expr::Compare(a, op, b) => {
                self.out.push('(');
                self.expr(a, depth + 1);
                self.out.push_str(match op {
                    CmpOp::Eq => " == ",
                    CmpOp::Ne => " != ",
                    CmpOp::Lt => " < ",
                    CmpOp::Le => " <= ",
                    CmpOp::Gt => " > ",
                    CmpOp::Ge => " >= ",
                    CmpOp::And => " && ",
                    CmpOp::Or => " || ",
                    CmpOp::In => " in ",
                });
                self.expr(b, depth + 1);
                self.out.push(')');
            }
            Expr::Call(call, a) => {
                let (before, after) = match call {
                    Call::Len => ("(", ").len()"),
                    Call::ToString => ("(", ").to_string()"),
                    Call::TypeOf => ("type_of(", ")"),
                    Call::Abs => ("(", ").abs()"),
                    Call::IsEmpty => ("(", ").is_empty()"),
                    Call::ToUpper => ("(", ").to_upper()"),
                    Call::Keys => ("(", ").keys()"),
                    Call::Helper if self.has_helper => ("_h(", ")"),
                    Call::Helper => ("(", ")"),
                    Call::Not => ("!(", ")"),
                    Call::Neg => ("-(", ")"),
                };
                self.out.push_str(before);
                self.expr(a, depth + 1);
                self.out.push_str(after);
            }
            Expr::IfElse(c, a, b) => {
                self.out.push_str("(if ");
                self.expr(c, depth + 1);
                self.out.push_str(" { ");
                self.expr(a, depth + 1);
                self.out.push_str(" } else { ");
                self.expr(b, depth + 1);
                self.out.push_str(" })");
            }
            Expr::Array(items) => {
                self.out.push('[');
                for (i, item) in items.iter().take(MAX_ITEMS).enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.expr(item, depth + 1);
                }
                self.out.push(']');
            }
            Expr::Map(entries) => {
                self.out.push_str("#{");
                let mut keys: Vec<&str> = Vec::new();
                for (k, v) in entries.iter().take(MAX_ITEMS) {
                    let key = match Self::word(*k) {
                        "" => "k",
                        w if w.starts_with(|c: char| c.is_ascii_uppercase()) => "upper",
                        w => w,
                    };
                    // A key twice is a syntax error: keep the first.
                    if keys.contains(&key) {
                        continue;
                    }
                    if !keys.is_empty() {
                        self.out.push_str(", ");
                    }
                    keys.push(key);
                    let _ = write!(self.out, "{key}: ");
                    self.expr(v, depth + 1);
                }
                self.out.push('}');
            }
            Expr::Index(a, i) => {
                if matches!(**a, Expr::Field(..) | Expr::Var(_)) && i % 2 == 0 {
                    let array = self.array_field(*i);
                    let _ = write!(self.out, "{array}[{}]", i / 2 % 3);
                } else {
                    self.out.push('(');
                    self.expr(a, depth + 1);
                    let _ = write!(self.out, ").to_string().sub_string(0, {})", i % 8);
                }
            }
            Expr::Interpolate(a) => {
                self.out.push_str("`<${");
                self.expr(a, depth + 1);
                self.out.push_str("}>`");
            }
        }
    }

    fn declare(&mut self) -> usize {
        let n = self.next_var;
        self.next_var += 1;
        self.scope.push(n);
        n
    }

    fn block(&mut self, statements: &[Statement], indent: usize) {
        let mark = self.scope.len();
        for s in statements.iter().take(MAX_ITEMS) {
            self.statement(s, indent);
        }
        self.scope.truncate(mark);
    }

    fn pad(&mut self, indent: usize) {
        for _ in 0..indent {
            self.out.push_str("    ");
        }
    }

    fn statement(&mut self, s: &Statement, indent: usize) {
        if indent > 5 {
            return;
        }
        self.pad(indent);
        match s {
            Statement::Let(e) => {
                // The value is rendered before the variable is in scope.
                let line = std::mem::take(&mut self.out);
                self.expr(e, 0);
                let value = std::mem::replace(&mut self.out, line);
                let n = self.declare();
                let _ = writeln!(self.out, "let v{n} = {value};");
            }
            Statement::Update(v, op, e) => match self.var(*v) {
                Some(n) => {
                    let op = match op {
                        ArithOp::Add => "+=",
                        ArithOp::Sub => "-=",
                        ArithOp::Mul => "*=",
                        ArithOp::Div => "/=",
                        ArithOp::Rem => "%=",
                    };
                    let _ = write!(self.out, "v{n} {op} ");
                    self.expr(e, 0);
                    self.out.push_str(";\n");
                }
                None => {
                    self.expr(e, 0);
                    self.out.push_str(";\n");
                }
            },
            Statement::If(c, then, otherwise) => {
                self.out.push_str("if ");
                self.expr(c, 0);
                self.out.push_str(" {\n");
                self.block(then, indent + 1);
                self.pad(indent);
                self.out.push_str("} else {\n");
                self.block(otherwise, indent + 1);
                self.pad(indent);
                self.out.push_str("}\n");
            }
            Statement::ForEach(a, body) => {
                let array = self.array_field(*a);
                let mark = self.scope.len();
                let n = self.declare();
                let _ = writeln!(self.out, "for v{n} in {array} {{");
                self.block(body, indent + 1);
                self.scope.truncate(mark);
                self.pad(indent);
                self.out.push_str("}\n");
            }
            Statement::Repeat(count, body) => {
                let mark = self.scope.len();
                let n = self.declare();
                let _ = writeln!(self.out, "for v{n} in 0..{} {{", count % 16);
                self.block(body, indent + 1);
                self.scope.truncate(mark);
                self.pad(indent);
                self.out.push_str("}\n");
            }
            Statement::EarlyReturn(c, r) => {
                self.out.push_str("if ");
                self.expr(c, 0);
                self.out.push_str(" { return ");
                self.result(r);
                self.out.push_str("; }\n");
            }
            Statement::Push(v, e) => match self.var(*v) {
                Some(n) => {
                    let _ = write!(self.out, "if type_of(v{n}) == \"array\" {{ v{n}.push(");
                    self.expr(e, 0);
                    self.out.push_str("); }\n");
                }
                None => {
                    let n = self.declare();
                    let _ = write!(self.out, "let v{n} = [");
                    self.expr(e, 0);
                    self.out.push_str("];\n");
                }
            },
        }
    }

    /// A value of the current hook's documented shape.
    fn shaped(&mut self, variant: u8, a: &Expr, b: &Expr) {
        let pick_word = |words: &[&str]| format!("{:?}", pick(words, variant).unwrap_or(""));
        match self.hook {
            "eligible" => match variant % 3 {
                0 => self.expr(a, 1),
                1 => self
                    .out
                    .push_str(if variant % 2 == 0 { "true" } else { "false" }),
                _ => self.expr(&Expr::Interpolate(Box::new(Expr::Word(variant))), 1),
            },
            "rank" => self.expr(a, 1),
            "chain" => {
                let rules: Vec<String> = (0..=(variant % 4))
                    .map(|i| {
                        format!(
                            "{:?}",
                            pick(RULES, variant.wrapping_add(i.wrapping_mul(3))).unwrap_or("")
                        )
                    })
                    .collect();
                let _ = write!(self.out, "[{}]", rules.join(", "));
            }
            "eligibility" => {
                let decision = pick_word(&["accept", "reject", "review", "maybe"]);
                let _ = write!(self.out, "#{{decision: {decision}, reason: ");
                self.expr(&Expr::Interpolate(Box::new(Expr::Word(variant))), 1);
                if variant % 3 == 0 {
                    self.out.push_str(", message: ");
                    self.expr(a, 1);
                }
                self.out.push('}');
            }
            "window_days" => match variant % 3 {
                0 => self.out.push_str("\"unlimited\""),
                _ => self.expr(a, 1),
            },
            "restocking_fee_percent" => self.expr(a, 1),
            "disposition" => self.out.push_str(&pick_word(&[
                "restock",
                "refurbish",
                "liquidate",
                "donate",
                "dispose",
                "return_to_vendor",
            ])),
            "settlement" => self.out.push_str(&pick_word(&[
                "original_payment",
                "store_credit",
                "exchange",
            ])),
            "fraud_signals" => {
                self.out.push_str("[#{code: ");
                self.expr(&Expr::Interpolate(Box::new(Expr::Word(variant))), 1);
                self.out.push_str(", weight: ");
                self.expr(a, 1);
                if variant % 2 == 0 {
                    self.out.push_str(", detail: \"d\", observed: ");
                    self.expr(b, 1);
                }
                self.out.push_str("}]");
            }
            "refund_currency" => self.out.push_str(&pick_word(&[
                "presentment",
                "settlement",
                "store",
                "customer",
            ])),
            "rate_source" => self.out.push_str(&pick_word(&["capture", "current"])),
            "remainder_absorbed_by" => self.out.push_str(&pick_word(&["merchant", "customer"])),
            "minimum_refund" => {
                if variant % 2 == 0 {
                    self.expr(a, 1);
                } else {
                    self.out.push_str("#{amount: ");
                    self.expr(a, 1);
                    self.out.push_str(", currency: ");
                    self.expr(b, 1);
                    self.out.push('}');
                }
            }
            "validate" => {
                let field = pick_word(&[
                    "address_lines",
                    "postal_code",
                    "locality",
                    "administrative_area",
                    "country",
                ]);
                let problem = |r: &mut Self| {
                    let _ = write!(r.out, "#{{field: {field}, code: ");
                    r.expr(&Expr::Interpolate(Box::new(Expr::Word(variant))), 1);
                    r.out.push_str(", message: ");
                    r.expr(a, 1);
                    r.out.push('}');
                };
                if variant % 2 == 0 {
                    problem(self);
                } else {
                    self.out.push('[');
                    problem(self);
                    self.out.push(']');
                }
            }
            // The helper: anything.
            _ => self.expr(a, 1),
        }
    }

    fn result(&mut self, r: &Ret) {
        match r {
            Ret::Shaped(v, a, b) => self.shaped(*v, a, b),
            Ret::Unit => self.out.push_str("()"),
            Ret::Any(e) => self.expr(e, 1),
        }
    }

    fn body(&mut self, body: &Body) {
        self.block(&body.statements, 1);
        self.pad(1);
        // The result may read variables of the top-level block: render it in their scope.
        let mark = self.scope.len();
        self.result(&body.result);
        self.scope.truncate(mark);
        self.out.push('\n');
    }
}

impl Script {
    /// The Rhai source of this script for `engine`, with the engine's own hooks as
    /// `backoffice::engine::hooks_of` lists them.
    pub fn render_for(&self, engine: &EngineGrammar) -> String {
        let hooks: Vec<(&'static str, &[&'static str])> = backoffice::engine::hooks_of(engine.kind)
            .expect("every grammar engine has hooks")
            .iter()
            .map(|h| (h.name, h.params))
            .collect();
        self.render(engine, &hooks)
    }

    /// The Rhai source of this script for `engine`, whose hooks are `hooks` (names and
    /// parameter names, as `backoffice::engine::hooks_of` lists them).
    pub fn render(
        &self,
        engine: &EngineGrammar,
        hooks: &[(&'static str, &[&'static str])],
    ) -> String {
        let mut r = Renderer {
            out: String::new(),
            params: Vec::new(),
            scope: Vec::new(),
            next_var: 0,
            has_helper: self.helper.is_some(),
            hook: "",
        };
        let mut defined: Vec<&str> = Vec::new();
        for hook in self.hooks.iter().take(4) {
            let Some((name, params)) = pick(hooks, hook.which) else {
                continue;
            };
            // A hook defined twice is refused at compile time: keep the first.
            if defined.contains(&name) {
                continue;
            }
            defined.push(name);
            r.params = params
                .iter()
                .map(|p| {
                    let fields = engine
                        .fields
                        .iter()
                        .find(|(name, _)| name == p)
                        .map_or(&[][..], |(_, f)| *f);
                    (*p, fields)
                })
                .collect();
            r.scope.clear();
            r.next_var = 0;
            r.hook = name;
            let _ = writeln!(r.out, "fn {name}({}) {{", params.join(", "));
            r.body(&hook.body);
            r.out.push_str("}\n\n");
        }
        if let Some(helper) = &self.helper {
            // Functions see only their parameters: the helper reads fields of nothing.
            r.params = vec![("x", &[][..])];
            r.scope.clear();
            r.next_var = 0;
            r.hook = "_h";
            r.has_helper = false; // no recursion through the grammar
            r.out.push_str("fn _h(x) {\n");
            r.body(helper);
            r.out.push_str("}\n");
        }
        r.out
    }
}
