//! The typed hook schemas, the bind-time field checks and the hook session, on a small
//! made-up engine (the real engines' schemas are tested with the engines).
#![allow(clippy::result_large_err)]

use backoffice::policy::schema::{Field, FieldType, Record};
use backoffice::policy::session::{
    Answer, Arg, BoundHooks, Fallback, Fill, HookArg, HookId, HookSession,
};
use backoffice::policy::{bridge, DecideOptions, HookSpec, OnHookError, Policy, PolicyRuntime};
use rust_decimal_macros::dec;
use std::cell::Cell;

static CONDITIONS: &[&str] = &["new", "opened", "damaged"];

static CUSTOMER: Record = Record {
    name: "customer",
    doc: "Who returns.",
    fields: &[
        Field::new(
            "loyalty_tier",
            FieldType::Optional(&FieldType::String),
            "Tier.",
        ),
        Field::new("returns_90d", FieldType::Int, "Returns in 90 days."),
    ],
};

static ITEM: Record = Record {
    name: "item",
    doc: "One returned item.",
    fields: &[
        Field::new("category", FieldType::String, "Product category."),
        Field::new("condition", FieldType::Word(CONDITIONS), "Condition."),
        Field::new("price", FieldType::Money, "Unit price."),
        Field::new("quantity", FieldType::Int, "Units returned."),
        Field::live("status", FieldType::String, "The engine's verdict so far."),
        Field::new("unit_price", FieldType::Decimal, "Unit price amount."),
    ],
};

static REQUEST: Record = Record {
    name: "request",
    doc: "The request.",
    fields: &[
        Field::new("customer", FieldType::Record(&CUSTOMER), "History."),
        Field::new("order_id", FieldType::String, "Order."),
    ],
};

static HOOKS: &[HookSpec] = &[
    HookSpec {
        name: "fee",
        params: &["item", "request"],
        args: &[FieldType::Record(&ITEM), FieldType::Record(&REQUEST)],
        returns: "decimal or ()",
        doc: "A fee.",
    },
    HookSpec {
        name: "flag",
        params: &["request"],
        args: &[FieldType::Record(&REQUEST)],
        returns: "bool or ()",
        doc: "A flag.",
    },
];

const FEE: HookId = HookId::named(HOOKS, "fee");
const FLAG: HookId = HookId::named(HOOKS, "flag");

/// Counts how many fields were computed, to show that unread fields cost nothing.
struct ItemView<'a> {
    status: &'a str,
    computed: &'a Cell<u32>,
}

impl HookArg for ItemView<'_> {
    fn record(&self) -> &'static Record {
        &ITEM
    }
    fn fill(&self, fill: &mut Fill<'_>) {
        let count = || {
            self.computed.set(self.computed.get() + 1);
        };
        fill.value("category", || {
            count();
            "electronics".into()
        });
        fill.word("condition", "opened");
        fill.money(
            "price",
            &backoffice::Money::new(dec!(250.00), backoffice::Currency::EUR),
        );
        fill.int("quantity", 2);
        fill.text("status", self.status);
        fill.value("unit_price", || {
            count();
            bridge::decimal(dec!(250.00))
        });
    }
}

struct CustomerView;
impl HookArg for CustomerView {
    fn record(&self) -> &'static Record {
        &CUSTOMER
    }
    fn fill(&self, fill: &mut Fill<'_>) {
        fill.opt_text("loyalty_tier", Some("gold"));
        fill.int("returns_90d", 3);
    }
}

struct RequestView<'a> {
    built: &'a Cell<u32>,
}
impl HookArg for RequestView<'_> {
    fn record(&self) -> &'static Record {
        &REQUEST
    }
    fn fill(&self, fill: &mut Fill<'_>) {
        self.built.set(self.built.get() + 1);
        fill.record("customer", &CustomerView);
        fill.text("order_id", "o-1");
    }
}

fn bind(source: &str) -> Result<BoundHooks, backoffice::Error> {
    let policy = Policy::compile("shop.rhai", source, &PolicyRuntime::new())?;
    BoundHooks::bind(policy, "shop", HOOKS)
}

fn decimal(value: &rhai::Dynamic) -> Result<rust_decimal::Decimal, backoffice::Diagnostic> {
    bridge::expect_decimal(value, "fee", "a decimal")
}

#[test]
fn a_misspelt_field_is_reported_at_bind_time_with_a_suggestion() {
    let err = bind("fn fee(item, request) {\n    if item.prise > 10 { 1 }\n}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "\
error[policy.unknown_field]: no field `prise` on `item`; did you mean `price`?
 --> shop.rhai:2:13
  |
2 |     if item.prise > 10 { 1 }
  |             ^^^^^
  = help: `item` has the fields `category`, `condition`, `price`, `quantity`, `status`, `unit_price`; test an optional field with `\"name\" in item`"
    );
}

