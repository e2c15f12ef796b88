//! Inline SVG charts: intervals against thresholds, and bars. Layout only, no computation of
//! the figures themselves.

use crate::{esc, Chart, Interval, Lang, Text};

const WIDTH: f64 = 640.0;
const LABEL: f64 = 230.0;
const ROW: f64 = 26.0;

/// The chart as a `<figure>` with an inline `<svg>`.
pub fn chart(c: &Chart, lang: Lang) -> String {
    match c {
        Chart::Intervals { title, rows } => intervals(title.get(lang), rows, lang),
        Chart::Bars { title, rows, max } => bars(title.get(lang), rows, *max, lang),
    }
}

/// The chart in a `<figure>`; the legend is HTML under the drawing, so it wraps instead of
/// running into the axis.
fn frame(title: &str, height: f64, body: &str, legend: Option<&str>) -> String {
    let legend = legend.map_or(String::new(), |l| {
        format!("<p class=\"legend\"><small>{}</small></p>", esc(l))
    });
    format!(
        "<figure><figcaption>{t}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{t}\" width=\"100%\" viewBox=\"0 0 {WIDTH} {height:.1}\" preserveAspectRatio=\"xMinYMin meet\">{body}</svg>{legend}</figure>\n",
        t = esc(title)
    )
}

/// Font size of row labels, and the height of one label line.
const FONT: f64 = 11.0;
const LINE: f64 = 13.0;

/// Approximate advance of a character at `FONT`: CJK and full-width forms take a full em,
/// Latin about half of one (a safe over-estimate for system sans fonts).
fn advance(c: char) -> f64 {
    let wide = matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
    if wide {
        FONT
    } else if c.is_ascii_uppercase() || c == 'm' || c == 'w' {
        0.72 * FONT
    } else {
        0.58 * FONT
    }
}

/// Breaks a label into lines no wider than `width`, at spaces where it can and anywhere in
/// CJK text; a label is never cut.
fn wrap(text: &str, width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut w = 0.0;
    let mut last_space: Option<usize> = None;
    for c in text.chars() {
        let a = advance(c);
        if w + a > width && !line.is_empty() {
            match last_space {
                Some(i) if i > 0 => {
                    let rest = line[i + 1..].to_owned();
                    line.truncate(i);
                    lines.push(std::mem::take(&mut line));
                    w = rest.chars().map(advance).sum();
                    line = rest;
                }
                _ => {
                    lines.push(std::mem::take(&mut line));
                    w = 0.0;
                }
            }
            last_space = None;
        }
        if c == ' ' {
            last_space = Some(line.len());
        }
        line.push(c);
        w += a;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A row label right-aligned before the plot, one `<tspan>` per line, centred on `y`.
fn label(y: f64, lines: &[String]) -> String {
    let top = y + 4.0 - LINE * (lines.len() as f64 - 1.0) / 2.0;
    let spans: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "<tspan x=\"{:.1}\" y=\"{:.1}\">{}</tspan>",
                LABEL - 6.0,
                top + LINE * i as f64,
                esc(l)
            )
        })
        .collect();
    format!("<text font-size=\"{FONT}\" text-anchor=\"end\">{spans}</text>")
}

/// Each row's label lines and its centre line, rows stacked so labels never meet.
fn layout(labels: &[&str]) -> (Vec<(Vec<String>, f64)>, f64) {
    let mut y = 4.0;
    let mut rows = Vec::new();
    for l in labels {
        let lines = wrap(l, LABEL - 12.0);
        let h = ROW.max(LINE * lines.len() as f64 + 8.0);
        rows.push((lines, y + h / 2.0));
        y += h;
    }
    (rows, y)
}

/// x position of a share in [0, 1] (clamped).
fn x_of(v: f64, scale: f64) -> f64 {
    let v = if v.is_finite() { v } else { 0.0 };
    LABEL + (v / scale).clamp(0.0, 1.0) * (WIDTH - LABEL - 60.0)
}

