//! SVG drawings for the HTML report: the zone shares of each region, the HHI of each provider
//! and region, and the critical services' dependency picture. Inline SVG (HTML5 needs no
//! namespace), no external references, every element with a class a reader or a test can
//! find and a `<title>` that says what it shows. Output depends only on the report: domains and
//! nodes are ordered by name, numbers printed with fixed precision.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt::Write as _;

use super::AuditReport;
use super::html::escape;
use crate::analysis::{Concentration, Population, UNPINNED_BUCKET};
use crate::model::{DomainKind, Placement};
use crate::view::{Cluster, UNPINNED_NOTE, ViewEdge, ViewNode};

/// Regions drawn in the zone-share chart.
const REGIONS_DRAWN: usize = 60;
/// Zones drawn per region.
const ZONES_PER_REGION: usize = 16;
/// Rows drawn in the HHI chart.
const HHI_ROWS: usize = 150;
/// Nodes drawn in the picture, whatever the view holds.
const NODES_DRAWN: usize = 400;
/// Edges drawn in the picture.
const EDGES_DRAWN: usize = 4_000;

/// Width of the bar area in both charts.
const BAR_WIDTH: f64 = 440.0;
/// Where bars start (labels to their left).
const BAR_X: f64 = 190.0;

/// Fill colours of zone lanes and of their nodes, by lane order (cycled).
const PALETTE: [(&str, &str); 8] = [
    ("#dbeafe", "#93c5fd"),
    ("#dcfce7", "#86efac"),
    ("#fef9c3", "#fde047"),
    ("#f3e8ff", "#d8b4fe"),
    ("#ffedd5", "#fdba74"),
    ("#cffafe", "#67e8f9"),
    ("#fce7f3", "#f9a8d4"),
    ("#ecfccb", "#bef264"),
];

/// `1234.5` as `1,235`.
pub(super) fn thousands(value: f64) -> String {
    // `{:.0}` rounds as the table and JSON readers see it (half to even).
    let digits = if value.is_finite() && value > 0.0 {
        format!("{value:.0}")
    } else {
        "0".to_string()
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A share (0–1) as a whole percentage.
fn percent(share: f64) -> String {
    format!("{:.0}%", (share * 100.0).clamp(0.0, 100.0))
}

/// The characters of `text` up to `max`, then `…`.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Bar length for a 0–1 fraction.
fn bar(fraction: f64) -> f64 {
    if fraction.is_finite() {
        (fraction.clamp(0.0, 1.0) * BAR_WIDTH * 10.0).round() / 10.0
    } else {
        0.0
    }
}

/// A zone's (share, weight) among critical dependencies and among all resources.
type ZoneValues = [Option<(f64, f64)>; 2];

/// The two populations of one distribution, critical first.
#[derive(Default)]
struct Pair<'a> {
    critical: Option<&'a Concentration>,
    all: Option<&'a Concentration>,
}

impl<'a> Pair<'a> {
    fn set(&mut self, c: &'a Concentration) {
        match c.population {
            Population::Critical => self.critical = Some(c),
            Population::All => self.all = Some(c),
        }
    }

    fn each(&self) -> impl Iterator<Item = (&'static str, &'a Concentration)> {
        [("critical", self.critical), ("all", self.all)]
            .into_iter()
            .filter_map(|(name, c)| c.map(|c| (name, c)))
    }
}

/// What a population counts, in words.
fn counting(population: &str) -> &'static str {
    if population == "critical" {
        "critical dependencies"
    } else {
        "all resources"
    }
}

/// Legend for the two bar colours.
fn legend(svg: &mut String, y: f64) {
    let _ = write!(
        svg,
        "<g class=\"legend\"><rect class=\"bar critical\" x=\"{BAR_X}\" y=\"{}\" width=\"12\" height=\"10\"/>\
         <text x=\"{}\" y=\"{}\">critical dependencies</text>\
         <rect class=\"bar all\" x=\"{}\" y=\"{}\" width=\"12\" height=\"10\"/>\
         <text x=\"{}\" y=\"{}\">all resources</text></g>",
        y - 9.0,
        BAR_X + 16.0,
        y,
        BAR_X + 180.0,
        y - 9.0,
        BAR_X + 196.0,
        y
    );
}

