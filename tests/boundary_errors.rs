//! Bad input at the boundaries: hostile requests and configurations through the typed Rust
//! API, `AnyEngine` and the C ABI, each with its exact error (code, field, message) and
//! the C ABI status of the one rule in `include/backoffice.h`; then every error code the
//! C ABI can give, walked through it.
#![cfg(feature = "ffi")]
#![allow(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::engine::{
    config_from_json, from_json, visit_engine, AnyEngine, Engine, EngineVisitor, ENGINE_KINDS,
};
use backoffice::ffi::*;
use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use serde_json::{json, Value};
use std::path::Path;

// ---------------------------------------------------------------------------------------
// Inputs.

/// The configuration and request of a golden fixture.
fn fixture(name: &str) -> (Value, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    (value["config"].clone(), value["request"].clone())
}

/// The base request of each engine: a fixture that decides without a policy.
fn base(kind: &str) -> (Value, Value) {
    fixture(match kind {
        "returns" => "returns/discount_one_unit_96_67.json",
        "routing" => "routing/closest_default_chain.json",
        "refunds" => "refunds/usd_cad_current_merchant_loss.json",
        "address" => "address/us_valid.json",
        other => panic!("no base request for {other}"),
    })
}

/// `value` with the JSON pointer `pointer` set to `new` (the parent must exist).
fn with(mut value: Value, pointer: &str, new: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let slot = value.pointer_mut(parent).unwrap();
    match slot {
        Value::Object(map) => {
            map.insert(key.to_string(), new);
        }
        Value::Array(items) => items[key.parse::<usize>().unwrap()] = new,
        other => panic!("cannot set {pointer} in {other}"),
    }
    value
}

/// A configuration text: a fixture's `null` means none.
fn config_text(config: &Value) -> Option<String> {
    (!config.is_null()).then(|| config.to_string())
}

// ---------------------------------------------------------------------------------------
// The three ways in. Each gives the decision's JSON text or the error object.

type Answer = Result<String, Value>;

/// Through the typed Rust API: `E::new(config)`, `with_policy`, `decide_with`, with the
/// request read by `backoffice::engine::from_json`.
fn through_rust(kind: &str, config: Option<&str>, policy: Option<&str>, request: &str) -> Answer {
    struct Typed<'a> {
        config: Option<&'a str>,
        policy: Option<&'a str>,
        request: &'a str,
    }
    impl EngineVisitor for Typed<'_> {
        type Output = Result<String, backoffice::Error>;
        fn visit<E: Engine>(self) -> Self::Output {
            let mut engine = E::from_config(config_from_json(self.config)?)?;
            if let Some(source) = self.policy {
                let policy = Policy::compile("p.rhai", source, &PolicyRuntime::new())?;
                engine = engine.attach_policy(policy)?;
            }
            let request: E::Request = from_json(self.request)?;
            let decision = engine.decide_with(&request, &DecideOptions::default())?;
            Ok(serde_json::to_string(&decision).unwrap())
        }
    }
    visit_engine(
        kind,
        Typed {
            config,
            policy,
            request,
        },
    )
    .and_then(|answer| answer)
    .map_err(|e| e.to_json_value())
}

/// Through `AnyEngine`.
fn through_any(kind: &str, config: Option<&str>, policy: Option<&str>, request: &str) -> Answer {
    let policy = policy
        .map(|source| Policy::compile("p.rhai", source, &PolicyRuntime::new()))
        .transpose()
        .map_err(|e| e.to_json_value())?;
    let engine = AnyEngine::new(kind, config, policy).map_err(|e| e.to_json_value())?;
    engine
        .decide_json_string(request, &DecideOptions::default())
        .map_err(|e| e.to_json_value())
}

/// Takes a result's status and text and frees it.
fn take(result: *mut BoResult) -> (BoStatus, String) {
    assert!(!result.is_null());
    // SAFETY: a live result from the library, freed once here.
    unsafe {
        let status = bo_result_status(result);
        let mut len = 0;
        let ptr = bo_result_json(result, &mut len);
        let text = std::str::from_utf8(std::slice::from_raw_parts(ptr.cast::<u8>(), len))
            .unwrap()
            .to_string();
        bo_result_free(result);
        (status, text)
    }
}

