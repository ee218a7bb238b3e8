#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Replenishment: z values, safety stock with fixed and varying lead times, EOQ, min/max.

use backoffice::routing::replenishment::{
    plan, z_for_service_level, ReplenishmentInput, ReplenishmentPlan,
};
use backoffice::{Currency, Money};
use rust_decimal_macros::dec;

fn input() -> ReplenishmentInput {
    ReplenishmentInput {
        sku: "MUG".into(),
        mean_daily_demand: dec!(20),
        daily_demand_std_dev: dec!(5),
        lead_time_days: dec!(9),
        lead_time_std_dev_days: None,
        service_level: dec!(0.95),
        annual_demand: None,
        ordering_cost: Money::new(dec!(50), Currency::EUR),
        holding_cost_per_unit_year: Money::new(dec!(2), Currency::EUR),
        order_multiple: 1,
    }
}

#[test]
fn z_values_are_computed() {
    assert_eq!(z_for_service_level(dec!(0.95)).unwrap(), dec!(1.645));
    assert_eq!(z_for_service_level(dec!(0.975)).unwrap(), dec!(1.960));
    assert_eq!(z_for_service_level(dec!(0.99)).unwrap(), dec!(2.326));
    // Not one of the three: still computed.
    assert_eq!(z_for_service_level(dec!(0.9)).unwrap(), dec!(1.282));
    assert_eq!(z_for_service_level(dec!(0.999)).unwrap(), dec!(3.090));
    assert_eq!(z_for_service_level(dec!(0.99999)).unwrap(), dec!(4.265));
}

#[test]
fn fixed_lead_time() {
    assert_eq!(
        plan(&input()).unwrap(),
        ReplenishmentPlan {
            sku: "MUG".into(),
            z: dec!(1.645),
            safety_stock: 25,
            reorder_point: 205,
            economic_order_quantity: 605,
            min: 205,
            max: 810,
        }
    );
}

#[test]
fn varying_lead_time() {
    // √(9·25 + 400·4) = √1825 = 42.72…; × 2.326 = 99.37… → 100.
    let p = plan(&ReplenishmentInput {
        lead_time_std_dev_days: Some(dec!(2)),
        service_level: dec!(0.99),
        ..input()
    })
    .unwrap();
    assert_eq!(
        (p.z, p.safety_stock, p.reorder_point),
        (dec!(2.326), 100, 280)
    );
}

#[test]
fn order_multiple_and_explicit_annual_demand() {
    let p = plan(&ReplenishmentInput {
        annual_demand: Some(dec!(5000)),
        order_multiple: 24,
        ..input()
    })
    .unwrap();
    // EOQ = √(2·5000·50/2) = 500 exactly.
    assert_eq!(p.economic_order_quantity, 500);
    assert_eq!((p.min, p.max), (216, 720));
}

#[test]
fn bad_input_names_the_field() {
    let err = plan(&ReplenishmentInput {
        mean_daily_demand: dec!(-1),
        ..input()
    })
    .unwrap_err();
    assert_eq!(err.field(), Some("mean_daily_demand"));
    let err = plan(&ReplenishmentInput {
        service_level: dec!(1),
        ..input()
    })
    .unwrap_err();
    assert_eq!(err.field(), Some("service_level"));
    let err = plan(&ReplenishmentInput {
        holding_cost_per_unit_year: Money::new(dec!(0), Currency::EUR),
        ..input()
    })
    .unwrap_err();
    assert_eq!(err.field(), Some("holding_cost_per_unit_year"));
    let err = plan(&ReplenishmentInput {
        holding_cost_per_unit_year: Money::new(dec!(2), Currency::USD),
        ..input()
    })
    .unwrap_err();
    assert_eq!(err.code(), "currency_mismatch");
    let err = plan(&ReplenishmentInput {
        order_multiple: 0,
        ..input()
    })
    .unwrap_err();
    assert_eq!(err.field(), Some("order_multiple"));
}

#[test]
fn json_shape() {
    let json = r#"{"sku": "MUG", "mean_daily_demand": "20", "daily_demand_std_dev": 5,
        "lead_time_days": "9", "service_level": "0.95",
        "ordering_cost": {"amount": "50", "currency": "EUR"},
        "holding_cost_per_unit_year": {"amount": "2", "currency": "EUR"}}"#;
    let parsed: ReplenishmentInput = serde_json::from_str(json).unwrap();
    assert_eq!(parsed, input());
    let out = serde_json::to_value(plan(&parsed).unwrap()).unwrap();
    assert_eq!(out["z"], "1.645");
    assert_eq!(out["reorder_point"], 205);
}
