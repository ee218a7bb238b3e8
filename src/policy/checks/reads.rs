//! What each hook reads of its arguments: the fields of every parameter, with where, or
//! "the whole value" when a parameter is used any other way.
//!
//! A hook sees its arguments only through its parameter names (functions cannot see
//! outside variables, and `eval` is disabled). When every use of a parameter is a
//! property read `item.name` (possibly continued: `item.price.amount`, `order.lines[0]`),
//! only those properties can be observed; any other use (passing the value to a function
//! or a closure, `item["sku"]`, `item.keys()`, `for x in item`, returning or printing it,
//! binding it to a variable) can observe every field. A hook that declares a variable with
//! a parameter's name is treated as reading the whole parameter (the analysis does not
//! follow scopes).
//!
//! The session builds only the fields found here; the field checks report names the
//! schema does not have.

use super::{function_defs, walk_body};
use rhai::{ASTNode, Expr, Position, Stmt, AST};

/// One property read off a parameter: `param.first.second...`, as the chain of names
/// (the first is the parameter's field), with the position of each name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldRead {
    /// Property names from the parameter outwards (`["price", "amount"]`); a chain stops
    /// at the first index or method call.
    pub path: Vec<(String, Position)>,
}

/// What one hook reads of one of its parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ParamReads {
    /// The parameter is used other than by property reads (its whole value is visible).
    pub whole: bool,
    /// Its property reads, in source order.
    pub fields: Vec<FieldRead>,
    /// The hook declares a variable with the parameter's name, so a read of that name
    /// may be of the variable (field checks skip the parameter).
    pub shadowed: bool,
}

impl ParamReads {
    /// Whether the field called `name` may be read.
    pub fn reads(&self, name: &str) -> bool {
        self.whole
            || self
                .fields
                .iter()
                .any(|f| f.path.first().is_some_and(|(n, _)| n == name))
    }
}

/// The reads of every parameter of the script function `hook` (by position), or `None`
/// when the script does not define it.
pub(crate) fn hook_reads(ast: &AST, hook: &str) -> Option<Vec<ParamReads>> {
    let def = function_defs(ast).find(|f| f.name.as_str() == hook)?;
    let params: Vec<&str> = def.params.iter().map(|p| p.as_str()).collect();
    let mut reads = vec![ParamReads::default(); params.len()];
    walk_body(ast, def, &mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Var(var, ..))) => mark_whole(&params, &mut reads, &var.0.name),
            Some(ASTNode::Stmt(Stmt::For(f, ..))) => {
                mark_whole(&params, &mut reads, &f.0.name);
                if let Some(counter) = &f.1 {
                    mark_whole(&params, &mut reads, &counter.name);
                }
            }
            Some(ASTNode::Expr(expr @ Expr::Variable(variable, ..))) => {
                let name = variable.1.as_str();
                if let Some(index) = params.iter().position(|p| *p == name) {
                    let parent = path.len().checked_sub(2).and_then(|i| path.get(i));
                    let chain = parent.and_then(|parent| property_chain(parent, expr));
                    if let Some(slot) = reads.get_mut(index) {
                        match chain {
                            Some(path) => slot.fields.push(FieldRead { path }),
                            None => slot.whole = true,
                        }
                    }
                }
            }
            _ => {}
        }
        true
    });
    Some(reads)
}

fn mark_whole(params: &[&str], reads: &mut [ParamReads], name: &str) {
    if let Some(slot) = params
        .iter()
        .position(|p| *p == name)
        .and_then(|i| reads.get_mut(i))
    {
        slot.whole = true;
        slot.shadowed = true;
    }
}

/// The property chain read when `variable` is the object of `parent`
/// (`variable.a.b[0].c` gives `a, b`).
fn property_chain(parent: &ASTNode<'_>, variable: &Expr) -> Option<Vec<(String, Position)>> {
    let ASTNode::Expr(Expr::Dot(dot, ..)) = parent else {
        return None;
    };
    if !std::ptr::eq(&dot.lhs, variable) {
        return None;
    }
    let mut path = Vec::new();
    let mut rhs = &dot.rhs;
    loop {
        match rhs {
            Expr::Property(property, pos) => {
                path.push((property.2.to_string(), *pos));
                break;
            }
            Expr::Dot(chain, ..) => match &chain.lhs {
                Expr::Property(property, pos) => {
                    path.push((property.2.to_string(), *pos));
                    rhs = &chain.rhs;
                }
                _ => break,
            },
            Expr::Index(chain, ..) => {
                if let Expr::Property(property, pos) = &chain.lhs {
                    path.push((property.2.to_string(), *pos));
                }
                break;
            }
            _ => break,
        }
    }
    // A method call straight on the parameter (`item.keys()`) sees the whole value.
    (!path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Policy, PolicyRuntime};

    fn reads(source: &str, hook: &str) -> Vec<ParamReads> {
        let policy = Policy::compile("t.rhai", source, &PolicyRuntime::new()).unwrap();
        hook_reads(policy.ast(), hook).unwrap()
    }

    fn names(r: &ParamReads) -> Vec<String> {
        r.fields
            .iter()
            .map(|f| {
                f.path
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect()
    }

    #[test]
    fn property_chains_are_read_per_parameter() {
        let r = reads(
            "fn h(item, request) { if item.price.amount > 3 && request.lines[0].sku == \"a\" { item.sku } }",
            "h",
        );
        assert_eq!(names(&r[0]), ["price.amount", "sku"]);
        assert!(!r[0].whole);
        assert_eq!(names(&r[1]), ["lines"]);
        assert!(!r[1].whole);
    }

    #[test]
    fn other_uses_see_the_whole_value() {
        for body in [
            "_f(item)",
            "item.keys()",
            "item[\"sku\"]",
            "let x = item; x.sku",
            "let item = 1; item",
            "[1].filter(|x| item.sku == x)",
            "item",
        ] {
            let source = format!("fn h(item) {{ {body} }} fn _f(x) {{ x }}");
            assert!(reads(&source, "h")[0].whole, "{body}");
        }
    }

    #[test]
    fn an_unused_parameter_reads_nothing() {
        let r = reads("fn h(item, request) { 1 }", "h");
        assert_eq!(r, vec![ParamReads::default(), ParamReads::default()]);
    }
}