#[test]
fn nested_records_and_money_are_checked_too() {
    let err = bind(
        "fn flag(request) { request.customer.loyalty == \"gold\" }\nfn fee(item, request) { item.price.amont }",
    )
    .unwrap_err();
    let found: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| (d.code.as_str(), d.message.as_str(), d.line, d.column))
        .collect();
    assert_eq!(
        found,
        [
            (
                "policy.unknown_field",
                "no field `loyalty` on `customer`; did you mean `loyalty_tier`?",
                Some(1),
                Some(37)
            ),
            (
                "policy.unknown_field",
                "no field `amont` on `money`; did you mean `amount`?",
                Some(2),
                Some(36)
            ),
        ]
    );
}

#[test]
fn comparisons_that_can_never_match_are_reported() {
    let source = "fn fee(item, request) {
    if item.unit_price > \"100\" { return 1; }
    if item.quantity == \"3\" { return 2; }
    if item.category != 5 { return 3; }
    if item.price > 100 { return 4; }
    ()
}";
    let err = bind(source).unwrap_err();
    let found: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.message.as_str(),
                d.help.as_deref().unwrap_or(""),
                d.line,
                d.column,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "policy.type_mismatch",
                "`item.unit_price` is a decimal and `\"100\"` is a string: `>` cannot combine them",
                "write the number without quotes",
                Some(2),
                Some(8)
            ),
            (
                "policy.type_mismatch",
                "`item.quantity` is an int and `\"3\"` is a string: `==` between them is never true",
                "write the number without quotes",
                Some(3),
                Some(8)
            ),
            (
                "policy.type_mismatch",
                "`item.category` is a string and `5` is a number: `!=` between them is always true",
                "write the value as a string: `\"5\"`",
                Some(4),
                Some(8)
            ),
            (
                "policy.type_mismatch",
                "`item.price` is a money and `100` is a number: `>` cannot combine them",
                "compare the amount: `item.price.amount`",
                Some(5),
                Some(8)
            ),
        ]
    );
}

#[test]
fn correct_comparisons_and_shadowed_parameters_pass() {
    let source = "fn fee(item, request) {
    if item.unit_price > 100 && item.quantity == 3 && item.category != \"x\" { return 1; }
    if item.price.amount >= 10.5 && request.customer.loyalty_tier == () { return 2; }
    ()
}
fn flag(request) { let request = #{anything: 1}; request.anything == 1 }";
    assert!(bind(source).is_ok());
}

#[test]
fn hook_ids_resolve_by_name() {
    assert_ne!(FEE, FLAG);
    let policy = bind("fn flag(request) { true }").unwrap();
    assert!(policy.defines(FLAG));
    assert!(!policy.defines(FEE));
    assert!(!policy.defines(HookId::named(HOOKS, "nope")));
}

#[test]
fn only_the_fields_a_hook_reads_are_built() {
    let hooks = bind("fn fee(item, request) { print(item); item.unit_price * 2 }").unwrap();
    let computed = Cell::new(0);
    let built = Cell::new(0);
    let item = ItemView {
        status: "accepted",
        computed: &computed,
    };
    let request = RequestView { built: &built };
    let mut session = HookSession::new(Some(&hooks), &DecideOptions::traced());
    // `print(item)` sees the whole item: every field is built.
    let answer = session
        .call(
            FEE,
            [Arg::fresh(&item), Arg::shared(0, &request)],
            Fallback::new("no fee"),
            decimal,
        )
        .unwrap();
    assert!(matches!(answer, Answer::Value(v) if v == dec!(500.00)));
    assert_eq!(computed.get(), 2);
    // The hook never mentions `request`: it is not built at all.
    assert_eq!(built.get(), 0);
    assert_eq!(
        session.take_output(),
        [
            r#"#{"category": "electronics", "condition": "opened", "price": #{"amount": 250.00, "currency": "EUR"}, "quantity": 2, "status": "accepted", "unit_price": 250.00}"#
        ]
    );

    let hooks = bind("fn fee(item, request) { item.unit_price }").unwrap();
    let computed = Cell::new(0);
    let item = ItemView {
        status: "accepted",
        computed: &computed,
    };
    let mut session = HookSession::new(Some(&hooks), &DecideOptions::default());
    session
        .call(
            FEE,
            [Arg::fresh(&item), Arg::shared(0, &request)],
            Fallback::new("no fee"),
            decimal,
        )
        .unwrap();
    // Only `unit_price` was computed (`category`'s closure never ran).
    assert_eq!(computed.get(), 1);
}

#[test]
fn shared_arguments_are_built_once_and_live_fields_every_time() {
    let hooks = bind(
        "fn fee(item, request) { if request.customer.returns_90d > 2 && item.status == \"review\" { 1 } }\nfn flag(request) { request.order_id == \"o-1\" }",
    )
    .unwrap();
    let built = Cell::new(0);
    let request = RequestView { built: &built };
    let computed = Cell::new(0);
    let mut session = HookSession::new(Some(&hooks), &DecideOptions::default());
    for status in ["accepted", "review", "accepted"] {
        let item = ItemView {
            status,
            computed: &computed,
        };
        let answer = session
            .call(
                FEE,
                [Arg::fresh(&item), Arg::shared(7, &request)],
                Fallback::new("no fee"),
                decimal,
            )
            .unwrap();
        // The hook sees the status the engine has decided at each call.
        assert_eq!(matches!(answer, Answer::Value(_)), status == "review");
    }
    assert_eq!(built.get(), 1);
    // Another hook reading other fields of the same value gets its own build.
    let answer = session
        .call(
            FLAG,
            [Arg::shared(7, &request)],
            Fallback::new("no flag"),
            |v| bridge::expect_bool(v, "flag", "a bool"),
        )
        .unwrap();
    assert!(matches!(answer, Answer::Value(true)));
    assert_eq!(built.get(), 2);
}

