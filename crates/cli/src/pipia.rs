//! `datavisa report pipia`: flags → a PIPIA request → the workspace writes the draft.

use crate::front::{workspace, CliSecrets};
use crate::PipiaArgs;
use anyhow::Result;
use datavisa_workflow::pipia::PipiaRequest;

/// `datavisa report pipia`.
pub fn pipia_cmd(a: &PipiaArgs, quiet: bool) -> Result<()> {
    let secrets = CliSecrets {
        master_key_file: a.master_key_file.clone(),
        ..Default::default()
    };
    let ws = workspace(&a.store, secrets, quiet)?.with_rules(a.rules.clone());
    let req = PipiaRequest {
        exporter: a.exporter.clone(),
        recipient: a.recipient.clone(),
        year: a.year,
        file: a.file.clone(),
        read: (&a.read).into(),
        lang: crate::front::lang_or(datavisa_workflow::i18n::Lang::Zh),
        output: a.output.clone(),
    };
    let written = ws.pipia(&req)?;
    println!("PIPIA draft written to {}", written.output);
    Ok(())
}
