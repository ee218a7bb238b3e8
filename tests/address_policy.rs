//! The address engine with policies: the example policy, hook binding, bad returns,
//! fallback, traces, and the JSON front door.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::address::{Address, AddressConfig, AddressEngine, AddressRequest};
use backoffice::engine::{hooks_of, AnyEngine, ENGINE_KINDS};
use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
use backoffice::ReasonSource;

const EXAMPLE: &str = include_str!("../examples/policies/address.rhai");

fn engine_with(source: &str) -> AddressEngine {
    let policy = Policy::compile("test.rhai", source, &PolicyRuntime::new()).unwrap();
    AddressEngine::new(AddressConfig::default())
        .unwrap()
        .with_policy(policy)
        .unwrap()
}

fn us(line: &str, area: &str, postal: &str) -> Address {
    Address {
        country: "US".into(),
        address_lines: vec![line.into()],
        locality: "Somewhere".into(),
        administrative_area: area.into(),
        postal_code: postal.into(),
        ..Address::default()
    }
}

#[test]
fn example_policy_refuses_po_boxes_for_oversized_items() {
    let engine = AddressEngine::new(AddressConfig::default())
        .unwrap()
        .with_policy(Policy::compile("address.rhai", EXAMPLE, &PolicyRuntime::new()).unwrap())
        .unwrap();
    let po_box = us("PO Box 12", "TX", "78701");
    let small = engine.decide(&AddressRequest::new(po_box.clone())).unwrap();
    assert!(small.outcome.valid);
    assert_eq!(small.reason_codes(), ["valid"]);

    let sofa = engine
        .decide(&AddressRequest {
            address: po_box,
            tags: vec!["oversized".into()],
        })
        .unwrap();
    assert!(!sofa.outcome.valid);
    assert_eq!(
        sofa.reason_codes(),
        ["po_box_not_allowed", "problems_from_policy"]
    );
    assert_eq!(
        sofa.reasons[1].message,
        "the policy's `validate` changes the address from valid to not valid, 1 problem(s); it adds po_box_not_allowed (address_lines)"
    );
    let problem = &sofa.outcome.problems[0];
    assert_eq!(
        (problem.field.as_str(), problem.message.as_str()),
        (
            "address_lines",
            "oversized items cannot be delivered to a PO box"
        )
    );
    match &sofa.reasons[0].source {
        ReasonSource::Policy(source) => {
            assert_eq!(source.policy, "address.rhai");
            assert_eq!(source.hook, "validate");
            assert_eq!(source.line, Some(8));
            assert!(source.digest.starts_with("sha256:"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn example_policy_regions_and_house_numbers_beside_builtin_problems() {
    let engine = AddressEngine::new(AddressConfig::default())
        .unwrap()
        .with_policy(Policy::compile("address.rhai", EXAMPLE, &PolicyRuntime::new()).unwrap())
        .unwrap();
    // Armed forces Europe, with a ZIP code of the wrong range: built-in first, then policy.
    let d = engine
        .decide(&AddressRequest::new(us(
            "Unit 2050 Box 4190",
            "AE",
            "96201",
        )))
        .unwrap();
    assert_eq!(
        d.reason_codes(),
        [
            "mismatching_value",
            "region_not_served",
            "problems_from_policy"
        ]
    );
    assert_eq!(
        d.reasons[2].message,
        "the policy's `validate` changes the address from not valid, 1 problem(s) to not valid, 2 problem(s); it adds region_not_served (administrative_area)"
    );
    assert_eq!(d.outcome.problems[1].message, "we do not deliver to AE");
    let d = engine
        .decide(&AddressRequest::new(us("Main Street", "CA", "94043")))
        .unwrap();
    assert_eq!(
        d.reason_codes(),
        ["missing_house_number", "problems_from_policy"]
    );
    assert_eq!(
        d.outcome.problems[0].message,
        "no house number in \"Main Street\""
    );
}

#[test]
fn unknown_hooks_are_refused_when_binding() {
    let policy = Policy::compile(
        "bad.rhai",
        "fn validate(address) { () }\nfn eligibility(item, request) { () }",
        &PolicyRuntime::new(),
    )
    .unwrap();
    let err = AddressEngine::new(AddressConfig::default())
        .unwrap()
        .with_policy(policy)
        .unwrap_err();
    assert_eq!(err.code(), "policy_error");
    assert_eq!(err.diagnostics()[0].code, "policy.unknown_hook");
    assert_eq!(err.diagnostics()[0].line, Some(2));
}

#[test]
fn a_single_map_and_an_omitted_field_are_accepted() {
    let engine = engine_with(
        r#"fn validate(address) { #{code: "manual_check", message: "check by hand"} }"#,
    );
    let d = engine
        .decide(&AddressRequest::new(us("1 Main St", "CA", "94043")))
        .unwrap();
    assert_eq!(d.outcome.problems[0].field, "address");
    assert_eq!(d.reason_codes(), ["manual_check", "problems_from_policy"]);
}

#[test]
fn bad_returns_fail_or_fall_back() {
    let engine = engine_with(r#"fn validate(address) { "nope" }"#);
    let request = AddressRequest::new(us("1 Main St", "CA", "94043"));
    let err = engine.decide(&request).unwrap_err();
    let diag = &err.diagnostics()[0];
    assert_eq!(diag.code, "policy.bad_return");
    assert_eq!(
        diag.message,
        "hook `validate` returned string \"nope\", expected (), #{field, code, message} or an array of such maps"
    );
    assert_eq!(diag.policy.as_deref(), Some("test.rhai"));

    let options = DecideOptions {
        trace: true,
        on_hook_error: OnHookError::Fallback,
    };
    let d = engine.decide_with(&request, &options).unwrap();
    assert!(!d.outcome.valid);
    assert_eq!(d.reason_codes(), ["policy_error"]);
    assert_eq!(d.outcome.problems[0].code, "policy_error");
    assert!(d.reasons[0].diagnostic.is_some());

    let missing_message = engine_with(r#"fn validate(address) { [#{code: "x"}] }"#);
    let err = missing_message.decide(&request).unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "policy.bad_return");
    let extra_key =
        engine_with(r#"fn validate(address) { [#{code: "x", message: "m", severity: 1}] }"#);
    let err = extra_key.decide(&request).unwrap_err();
    assert!(err.diagnostics()[0]
        .message
        .contains("unknown key `severity`"));
}

#[test]
fn script_errors_and_limits_are_diagnostics() {
    // A field the schema does not have is refused when the policy is attached ...
    let policy = Policy::compile(
        "test.rhai",
        "fn validate(address) { address.postal_cod }",
        &PolicyRuntime::new(),
    )
    .unwrap();
    let err = AddressEngine::new(AddressConfig::default())
        .unwrap()
        .with_policy(policy)
        .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.code, "policy.unknown_field");
    assert_eq!(
        d.message,
        "no field `postal_cod` on `address`; did you mean `postal_code`?"
    );
    assert_eq!((d.line, d.column), (Some(1), Some(32)));
    // ... and one read through a computed key fails when the hook runs.
    let engine = engine_with(r#"fn validate(address) { let k = "nope"; address[k] }"#);
    let err = engine
        .decide(&AddressRequest::new(us("1 Main St", "CA", "94043")))
        .unwrap_err();
    assert_eq!(err.code(), "policy_error");
    let engine = engine_with("fn validate(address) { loop {} }");
    let err = engine
        .decide(&AddressRequest::new(us("1 Main St", "CA", "94043")))
        .unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "policy.limit.operations");
}

#[test]
fn print_goes_to_the_trace() {
    let engine = engine_with(
        r#"fn validate(address) { print(`checking ${address.country} ${address.postal_code}`); }"#,
    );
    let d = engine
        .decide_with(
            &AddressRequest::new(us("1 Main St", "CA", "94043")),
            &DecideOptions::traced(),
        )
        .unwrap();
    let trace = d.trace.clone().unwrap();
    assert_eq!(trace.policy_output, ["checking US 94043"]);
    assert!(trace
        .steps
        .iter()
        .any(|s| s.stage == "policy:validate" && s.message == "test.rhai added 0 problem(s)"));
    assert_eq!(d.reason_codes(), ["valid"]);
}

#[test]
fn any_engine_speaks_json() {
    assert!(ENGINE_KINDS.contains(&"address"));
    assert_eq!(hooks_of("address").unwrap()[0].name, "validate");
    let policy = Policy::compile("address.rhai", EXAMPLE, &PolicyRuntime::new()).unwrap();
    let engine = AnyEngine::new(
        "address",
        Some(r#"{"check_postal_code_subdivision": false}"#),
        Some(policy),
    )
    .unwrap();
    assert_eq!(engine.kind(), "address");
    let out = engine
        .decide_json(
            r#"{"address": {"country": "Suisse", "address_lines": ["Postfach 1234"], "locality": "Bern", "postal_code": "CH-3001"}, "tags": ["oversized"]}"#,
            &DecideOptions::default(),
        )
        .unwrap();
    assert_eq!(out["outcome"]["canonical"]["postal_code"], "3001");
    assert_eq!(out["outcome"]["country"], "CH");
    assert_eq!(out["outcome"]["valid"], false);
    assert_eq!(out["reasons"][0]["code"], "postal_prefix_removed");
    assert_eq!(out["reasons"][1]["code"], "po_box_not_allowed");
    let err = engine
        .decide_json(
            r#"{"address": {"nation": "CH"}}"#,
            &DecideOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid_json");
}

#[test]
fn the_hook_sees_every_field_of_its_schema() {
    let engine = engine_with(
        r#"fn validate(address) {
    let s = address.street[0];
    let box = address.street[1].po_box;
    #{code: "seen", message: `${address.country}|${address.locality}|${address.postal_code}|${address.address_lines.len()}|${s.house_number}|${s.street_name}|${s.street_type}|${s.po_box == ()}|${box.designator} ${box.number}|${address.has_po_box}|${address.problems.len()}|${address.valid}|${address.tags}`}
}"#,
    );
    let mut address = us("1600 Amphitheatre Pkwy", "CA", "94043");
    address.address_lines.push("PO Box 12".to_string());
    let request = AddressRequest {
        address,
        tags: vec!["oversized".to_string()],
    };
    let d = engine.decide(&request).unwrap();
    let seen = d
        .outcome
        .problems
        .iter()
        .find(|p| p.code == "seen")
        .unwrap();
    assert_eq!(
        seen.message,
        r#"US|SOMEWHERE|94043|2|1600|Amphitheatre|Pkwy|true|PO Box 12|true|0|true|["oversized"]"#
    );
    assert!(!d.outcome.valid);
}
