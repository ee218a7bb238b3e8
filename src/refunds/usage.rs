//! Which parts of the `order` and `refund` maps a policy's hooks can read, found once
//! when the policy is attached, so that a decision builds only those parts.
//!
//! A hook sees its arguments only through its parameter names (functions cannot see
//! outside variables, and `eval` is disabled). When every use of a parameter is a
//! property read `order.name` (possibly continued: `order.captured.amount`,
//! `order.lines[0]`), only those properties can be observed; any other use (passing the
//! map to a function, `order["lines"]`, `order.keys()`, `for x in order`, printing it,
//! ...) needs the whole map. A parameter no hook mentions is never read. The analysis is
//! conservative: helpers using the same names count too, and a hook with an unexpected
//! number of parameters means "everything". It reads the policy's compiled script.

use super::hooks::HOOKS;
use crate::policy::Policy;
use rhai::{ASTNode, Expr};
use std::collections::BTreeSet;

/// What one hook argument must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Nothing: no hook mentions the argument.
    Nothing,
    /// Only these properties.
    Fields(BTreeSet<String>),
    /// Every property.
    Everything,
}

impl Needs {
    /// Whether the argument is read at all.
    pub fn any(&self) -> bool {
        !matches!(self, Needs::Nothing)
    }

    /// Whether property `field` must be present.
    pub fn has(&self, field: &str) -> bool {
        match self {
            Needs::Nothing => false,
            Needs::Fields(fields) => fields.contains(field),
            Needs::Everything => true,
        }
    }

    fn add(&mut self, field: &str) {
        match self {
            Needs::Nothing => *self = Needs::Fields(BTreeSet::from([field.to_string()])),
            Needs::Fields(fields) => {
                fields.insert(field.to_string());
            }
            Needs::Everything => {}
        }
    }
}

/// What the `order` and `refund` arguments of the hooks must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArgNeeds {
    pub order: Needs,
    pub refund: Needs,
}

impl ArgNeeds {
    /// Both maps in full.
    pub fn everything() -> Self {
        ArgNeeds {
            order: Needs::Everything,
            refund: Needs::Everything,
        }
    }
}

/// What the hooks `policy` defines can read of their arguments.
pub(crate) fn analyse(policy: &Policy) -> ArgNeeds {
    let ast = policy.ast();
    let mut needs = ArgNeeds {
        order: Needs::Nothing,
        refund: Needs::Nothing,
    };
    // The parameter names every hook gives its two arguments.
    let mut names: [BTreeSet<String>; 2] = [BTreeSet::new(), BTreeSet::new()];
    for function in ast.iter_functions() {
        if !HOOKS.iter().any(|spec| spec.name == function.name) {
            continue;
        }
        if function.params.len() != 2 {
            return ArgNeeds::everything();
        }
        for (slot, param) in names.iter_mut().zip(&function.params) {
            slot.insert((*param).to_string());
        }
    }
    let [order_names, refund_names] = &names;
    ast.walk(&mut |path: &[ASTNode]| {
        let [.., parent, ASTNode::Expr(expr @ Expr::Variable(variable, ..))] = path else {
            return true;
        };
        let name = variable.1.as_str();
        let targets = [
            (order_names.contains(name), &mut needs.order),
            (refund_names.contains(name), &mut needs.refund),
        ];
        let field = property_read(parent, expr);
        for (matches, slot) in targets {
            if matches {
                match field {
                    Some(field) => slot.add(field),
                    None => *slot = Needs::Everything,
                }
            }
        }
        true
    });
    needs
}

/// The property read when `variable` is the object of `parent` (`variable.name...`).
fn property_read<'a>(parent: &ASTNode<'a>, variable: &Expr) -> Option<&'a str> {
    let ASTNode::Expr(Expr::Dot(dot, ..)) = parent else {
        return None;
    };
    if !std::ptr::eq(&dot.lhs, variable) {
        return None;
    }
    let head = match &dot.rhs {
        Expr::Dot(chain, ..) | Expr::Index(chain, ..) => &chain.lhs,
        other => other,
    };
    match head {
        Expr::Property(property, ..) => Some(property.2.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyRuntime;

    fn needs(source: &str) -> ArgNeeds {
        let policy = Policy::compile("p.rhai", source, &PolicyRuntime::new()).unwrap();
        analyse(&policy)
    }

    fn fields(names: &[&str]) -> Needs {
        Needs::Fields(names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn the_example_policy_reads_two_order_fields() {
        let source = include_str!("../../examples/policies/refunds.rhai");
        assert_eq!(
            needs(source),
            ArgNeeds {
                order: fields(&["age_days", "customer_country"]),
                refund: Needs::Nothing,
            }
        );
    }

    #[test]
    fn property_chains_name_their_first_property() {
        let n = needs(
            "fn minimum_refund(o, r) { if o.lines[0].amount.amount > 1 && r.amount.currency == \"EUR\" { 5 } else { () } }",
        );
        assert_eq!(n.order, fields(&["lines"]));
        assert_eq!(n.refund, fields(&["amount"]));
    }

    #[test]
    fn any_other_use_needs_everything() {
        for body in [
            "_helper(order)",
            "order[\"age_days\"]",
            "order.keys()",
            "order.len()",
            "type_of(order)",
            "print(order)",
            "`${order}`",
            "let o = order; o.age_days",
            "for x in order.lines { x }; for x in order { x }",
            "switch order { _ => 1 }",
            "\"age_days\" in order",
            "return order",
            "{ let f = |x| order.age_days + x; f.call(1) }",
        ] {
            let source =
                format!("fn rate_source(order, refund) {{ {body}; () }}\nfn _helper(x) {{ x }}");
            let n = needs(&source);
            assert_eq!(n.order, Needs::Everything, "{body}");
            assert_eq!(n.refund, Needs::Nothing, "{body}");
        }
    }

    #[test]
    fn parameter_names_are_per_position() {
        let n = needs(
            "fn rate_source(a, b) { b.method; () }\nfn refund_currency(b, a) { b.age_days; () }",
        );
        // `b` is the refund in one hook and the order in the other: both count for both.
        assert_eq!(n.order, fields(&["age_days", "method"]));
        assert_eq!(n.refund, fields(&["age_days", "method"]));
    }
}
