//! Policy hooks of the refunds engine: each configuration choice can be decided per
//! request by a hook of the same name.

use super::plan::{self, Proration, Settings};
use super::types::{
    RateSource, RefundCurrency, RefundRequest, RefundsConfig, RemainderAbsorbedBy, ShippingRefund,
};
use super::usage::{ArgNeeds, Needs};
use crate::policy::{bridge, DecideOptions, HookSpec, OnHookError, Policy};
use crate::{Diagnostic, Error, Money, Reason, Trace};
use rhai::{Array, Dynamic, Map};

const ORDER_AND_REFUND: &[&str] = &["order", "refund"];

/// The hooks a refunds policy may define. Each receives the same two maps and returns
/// `()` to keep the configured choice.
///
/// `order`: `order_id`, `presentment_currency`, `settlement_currency`,
/// `customer_country` (string or `()`), `placed_at` and `now` (timestamps), `age_days`
/// (whole days from `placed_at` to `now`), `captured` (money, presentment), `lines`
/// (array of `#{line_id, quantity, amount, tax}`).
///
/// `refund`: `idempotency_key`, `reason`, `method` (`"original_payment"`,
/// `"store_credit"` or `"cash"`), `currency` (the customer's choice or `()`), `lines`
/// (array of the prorated `#{line_id, quantity, amount, tax}`), `shipping` (money),
/// `amount` (money: lines + tax + shipping, presentment currency).
///
/// Both maps are read-only and shared by every hook of a decision: a hook that tries to
/// change one gets a "constant" error; `let lines = order.lines;` makes a copy it may
/// change. An assignment into one (`order.extra = 1`) is refused when the policy is
/// attached (`policy.read_only_argument`).
pub static HOOKS: &[HookSpec] = &[
    HookSpec {
        name: "refund_currency",
        params: ORDER_AND_REFUND,
        args: &[],
        returns: r#""presentment", "settlement", "store" or "customer", or () for the configured choice"#,
        doc: "Which currency the customer is refunded in.",
    },
    HookSpec {
        name: "rate_source",
        params: ORDER_AND_REFUND,
        args: &[],
        returns: r#""capture" or "current", or () for the configured choice"#,
        doc: "Which exchange rate values the refund in settlement currency.",
    },
    HookSpec {
        name: "remainder_absorbed_by",
        params: ORDER_AND_REFUND,
        args: &[],
        returns: r#""merchant" or "customer", or () for the configured choice"#,
        doc: "Who bears the difference between the capture-time and the refund-time rate.",
    },
    HookSpec {
        name: "minimum_refund",
        params: ORDER_AND_REFUND,
        args: &[],
        returns:
            "a decimal or a money map in the refund currency, or () for the configured minimum",
        doc: "The smallest refund paid out; a smaller refund is rejected.",
    },
];

/// Builds money maps (`#{amount, currency}`, as [`bridge::money`] does) sharing one
/// string per currency code instead of allocating one per map.
struct MoneyMaps {
    codes: Vec<(crate::Currency, Dynamic)>,
}

impl MoneyMaps {
    fn new() -> Self {
        MoneyMaps {
            codes: Vec::with_capacity(2),
        }
    }

    fn map(&mut self, money: &Money) -> Dynamic {
        let currency = money.currency();
        let code = match self.codes.iter().find(|(c, _)| *c == currency) {
            Some((_, code)) => code.clone(),
            None => {
                let code = Dynamic::from(currency.code());
                self.codes.push((currency, code.clone()));
                code
            }
        };
        let mut map = Map::new();
        map.insert("amount".into(), bridge::decimal(money.amount()));
        map.insert("currency".into(), code);
        Dynamic::from_map(map)
    }
}

/// A line's map: `#{line_id, quantity, amount, tax}`.
fn line_map(
    line_id: &str,
    quantity: Dynamic,
    amount: &Money,
    tax: &Money,
    money: &mut MoneyMaps,
) -> Dynamic {
    let mut l = Map::new();
    l.insert("line_id".into(), text(line_id));
    l.insert("quantity".into(), quantity);
    l.insert("amount".into(), money.map(amount));
    l.insert("tax".into(), money.map(tax));
    Dynamic::from_map(l)
}

/// A string value (copied once into the script's string type, not cloned first).
fn text(value: &str) -> Dynamic {
    value.into()
}

/// Inserts `key` into `map` when the hooks can read it (the value is built only then).
fn put(map: &mut Map, needs: &Needs, key: &str, value: impl FnOnce() -> Dynamic) {
    if needs.has(key) {
        map.insert(key.into(), value());
    }
}