fn intervals(title: &str, rows: &[Interval], lang: Lang) -> String {
    let labels: Vec<&str> = rows.iter().map(|r| r.label.get(lang)).collect();
    let (placed, bottom) = layout(&labels);
    let axis_y = bottom + 2.0;
    let height = axis_y + 16.0;
    let mut b = String::new();
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = x_of(t, 1.0);
        b.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"4\" x2=\"{x:.1}\" y2=\"{axis_y:.1}\" stroke=\"#ddd\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{t}</text>",
            axis_y + 12.0
        ));
    }
    for (r, (lines, y)) in rows.iter().zip(&placed) {
        let y = *y;
        // Wholly above the threshold fails; straddling it is inconclusive, never a pass.
        let colour = match r.threshold {
            Some(t) if r.low > t => "#b71c1c",
            Some(t) if r.high > t => "#e65100",
            _ => "#2e7d32",
        };
        b.push_str(&label(y, lines));
        b.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{colour}\" stroke-width=\"3\"/><circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{colour}\"/>",
            x_of(r.low, 1.0),
            x_of(r.high, 1.0).max(x_of(r.low, 1.0) + 1.0),
            x_of(r.value, 1.0)
        ));
        if let Some(t) = r.threshold {
            let x = x_of(t, 1.0);
            b.push_str(&format!(
                "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#111\" stroke-width=\"2\" stroke-dasharray=\"3 2\"/>",
                y - 9.0,
                y + 9.0
            ));
        }
        b.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{:.3}</text>",
            WIDTH - 54.0,
            y + 4.0,
            r.high
        ));
    }
    let legend = datavisa_i18n::Msg::new("chart.interval_legend").render(lang);
    frame(title, height, &b, Some(&legend))
}

fn bars(title: &str, rows: &[(Text, f64)], max: Option<f64>, lang: Lang) -> String {
    let top = max.unwrap_or_else(|| rows.iter().map(|r| r.1).fold(0.0, f64::max));
    let scale = if top > 0.0 { top } else { 1.0 };
    let labels: Vec<&str> = rows.iter().map(|r| r.0.get(lang)).collect();
    let (placed, bottom) = layout(&labels);
    let mut b = String::new();
    for ((_, v), (lines, y)) in rows.iter().zip(&placed) {
        let y = *y;
        b.push_str(&label(y, lines));
        b.push_str(&format!(
            "<rect x=\"{LABEL}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\" fill=\"#4a6fa5\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{}</text>",
            y - 7.0,
            x_of(*v, scale) - LABEL,
            x_of(*v, scale) + 4.0,
            y + 4.0,
            if v.fract() == 0.0 { format!("{v}") } else { format!("{v:.3}") }
        ));
    }
    frame(title, bottom + 4.0, &b, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_mark_failures_and_escape_labels() {
        let c = Chart::Intervals {
            title: Text::new("风险", "Risk"),
            rows: vec![
                Interval {
                    label: "a<b".into(),
                    value: 0.1,
                    low: 0.05,
                    high: 0.3,
                    threshold: Some(0.2),
                },
                Interval {
                    label: "ok".into(),
                    value: 0.01,
                    low: 0.0,
                    high: 0.02,
                    threshold: Some(0.2),
                },
                Interval {
                    label: "over".into(),
                    value: 0.5,
                    low: 0.4,
                    high: 0.6,
                    threshold: Some(0.2),
                },
            ],
        };
        let s = chart(&c, Lang::En);
        assert!(s.contains("<svg") && s.contains("a&lt;b") && !s.contains("a<b"));
        assert_eq!(
            s.matches("#b71c1c").count(),
            2,
            "one failing row: bar and dot"
        );
        assert_eq!(
            s.matches("#e65100").count(),
            2,
            "one straddling row, inconclusive: bar and dot"
        );
        assert_eq!(s.matches("#2e7d32").count(), 2);
    }

    #[test]
    fn long_labels_wrap_instead_of_being_cut() {
        let long = "可关联性：已知信息 ↔ 接收方持有的数据集 holdings/customers-2026.csv";
        let lines = wrap(long, LABEL - 12.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), long.replace(' ', ""));
        for l in &lines {
            assert!(
                l.chars().map(advance).sum::<f64>() <= LABEL - 12.0 + FONT,
                "{l}"
            );
        }
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let s = chart(
            &Chart::Bars {
                title: Text::new("k", "k"),
                rows: vec![("1".into(), 2.0), ("2".into(), 4.0)],
                max: None,
            },
            Lang::En,
        );
        let full = format!("width=\"{:.1}\"", WIDTH - LABEL - 60.0);
        assert!(s.contains(&full), "{s}");
    }
}
