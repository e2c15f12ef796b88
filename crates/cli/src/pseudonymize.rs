//! `datavisa twin pseudonymize`: flags → request → workspace → print; and the demo's
//! pseudonymize step.

use crate::front::{workspace, CliSecrets};
use crate::output::{print_json, table};
use crate::{Format, ReadArgs, VaultArgs};
use anyhow::Result;
use datavisa_workflow::twins::PseudonymizeRequest;
use serde_json::Value;
use std::path::Path;

/// `datavisa twin pseudonymize`.
pub fn pseudonymize_cmd(
    input: &Path,
    output: &Path,
    recipient: &str,
    vault: &VaultArgs,
    read: &ReadArgs,
    format: Format,
    quiet: bool,
) -> Result<()> {
    let secrets = CliSecrets {
        master_key_file: vault.master_key_file.clone(),
        ..Default::default()
    };
    let req = PseudonymizeRequest {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        recipient: recipient.to_owned(),
        read: read.into(),
    };
    let w = workspace(&vault.store, secrets, quiet)?.pseudonymize(&req)?;
    if format == Format::Json {
        return print_json(&w);
    }
    print_summary(&serde_json::to_value(&w)?);
    Ok(())
}

fn print_summary(m: &Value) {
    let rows: Vec<Vec<String>> = m["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_owned();
            let key = if c["key"].is_null() {
                String::new()
            } else {
                format!(
                    "{} v{}",
                    c["key"]["domain"].as_str().unwrap_or(""),
                    c["key"]["version"]
                )
            };
            vec![
                s("column"),
                s("method"),
                key,
                s("decided_by"),
                c["suppressed"].to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "column",
                "method",
                "key (domain, version)",
                "decided by",
                "suppressed"
            ],
            &rows,
            40
        )
    );
    println!(
        "twin {} for {}: {} rows -> {}\nmanifest: {}\nstatus: de-identified personal information (PIPL Art. 73(3)); the keys stay in the vault",
        m["twin_id"].as_str().unwrap_or(""),
        m["recipient"].as_str().unwrap_or(""),
        m["output"]["rows"],
        m["output"]["path"].as_str().unwrap_or(""),
        m["manifest"].as_str().unwrap_or("")
    );
}