/// Each region's share per zone, for critical dependencies and for all resources: one
/// `<svg class="chart zone-shares">`, a group per region, a bar per zone and population
/// (`data-zone` names the zone), and after the zones an `unpinned` row (`data-unpinned`) for
/// the resources deployed without availability zones. `None` when no region has zones or
/// unpinned resources.
pub(super) fn zone_shares(report: &AuditReport) -> Option<String> {
    let mut regions: BTreeMap<&str, Pair> = BTreeMap::new();
    for c in &report.concentration {
        if c.over == DomainKind::Zone
            && let Some(scope) = &c.scope
            && scope.kind == DomainKind::Region
        {
            regions.entry(scope.id.as_str()).or_default().set(c);
        }
    }
    if regions.is_empty() {
        return None;
    }
    let omitted_regions = regions.len().saturating_sub(REGIONS_DRAWN);
    let mut body = String::new();
    let mut y = 40.0;
    let mut omitted_zones = 0;
    for (region, pair) in regions.iter().take(REGIONS_DRAWN) {
        omitted_zones += region_zones(&mut body, &mut y, region, pair);
    }
    let mut notes = Vec::new();
    if omitted_regions > 0 {
        notes.push(format!("{omitted_regions} more regions not drawn"));
    }
    if omitted_zones > 0 {
        notes.push(format!("{omitted_zones} more zones not drawn"));
    }
    if !notes.is_empty() {
        let _ = write!(
            body,
            "<text class=\"note omitted\" x=\"0\" y=\"{y}\">{}</text>",
            notes.join("; ")
        );
        y += 16.0;
    }
    let height = y;
    let mut svg = format!(
        "<svg class=\"chart zone-shares\" role=\"img\" viewBox=\"0 0 720 {height}\" width=\"720\" height=\"{height}\">\
         <title>Share of each zone in its region, for critical dependencies and for all resources</title>"
    );
    legend(&mut svg, 16.0);
    svg.push_str(&body);
    svg.push_str("</svg>");
    Some(svg)
}

/// A region's zones by their critical share, then their share of everything, then name.
fn zone_order<'a>(pair: &Pair<'a>) -> Vec<(&'a str, ZoneValues)> {
    let mut zones: BTreeMap<&str, ZoneValues> = BTreeMap::new();
    for (i, (_, c)) in [("critical", pair.critical), ("all", pair.all)]
        .iter()
        .enumerate()
    {
        for s in c.iter().flat_map(|c| &c.shares) {
            zones.entry(s.domain.id.as_str()).or_default()[i] = Some((s.share, s.weight));
        }
    }
    let mut order: Vec<(&str, ZoneValues)> = zones.into_iter().collect();
    let key = |v: &Option<(f64, f64)>| v.map_or(0.0, |(share, _)| share);
    order.sort_by(|a, b| {
        key(&b.1[0])
            .total_cmp(&key(&a.1[0]))
            .then_with(|| key(&b.1[1]).total_cmp(&key(&a.1[1])))
            .then_with(|| a.0.cmp(b.0))
    });
    order
}

/// One region's group of the zone-share chart, from `y` down (moved past it); returns how
/// many of its zones were left out.
fn region_zones(body: &mut String, y: &mut f64, region: &str, pair: &Pair) -> usize {
    let order = zone_order(pair);
    let totals: Vec<String> = pair
        .each()
        .map(|(p, c)| format!("{} {}", thousands(c.total), counting(p)))
        .collect();
    let _ = write!(
        body,
        "<g class=\"region\" data-region=\"{r}\"><text class=\"heading\" x=\"0\" y=\"{y}\">region {r}</text>\
         <text class=\"note\" x=\"{BAR_X}\" y=\"{y}\">{t}</text>",
        r = escape(region),
        t = escape(&totals.join(" · ")),
    );
    *y += 10.0;
    for (zone, values) in order.iter().take(ZONES_PER_REGION) {
        zone_bars(body, *y, region, pair, Place::Zone(zone), values);
        *y += 26.0;
    }
    // Resources deployed without availability zones: one bar of their own, never in a zone.
    let unpinned: ZoneValues = [pair.critical, pair.all].map(|c| {
        c.and_then(|c| c.unpinned.as_ref())
            .map(|u| (u.share, u.weight))
    });
    if unpinned.iter().any(Option::is_some) {
        zone_bars(body, *y, region, pair, Place::Unpinned, &unpinned);
        *y += 26.0;
    }
    body.push_str("</g>");
    *y += 18.0;
    order.len().saturating_sub(ZONES_PER_REGION)
}