/// Through the C ABI (`bo_engine_new_bytes`, `bo_engine_decide`): the status and the
/// answer.
fn through_c(
    kind: &str,
    config: Option<&str>,
    policy: Option<&str>,
    request: &[u8],
) -> (BoStatus, Answer) {
    let bytes = |text: Option<&str>| text.map_or((std::ptr::null(), 0), |t| (t.as_ptr(), t.len()));
    let (config_ptr, config_len) = bytes(config);
    let (policy_ptr, policy_len) = bytes(policy);
    let name = "p.rhai";
    let mut engine = std::ptr::null_mut();
    // SAFETY: every pointer is null or points to its length in bytes.
    let (status, text) = take(unsafe {
        bo_engine_new_bytes(
            kind.as_ptr(),
            kind.len(),
            config_ptr,
            config_len,
            name.as_ptr(),
            name.len(),
            policy_ptr,
            policy_len,
            &mut engine,
        )
    });
    if status != BoStatus::Ok {
        assert!(engine.is_null());
        return (status, Err(serde_json::from_str(&text).unwrap()));
    }
    // SAFETY: a live engine; the request is `request.len()` readable bytes.
    let (status, text) = take(unsafe { bo_engine_decide(engine, request.as_ptr(), request.len()) });
    // SAFETY: the engine is no longer in use.
    unsafe { bo_engine_free(engine) };
    if status == BoStatus::Ok {
        (status, Ok(text))
    } else {
        (status, Err(serde_json::from_str(&text).unwrap()))
    }
}

/// What a case must give: the C ABI status, and the error's code, field and message.
struct Expected {
    status: BoStatus,
    code: &'static str,
    field: Option<&'static str>,
    message: &'static str,
}

/// Runs one case through all three ways: the same error object from each, the expected
/// status from the C ABI, and the base request decided as before afterwards (nothing was
/// half-applied to a shared engine).
fn check(
    what: &str,
    kind: &str,
    config: Option<&str>,
    policy: Option<&str>,
    request: &[u8],
    expected: &Expected,
) {
    let (status, from_c) = through_c(kind, config, policy, request);
    let error = from_c
        .clone()
        .expect_err(&format!("{what}: the C ABI decided it"));
    assert_eq!(status, expected.status, "{what}: {error}");
    assert_eq!(error["code"], expected.code, "{what}: {error}");
    assert_eq!(
        error.get("field").and_then(Value::as_str),
        expected.field,
        "{what}: {error}"
    );
    assert_eq!(error["message"], expected.message, "{what}: {error}");
    if let Ok(text) = std::str::from_utf8(request) {
        assert_eq!(
            through_any(kind, config, policy, text),
            from_c,
            "{what}: AnyEngine"
        );
        assert_eq!(
            through_rust(kind, config, policy, text),
            from_c,
            "{what}: Rust"
        );
    }
    assert_no_rust_type_names(what, expected.message);
}

