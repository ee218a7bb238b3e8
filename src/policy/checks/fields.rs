//! `policy.unknown_field` and `policy.type_mismatch`: hook code that reads a field its
//! argument does not have, or compares a field with a literal of a type it can never
//! match, checked against the engine's [schemas](crate::policy::schema) when the policy
//! is attached.
//!
//! Without these checks, `item.prise` fails only when the hook runs, and
//! `item.quantity == "3"` is silently `false` on every call.

use super::reads::hook_reads;
use super::{function_defs, walk_body};
use crate::policy::schema::{FieldType, ValueKind};
use crate::policy::HookSpec;
use crate::Diagnostic;
use rhai::{ASTNode, Dynamic, Expr, Position, Stmt, AST};

/// A problem found, with where (the lead engineer's `located` places it).
pub(crate) struct FieldProblem {
    /// The diagnostic, without position.
    pub diagnostic: Diagnostic,
    /// Where it points.
    pub position: Position,
}

/// The fields of money maps, which have no record of their own.
const MONEY_FIELDS: &[(&str, FieldType)] = &[
    ("amount", FieldType::Decimal),
    ("currency", FieldType::String),
];

/// The type of `name` read off a value of type `ty`, `Err(known names)` when a value of
/// that type has no such field, `Ok(None)` when the type is not known field by field.
fn field_of(ty: FieldType, name: &str) -> Result<Option<FieldType>, Vec<&'static str>> {
    match ty.required() {
        FieldType::Record(record) => match record.field(name) {
            Some(field) => Ok(Some(field.ty)),
            None => Err(record.fields.iter().map(|f| f.name).collect()),
        },
        FieldType::Money => MONEY_FIELDS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, ty)| Some(*ty))
            .ok_or_else(|| MONEY_FIELDS.iter().map(|(n, _)| *n).collect()),
        FieldType::Dict(inner) => Ok(Some(*inner)),
        _ => Ok(None),
    }
}

/// The name used for a value of type `ty` in messages.
fn owner_name(ty: FieldType, fallback: &str) -> String {
    match ty.required() {
        FieldType::Record(record) => record.name.to_string(),
        FieldType::Money => "money".to_string(),
        _ => fallback.to_string(),
    }
}

/// Checks every hook of `hooks` that `ast` defines.
pub(crate) fn check(ast: &AST, hooks: &[HookSpec]) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    for spec in hooks {
        let Some(reads) = hook_reads(ast, spec.name) else {
            continue;
        };
        let Some(def) = function_defs(ast).find(|f| f.name.as_str() == spec.name) else {
            continue;
        };
        if def.params.len() != spec.args.len() {
            continue; // `policy.hook_arity` says what is wrong
        }
        for ((param, ty), read) in def.params.iter().zip(spec.args).zip(&reads) {
            if read.shadowed {
                continue;
            }
            for field in &read.fields {
                if let Some(problem) = unknown_field(param, *ty, field) {
                    problems.push(problem);
                }
            }
        }
        let typed: Vec<(&str, FieldType)> = def
            .params
            .iter()
            .zip(spec.args)
            .zip(&reads)
            .filter(|(_, read)| !read.shadowed)
            .map(|((p, ty), _)| (p.as_str(), *ty))
            .collect();
        walk_body(ast, def, &mut |path: &[ASTNode]| {
            // A call that is a whole statement (a hook's last expression) is a `Stmt`.
            if let Some(
                ASTNode::Expr(Expr::FnCall(call, pos)) | ASTNode::Stmt(Stmt::FnCall(call, pos)),
            ) = path.last()
            {
                if let Some(problem) = mismatch(call, *pos, &typed) {
                    problems.push(problem);
                }
            }
            true
        });
    }
    problems.sort_by_key(|p| (p.position.line(), p.position.position()));
    problems
}

