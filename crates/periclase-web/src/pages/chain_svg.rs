//! The chain map as SVG, drawn on the server: boxes in columns by supply depth (upstream
//! left), coloured by strength against the benchmark and marked by finding, each a link to
//! its node page; edges routed through the gutters.

use maud::{html, Markup};
use periclase_chain::findings::wan;
use periclase_chain::{layout, Analysis, Area, FindingKind, NodeMetrics};
use periclase_domain::Chain;

const BOX_W: i64 = 150;
const BOX_H: i64 = 54;
const GAP_X: i64 = 70;
const GAP_Y: i64 = 22;

/// Strength class of a node: its local share against the benchmark share.
fn strength(m: &NodeMetrics) -> &'static str {
    if m.market {
        return "market";
    }
    match (m.enterprises, m.share, m.benchmark_share) {
        (0, _, _) => "absent",
        (_, Some(s), Some(b)) if b > 0.0 && s < 0.5 * b => "weak",
        (_, Some(s), Some(b)) if s >= b => "strong",
        _ => "fair",
    }
}

fn mark(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Missing => "缺",
        FindingKind::Weak => "弱",
        FindingKind::BreakRisk => "断",
        FindingKind::Extension => "延",
    }
}

/// The chain as SVG: boxes in columns by supply depth, arrows for supply edges, each box a
/// link to its node page.
pub(super) fn chain_svg(chain: &Chain, a: &Analysis) -> Markup {
    let l = layout(chain);
    let pos = |id: &str| l.nodes.iter().find(|p| p.node == id).map(|p| (p.column as i64, p.row as i64));
    let xy = |(c, r): (i64, i64)| (20 + c * (BOX_W + GAP_X), 20 + r * (BOX_H + GAP_Y));
    let width = 40 + l.columns as i64 * (BOX_W + GAP_X) - GAP_X;
    let height = 40 + l.rows as i64 * (BOX_H + GAP_Y) - GAP_Y;
    let query = area_query(&a.area);
    html! {
        svg.chain xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height)
            role="img" aria-label={ (chain.name) "图谱" } {
            defs {
                marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto" {
                    path d="M0,0 L10,5 L0,10 z" class="arrowhead" {}
                }
            }
            @for e in &chain.edges {
                @if let (Some(f), Some(t)) = (pos(&e.from), pos(&e.to)) {
                    @let ((x1, y1), (x2, y2)) = (xy(f), xy(t));
                    path.edge d=(edge_path((x1 + BOX_W, y1 + BOX_H / 2), (x2, y2 + BOX_H / 2), t.0 - f.0, y1)) marker-end="url(#arrow)" {
                        title { (chain.node(&e.from).map_or("", |n| n.name.as_str())) " → " (chain.node(&e.to).map_or("", |n| n.name.as_str()))
                            "（" (e.kind.label()) @if let (Some(w), Some(u)) = (e.weight, &e.unit) { "，" (w) " " (u) } "）" }
                    }
                }
            }
            @for p in &l.nodes {
                @if let (Some(n), Some(m)) = (chain.node(&p.node), a.node(&p.node)) {
                    @let (x, y) = xy((p.column as i64, p.row as i64));
                    @let marks: String = a.findings_for(&n.id).map(|f| mark(f.kind)).collect::<Vec<_>>().join("");
                    a href={ "/chains/" (chain.id) "/nodes/" (n.id) "?" (query) } {
                        rect class={ "node " (strength(m)) } x=(x) y=(y) width=(BOX_W) height=(BOX_H) rx="6" {
                            title { (n.name) "：本地企业 " (m.enterprises) " 家，营收 " (wan(m.revenue)) }
                        }
                        text.name x=(x + 8) y=(y + 21) { (n.name) }
                        text.figure x=(x + 8) y=(y + 42) {
                            @if m.market { "下游用户" } @else { (m.enterprises) " 家 · " (wan(m.revenue)) }
                        }
                        @if !marks.is_empty() {
                            text.finding x=(x + BOX_W - 8) y=(y + 21) text-anchor="end" { (marks) }
                        }
                    }
                }
            }
        }
    }
}

/// An edge from a box's right side to another's left side. Between neighbouring columns it
/// is straight; one that skips columns runs in the gutters (up to the gap above its source
/// row, across, down) so it never crosses a box.
fn edge_path((x1, y1): (i64, i64), (x2, y2): (i64, i64), columns: i64, source_top: i64) -> String {
    if columns <= 1 {
        return format!("M{x1},{y1} L{x2},{y2}");
    }
    let (gx1, gx2, gy) = (x1 + GAP_X / 2, x2 - GAP_X / 2, source_top - GAP_Y / 2);
    format!("M{x1},{y1} L{gx1},{y1} L{gx1},{gy} L{gx2},{gy} L{gx2},{y2} L{x2},{y2}")
}

/// The query string that keeps the area (and a chosen benchmark) across links.
pub(super) fn area_query(area: &Area) -> String {
    if area.benchmark == Area::new(&area.region).benchmark {
        format!("region={}", area.region)
    } else {
        format!("region={}&benchmark={}", area.region, area.benchmark)
    }
}