/// What a row of the zone-share chart stands for.
#[derive(Clone, Copy)]
enum Place<'a> {
    Zone(&'a str),
    /// The region's resources deployed without availability zones.
    Unpinned,
}

/// One row of the zone-share chart at `y` (a zone, or the `unpinned` bucket): its label and
/// a bar per population.
fn zone_bars(
    body: &mut String,
    y: f64,
    region: &str,
    pair: &Pair,
    place: Place,
    values: &ZoneValues,
) {
    // The label as written (escaped below), the bars' data attribute and title, escaped.
    let (class, label, data, what) = match place {
        Place::Zone(zone) => {
            let escaped = escape(zone);
            ("zone", zone, format!("data-zone=\"{escaped}\""), escaped)
        }
        Place::Unpinned => (
            "zone unpinned",
            UNPINNED_BUCKET,
            "data-unpinned=\"true\"".to_string(),
            "deployed without availability zones".to_string(),
        ),
    };
    let _ = write!(
        body,
        "<g class=\"{class}\"><text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        BAR_X - 8.0,
        y + 15.0,
        escape(&shorten(label, 24))
    );
    for (i, population) in ["critical", "all"].into_iter().enumerate() {
        let Some((share, weight)) = values[i] else {
            if pair.each().any(|(p, _)| p == population) {
                // Counted in the population but with nothing in this zone.
                let _ = write!(
                    body,
                    "<text class=\"value\" x=\"{BAR_X}\" y=\"{}\">0%</text>",
                    y + 10.0 + 11.0 * i as f64
                );
            }
            continue;
        };
        let width = bar(share);
        let top = y + 2.0 + 11.0 * i as f64;
        let _ = write!(
            body,
            "<rect class=\"bar {population}\" {data} x=\"{BAR_X}\" y=\"{top}\" width=\"{width}\" height=\"10\">\
             <title>{what}: {pc} of the {counted} in {r} ({w})</title></rect>\
             <text class=\"value\" x=\"{}\" y=\"{}\">{pc}</text>",
            BAR_X + width + 4.0,
            top + 9.0,
            pc = percent(share),
            counted = counting(population),
            r = escape(region),
            w = format_weight(weight),
        );
    }
    body.push_str("</g>");
}

/// A weight (fractional for multi-zone resources) as a resource count.
fn format_weight(weight: f64) -> String {
    let text = if (weight - weight.round()).abs() < 0.005 {
        format!("{weight:.0}")
    } else {
        format!("{weight:.2}")
    };
    format!("{text} resources")
}