fn unknown_field(
    param: &str,
    ty: FieldType,
    field: &super::reads::FieldRead,
) -> Option<FieldProblem> {
    let mut current = ty;
    let mut owner = param.to_string();
    let mut chain = param.to_string();
    for (name, position) in &field.path {
        match field_of(current, name) {
            Ok(Some(next)) => current = next,
            Ok(None) => return None,
            Err(known) => {
                let what = owner_name(current, &owner);
                let suggestion = crate::policy::schema::closest(name, known.iter().copied());
                let message = match suggestion {
                    Some(s) => format!("no field `{name}` on `{what}`; did you mean `{s}`?"),
                    None => format!("no field `{name}` on `{what}`"),
                };
                let help = format!(
                    "`{chain}` has the fields {}; test an optional field with `\"name\" in {chain}`",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return Some(FieldProblem {
                    diagnostic: Diagnostic::error("policy.unknown_field", message).with_help(help),
                    position: *position,
                });
            }
        }
        owner = name.clone();
        chain = format!("{chain}.{name}");
    }
    None
}

/// The type of `expr` when it is a field chain off a typed parameter
/// (`item.price.amount`), with its text.
fn chain_type(expr: &Expr, params: &[(&str, FieldType)]) -> Option<(String, FieldType)> {
    fn walk(expr: &Expr, params: &[(&str, FieldType)]) -> Option<(String, FieldType)> {
        match expr {
            Expr::Variable(variable, ..) => {
                let name = variable.1.as_str();
                params
                    .iter()
                    .find(|(p, _)| *p == name)
                    .map(|(p, ty)| ((*p).to_string(), *ty))
            }
            Expr::Dot(dot, ..) => {
                let (text, ty) = walk(&dot.lhs, params)?;
                let Expr::Property(property, ..) = &dot.rhs else {
                    return None;
                };
                let name = property.2.as_str();
                let next = field_of(ty, name).ok()??;
                Some((format!("{text}.{name}"), next))
            }
            _ => None,
        }
    }
    match expr {
        Expr::Dot(..) => walk(expr, params),
        _ => None,
    }
}

/// The kind and text of a literal.
fn literal(expr: &Expr) -> Option<(ValueKind, String)> {
    match expr {
        Expr::StringConstant(s, _) => Some((ValueKind::String, format!("{:?}", s.as_str()))),
        Expr::CharConstant(c, _) => Some((ValueKind::String, format!("'{c}'"))),
        Expr::IntegerConstant(i, _) => Some((ValueKind::Number, i.to_string())),
        Expr::BoolConstant(b, _) => Some((ValueKind::Bool, b.to_string())),
        Expr::DynamicConstant(value, _) => dynamic_kind(value).map(|k| (k, value.to_string())),
        _ => None,
    }
}

fn dynamic_kind(value: &Dynamic) -> Option<ValueKind> {
    if value.is::<rust_decimal::Decimal>() || value.is_int() {
        Some(ValueKind::Number)
    } else if value.is_string() {
        Some(ValueKind::String)
    } else if value.is_bool() {
        Some(ValueKind::Bool)
    } else {
        None
    }
}

/// `a` or `an` before a type name.
pub(crate) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// `field OP literal` (either way round) where the two can never match.
fn mismatch(
    call: &rhai::FnCallExpr,
    position: Position,
    params: &[(&str, FieldType)],
) -> Option<FieldProblem> {
    let op = call.name.as_str();
    if !matches!(op, "==" | "!=" | "<" | ">" | "<=" | ">=" | "+" | "-" | "*") {
        return None;
    }
    let [lhs, rhs] = call.args.as_slice() else {
        return None;
    };
    let (chain, ty, (kind, text)) = match (chain_type(lhs, params), chain_type(rhs, params)) {
        (Some((chain, ty)), None) => (chain, ty, literal(rhs)?),
        (None, Some((chain, ty))) => (chain, ty, literal(lhs)?),
        _ => return None,
    };
    let field_kind = ty.kind();
    if field_kind == kind || (op == "+" && field_kind == ValueKind::String) {
        return None;
    }
    let ty_text = ty.required().to_string();
    let described = if matches!(ty.required(), FieldType::Word(_)) {
        "a string".to_string()
    } else {
        format!("{} {ty_text}", article(&ty_text))
    };
    let kind_text = kind.as_str();
    let message = match op {
        "==" => format!(
            "`{chain}` is {described} and `{text}` is {} {kind_text}: `==` between them is never true",
            article(kind_text)
        ),
        "!=" => format!(
            "`{chain}` is {described} and `{text}` is {} {kind_text}: `!=` between them is always true",
            article(kind_text)
        ),
        _ => format!(
            "`{chain}` is {described} and `{text}` is {} {kind_text}: `{op}` cannot combine them",
            article(kind_text)
        ),
    };
    let help = match (field_kind, kind) {
        (ValueKind::Number, ValueKind::String) => "write the number without quotes".to_string(),
        (ValueKind::String, _) => format!("write the value as a string: `\"{text}\"`"),
        (ValueKind::Map, ValueKind::Number) if ty.required() == FieldType::Money => {
            format!("compare the amount: `{chain}.amount`")
        }
        _ => format!("compare `{chain}` with {described}"),
    };
    Some(FieldProblem {
        diagnostic: Diagnostic::error("policy.type_mismatch", message).with_help(help),
        position: first_position(lhs).unwrap_or(position),
    })
}

/// Where an expression starts.
fn first_position(expr: &Expr) -> Option<Position> {
    let pos = match expr {
        Expr::Dot(dot, ..) => return first_position(&dot.lhs),
        other => other.position(),
    };
    (!pos.is_none()).then_some(pos)
}
