//! Human-readable tables and progress spinners for the terminal.

use datavisa_workflow::i18n::Msg;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use unicode_width::UnicodeWidthStr;

/// Renders rows as an aligned text table (CJK-aware widths), cells cut at `max_cell` columns.
pub fn table<S: AsRef<str>>(header: &[S], rows: &[Vec<String>], max_cell: usize) -> String {
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
    let cells: Vec<Vec<String>> =
        std::iter::once(header.iter().map(|h| h.as_ref().to_owned()).collect())
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
pub fn print_items<T: serde::Serialize, S: AsRef<str>>(
    items: &[T],
    format: crate::Format,
    header: &[S],
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

/// A message in the run's language (`--lang`, DATAVISA_LANG; English by default).
pub fn tr(m: Msg) -> String {
    m.render(crate::front::lang())
}

/// Prints a message in the run's language.
pub fn say(m: Msg) {
    println!("{}", tr(m));
}

/// Prints a message in the run's language on stderr (notes for the operator, not results).
pub fn tell(m: Msg) {
    eprintln!("{}", tr(m));
}

/// Table headers in the run's language: each name is the catalogue's `cli.header.<name>`
/// (an empty name stays an empty header).
pub fn heads(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            if n.is_empty() {
                String::new()
            } else {
                tr(Msg::new(&format!("cli.header.{n}")))
            }
        })
        .collect()
}

/// A warning line: an engine's English warning in the run's language when the catalogue
/// recognises it, else as written.
pub fn warning(w: &str) -> Msg {
    Msg::new("cli.warning").arg("warning", datavisa_workflow::report::warning_msg(w))
}

/// A code in English output as it always was (`financial_account`, `anonymized`), its
/// catalogue name in Chinese.
pub fn code_or(code: &str, name: Msg) -> datavisa_workflow::i18n::Arg {
    match crate::front::lang() {
        datavisa_workflow::i18n::Lang::En => code.into(),
        datavisa_workflow::i18n::Lang::Zh => name.into(),
    }
}

/// A table cell: the code in English, its catalogue name in Chinese.
pub fn code_cell(code: &str, name: Msg) -> String {
    match crate::front::lang() {
        datavisa_workflow::i18n::Lang::En => code.to_owned(),
        datavisa_workflow::i18n::Lang::Zh => tr(name),
    }
}

/// Data items as one argument, joined in the run's language (nothing at all when empty).
pub fn list_arg<S: AsRef<str>>(items: &[S]) -> datavisa_workflow::i18n::Arg {
    if items.is_empty() {
        return "".into();
    }
    items
        .iter()
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .into()
}
