//! Bar charts drawn as SVG on the server, for the dashboard: no script, no inline style
//! (the inbox's Content-Security-Policy forbids both), only presentation attributes and
//! classes from `inbox.css`. Every label is escaped here, because the chart is put into
//! the page as markup. Each chart has a `<title>` and a `<desc>` for screen readers; the
//! page shows the same numbers in a table beside it.

use std::fmt::Write as _;

/// One bar: its label, its length in the chart's unit, and the text written at its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

/// Escapes text for SVG (XML) content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Shortens `label` to `max` characters, with an ellipsis.
fn clip(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// The scale's top: `max` (for percentages, 100), or the largest value, never 0.
fn top(bars: &[Bar], max: Option<f64>) -> f64 {
    max.unwrap_or_else(|| bars.iter().map(|b| b.value).fold(0.0, f64::max))
        .max(f64::EPSILON)
}

fn open(out: &mut String, id: &str, width: u32, height: u32, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(desc),
    );
}

/// Horizontal bars, one row per label: for categories (tiers, kinds, hold reasons).
/// `max` fixes the scale (100 for percentages); otherwise the longest bar fills the width.
pub fn horizontal(id: &str, title: &str, desc: &str, bars: &[Bar], max: Option<f64>) -> String {
    const ROW: u32 = 26;
    const LABEL: f64 = 170.0;
    const PLOT: f64 = 300.0;
    let width = 560;
    let height = ROW * u32::try_from(bars.len().max(1)).unwrap_or(1) + 8;
    let top = top(bars, max);
    let mut out = String::new();
    open(&mut out, &escape(id), width, height, title, desc);
    if bars.is_empty() {
        let _ = write!(
            out,
            r#"<text x="0" y="18" class="chart-empty">No data in this window</text>"#
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = f64::from(ROW) * f64::from(u32::try_from(i).unwrap_or(0)) + 4.0;
        let w = (b.value.max(0.0) / top * PLOT).min(PLOT);
        let _ = write!(
            out,
            r#"<g class="bar"><text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{label}</text><rect x="{LABEL}" y="{y}" width="{w:.1}" height="18" rx="2" class="chart-bar"/><text x="{vx:.1}" y="{ty}" class="chart-value">{shown}</text></g>"#,
            lx = LABEL - 8.0,
            ty = y + 13.0,
            label = escape(&clip(&b.label, 24)),
            vx = LABEL + w + 6.0,
            shown = escape(&b.shown),
        );
    }
    out.push_str("</svg>");
    out
}

/// Vertical columns over time (one per day), with the first and last labels under the axis
/// and the largest value marked.
pub fn columns(id: &str, title: &str, desc: &str, bars: &[Bar]) -> String {
    const HEIGHT: f64 = 140.0;
    const BASE: f64 = 150.0;
    let width = 560.0;
    let n = bars.len().max(1);
    let slot = width / f64::from(u32::try_from(n).unwrap_or(1));
    let top = top(bars, None);
    let mut out = String::new();
    open(&mut out, &escape(id), 560, 176, title, desc);
    let _ = write!(
        out,
        r#"<line x1="0" y1="{BASE}" x2="{width}" y2="{BASE}" class="chart-axis"/>"#
    );
    for (i, b) in bars.iter().enumerate() {
        let x = slot * f64::from(u32::try_from(i).unwrap_or(0));
        let h = (b.value.max(0.0) / top * HEIGHT).min(HEIGHT);
        let _ = write!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" class="chart-bar"><title>{}: {}</title></rect>"#,
            x + slot * 0.15,
            BASE - h,
            slot * 0.7,
            escape(&b.label),
            escape(&b.shown),
        );
    }
    if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
        let _ = write!(
            out,
            r#"<text x="0" y="170" class="chart-label">{}</text><text x="{width}" y="170" text-anchor="end" class="chart-label">{}</text>"#,
            escape(&first.label),
            escape(&last.label),
        );
    }
    let peak = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    if peak > 0.0 {
        let _ = write!(
            out,
            r#"<text x="2" y="12" class="chart-value">max {}</text>"#,
            escape(&format_number(peak)),
        );
    } else {
        let _ = write!(
            out,
            r#"<text x="{}" y="80" text-anchor="middle" class="chart-empty">None in this window</text>"#,
            width / 2.0,
        );
    }
    out.push_str("</svg>");
    out
}

/// A count without a needless fraction.
fn format_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64) -> Bar {
        Bar {
            label: label.to_owned(),
            value,
            shown: format!("{value}"),
        }
    }

    #[test]
    fn labels_are_escaped() {
        let svg = horizontal(
            "c",
            "T <x>",
            "d & e",
            &[bar("<script>alert(1)</script>", 1.0)],
            None,
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("<title id=\"c-title\">T &lt;x&gt;</title>"));
        assert!(svg.contains("d &amp; e"));
    }

    #[test]
    fn bars_scale_to_the_longest_or_to_a_fixed_top() {
        let svg = horizontal("c", "t", "d", &[bar("a", 2.0), bar("b", 1.0)], None);
        assert!(svg.contains(r#"width="300.0""#), "{svg}");
        assert!(svg.contains(r#"width="150.0""#), "{svg}");
        let pct = horizontal("c", "t", "d", &[bar("a", 25.0)], Some(100.0));
        assert!(pct.contains(r#"width="75.0""#), "{pct}");
    }

    #[test]
    fn no_style_attributes_and_an_empty_chart_says_so() {
        let svg = horizontal("c", "t", "d", &[], None);
        assert!(svg.contains("No data in this window"));
        let cols = columns("d", "t", "d", &[bar("11-24", 3.0), bar("11-25", 0.0)]);
        for s in [&svg, &cols] {
            assert!(!s.contains("style="), "{s}");
        }
        assert!(cols.contains("max 3"));
        let none = columns("e", "t", "d", &[bar("11-24", 0.0)]);
        assert!(none.contains("None in this window"), "{none}");
        assert!(cols.contains(r#"height="140.0""#), "{cols}");
    }
}
