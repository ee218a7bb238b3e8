//! Quickstart section: allocating an order discount and converting an amount.

use backoffice::fx::RateTable;
use backoffice::money::{CurrencyOverrides, RoundingMode};
use backoffice::Money;
use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Deserialize)]
struct Sample {
    discount: Money,
    lines: Vec<Line>,
    rates: RateTable,
    convert: Convert,
}

#[derive(Deserialize)]
struct Line {
    line_id: String,
    sku: String,
    amount: Money,
}

#[derive(Deserialize)]
struct Convert {
    amount: Money,
    to: backoffice::Currency,
    at: DateTime<Utc>,
    rounding: RoundingMode,
}

/// Prints the money section of the quickstart report.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    let sample: Sample = serde_json::from_str(include_str!("../data/money.json"))?;
    println!("== Money: allocate an order discount over its lines (largest remainder) ==");
    let weights: Vec<_> = sample.lines.iter().map(|l| l.amount.amount()).collect();
    let shares = backoffice::money::allocate(sample.discount, &weights, &CurrencyOverrides::new())?;
    for (line, share) in sample.lines.iter().zip(&shares) {
        println!(
            "  {:<3} {:<9} {:>12}  discount {:>10}",
            line.line_id,
            line.sku,
            line.amount.to_string(),
            share.to_string()
        );
    }
    println!(
        "  total discount {} = sum of shares {}",
        sample.discount,
        Money::sum(sample.discount.currency(), &shares)?
    );

    println!("\n== FX: convert with a caller-supplied rate table ==");
    let c = &sample.convert;
    let quote = sample.rates.rate(c.amount.currency(), c.to, c.at)?;
    let converted = quote.apply(c.amount, c.rounding, &CurrencyOverrides::new())?;
    println!(
        "  {} -> {} at {} (rate {} as of {}, path {:?}, rounded {})",
        c.amount,
        converted,
        c.at.to_rfc3339(),
        quote.rate.round_dp(6),
        quote.as_of.to_rfc3339(),
        quote.path,
        c.rounding.as_str()
    );
    Ok(())
}
