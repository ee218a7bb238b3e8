//! Where a hook hands back its value: its `return` statements and the last statement of
//! its body, so that a `policy.bad_return` diagnostic can point at the value.

use super::{function_defs, place, walk_body};
use rhai::{ASTNode, Expr, Position, Stmt, AST};

/// Where `hook` hands back a value whose type is `returned` (a [`bridge::type_name`]):
/// its `return` statements and the last statement of its body (through the last
/// statements of `if` branches and blocks). `Ok` with the position of the value when one
/// place fits: the only one, the only literal of that type, or the only one that is not
/// a literal; otherwise `Err` with the lines of every place, in order.
///
/// [`bridge::type_name`]: crate::policy::bridge::type_name
pub(crate) fn returning_point(
    ast: &AST,
    hook: &str,
    returned: Option<&str>,
) -> Result<Position, Vec<u32>> {
    let Some(def) = function_defs(ast).find(|f| f.name.as_str() == hook) else {
        return Err(Vec::new());
    };
    // Closures are functions of their own (`anon$...`), with bodies inside the hook's.
    let closures: Vec<_> = function_defs(ast)
        .filter(|f| f.name.starts_with("anon$"))
        .filter_map(|f| {
            Some((
                place(f.body.start_position())?,
                place(f.body.end_position())?,
            ))
        })
        .collect();
    let outside_closures = |pos: Position| {
        place(pos).is_some_and(|at| {
            !closures
                .iter()
                .any(|(start, end)| *start <= at && at <= *end)
        })
    };
    // (position of the value, its literal type when it is a literal)
    let mut points: Vec<(Position, Option<&'static str>)> = Vec::new();
    // The walk's nodes live only as long as each callback: keep a copy of the last one.
    let mut last: Option<Stmt> = None;
    walk_body(ast, def, &mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(stmt)) = path.last() {
            if outside_closures(stmt.position()) {
                if let Stmt::Return(value, _, pos) = stmt {
                    points.push(match value {
                        Some(expr) => (expr.start_position(), literal_type(expr)),
                        None => (*pos, Some("()")),
                    });
                }
                if path.len() == 1 {
                    last = Some((*stmt).clone());
                }
            }
        }
        true
    });
    let mut tail = last.as_ref();
    let mut tails = Vec::new();
    while let Some(stmt) = tail.take() {
        match stmt {
            Stmt::Return(..) | Stmt::Noop(..) => {}
            Stmt::Block(block) => tail = block.statements().last(),
            Stmt::If(flow, _) => {
                tails.extend(flow.body.statements().last());
                tail = flow.branch.statements().last();
            }
            Stmt::Expr(expr) => points.push((expr.start_position(), literal_type(expr))),
            other => points.push((other.position(), None)),
        }
        if tail.is_none() {
            tail = tails.pop();
        }
    }
    points.retain(|(pos, _)| !pos.is_none());
    points.sort_by_key(|(pos, _)| place(*pos));
    points.dedup_by_key(|(pos, _)| place(*pos));
    let only = |wanted: &dyn Fn(Option<&str>) -> bool| {
        let mut fitting = points.iter().filter(|(_, kind)| wanted(*kind));
        match (fitting.next(), fitting.next()) {
            (Some((pos, _)), None) => Some(*pos),
            _ => None,
        }
    };
    let chosen = if points.len() == 1 {
        points.first().map(|(pos, _)| *pos)
    } else {
        returned
            .and_then(|kind| only(&|k| k == Some(kind)))
            .or_else(|| {
                let literal_fits = points.iter().any(|(_, k)| k.is_some() && *k == returned);
                (!literal_fits).then(|| only(&|k| k.is_none())).flatten()
            })
    };
    chosen.ok_or_else(|| {
        let mut lines: Vec<u32> = points
            .iter()
            .map(|(pos, _)| pos.line().and_then(|l| u32::try_from(l).ok()).unwrap_or(0))
            .collect();
        lines.dedup();
        lines
    })
}

/// The type of a literal expression, named as [`crate::policy::bridge::type_name`] does.
fn literal_type(expr: &Expr) -> Option<&'static str> {
    match expr {
        Expr::BoolConstant(..) => Some("bool"),
        Expr::IntegerConstant(..) => Some("integer"),
        Expr::CharConstant(..) => Some("char"),
        Expr::StringConstant(..) | Expr::InterpolatedString(..) => Some("string"),
        Expr::Array(..) => Some("array"),
        Expr::Map(..) => Some("map"),
        Expr::Unit(..) => Some("()"),
        Expr::DynamicConstant(value, _) => Some(crate::policy::bridge::type_name(value)),
        _ => None,
    }
}
