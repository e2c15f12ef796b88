//! Inline SVG charts: intervals against thresholds, and bars. Layout only, no computation of
//! the figures themselves.

use crate::{esc, Chart, Interval, Lang};

const WIDTH: f64 = 640.0;
const LABEL: f64 = 230.0;
const ROW: f64 = 26.0;

/// The chart as a `<figure>` with an inline `<svg>`.
pub fn chart(c: &Chart, lang: Lang) -> String {
    match c {
        Chart::Intervals { title, rows } => intervals(title.get(lang), rows, lang),
        Chart::Bars { title, rows, max } => bars(title.get(lang), rows, *max),
    }
}

fn frame(title: &str, height: f64, body: &str) -> String {
    format!(
        "<figure><figcaption>{t}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{t}\" width=\"100%\" viewBox=\"0 0 {WIDTH} {height}\" preserveAspectRatio=\"xMinYMin meet\">{body}</svg></figure>\n",
        t = esc(title)
    )
}

fn label(y: f64, text: &str) -> String {
    let short: String = text.chars().take(38).collect();
    format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}<title>{}</title></text>",
        LABEL - 6.0,
        y + 4.0,
        esc(&short),
        esc(text)
    )
}

/// x position of a share in [0, 1] (clamped).
fn x_of(v: f64, scale: f64) -> f64 {
    let v = if v.is_finite() { v } else { 0.0 };
    LABEL + (v / scale).clamp(0.0, 1.0) * (WIDTH - LABEL - 60.0)
}

fn intervals(title: &str, rows: &[Interval], lang: Lang) -> String {
    let height = ROW * rows.len() as f64 + 34.0;
    let mut b = String::new();
    let axis_y = height - 16.0;
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = x_of(t, 1.0);
        b.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"4\" x2=\"{x:.1}\" y2=\"{axis_y:.1}\" stroke=\"#ddd\"/><text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{t}</text>",
            axis_y + 12.0
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        let y = 14.0 + ROW * i as f64;
        // Wholly above the threshold fails; straddling it is inconclusive, never a pass.
        let colour = match r.threshold {
            Some(t) if r.low > t => "#b71c1c",
            Some(t) if r.high > t => "#e65100",
            _ => "#2e7d32",
        };
        b.push_str(&label(y, &r.label));
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
    let legend = match lang {
        Lang::Zh => "点：估计值；线：置信区间（绿：通过；橙：不确定，不算通过；红：未通过）；虚线：阈值；右侧数字为区间上限",
        Lang::En => "dot: estimate; bar: confidence interval (green pass, amber inconclusive: not a pass, red fail); dashed: threshold; number: upper end",
    };
    b.push_str(&format!(
        "<text x=\"{LABEL}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">{}</text>",
        height - 1.0,
        esc(legend)
    ));
    frame(title, height + 4.0, &b)
}

fn bars(title: &str, rows: &[(String, f64)], max: Option<f64>) -> String {
    let top = max.unwrap_or_else(|| rows.iter().map(|r| r.1).fold(0.0, f64::max));
    let scale = if top > 0.0 { top } else { 1.0 };
    let height = ROW * rows.len() as f64 + 8.0;
    let mut b = String::new();
    for (i, (name, v)) in rows.iter().enumerate() {
        let y = 14.0 + ROW * i as f64;
        b.push_str(&label(y, name));
        b.push_str(&format!(
            "<rect x=\"{LABEL}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\" fill=\"#4a6fa5\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{}</text>",
            y - 7.0,
            x_of(*v, scale) - LABEL,
            x_of(*v, scale) + 4.0,
            y + 4.0,
            if v.fract() == 0.0 { format!("{v}") } else { format!("{v:.3}") }
        ));
    }
    frame(title, height, &b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Text;

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