/// The HHI of the estate over providers, of each provider over its regions and zones, and of
/// each region over its zones: one `<svg class="chart hhi">` with a bar per population, the
/// effective count beside it, and the 2,500 "highly concentrated" line. `None` when there is
/// no distribution.
pub(super) fn hhi(report: &AuditReport) -> Option<String> {
    // (scope kind rank, scope id, over rank) → populations
    let mut rows: BTreeMap<(u8, &str, u8), Pair> = BTreeMap::new();
    for c in &report.concentration {
        let (rank, id) = match &c.scope {
            None => (0, ""),
            Some(s) if s.kind == DomainKind::Provider => (1, s.id.as_str()),
            Some(s) if s.kind == DomainKind::Region => (2, s.id.as_str()),
            Some(s) => (3, s.id.as_str()),
        };
        let over = match c.over {
            DomainKind::Provider => 0,
            DomainKind::Region => 1,
            DomainKind::Zone => 2,
        };
        rows.entry((rank, id, over)).or_default().set(c);
    }
    if rows.is_empty() {
        return None;
    }
    let omitted = rows.len().saturating_sub(HHI_ROWS);
    let line_x = BAR_X + bar(0.25);
    let mut body = String::new();
    let mut y = 44.0;
    for ((rank, id, over), pair) in rows.iter().take(HHI_ROWS) {
        let scope = match rank {
            0 => "estate".to_string(),
            1 => format!("provider {id}"),
            2 => format!("region {id}"),
            _ => format!("zone {id}"),
        };
        let over = ["providers", "regions", "zones"][*over as usize];
        let label = format!("{scope} · {over}");
        let _ = write!(
            body,
            "<g class=\"scope\"><text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            BAR_X - 8.0,
            y + 15.0,
            escape(&shorten(&label, 30))
        );
        for (i, population) in ["critical", "all"].into_iter().enumerate() {
            let Some(c) = (if i == 0 { pair.critical } else { pair.all }) else {
                continue;
            };
            let width = bar(c.hhi / 10_000.0);
            let top = y + 2.0 + 11.0 * i as f64;
            let mut largest = c
                .largest()
                .map(|s| format!("; largest {} {}", s.domain.id, percent(s.share)))
                .unwrap_or_default();
            if let Some(bucket) = &c.unpinned {
                let _ = write!(largest, "; {UNPINNED_BUCKET} {}", percent(bucket.share));
            }
            let _ = write!(
                body,
                "<rect class=\"bar {population}\" x=\"{BAR_X}\" y=\"{top}\" width=\"{width}\" height=\"10\">\
                 <title>{l}, {what}: HHI {h}, effective count {e:.2}{largest}</title></rect>\
                 <text class=\"value\" x=\"{}\" y=\"{}\">{h} · {e:.1} eff.</text>",
                BAR_X + width + 4.0,
                top + 9.0,
                l = escape(&label),
                what = counting(population),
                h = thousands(c.hhi),
                e = c.effective_count,
                largest = escape(&largest),
            );
        }
        body.push_str("</g>");
        y += 26.0;
    }
    if omitted > 0 {
        let _ = write!(
            body,
            "<text class=\"note omitted\" x=\"0\" y=\"{}\">{omitted} more distributions not drawn</text>",
            y + 12.0
        );
        y += 16.0;
    }
    let height = y + 8.0;
    let mut svg = format!(
        "<svg class=\"chart hhi\" role=\"img\" viewBox=\"0 0 720 {height}\" width=\"720\" height=\"{height}\">\
         <title>Herfindahl–Hirschman index per provider and region (10,000 = all in one place)</title>"
    );
    legend(&mut svg, 16.0);
    let _ = write!(
        svg,
        "<line class=\"threshold\" x1=\"{line_x}\" y1=\"30\" x2=\"{line_x}\" y2=\"{y}\">\
         <title>2,500: highly concentrated</title></line>\
         <text class=\"note\" x=\"{}\" y=\"38\">2,500 highly concentrated</text>\
         <text class=\"note\" x=\"{}\" y=\"38\" text-anchor=\"end\">10,000</text>",
        line_x + 4.0,
        BAR_X + BAR_WIDTH,
    );
    svg.push_str(&body);
    svg.push_str("</svg>");
    Some(svg)
}

/// The failure domain a lane of the picture stands for, ordered provider, region, zone so a
/// zone's lane sits under its region's; logical resources (business functions) first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Lane<'a> {
    provider: &'a str,
    region: &'a str,
    zone: &'a str,
}

impl<'a> Lane<'a> {
    fn of(node: &'a ViewNode) -> Self {
        match node.cluster() {
            None => Lane {
                provider: "",
                region: "",
                zone: "",
            },
            Some(Cluster::Provider { provider }) => Lane {
                provider,
                region: "",
                zone: "",
            },
            Some(Cluster::Region { provider, region }) => Lane {
                provider,
                region,
                zone: "",
            },
            Some(Cluster::Zone {
                provider,
                region,
                zone,
            }) => Lane {
                provider,
                region,
                zone,
            },
        }
    }

    /// The domain as cut sets name it.
    fn domain(&self) -> Option<(DomainKind, &'a str)> {
        if !self.zone.is_empty() {
            Some((DomainKind::Zone, self.zone))
        } else if !self.region.is_empty() {
            Some((DomainKind::Region, self.region))
        } else if !self.provider.is_empty() {
            Some((DomainKind::Provider, self.provider))
        } else {
            None
        }
    }

