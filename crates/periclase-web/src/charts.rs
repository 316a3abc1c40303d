//! Charts drawn as SVG on the server: no script, printable, readable without a network.

use maud::{html, Markup};

const WIDTH: f64 = 640.0;

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Horizontal bars, one per item, labelled with the item and its value.
pub fn bar_chart(title: &str, items: &[(String, f64)]) -> Markup {
    let max = items.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1.0);
    let row = 26.0;
    let label_w = 190.0;
    let height = row * items.len() as f64 + 10.0;
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(title) {
            title { (title) }
            @for (i, (label, value)) in items.iter().enumerate() {
                @let y = 5.0 + row * i as f64;
                @let w = (WIDTH - label_w - 70.0) * value / max;
                text x=(label_w - 8.0) y=(y + 17.0) text-anchor="end" { (label) }
                rect.bar x=(label_w) y=(y + 4.0) width=(format!("{w:.1}")) height=(row - 8.0) rx="2" {}
                text x=(label_w + w + 6.0) y=(y + 17.0) { (fmt_num(*value)) }
            }
        }
    }
}

/// A line through the points, in order, with the values printed at each point.
pub fn line_chart(title: &str, points: &[(String, f64)]) -> Markup {
    let height = 220.0;
    let (left, right, top, bottom) = (50.0, 20.0, 20.0, 30.0);
    let max = points.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1.0);
    let n = points.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + (WIDTH - left - right) * i as f64 / n;
    let y = |v: f64| top + (height - top - bottom) * (1.0 - v / max);
    let path: Vec<String> = points.iter().enumerate().map(|(i, (_, v))| format!("{:.1},{:.1}", x(i), y(*v))).collect();
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(title) {
            title { (title) }
            line.axis x1=(left) y1=(height - bottom) x2=(WIDTH - right) y2=(height - bottom) {}
            polyline.line points=(path.join(" ")) {}
            @for (i, (label, value)) in points.iter().enumerate() {
                circle.dot cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(*value))) r="3.5" {}
                text x=(format!("{:.1}", x(i))) y=(format!("{:.1}", y(*value) - 8.0)) text-anchor="middle" { (fmt_num(*value)) }
                text x=(format!("{:.1}", x(i))) y=(height - 10.0) text-anchor="middle" { (label) }
            }
        }
    }
}
