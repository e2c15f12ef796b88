//! Human-readable tables and progress spinners for the terminal.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use unicode_width::UnicodeWidthStr;

/// Renders rows as an aligned text table (CJK-aware widths), cells cut at `max_cell` columns.
pub fn table(header: &[&str], rows: &[Vec<String>], max_cell: usize) -> String {
    let cut = |s: &str| -> String {
        if s.width() <= max_cell {
            return s.to_owned();
        }
        let mut out = String::new();
        for c in s.chars() {
            if out.width() + 2 > max_cell {
                break;
            }
            out.push(c);
        }
        out.push('…');
        out
    };
    let cells: Vec<Vec<String>> = std::iter::once(header.iter().map(|h| h.to_string()).collect())
        .chain(rows.iter().map(|r| r.iter().map(|c| cut(c)).collect()))
        .collect();
    let ncol = header.len();
    let widths: Vec<usize> = (0..ncol)
        .map(|j| {
            cells
                .iter()
                .map(|r| r.get(j).map_or(0, |c| c.width()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in cells.iter().enumerate() {
        let line: Vec<String> = (0..ncol)
            .map(|j| {
                let c = r.get(j).map_or("", String::as_str);
                format!("{c}{}", " ".repeat(widths[j] - c.width()))
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}

/// A spinner on stderr, hidden when stderr is not a terminal or with --quiet.
pub fn spinner(quiet: bool, msg: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("static template"),
    );
    pb.set_message(msg.to_owned());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// A percentage with one decimal.
pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A progress bar on stderr for `len` steps, hidden when stderr is not a terminal or with --quiet.
pub fn progress_bar(quiet: bool, len: u64, msg: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed} (eta {eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    pb.set_message(msg.to_owned());
    pb
}

/// Prints a result as pretty JSON.
pub fn print_json<T: serde::Serialize + ?Sized>(v: &T) -> anyhow::Result<()> {
    // Through a Value: keys print sorted, as every JSON output always has.
    let v = serde_json::to_value(v)?;
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

/// Prints a list as one JSON array, or as a table with one `row` per item under `header`.
pub fn print_items<T: serde::Serialize>(
    items: &[T],
    format: crate::Format,
    header: &[&str],
    max_cell: usize,
    row: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    if format == crate::Format::Json {
        return print_json(&serde_json::to_value(items)?);
    }
    let rows: Vec<Vec<String>> = items.iter().map(row).collect();
    print!("{}", table(header, &rows, max_cell));
    Ok(())
}