    fn title(&self) -> String {
        match self.domain() {
            Some((DomainKind::Zone, zone)) => format!("zone {zone} · {}", self.region),
            Some((DomainKind::Region, region)) => format!("region {region} · {}", self.provider),
            Some((_, provider)) => format!("provider {provider}"),
            None => "business functions (no placement)".to_string(),
        }
    }

    fn class(&self) -> &'static str {
        match self.domain() {
            Some((DomainKind::Zone, _)) => "zone",
            Some((DomainKind::Region, _)) => "region",
            Some(_) => "provider",
            None => "logical",
        }
    }
}

const NODE_W: f64 = 180.0;
const NODE_H: f64 = 22.0;
const ROW_H: f64 = 30.0;
const COLUMN_GAP: f64 = 70.0;
const LANE_LABEL_H: f64 = 18.0;
const LANE_PAD: f64 = 8.0;
const MARGIN: f64 = 10.0;

/// The critical services' dependency picture, `<svg class="picture">`: services on the left,
/// what they require to the right by breadth-first depth; horizontal lanes per failure domain
/// (zone, region, provider, none), coloured by zone; lanes of domains that are cut sets marked
/// `cut` with the services they stop; SPOF resources marked `spof`; requirement edges as paths
/// with their group in a `<title>`. Returns the SVG and a legend (HTML), or `None` with nothing
/// to draw.
pub(super) fn picture(report: &AuditReport) -> Option<(String, String)> {
    let view = &report.picture;
    if view.nodes.is_empty() {
        return None;
    }
    let drawn = view.nodes.len().min(NODES_DRAWN);
    let nodes = &view.nodes[..drawn];
    let omitted = view.omitted.saturating_add(view.nodes.len() - drawn);
    let edges: Vec<_> = view
        .edges
        .iter()
        .filter(|e| e.from < drawn && e.to < drawn)
        .take(EDGES_DRAWN)
        .collect();
    let edges_left_out = view
        .edges
        .iter()
        .filter(|e| e.from < drawn && e.to < drawn)
        .count()
        - edges.len();

    let layout = Layout::new(nodes, &edges, omitted);
    let services = nodes.iter().filter(|n| n.critical).count();
    let mut svg = format!(
        "<svg class=\"picture\" role=\"img\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">\
         <title>What the critical services require: {services} critical services, {} resources drawn, {} requirements{}</title>\
         <text class=\"note\" x=\"{MARGIN}\" y=\"{}\">critical services ▸ what they require, by depth</text>",
        drawn,
        edges.len(),
        if omitted > 0 {
            format!(", {omitted} more resources not drawn")
        } else {
            String::new()
        },
        MARGIN + 8.0,
        width = layout.width,
        height = layout.height,
    );
    let colours = lane_colours(&layout.lanes);
    let legend = picture_lanes(&mut svg, &layout, &colours, &domain_stops(report));
    picture_edges(&mut svg, &layout, nodes, &edges);
    let spofs: BTreeSet<&str> = report
        .spofs
        .iter()
        .flat_map(|s| s.resources.iter().map(String::as_str))
        .collect();
    picture_nodes(&mut svg, &layout, nodes, &colours, &spofs);
    if omitted > 0 || edges_left_out > 0 {
        let _ = write!(
            svg,
            "<text class=\"note omitted\" x=\"{MARGIN}\" y=\"{}\">{}</text>",
            layout.height - MARGIN,
            omitted_text(omitted, edges_left_out)
        );
    }
    svg.push_str("</svg>");
    Some((svg, legend))
}

/// Where the picture puts each drawn node: its column (depth), lane and row in the lane, and
/// the size of the whole.
struct Layout<'a> {
    /// The lanes, in drawing order.
    lanes: Vec<Lane<'a>>,
    /// Each node's lane (an index into `lanes`).
    node_lane: Vec<usize>,
    /// Each node's column.
    depth: Vec<usize>,
    /// Each node's row within its lane and column.
    row_of: Vec<usize>,
    /// The rows each lane is tall.
    lane_rows: Vec<usize>,
    /// Where each lane starts.
    lane_top: Vec<f64>,
    width: f64,
    height: f64,
}