fn order_map(
    request: &RefundRequest,
    captured: Money,
    money: &mut MoneyMaps,
    needs: &Needs,
) -> Dynamic {
    let order = &request.order;
    let mut map = Map::new();
    put(&mut map, needs, "order_id", || text(&order.order_id));
    put(&mut map, needs, "presentment_currency", || {
        order.presentment_currency.code().into()
    });
    put(&mut map, needs, "settlement_currency", || {
        order.settlement_currency.code().into()
    });
    put(&mut map, needs, "customer_country", || {
        order
            .customer_country
            .as_deref()
            .map_or(Dynamic::UNIT, text)
    });
    put(&mut map, needs, "placed_at", || {
        bridge::timestamp(order.placed_at)
    });
    put(&mut map, needs, "now", || bridge::timestamp(request.now));
    put(&mut map, needs, "age_days", || {
        Dynamic::from(
            request
                .now
                .signed_duration_since(order.placed_at)
                .num_days(),
        )
    });
    put(&mut map, needs, "captured", || money.map(&captured));
    put(&mut map, needs, "lines", || {
        let lines: Array = order
            .lines
            .iter()
            .map(|line| {
                let quantity = Dynamic::from(line.quantity);
                line_map(&line.line_id, quantity, &line.amount, &line.tax, money)
            })
            .collect();
        Dynamic::from_array(lines)
    });
    Dynamic::from_map(map)
}

fn refund_map(
    request: &RefundRequest,
    proration: &Proration,
    money: &mut MoneyMaps,
    needs: &Needs,
) -> Dynamic {
    let refund = &request.refund;
    let mut map = Map::new();
    put(&mut map, needs, "idempotency_key", || {
        text(&refund.idempotency_key)
    });
    put(&mut map, needs, "reason", || text(&refund.reason));
    put(&mut map, needs, "method", || refund.method.as_str().into());
    put(&mut map, needs, "currency", || {
        refund
            .currency
            .map_or(Dynamic::UNIT, |c| Dynamic::from(c.code()))
    });
    put(&mut map, needs, "lines", || {
        let lines: Array = proration
            .lines
            .iter()
            .map(|line| {
                let quantity = line.quantity.map_or(Dynamic::UNIT, Dynamic::from);
                line_map(&line.line_id, quantity, &line.amount, &line.tax, money)
            })
            .collect();
        Dynamic::from_array(lines)
    });
    put(&mut map, needs, "shipping", || {
        money.map(&proration.shipping)
    });
    put(&mut map, needs, "shipping_requested", || {
        match refund.shipping {
            ShippingRefund::None => "none".into(),
            ShippingRefund::All => "all".into(),
            ShippingRefund::Amount(_) => "amount".into(),
        }
    });
    put(&mut map, needs, "amount", || money.map(&proration.total));
    Dynamic::from_map(map)
}

/// Calls one hook; `Ok(None)` when the hook is not defined, returned `()`, or failed under
/// [`OnHookError::Fallback`] (then a `policy_error` reason is recorded).
struct HookCall<'a> {
    policy: &'a Policy,
    options: &'a DecideOptions,
    order: Dynamic,
    refund: Dynamic,
}

impl HookCall<'_> {
    fn call<T>(
        &self,
        hook: &str,
        reasons: &mut Vec<Reason>,
        trace: &mut Option<Trace>,
        read: impl FnOnce(&Dynamic) -> Result<T, Diagnostic>,
        fallback: &str,
    ) -> Result<Option<T>, Error> {
        if !self.policy.has_hook(hook) {
            return Ok(None);
        }
        let result = self
            .policy
            .call(hook, (self.order.clone(), self.refund.clone()))
            .and_then(|out| {
                if let Some(trace) = trace.as_mut() {
                    trace.policy_output.extend(out.output);
                }
                if bridge::is_unit(&out.value) {
                    Ok(None)
                } else {
                    read(&out.value).map(Some)
                }
            });
        match result {
            Ok(value) => Ok(value),
            Err(diagnostic) => {
                let diagnostic = self.policy.annotate(diagnostic);
                match self.options.on_hook_error {
                    OnHookError::Fail => Err(Error::Policy {
                        diagnostics: vec![diagnostic],
                    }),
                    OnHookError::Fallback => {
                        reasons.push(Reason::policy_error(
                            diagnostic,
                            self.policy.source_ref(hook),
                            fallback,
                        ));
                        Ok(None)
                    }
                }
            }
        }
    }
}

