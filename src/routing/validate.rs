//! Checking a request before anything is decided (ids, quantities, coordinates, stock
//! rows), and indexing its stock rows by (node, order SKU) on the way.

use super::index::{FastMap, StockIndex};
use super::RoutingRequest;
use crate::Error;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// Checks `request` and indexes its stock rows for the order's SKUs.
///
/// Errors: [`Error::InvalidInput`] naming the offending item (duplicate node or line ids,
/// stock rows for unknown nodes, zero quantities, coordinates out of range, an unknown
/// preferred node).
pub(super) fn validate_request(request: &RoutingRequest) -> Result<StockIndex<'_>, Error> {
    let order = &request.order;
    if order.id.trim().is_empty() {
        return Err(Error::invalid("order.id", "the order id is empty"));
    }
    if order.lines.is_empty() && order.kits.is_empty() {
        return Err(Error::invalid(
            "order.lines",
            format!("order `{}` has no lines and no kits", order.id),
        ));
    }
    let mut line_ids: BTreeMap<&str, String> = BTreeMap::new();
    fn check_line_id<'r>(
        line_ids: &mut BTreeMap<&'r str, String>,
        id: &'r str,
        path: String,
    ) -> Result<(), Error> {
        if id.trim().is_empty() {
            return Err(Error::invalid(path, "the line id is empty"));
        }
        if let Some(first) = line_ids.get(id) {
            return Err(Error::invalid(
                path,
                format!("duplicate line id `{id}` (also {first})"),
            ));
        }
        line_ids.insert(id, path);
        Ok(())
    }
    for (i, line) in order.lines.iter().enumerate() {
        check_line_id(
            &mut line_ids,
            &line.line_id,
            format!("order.lines[{i}].line_id"),
        )?;
        if line.sku.trim().is_empty() {
            return Err(Error::invalid(
                format!("order.lines[{i}].sku"),
                format!("line `{}` has an empty SKU", line.line_id),
            ));
        }
        if line.quantity == 0 {
            return Err(Error::invalid(
                format!("order.lines[{i}].quantity"),
                format!(
                    "line `{}` ({}) has quantity 0; it must be at least 1",
                    line.line_id, line.sku
                ),
            ));
        }
    }
    for (i, kit) in order.kits.iter().enumerate() {
        check_line_id(
            &mut line_ids,
            &kit.line_id,
            format!("order.kits[{i}].line_id"),
        )?;
        if kit.quantity == 0 {
            return Err(Error::invalid(
                format!("order.kits[{i}].quantity"),
                format!(
                    "kit line `{}` ({}) has quantity 0; it must be at least 1",
                    kit.line_id, kit.sku
                ),
            ));
        }
        if kit.components.is_empty() {
            return Err(Error::invalid(
                format!("order.kits[{i}].components"),
                format!("kit `{}` has no components", kit.sku),
            ));
        }
        let mut seen = BTreeSet::new();
        for (j, c) in kit.components.iter().enumerate() {
            if c.sku.trim().is_empty() {
                return Err(Error::invalid(
                    format!("order.kits[{i}].components[{j}].sku"),
                    format!("kit `{}` has a component with an empty SKU", kit.sku),
                ));
            }
            if c.quantity == 0 {
                return Err(Error::invalid(
                    format!("order.kits[{i}].components[{j}].quantity"),
                    format!(
                        "component {} of kit `{}` has quantity 0 per kit; it must be at least 1",
                        c.sku, kit.sku
                    ),
                ));
            }
            if !seen.insert(c.sku.as_str()) {
                return Err(Error::invalid(
                    format!("order.kits[{i}].components[{j}].sku"),
                    format!("component {} appears twice in kit `{}`", c.sku, kit.sku),
                ));
            }
        }
    }
    let ship_to = &order.ship_to;
    match (ship_to.latitude, ship_to.longitude) {
        (Some(lat), Some(lon)) => {
            check_coordinate("order.ship_to.latitude".into(), lat, 90, "latitude")?;
            check_coordinate("order.ship_to.longitude".into(), lon, 180, "longitude")?;
        }
        (Some(_), None) => {
            return Err(Error::invalid(
                "order.ship_to.longitude",
                "a latitude is given without a longitude",
            ))
        }
        (None, Some(_)) => {
            return Err(Error::invalid(
                "order.ship_to.latitude",
                "a longitude is given without a latitude",
            ))
        }
        (None, None) => {}
    }
    let mut node_ids: FastMap<&str, usize> = FastMap::default();
    node_ids.reserve(request.nodes.len());
    for (i, node) in request.nodes.iter().enumerate() {
        if node.id.trim().is_empty() {
            return Err(Error::invalid(
                format!("nodes[{i}].id"),
                "the node id is empty",
            ));
        }
        if let Some(first) = node_ids.insert(node.id.as_str(), i) {
            return Err(Error::invalid(
                format!("nodes[{i}].id"),
                format!("duplicate node id `{}` (also nodes[{first}])", node.id),
            ));
        }
        if let Some(at) = node.location {
            check_coordinate(
                format!("nodes[{i}].location.latitude"),
                at.latitude,
                90,
                "latitude",
            )?;
            check_coordinate(
                format!("nodes[{i}].location.longitude"),
                at.longitude,
                180,
                "longitude",
            )?;
        }
    }
    if let Some(preferred) = &order.preferred_node {
        if !node_ids.contains_key(preferred.as_str()) {
            return Err(Error::invalid(
                "order.preferred_node",
                format!("preferred node `{preferred}` is not among the request's nodes"),
            ));
        }
    }
    // The order's SKUs, then a dense (node, order SKU) table of stock rows. Rows for SKUs
    // the order does not contain cannot change the plan; they are only checked for an
    // unknown node.
    let mut order_skus: FastMap<&str, usize> = FastMap::default();
    for sku in order.lines.iter().map(|l| l.sku.as_str()).chain(
        order
            .kits
            .iter()
            .flat_map(|k| k.components.iter().map(|c| c.sku.as_str())),
    ) {
        let next = order_skus.len();
        order_skus.entry(sku).or_insert(next);
    }
    // Renumber in sorted order, as `build_needs` does.
    let mut sorted: Vec<&str> = order_skus.keys().copied().collect();
    sorted.sort_unstable();
    for (k, sku) in sorted.iter().enumerate() {
        order_skus.insert(sku, k);
    }
    let mut index = StockIndex::new(request.nodes.len(), sorted.len());
    for (i, row) in request.stock.iter().enumerate() {
        let Some(&node) = node_ids.get(row.node_id.as_str()) else {
            return Err(Error::invalid(
                format!("stock[{i}].node_id"),
                format!(
                    "stock row for unknown node `{}` (SKU {})",
                    row.node_id, row.sku
                ),
            ));
        };
        let Some(&k) = order_skus.get(row.sku.as_str()) else {
            continue;
        };
        if let Some((first, _)) = index.insert(node, k, (i, row)) {
            return Err(Error::invalid(
                format!("stock[{i}]"),
                format!(
                    "duplicate stock row for node `{}` and SKU {} (also stock[{first}])",
                    row.node_id, row.sku
                ),
            ));
        }
    }
    Ok(index)
}

fn check_coordinate(field: String, value: Decimal, limit: i64, what: &str) -> Result<(), Error> {
    if value.abs() > Decimal::from(limit) {
        return Err(Error::invalid(
            field,
            format!("{what} {value} is outside ±{limit} degrees"),
        ));
    }
    Ok(())
}