impl<'a> Layout<'a> {
    /// Lay out `nodes` and `edges` (indices into `nodes`); `omitted` resources make room for a
    /// note at the bottom.
    fn new(nodes: &'a [ViewNode], edges: &[&ViewEdge], omitted: usize) -> Self {
        let depth = depths(nodes, edges);
        let columns = depth.iter().max().map_or(1, |d| d + 1);
        let lanes_of: Vec<Lane> = nodes.iter().map(Lane::of).collect();
        let mut lanes: Vec<Lane> = lanes_of.clone();
        lanes.sort();
        lanes.dedup();
        let node_lane: Vec<usize> = lanes_of
            .iter()
            .map(|l| lanes.binary_search(l).unwrap_or_else(|at| at))
            .collect();
        let (row_of, lane_rows) = rows(nodes, edges, &depth, &node_lane, lanes.len());
        let mut lane_top = Vec::with_capacity(lanes.len());
        let mut y = MARGIN + 20.0;
        for rows in &lane_rows {
            lane_top.push(y);
            y += LANE_LABEL_H + *rows as f64 * ROW_H + LANE_PAD;
        }
        let height = y + MARGIN + if omitted > 0 { 18.0 } else { 0.0 };
        let width = MARGIN * 2.0 + columns as f64 * (NODE_W + COLUMN_GAP) - COLUMN_GAP;
        Layout {
            lanes,
            node_lane,
            depth,
            row_of,
            lane_rows,
            lane_top,
            width: width.max(480.0),
            height,
        }
    }

    /// The top left corner of node `i`.
    fn position(&self, i: usize) -> (f64, f64) {
        let lane = self.node_lane[i];
        let x = MARGIN + self.depth[i] as f64 * (NODE_W + COLUMN_GAP);
        let y = self.lane_top[lane] + LANE_LABEL_H + self.row_of[i] as f64 * ROW_H;
        (x, y)
    }
}

/// Each node's depth: breadth-first from the critical services (or from the first node).
fn depths(nodes: &[ViewNode], edges: &[&ViewEdge]) -> Vec<usize> {
    let drawn = nodes.len();
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); drawn];
    for e in edges {
        out_edges[e.from].push(e.to);
    }
    let mut depth: Vec<Option<usize>> = vec![None; drawn];
    let mut queue = VecDeque::new();
    for (i, n) in nodes.iter().enumerate() {
        if n.critical {
            depth[i] = Some(0);
            queue.push_back(i);
        }
    }
    if queue.is_empty() {
        depth[0] = Some(0);
        queue.push_back(0);
    }
    loop {
        while let Some(i) = queue.pop_front() {
            let d = depth[i].unwrap_or(0) + 1;
            for &j in &out_edges[i] {
                if depth[j].is_none() {
                    depth[j] = Some(d);
                    queue.push_back(j);
                }
            }
        }
        // Anything not reached starts a walk of its own at the left.
        match depth.iter().position(Option::is_none) {
            Some(i) => {
                depth[i] = Some(0);
                queue.push_back(i);
            }
            None => break,
        }
    }
    depth.into_iter().map(|d| d.unwrap_or(0)).collect()
}

/// Each node's row within its lane and column, ordered by the mean row of what requires it
/// (columns left to right), then by name; and the rows each of the `lanes` needs.
fn rows(
    nodes: &[ViewNode],
    edges: &[&ViewEdge],
    depth: &[usize],
    node_lane: &[usize],
    lanes: usize,
) -> (Vec<usize>, Vec<usize>) {
    let drawn = nodes.len();
    let columns = depth.iter().max().map_or(1, |d| d + 1);
    let mut in_edges: Vec<Vec<usize>> = vec![Vec::new(); drawn];
    for e in edges {
        in_edges[e.to].push(e.from);
    }
    let mut by_cell: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for i in 0..drawn {
        by_cell.entry((depth[i], node_lane[i])).or_default().push(i);
    }
    // Global vertical order value of each placed node (lane, row), for barycentres.
    let mut slot: Vec<Option<f64>> = vec![None; drawn];
    let mut row_of: Vec<usize> = vec![0; drawn];
    for column in 0..columns {
        for lane in 0..lanes {
            let Some(members) = by_cell.get_mut(&(column, lane)) else {
                continue;
            };
            let centre = |i: usize| {
                let placed: Vec<f64> = in_edges[i].iter().filter_map(|&p| slot[p]).collect();
                if placed.is_empty() {
                    f64::MAX
                } else {
                    placed.iter().sum::<f64>() / placed.len() as f64
                }
            };
            let mut keyed: Vec<(f64, usize)> = members.iter().map(|&i| (centre(i), i)).collect();
            keyed.sort_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then_with(|| nodes[a.1].name.cmp(&nodes[b.1].name))
                    .then_with(|| nodes[a.1].id.cmp(&nodes[b.1].id))
            });
            *members = keyed.iter().map(|&(_, i)| i).collect();
            for (row, &i) in members.iter().enumerate() {
                row_of[i] = row;
                slot[i] = Some(lane as f64 * 1_000.0 + row as f64);
            }
        }
    }
    let mut lane_rows = vec![1usize; lanes];
    for ((_, lane), members) in &by_cell {
        lane_rows[*lane] = lane_rows[*lane].max(members.len());
    }
    (row_of, lane_rows)
}