#[test]
fn arguments_are_read_only() {
    let hooks = bind("fn flag(request) { let c = request.customer; request.customer.x = 1; true }");
    // Assigning into an argument is refused at bind time ...
    assert_eq!(
        hooks.unwrap_err().diagnostics()[0].code,
        "policy.read_only_argument"
    );
    // ... and changing methods fail at run time.
    let hooks = bind("fn fee(item, request) { item.price.amount; request.customer.returns_90d; let t = request; t.order_id = \"x\"; 1 }").unwrap();
    let computed = Cell::new(0);
    let built = Cell::new(0);
    let item = ItemView {
        status: "a",
        computed: &computed,
    };
    let mut session = HookSession::new(Some(&hooks), &DecideOptions::default());
    // A copy may be changed.
    let answer = session
        .call(
            FEE,
            [
                Arg::fresh(&item),
                Arg::shared(0, &RequestView { built: &built }),
            ],
            Fallback::new("no fee"),
            decimal,
        )
        .unwrap();
    assert!(matches!(answer, Answer::Value(v) if v == dec!(1)));
    // A method that would change an argument fails.
    let hooks = bind("fn fee(item, request) { item.clear(); 1 }").unwrap();
    let mut session = HookSession::new(Some(&hooks), &DecideOptions::default());
    let err = session
        .call(
            FEE,
            [
                Arg::fresh(&item),
                Arg::shared(0, &RequestView { built: &built }),
            ],
            Fallback::new("no fee"),
            decimal,
        )
        .unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "policy.runtime");
    assert!(
        err.diagnostics()[0].message.contains("constant"),
        "{}",
        err.diagnostics()[0].message
    );
}

#[test]
fn the_failure_switch_is_applied_once_per_hook_and_subject() {
    let hooks = bind("fn fee(item, request) { item.quantity / 0 }").unwrap();
    let computed = Cell::new(0);
    let built = Cell::new(0);
    let request = RequestView { built: &built };
    let item = ItemView {
        status: "a",
        computed: &computed,
    };

    let mut failing = HookSession::new(Some(&hooks), &DecideOptions::default());
    let err = failing
        .call(
            FEE,
            [Arg::fresh(&item), Arg::shared(0, &request)],
            Fallback::new("no fee"),
            decimal,
        )
        .unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "policy.runtime");
    assert_eq!(err.diagnostics()[0].hook.as_deref(), Some("fee"));
    assert_eq!(err.diagnostics()[0].policy.as_deref(), Some("shop.rhai"));

    let options = DecideOptions {
        trace: false,
        on_hook_error: OnHookError::Fallback,
    };
    let mut session = HookSession::new(Some(&hooks), &options);
    let mut reasons = Vec::new();
    for subject in ["l1", "l1", "l2"] {
        match session
            .call(
                FEE,
                [Arg::fresh(&item), Arg::shared(0, &request)],
                Fallback::new("no fee is charged").about(subject),
                decimal,
            )
            .unwrap()
        {
            Answer::Failed(reason) => reasons.extend(reason),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
    let summary: Vec<_> = reasons
        .iter()
        .map(|r| (r.code.as_ref(), r.subject.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [("policy_error", Some("l1")), ("policy_error", Some("l2"))]
    );
    assert!(reasons[0].message.ends_with("; no fee is charged"));
}

#[test]
fn a_wrong_result_is_a_bad_return_and_unit_is_the_default() {
    let hooks =
        bind("fn fee(item, request) { if item.quantity > 5 { () } else { \"lots\" } }").unwrap();
    let computed = Cell::new(0);
    let built = Cell::new(0);
    let item = ItemView {
        status: "a",
        computed: &computed,
    };
    let request = RequestView { built: &built };
    let mut session = HookSession::new(Some(&hooks), &DecideOptions::default());
    let err = session
        .call(
            FEE,
            [Arg::fresh(&item), Arg::shared(0, &request)],
            Fallback::new("no fee"),
            decimal,
        )
        .unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "policy.bad_return");
    assert_eq!(err.diagnostics()[0].line, Some(1));

    let mut none = HookSession::new(None, &DecideOptions::default());
    assert!(matches!(
        none.call(
            FEE,
            [Arg::fresh(&item), Arg::shared(0, &request)],
            Fallback::new("x"),
            decimal
        )
        .unwrap(),
        Answer::Default
    ));
}
