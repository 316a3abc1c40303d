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

/// Shares of a whole, with a legend giving each part's value and percentage.
pub fn pie_chart(title: &str, parts: &[(String, f64)]) -> Markup {
    const COLOURS: [&str; 8] = ["#1f4e79", "#2e75b6", "#9dc3e6", "#c55a11", "#f4b183", "#548235", "#a9d18e", "#7f6000"];
    let total: f64 = parts.iter().map(|(_, v)| *v).sum();
    let (cx, cy, r) = (110.0, 110.0, 100.0);
    let height = (parts.len() as f64 * 22.0 + 20.0).max(230.0);
    // Each slice as an SVG path (or a full circle for a part that is the whole).
    let mut angle = -std::f64::consts::FRAC_PI_2;
    let mut slices = Vec::new();
    for (i, (_, v)) in parts.iter().enumerate() {
        if total <= 0.0 || *v <= 0.0 {
            continue;
        }
        let sweep = v / total * std::f64::consts::TAU;
        let end = angle + sweep;
        let colour = COLOURS[i % COLOURS.len()];
        let shape = if v / total > 0.9999 {
            None
        } else {
            let (x0, y0) = (cx + r * angle.cos(), cy + r * angle.sin());
            let (x1, y1) = (cx + r * end.cos(), cy + r * end.sin());
            let large = i32::from(sweep > std::f64::consts::PI);
            Some(format!("M{cx},{cy} L{x0:.2},{y0:.2} A{r},{r} 0 {large} 1 {x1:.2},{y1:.2} Z"))
        };
        slices.push((colour, shape));
        angle = end;
    }
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(title) {
            title { (title) }
            @for (colour, shape) in &slices {
                @match shape {
                    Some(d) => path fill=(colour) d=(d) {},
                    None => circle cx=(cx) cy=(cy) r=(r) fill=(colour) {},
                }
            }
            @for (i, (label, v)) in parts.iter().enumerate() {
                @let y = 20.0 + 22.0 * i as f64;
                rect x="240" y=(y - 11.0) width="14" height="14" fill=(COLOURS[i % COLOURS.len()]) {}
                text x="262" y=(y) { (label) "：" (fmt_num(*v)) @if total > 0.0 { "（" (format!("{:.1}", v / total * 100.0)) "%）" } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pie_slices_cover_the_whole() {
        let svg = pie_chart("t", &[("甲".into(), 1.0), ("乙".into(), 3.0)]).into_string();
        assert_eq!(svg.matches("<path").count(), 2);
        assert!(svg.contains("甲：1（25.0%）") && svg.contains("乙：3（75.0%）"));
        let whole = pie_chart("t", &[("甲".into(), 5.0), ("乙".into(), 0.0)]).into_string();
        assert!(whole.contains("<circle") && !whole.contains("<path"));
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let svg = bar_chart("t", &[("甲".into(), 10.0), ("乙".into(), 5.0)]).into_string();
        assert!(svg.contains("width=\"380.0\"") && svg.contains("width=\"190.0\""), "{svg}");
    }
}