/// What losing each domain stops, from the cut sets: the services' names by domain.
fn domain_stops(report: &AuditReport) -> BTreeMap<(DomainKind, &str), BTreeSet<&str>> {
    let names: HashMap<&str, &str> = report
        .critical_services
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let mut stops: BTreeMap<(DomainKind, &str), BTreeSet<&str>> = BTreeMap::new();
    for cut in &report.cut_sets {
        let service = names
            .get(cut.service.as_str())
            .copied()
            .unwrap_or(&cut.service);
        for d in &cut.domains {
            stops
                .entry((d.kind, d.id.as_str()))
                .or_default()
                .insert(service);
        }
    }
    stops
}

/// Each lane's (background, node) fill: zone lanes take the palette in order, the others
/// fixed colours.
fn lane_colours(lanes: &[Lane]) -> Vec<(&'static str, &'static str)> {
    let mut zone_colour = 0;
    lanes
        .iter()
        .map(|lane| match lane.class() {
            "zone" => {
                zone_colour += 1;
                PALETTE[(zone_colour - 1) % PALETTE.len()]
            }
            "region" => ("#f1f5f9", "#cbd5e1"),
            "provider" => ("#f5f5f4", "#d6d3d1"),
            _ => ("#ffffff", "#e0e7ff"),
        })
        .collect()
}

