//! `cargo run --example quickstart`: runs every engine on the bundled sample data and
//! policies in `examples/data/` and `examples/policies/`, and prints a readable report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod money;
mod refunds;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("backoffice {} quickstart\n", env!("CARGO_PKG_VERSION"));
    money::run()?;
    refunds::run()?;
    Ok(())
}