/// Messages say what is allowed in words, not in Rust type names.
fn assert_no_rust_type_names(what: &str, message: &str) {
    for word in message.split(|c: char| !c.is_alphanumeric() && c != '_') {
        assert!(
            !matches!(
                word,
                "u8" | "u16"
                    | "u32"
                    | "u64"
                    | "usize"
                    | "i32"
                    | "i64"
                    | "f64"
                    | "struct"
                    | "enum"
                    | "untagged"
                    | "Option"
                    | "Vec"
                    | "Decimal"
            ),
            "{what}: `{word}` in {message:?}"
        );
    }
    for name in [
        "WindowLength",
        "ReturnRequest",
        "ReturnsConfig",
        "AddressConfig",
        "Money",
        "Currency",
        "a sequence",
        "unit value",
    ] {
        assert!(!message.contains(name), "{what}: `{name}` in {message:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Hostile requests.

#[test]
fn hostile_requests_get_a_clear_error_naming_the_field_everywhere() {
    let (config, request) = base("returns");
    let config = config_text(&config);
    let config = config.as_deref();
    let good = request.to_string();
    let before = through_c("returns", config, None, good.as_bytes())
        .1
        .unwrap();

    let cases: Vec<(&str, Vec<u8>, Expected)> = vec![
        (
            "100k nested brackets in a field",
            format!(r#"{{"order": {{"order_id": {}"#, "[".repeat(100_000)).into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("order.order_id"),
                message: "order.order_id: expected a string, got an array",
            },
        ),
        (
            "100k nested brackets",
            "[".repeat(100_000).into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("input"),
                message: "input: expected a JSON object, got an array",
            },
        ),
        (
            "invalid UTF-8",
            {
                let mut bytes = good.clone().into_bytes();
                bytes.splice(10..10, [0xff, 0xfe]);
                bytes
            },
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_input",
                field: Some("input"),
                message: "invalid `input`: not valid UTF-8: invalid byte sequence at byte offset 10",
            },
        ),
        (
            "a lone surrogate escape",
            with(request.clone(), "/order/order_id", json!("x")).to_string().replace("\"x\"", r#""\udc00""#).into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("order.order_id"),
                message: "order.order_id: lone leading surrogate in hex escape at line 1, column 392",
            },
        ),
        (
            "1e400 as a quantity",
            with(request.clone(), "/items/0/quantity", json!(0)).to_string().replace(r#""quantity":0"#, r#""quantity":1e400"#).into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("items[0].quantity"),
                message: "items[0].quantity: number out of range at line 1, column 59",
            },
        ),
        (
            "1e400 as an amount",
            with(request.clone(), "/order/lines/0/unit_price/amount", json!("1e400")).to_string().into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("order.lines[0].unit_price.amount"),
                message: "order.lines[0].unit_price.amount: `1e400` is not an exact decimal number (Scale exceeds the maximum precision allowed: 400 > 28)",
            },
        ),
        (
            "a 40-digit decimal",
            with(request.clone(), "/order/lines/0/unit_price/amount", json!("1234567890123456789012345678901234567890.00")).to_string().into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("order.lines[0].unit_price.amount"),
                message: "order.lines[0].unit_price.amount: `1234567890123456789012345678901234567890.00` is not an exact decimal number (Invalid decimal: overflow from too many digits)",
            },
        ),
        (
            "a 40-digit JSON number",
            with(request.clone(), "/order/lines/0/unit_price/amount", json!(0)).to_string().replace(r#""amount":0"#, r#""amount":1234567890123456789012345678901234567890.5"#).into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("order.lines[0].unit_price.amount"),
                message: "order.lines[0].unit_price.amount: `1234567890123456789012345678901234567890.5` is not an exact decimal number (Invalid decimal: overflow from too many digits)",
            },
        ),
        (
            "a negative quantity",
            with(request.clone(), "/items/0/quantity", json!(-1)).to_string().into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("items[0].quantity"),
                message: "items[0].quantity: expected a non-negative integer (at most 4294967295), got integer -1",
            },
        ),
        (
            "a quantity as text",
            with(request.clone(), "/items/0/quantity", json!("two")).to_string().into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("items[0].quantity"),
                message: r#"items[0].quantity: expected a non-negative integer (at most 4294967295), got string "two""#,
            },
        ),
        (
            "mixed currencies",
            with(request.clone(), "/order/lines/0/unit_price/currency", json!("USD")).to_string().into_bytes(),
            Expected {
                status: BoStatus::DecisionError,
                code: "invalid_input",
                field: Some("order.lines[0].unit_price"),
                message: "invalid `order.lines[0].unit_price`: 100.00 USD is in USD but the order is in EUR",
            },
        ),
        (
            "an unknown currency",
            with(request.clone(), "/order/currency", json!("XYZ")).to_string().into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("order.currency"),
                message: "order.currency: unknown currency code `XYZ` (not in ISO 4217 List One)",
            },
        ),
        (
            "a garbage time",
            with(request.clone(), "/now", json!("next tuesday")).to_string().into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("now"),
                message: r#"now: expected a date and time such as "2025-03-10T09:00:00Z" (RFC 3339, with a time zone offset): input contains invalid characters"#,
            },
        ),
        (
            "duplicate line ids",
            {
                let line = request["order"]["lines"][0].clone();
                with(request.clone(), "/order/lines", json!([line, line])).to_string().into_bytes()
            },
            Expected {
                status: BoStatus::DecisionError,
                code: "invalid_input",
                field: Some("order.lines[1].line_id"),
                message: "invalid `order.lines[1].line_id`: line id `1` appears twice",
            },
        ),
        (
            "a duplicate key",
            good.replacen(r#""quantity":1"#, r#""quantity":1,"quantity":2"#, 1).into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("items[0]"),
                message: "items[0]: duplicate field `quantity`",
            },
        ),
        (
            "an unknown field",
            with(request.clone(), "/items/0/quantiy", json!(1)).to_string().into_bytes(),
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("items[0].quantiy"),
                message: "items[0].quantiy: unknown field `quantiy`, expected one of `line_id`, `quantity`, `reason`, `condition`, `returned_weight_grams`, `exchange_sku`",
            },
        ),
        (
            "50 MB of items, one bad",
            {
                let item = request["items"][0].clone();
                let count = 50 * 1024 * 1024 / item.to_string().len() + 1;
                let mut items = vec![item; count];
                items[7] = with(items[7].clone(), "/quantity", json!(true));
                let input = with(request.clone(), "/items", Value::Array(items)).to_string();
                assert!(input.len() > 50 * 1024 * 1024);
                input.into_bytes()
            },
            Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("items[7].quantity"),
                message: "items[7].quantity: expected a non-negative integer (at most 4294967295), got true",
            },
        ),
        (
            "an amount that overflows a line",
            {
                let r = with(request.clone(), "/order/lines/0/unit_price/amount", json!("79228162514264337593543950335"));
                with(r, "/order/order_discount/amount", json!("0.00")).to_string().into_bytes()
            },
            Expected {
                status: BoStatus::DecisionError,
                code: "overflow",
                field: Some("order.lines[0].unit_price"),
                message: "arithmetic overflow in multiply (field `order.lines[0].unit_price`)",
            },
        ),
        (
            "amounts that overflow their sum",
            {
                let mut line = request["order"]["lines"][0].clone();
                line = with(line, "/quantity", json!(1));
                line = with(line, "/unit_price/amount", json!("50000000000000000000000000000"));
                let mut other = with(line.clone(), "/line_id", json!("2"));
                other = with(other, "/sku", json!("BOOT-43"));
                with(request.clone(), "/order/lines", json!([line, other])).to_string().into_bytes()
            },
            Expected {
                status: BoStatus::DecisionError,
                code: "overflow",
                field: Some("order.lines"),
                message: "arithmetic overflow in summing the order's lines (field `order.lines`)",
            },
        ),
    ];
    for (what, input, expected) in &cases {
        check(what, "returns", config, None, input, expected);
    }
    // One engine given every hostile request in turn still decides the good request byte
    // for byte as before: nothing was half-applied.
    let engine = AnyEngine::new("returns", config, None).unwrap();
    for (what, input, expected) in &cases {
        if let Ok(text) = std::str::from_utf8(input) {
            let err = engine
                .decide_json_string(text, &DecideOptions::default())
                .unwrap_err();
            assert_eq!(err.code(), expected.code, "{what}");
        }
        assert_eq!(
            engine
                .decide_json_string(&good, &DecideOptions::default())
                .unwrap(),
            before,
            "after {what}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Every error code through the C ABI.

/// One row of the walk: an engine, its configuration and policy, a request, and what
/// the C ABI must say.
struct Walk {
    what: &'static str,
    kind: &'static str,
    config: Option<String>,
    policy: Option<&'static str>,
    request: String,
    expected: Expected,
}

#[test]
fn every_error_code_has_the_status_of_the_rule() {
    let (returns_config, returns) = base("returns");
    let (routing_config, routing) = base("routing");
    let (refunds_config, refunds) = base("refunds");
    let (_, address) = base("address");
    let returns_config = config_text(&returns_config);
    let routing_config = config_text(&routing_config);
    let refunds_config = config_text(&refunds_config);
    let (over_refund_config, over_refund) = fixture("refunds/over_refund.json");
    let (conflict_config, conflict) = fixture("refunds/idempotency_conflict.json");
    let failing = "fn eligibility(item, request) { throw \"boom\" }";

    let walk = vec![
        // The arguments themselves.
        Walk {
            what: "an unknown kind",
            kind: "shipping",
            config: None,
            policy: None,
            request: "{}".into(),
            expected: Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_input",
                field: Some("kind"),
                message: "invalid `kind`: unknown engine kind `shipping`; expected one of: routing, returns, refunds, address",
            },
        },
        // The configuration: every error is an invalid argument.
        Walk {
            what: "a configuration of null",
            kind: "returns",
            config: Some("null".into()),
            policy: None,
            request: returns.to_string(),
            expected: Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("config"),
                message: "config: expected a JSON object ({} for the defaults), got null",
            },
        },
        Walk {
            what: "an unknown configuration field",
            kind: "returns",
            config: Some(r#"{"windw": {}}"#.into()),
            policy: None,
            request: returns.to_string(),
            expected: Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("windw"),
                message: "windw: unknown field `windw`, expected one of `time_zone`, `window`, `validators`, `additional_reason_codes`, `restocking_fee`, `return_shipping_fee`, `waive_fees_for_merchant_fault`, `settlement`, `disposition`, `fraud`, `review_queue`, `review_routing`",
            },
        },
        Walk {
            what: "a negative window",
            kind: "returns",
            config: Some(r#"{"window": {"default_days": -5}}"#.into()),
            policy: None,
            request: returns.to_string(),
            expected: Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("window.default_days"),
                message: r#"window.default_days: expected a number of days ≥ 0 or "unlimited", got -5"#,
            },
        },
        Walk {
            what: "a garbage time zone",
            kind: "returns",
            config: Some(r#"{"time_zone": "Mars/Olympus"}"#.into()),
            policy: None,
            request: returns.to_string(),
            expected: Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_input",
                field: Some("time_zone"),
                message: "invalid `time_zone`: `Mars/Olympus` is neither an IANA time zone name (e.g. Europe/Berlin) nor a UTC offset (e.g. +01:00)",
            },
        },
        // The policy.
        Walk {
            what: "a policy that does not compile",
            kind: "returns",
            config: returns_config.clone(),
            policy: Some("fn eligibility(item, request) { [ }"),
            request: returns.to_string(),
            expected: Expected {
                status: BoStatus::PolicyError,
                code: "policy_error",
                field: None,
                message: "error[policy.syntax]: unexpected '}'\n --> p.rhai:1:35\n  |\n1 | fn eligibility(item, request) { [ }\n  |                                   ^",
            },
        },
        Walk {
            what: "a policy with an unknown hook",
            kind: "returns",
            config: returns_config.clone(),
            policy: Some("fn refund_amount(item) { 0 }"),
            request: returns.to_string(),
            expected: Expected {
                status: BoStatus::PolicyError,
                code: "policy_error",
                field: None,
                message: "error[policy.unknown_hook]: `fn refund_amount` is not a hook of the returns engine\n --> p.rhai:1:1\n  |\n1 | fn refund_amount(item) { 0 }\n  | ^^^^^^^^^^^^^^^^^^^^^^\n  = help: known hooks: eligibility/2, window_days/2, restocking_fee_percent/2, disposition/2, settlement/1, fraud_signals/1, return_shipping_fee/2, review_route/1; prefix private helpers with `_`",
            },
        },
        Walk {
            what: "an empty policy",
            kind: "returns",
            config: returns_config.clone(),
            policy: Some("// nothing here yet\n"),
            request: returns.to_string(),
            expected: Expected {
                status: BoStatus::PolicyError,
                code: "policy_error",
                field: None,
                message: "error[policy.empty]: the policy defines no hook of the returns engine, so attaching it changes nothing\n --> p.rhai\n  = help: define one of the hooks (eligibility, window_days, restocking_fee_percent, disposition, settlement, fraud_signals, return_shipping_fee, review_route); to attach an empty policy on purpose, call `Policy::allow_empty` first",
            },
        },
        Walk {
            what: "a failing hook",
            kind: "returns",
            config: returns_config.clone(),
            policy: Some(failing),
            request: returns.to_string(),
            expected: Expected {
                status: BoStatus::PolicyError,
                code: "policy_error",
                field: None,
                message: "error[policy.runtime]: boom\n --> p.rhai:1:33\n  |\n1 | fn eligibility(item, request) { throw \"boom\" }\n  |                                 ^^^^^\n  = in hook `eligibility`",
            },
        },
        // The request's shape.
        Walk {
            what: "a request that is an array",
            kind: "address",
            config: None,
            policy: None,
            request: "[]".into(),
            expected: Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("input"),
                message: "input: expected a JSON object, got an array",
            },
        },
        Walk {
            what: "an unknown currency code",
            kind: "returns",
            config: returns_config.clone(),
            policy: None,
            request: with(returns.clone(), "/order/currency", json!("XYZ")).to_string(),
            expected: Expected {
                status: BoStatus::InvalidArgument,
                code: "invalid_json",
                field: Some("order.currency"),
                message: "order.currency: unknown currency code `XYZ` (not in ISO 4217 List One)",
            },
        },
        // Valid requests the engine cannot decide.
        Walk {
            what: "an unknown line",
            kind: "returns",
            config: returns_config.clone(),
            policy: None,
            request: with(returns.clone(), "/items/0/line_id", json!("9")).to_string(),
            expected: Expected {
                status: BoStatus::DecisionError,
                code: "invalid_input",
                field: Some("items[0].line_id"),
                message: "invalid `items[0].line_id`: order A-1001 has no line `9`",
            },
        },
        Walk {
            what: "mixed currencies",
            kind: "routing",
            config: Some(r#"{"chain": ["lowest_cost"]}"#.into()),
            policy: None,
            request: {
                let cost = |currency: &str| json!({"per_shipment": {"amount": "1.00", "currency": currency}, "per_unit": {"amount": "0.10", "currency": currency}, "per_km": {"amount": "0.00", "currency": currency}});
                let r = with(routing.clone(), "/nodes/0/cost", cost("EUR"));
                with(r, "/nodes/1/cost", cost("USD")).to_string()
            },
            expected: Expected {
                status: BoStatus::DecisionError,
                code: "currency_mismatch",
                field: None,
                message: "currency mismatch in lowest_cost (nodes[1].cost): EUR vs USD; convert one side explicitly first",
            },
        },
        Walk {
            what: "an overflow",
            kind: "returns",
            config: returns_config.clone(),
            policy: None,
            request: {
                let r = with(returns.clone(), "/order/lines/0/unit_price/amount", json!("79228162514264337593543950335"));
                let r = with(r, "/order/order_discount/amount", json!("0"));
                r.to_string()
            },
            expected: Expected {
                status: BoStatus::DecisionError,
                code: "overflow",
                field: Some("order.lines[0].unit_price"),
                message: "arithmetic overflow in multiply (field `order.lines[0].unit_price`)",
            },
        },
        Walk {
            what: "a currency without minor unit",
            kind: "refunds",
            config: refunds_config.clone(),
            policy: None,
            request: refunds.to_string().replace("\"USD\"", "\"XAU\""),
            expected: Expected {
                status: BoStatus::DecisionError,
                code: "no_minor_unit",
                field: None,
                message: "currency XAU has no minor unit, so an amount in it cannot be rounded to one; use round_dp with an explicit scale",
            },
        },
        Walk {
            what: "a missing rate",
            kind: "refunds",
            config: refunds_config.clone(),
            policy: None,
            request: with(refunds.clone(), "/rates/rates", json!([])).to_string(),
            expected: Expected {
                status: BoStatus::DecisionError,
                code: "missing_rate",
                field: Some("rates"),
                message: "no exchange rate for USD->CAD at or before 2026-03-09T12:00:00Z (needed to value the refund in settlement currency at the current rate)",
            },
        },
        Walk {
            what: "a stale rate",
            kind: "refunds",
            config: refunds_config.clone(),
            policy: None,
            request: with(refunds.clone(), "/rates/rates/0/as_of", json!("2026-03-01T09:00:00Z")).to_string(),
            expected: Expected {
                status: BoStatus::DecisionError,
                code: "stale_rate",
                field: Some("rates"),
                message: "exchange rate USD->CAD as of 2026-03-01T09:00:00Z is stale at 2026-03-09T12:00:00Z (maximum age 86400 s; needed to value the refund in settlement currency at the current rate)",
            },
        },
        Walk {
            what: "an over-refund",
            kind: "refunds",
            config: config_text(&over_refund_config),
            policy: None,
            request: over_refund.to_string(),
            expected: Expected {
                status: BoStatus::DecisionError,
                code: "over_refund",
                field: Some("refund.lines[0].quantity"),
                message: "line `A`: asked to refund 4 units but only 3 of 3 remain (100.00 EUR and 10.00 EUR tax left)",
            },
        },
        Walk {
            what: "an idempotency conflict",
            kind: "refunds",
            config: config_text(&conflict_config),
            policy: None,
            request: conflict.to_string(),
            expected: Expected {
                status: BoStatus::DecisionError,
                code: "idempotency_conflict",
                field: Some("refund.idempotency_key"),
                message: "idempotency key `rf-1` was already used for a different refund (fingerprint sha256:a22a8784e446ab646f753fdfecb6e36562f54a2300595a342e9881c2f7304de5 here, sha256:be4bdd41ce1f08139d1f385d67a2012ff9d8a3f0207dd5633c0c047d9bb57e42 before); use a new key for a new refund",
            },
        },
        Walk {
            what: "a refund below the minimum",
            kind: "refunds",
            config: Some(r#"{"rate_source": "current", "minimum_refund": [{"amount": "100.00", "currency": "USD"}]}"#.into()),
            policy: None,
            request: refunds.to_string(),
            expected: Expected {
                status: BoStatus::DecisionError,
                code: "below_minimum_refund",
                field: Some("refund"),
                message: "the refund comes to 40.00 USD, below the minimum refund of 100.00 USD",
            },
        },
        Walk {
            what: "an address field beyond the limit",
            kind: "address",
            config: Some(r#"{"max_field_bytes": 8}"#.into()),
            policy: None,
            request: address.to_string(),
            expected: Expected {
                status: BoStatus::DecisionError,
                code: "invalid_input",
                field: Some("locality"),
                message: "invalid `locality`: 13 bytes is longer than the limit of 8 bytes (the configuration's `max_field_bytes`)",
            },
        },
    ];
    let _ = routing_config;
    let mut codes = std::collections::BTreeSet::new();
    for row in &walk {
        check(
            row.what,
            row.kind,
            row.config.as_deref(),
            row.policy,
            row.request.as_bytes(),
            &row.expected,
        );
        codes.insert(row.expected.code);
    }
    // Every code of `backoffice::Error` the C ABI can give. `unknown_currency` never
    // reaches it as such: a currency code arrives in JSON, so an unknown one is a shape
    // error (`invalid_json` on the field, as above).
    let every_code = [
        "invalid_input",
        "invalid_json",
        "policy_error",
        "currency_mismatch",
        "overflow",
        "no_minor_unit",
        "missing_rate",
        "stale_rate",
        "over_refund",
        "idempotency_conflict",
        "below_minimum_refund",
    ];
    for code in every_code {
        assert!(codes.contains(code), "no row gives `{code}`");
    }
    assert_eq!(ENGINE_KINDS.len(), 4);
}

// ---------------------------------------------------------------------------------------
// NUL bytes and options through the C ABI.

#[test]
fn a_nul_byte_inside_any_string_is_refused_not_cut_short() {
    let (_, returns) = base("returns");
    let good_policy = "fn window_days(item, request) { 60 }";
    // The source a C caller holds: a hook after the NUL would vanish if it were cut.
    let with_nul = format!("{good_policy}\0\nfn settlement(request) {{ \"store_credit\" }}");
    /// The argument at fault, then kind, configuration, policy name, policy source and
    /// the offset of the NUL byte.
    type NulCase<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        usize,
    );
    let cases: [NulCase<'_>; 4] = [
        ("kind", "ret\0urns", None, None, None, 3),
        (
            "config",
            "returns",
            Some("{}\0{\"time_zone\": 1}"),
            None,
            None,
            2,
        ),
        (
            "policy_name",
            "returns",
            None,
            Some("p\0.rhai"),
            Some(good_policy),
            1,
        ),
        (
            "policy",
            "returns",
            None,
            None,
            Some(with_nul.as_str()),
            good_policy.len(),
        ),
    ];
    let bytes = |text: Option<&str>| text.map_or((std::ptr::null(), 0), |t| (t.as_ptr(), t.len()));
    for (argument, kind, config, name, policy, offset) in cases {
        let (config_ptr, config_len) = bytes(config);
        let (name_ptr, name_len) = bytes(name);
        let (policy_ptr, policy_len) = bytes(policy);
        let mut engine = std::ptr::null_mut();
        // SAFETY: every pointer is null or points to its length in bytes.
        let (status, text) = take(unsafe {
            bo_engine_new_bytes(
                kind.as_ptr(),
                kind.len(),
                config_ptr,
                config_len,
                name_ptr,
                name_len,
                policy_ptr,
                policy_len,
                &mut engine,
            )
        });
        assert!(engine.is_null());
        assert_eq!(status, BoStatus::InvalidArgument, "{argument}: {text}");
        let error: Value = serde_json::from_str(&text).unwrap();
        let length = [
            kind,
            config.unwrap_or(""),
            name.unwrap_or(""),
            policy.unwrap_or(""),
        ][["kind", "config", "policy_name", "policy"]
            .iter()
            .position(|a| *a == argument)
            .unwrap()]
        .len();
        assert_eq!(
            error,
            json!({
                "code": "invalid_input",
                "field": argument,
                "message": format!("invalid `{argument}`: holds a NUL byte at byte offset {offset} (of {length}); NUL is not allowed in {argument}, and the text is not cut short at it"),
                "diagnostics": [],
            })
        );
    }

    // Without the NUL, the same call builds the engine, and the policy's hook applies.
    let mut engine = std::ptr::null_mut();
    let kind = "returns";
    // SAFETY: every pointer points to its length in bytes.
    let (status, text) = take(unsafe {
        bo_engine_new_bytes(
            kind.as_ptr(),
            kind.len(),
            std::ptr::null(),
            0,
            std::ptr::null(),
            0,
            good_policy.as_ptr(),
            good_policy.len(),
            &mut engine,
        )
    });
    assert_eq!(status, BoStatus::Ok, "{text}");
    let summary: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(summary["kind"], "returns");
    assert_eq!(summary["policy"]["name"], "policy.rhai");
    let request = returns.to_string();
    // SAFETY: a live engine and `request.len()` readable bytes.
    let (status, text) = take(unsafe { bo_engine_decide(engine, request.as_ptr(), request.len()) });
    assert_eq!(status, BoStatus::Ok, "{text}");
    let decision: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(decision["outcome"]["items"][0]["window"]["days"], 60);

    // Options that are not an object are an invalid argument, naming them.
    for (options, got) in [("[]", "an array"), ("null", "null"), ("7", "a number")] {
        let options = std::ffi::CString::new(options).unwrap();
        // SAFETY: a live engine, `request.len()` readable bytes, a NUL-terminated string.
        let (status, text) = take(unsafe {
            bo_engine_decide_with(engine, request.as_ptr(), request.len(), options.as_ptr())
        });
        assert_eq!(status, BoStatus::InvalidArgument, "{text}");
        let error: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(error["field"], "options");
        assert_eq!(
            error["message"],
            format!("options: expected a JSON object ({{}} for the defaults), got {got}")
        );
    }
    // SAFETY: the engine is no longer in use.
    unsafe { bo_engine_free(engine) };
}

// ---------------------------------------------------------------------------------------
// Configuration errors of every engine.

#[test]
fn every_configuration_error_names_its_path_in_words() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "returns",
            r#"{"window": {"default_days": -5}}"#,
            "window.default_days",
            "window.default_days: expected a number of days ≥ 0 or \"unlimited\", got -5",
        ),
        (
            "returns",
            r#"{"window": {"category_days": {"shoes": "forever"}}}"#,
            "window.category_days.shoes",
            "window.category_days.shoes: expected a number of days ≥ 0 or \"unlimited\", got \"forever\"",
        ),
        (
            "returns",
            r#"{"window": {"default_days": "14"}}"#,
            "window.default_days",
            "window.default_days: expected a number of days ≥ 0 or \"unlimited\", got the string \"14\" (write the number without quotes)",
        ),
        (
            "returns",
            r#"{"window": {"default_days": 1.5}}"#,
            "window.default_days",
            "window.default_days: expected a number of days ≥ 0 or \"unlimited\", got 1.5",
        ),
        (
            "returns",
            r#"{"window": {"default_days": null}}"#,
            "window.default_days",
            "window.default_days: expected a number of days ≥ 0 or \"unlimited\", got null",
        ),
        (
            "returns",
            r#"{"restocking_fee": {"by_condition": {"opened": "ten"}}}"#,
            "restocking_fee.by_condition.opened",
            "restocking_fee.by_condition.opened: `ten` is not an exact decimal number (Invalid decimal: unknown character)",
        ),
        (
            "returns",
            r#"{"restocking_fee": {"by_condition": {"shiny": 5}}}"#,
            "restocking_fee.by_condition",
            "restocking_fee.by_condition: key `shiny`: unknown variant `shiny`, expected one of `new`, `opened`, `used`, `damaged`, `missing_parts`",
        ),
        (
            "returns",
            r#"{"return_shipping_fee": {"kind": "flat"}}"#,
            "return_shipping_fee",
            "return_shipping_fee: missing field `amount`",
        ),
        (
            "returns",
            r#"{"return_shipping_fee": {"kind": "sometimes"}}"#,
            "return_shipping_fee.kind",
            "return_shipping_fee.kind: unknown variant `sometimes`, expected one of `free`, `flat`, `per_item`",
        ),
        (
            "returns",
            r#"{"fraud": {"review_threshold": true}}"#,
            "fraud.review_threshold",
            "fraud.review_threshold: expected a non-negative integer (at most 4294967295), got true",
        ),
        (
            "returns",
            r#"{"validators": {"final_sale": "maybe"}}"#,
            "validators.final_sale",
            "validators.final_sale: unknown variant `maybe`, expected one of `reject`, `review`, `off`",
        ),
        (
            "returns",
            r#"{"window": []}"#,
            "window",
            "window: expected an object, got an array",
        ),
        (
            "routing",
            r#"{"max_shipments": -1}"#,
            "max_shipments",
            "max_shipments: expected a non-negative integer (at most 4294967295), got integer -1",
        ),
        (
            "routing",
            r#"{"chain": ["closest", "cheapest"]}"#,
            "chain[1]",
            "chain[1]: unknown variant `cheapest`, expected one of `preferred_node`, `minimize_splits`, `stay_in_market`, `closest`, `priority`, `most_stock`, `lowest_cost`, `policy`",
        ),
        (
            "routing",
            r#"{"split_mode": 3}"#,
            "split_mode",
            "split_mode: expected a name (a string), got a number",
        ),
        (
            "routing",
            r#"{"search_budget": "lots"}"#,
            "search_budget",
            "search_budget: expected a non-negative integer, got string \"lots\"",
        ),
        (
            "refunds",
            r#"{"rate_source": "yesterday"}"#,
            "rate_source",
            "rate_source: unknown variant `yesterday`, expected `capture` or `current`",
        ),
        (
            "refunds",
            r#"{"max_rate_age_seconds": "1 day"}"#,
            "max_rate_age_seconds",
            "max_rate_age_seconds: expected a non-negative integer (at most 4294967295), got string \"1 day\"",
        ),
        (
            "refunds",
            r#"{"minimum_refund": [{"amount": "1.00", "currency": "EURO"}]}"#,
            "minimum_refund[0].currency",
            "minimum_refund[0].currency: unknown currency code `EURO` (not in ISO 4217 List One)",
        ),
        (
            "refunds",
            r#"{"minimum_refund": [{"amount": "one", "currency": "EUR"}]}"#,
            "minimum_refund[0].amount",
            "minimum_refund[0].amount: `one` is not an exact decimal number (Invalid decimal: unknown character)",
        ),
        (
            "refunds",
            r#"{"store_currency": 978}"#,
            "store_currency",
            "store_currency: expected a string, got integer 978",
        ),
        (
            "refunds",
            r#"{"accounts": ["sales"]}"#,
            "accounts",
            "accounts: expected an object, got an array",
        ),
        (
            "address",
            r#"{"max_field_bytes": "many"}"#,
            "max_field_bytes",
            "max_field_bytes: expected a non-negative integer, got string \"many\"",
        ),
        (
            "address",
            r#"{"default_country": 49}"#,
            "default_country",
            "default_country: expected a string, got integer 49",
        ),
        (
            "address",
            r#"{"repair_postal_codes": "yes"}"#,
            "repair_postal_codes",
            "repair_postal_codes: expected true or false, got string \"yes\"",
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (kind, config, field, message) in cases {
        seen.insert(*kind);
        let err = AnyEngine::new(kind, Some(config), None).unwrap_err();
        if std::env::var("EXPLORE").is_ok() {
            eprintln!(
                "{kind} {config}: {:?} {:?} {}",
                err.code(),
                err.field(),
                err
            );
            continue;
        }
        assert_eq!(err.code(), "invalid_json", "{kind} {config}");
        assert_eq!(err.field(), Some(*field), "{kind} {config}");
        assert_eq!(err.to_string(), *message, "{kind} {config}");
        assert_no_rust_type_names(config, message);
        let (status, answer) = through_c(kind, Some(config), None, b"{}");
        assert_eq!(status, BoStatus::InvalidArgument, "{kind} {config}");
        assert_eq!(answer, Err(err.to_json_value()));
    }
    assert_eq!(seen.len(), ENGINE_KINDS.len());
}