/// The lanes layer of the picture, each with what losing its domain stops; returns the
/// legend (HTML) that names them.
fn picture_lanes(
    svg: &mut String,
    layout: &Layout,
    colours: &[(&str, &str)],
    stops: &BTreeMap<(DomainKind, &str), BTreeSet<&str>>,
) -> String {
    let mut legend = String::from("<ul class=\"legend\">");
    for (i, lane) in layout.lanes.iter().enumerate() {
        let (fill, node_fill) = colours[i];
        let stopped = lane.domain().and_then(|d| stops.get(&d));
        let cut = if stopped.is_some() { " cut" } else { "" };
        let mut label = lane.title();
        if let Some(services) = stopped {
            let shown: Vec<&str> = services.iter().take(6).copied().collect();
            let more = services.len().saturating_sub(shown.len());
            let _ = write!(
                label,
                " — losing it stops {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        let lane_height = LANE_LABEL_H + layout.lane_rows[i] as f64 * ROW_H;
        let _ = write!(
            svg,
            "<g class=\"lane {class}{cut}\"><rect class=\"lane-bg\" x=\"2\" y=\"{top}\" width=\"{w}\" height=\"{lane_height}\" fill=\"{fill}\">\
             <title>{t}</title></rect><text class=\"lane-label\" x=\"{MARGIN}\" y=\"{ty}\">{t}</text></g>",
            class = lane.class(),
            top = layout.lane_top[i],
            w = layout.width - 4.0,
            ty = layout.lane_top[i] + 13.0,
            t = escape(&label),
        );
        let _ = write!(
            legend,
            "<li class=\"{class}{cut}\"><span class=\"swatch\" style=\"background:{node_fill}\"></span>{t}</li>",
            class = lane.class(),
            t = escape(&label),
        );
    }
    legend.push_str(
        "<li class=\"critical\"><span class=\"swatch critical\"></span>critical service (bold outline)</li>\
         <li class=\"spof\"><span class=\"swatch spof\"></span>SPOF: a single resource whose failure stops a critical service</li>\
         <li class=\"edge-any\"><span class=\"swatch edge-any\"></span>dashed line: one of several redundant members; solid: required</li></ul>",
    );
    legend
}

/// The edges layer of the picture, under the nodes: a path per requirement.
fn picture_edges(svg: &mut String, layout: &Layout, nodes: &[ViewNode], edges: &[&ViewEdge]) {
    svg.push_str("<g class=\"edges\">");
    for e in edges {
        let (x1, y1) = layout.position(e.from);
        let (x2, y2) = layout.position(e.to);
        let (sx, sy) = (x1 + NODE_W, y1 + NODE_H / 2.0);
        let (tx, ty) = (x2, y2 + NODE_H / 2.0);
        let d = if tx > sx {
            let mid = (sx + tx) / 2.0;
            format!("M{sx} {sy} C{mid} {sy} {mid} {ty} {tx} {ty}")
        } else {
            // Back or same-column edge: loop out to the right and come in from the left.
            format!(
                "M{sx} {sy} C{} {sy} {} {ty} {tx} {ty}",
                sx + COLUMN_GAP * 0.8,
                tx - COLUMN_GAP * 0.8
            )
        };
        let kind = if e.group.starts_with("requires") || e.group.starts_with("all of") {
            "edge"
        } else {
            "edge any"
        };
        let _ = write!(
            svg,
            "<path class=\"{kind}\" d=\"{d}\"><title>{} → {}: {}</title></path>",
            escape(&nodes[e.from].name),
            escape(&nodes[e.to].name),
            escape(&e.group)
        );
    }
    svg.push_str("</g>");
}

/// The nodes layer of the picture: a box per resource, critical services and SPOFs marked.
fn picture_nodes(
    svg: &mut String,
    layout: &Layout,
    nodes: &[ViewNode],
    colours: &[(&str, &str)],
    spofs: &BTreeSet<&str>,
) {
    svg.push_str("<g class=\"nodes\">");
    for (i, n) in nodes.iter().enumerate() {
        let (x, y) = layout.position(i);
        let mut class = String::from("node");
        if n.critical {
            class.push_str(" critical");
        }
        let spof = spofs.contains(n.id.as_str());
        if spof {
            class.push_str(" spof");
        }
        let zones = if n.placement == Placement::Unpinned {
            format!(" ({UNPINNED_NOTE})")
        } else if n.placement.zones().is_empty() {
            String::new()
        } else {
            format!(" in {}", n.placement.zones().join(", "))
        };
        let title = format!(
            "{} ({}, {}{}){}\n{}",
            n.name,
            n.kind,
            n.placement.type_name(),
            zones,
            if spof {
                " — single point of failure"
            } else {
                ""
            },
            n.id
        );
        let _ = write!(
            svg,
            "<g class=\"{class}\"><rect x=\"{x}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"4\" fill=\"{fill}\"/>\
             <text x=\"{tx}\" y=\"{ty}\">{label}</text>{badge}<title>{title}</title></g>",
            fill = colours[layout.node_lane[i]].1,
            tx = x + 6.0,
            ty = y + 15.0,
            label = escape(&shorten(&n.name, if spof { 18 } else { 24 })),
            badge = if spof {
                format!(
                    "<text class=\"badge\" x=\"{}\" y=\"{}\" text-anchor=\"end\">SPOF</text>",
                    x + NODE_W - 5.0,
                    y + 15.0
                )
            } else {
                String::new()
            },
            title = escape(&title),
        );
    }
    svg.push_str("</g>");
}

/// What the picture leaves out, in words.
pub(super) fn omitted_text(resources: usize, edges: usize) -> String {
    let mut parts = Vec::new();
    if resources > 0 {
        parts.push(format!(
            "{resources} more resource{} required by the critical services not drawn",
            if resources == 1 { "" } else { "s" }
        ));
    }
    if edges > 0 {
        parts.push(format!(
            "{edges} more requirement{} not drawn",
            if edges == 1 { "" } else { "s" }
        ));
    }
    parts.join("; ")
}