fn read_choice<T>(
    value: &Dynamic,
    hook: &str,
    expected: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, Diagnostic> {
    let text = bridge::expect_string(value, hook, expected)?;
    parse(&text).ok_or_else(|| bridge::bad_return(hook, expected, value))
}

/// The settings for one request: the configuration, overridden by the policy's hooks.
#[allow(clippy::too_many_arguments)]
pub(crate) fn settings(
    policy: &Policy,
    needs: &ArgNeeds,
    request: &RefundRequest,
    config: &RefundsConfig,
    captured: Money,
    proration: &Proration,
    options: &DecideOptions,
    reasons: &mut Vec<Reason>,
    trace: &mut Option<Trace>,
) -> Result<Settings, Error> {
    // The maps are built once per decision, only when the policy defines a hook and with
    // only what its hooks can read (see `usage`); they are shared and read-only, so
    // passing them to a hook costs a reference count, not a deep copy of every line, and
    // no hook can change what the next one sees (assignments that would add a key are
    // refused when the policy is attached).
    let (order, refund) = if HOOKS.iter().any(|spec| policy.has_hook(spec.name)) {
        let mut money = MoneyMaps::new();
        let shared = |map: Dynamic| map.into_read_only().into_shared();
        let order = if needs.order.any() {
            shared(order_map(request, captured, &mut money, &needs.order))
        } else {
            Dynamic::UNIT
        };
        let refund = if needs.refund.any() {
            shared(refund_map(request, proration, &mut money, &needs.refund))
        } else {
            Dynamic::UNIT
        };
        (order, refund)
    } else {
        (Dynamic::UNIT, Dynamic::UNIT)
    };
    let calls = HookCall {
        policy,
        options,
        order,
        refund,
    };

    let hook = "refund_currency";
    let expected = r#""presentment", "settlement", "store", "customer" or ()"#;
    let refund_currency = match calls.call(
        hook,
        reasons,
        trace,
        |v| {
            read_choice(v, hook, expected, |s| match s {
                "presentment" => Some(RefundCurrency::Presentment),
                "settlement" => Some(RefundCurrency::Settlement),
                "store" => Some(RefundCurrency::Store),
                "customer" => Some(RefundCurrency::Customer),
                _ => None,
            })
        },
        "used the configured refund currency",
    )? {
        Some(choice) => {
            reasons.push(Reason::from_policy(
                "refund_currency_from_policy",
                format!("the policy chose the {} currency", choice.as_str()),
                policy.source_ref(hook),
            ));
            choice
        }
        None => config.refund_currency,
    };
    let currency = plan::resolve_currency(refund_currency, request, config)?;

    let hook = "rate_source";
    let expected = r#""capture", "current" or ()"#;
    let rate_source = match calls.call(
        hook,
        reasons,
        trace,
        |v| {
            read_choice(v, hook, expected, |s| match s {
                "capture" => Some(RateSource::Capture),
                "current" => Some(RateSource::Current),
                _ => None,
            })
        },
        "used the configured rate source",
    )? {
        Some(source) => {
            reasons.push(Reason::from_policy(
                "rate_source_from_policy",
                format!("the policy chose the {} rate", source.as_str()),
                policy.source_ref(hook),
            ));
            source
        }
        None => config.rate_source,
    };

    let hook = "remainder_absorbed_by";
    let expected = r#""merchant", "customer" or ()"#;
    let absorbed_by = match calls.call(
        hook,
        reasons,
        trace,
        |v| {
            read_choice(v, hook, expected, |s| match s {
                "merchant" => Some(RemainderAbsorbedBy::Merchant),
                "customer" => Some(RemainderAbsorbedBy::Customer),
                _ => None,
            })
        },
        "used the configured choice",
    )? {
        Some(who) => {
            reasons.push(Reason::from_policy(
                "remainder_absorbed_by_from_policy",
                format!(
                    "the policy has the {} absorb the FX difference",
                    who.as_str()
                ),
                policy.source_ref(hook),
            ));
            who
        }
        None => config.remainder_absorbed_by,
    };

    let hook = "minimum_refund";
    let expected = format!("a decimal or a money map in {currency} (the refund currency), or ()");
    let minimum = match calls.call(
        hook,
        reasons,
        trace,
        |v| {
            if v.is_map() {
                let money = bridge::expect_money(v, hook, &expected)?;
                if money.currency() == currency && !money.is_negative() {
                    Ok(money.amount())
                } else {
                    Err(bridge::bad_return(hook, &expected, v))
                }
            } else {
                let amount = bridge::expect_decimal(v, hook, &expected)?;
                if amount.is_sign_negative() && !amount.is_zero() {
                    Err(bridge::bad_return(hook, &expected, v))
                } else {
                    Ok(amount)
                }
            }
        },
        "used the configured minimum",
    )? {
        Some(amount) => {
            reasons.push(Reason::from_policy(
                "minimum_refund_from_policy",
                format!(
                    "the policy set the minimum refund to {}",
                    Money::new(amount, currency)
                ),
                policy.source_ref(hook),
            ));
            Some(amount)
        }
        None => plan::configured_minimum(config, currency),
    };

    Ok(Settings {
        refund_currency,
        currency,
        rate_source,
        absorbed_by,
        minimum,
    })
}
