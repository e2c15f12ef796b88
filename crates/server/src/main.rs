//! `datavisa-server`: the HTTP API's process, started as `datavisa serve` (the CLI hands its
//! arguments over by exec, so the CLI depends on the workflow layer only). Parse → run → exit
//! code, as the CLI's own verbs.

use clap::Parser;
use datavisa_server::jobs::PoolSize;
use datavisa_server::state::{Limits, StoreLocation};
use datavisa_server::{Config, ServerError};
use datavisa_workflow::i18n::{Lang, Msg};
use std::path::PathBuf;
use std::process::ExitCode;

/// Serve the HTTP API (/api/v1) for a team, on the store's vault, register and ledger.
///
/// The server speaks plain HTTP and listens only on --listen (loopback by default). To serve a
/// team, put it behind a TLS reverse proxy on the same host, e.g. Caddy (`reverse_proxy
/// 127.0.0.1:8470`) or nginx (`proxy_pass http://127.0.0.1:8470;` in a `listen 443 ssl` server
/// block), and keep --listen on loopback. The master key is read once at start from
/// --master-key-file or DATAVISA_MASTER_KEY; users and tokens are made with `datavisa user` and
/// `datavisa token`. SIGTERM or Ctrl-C stop it after the requests in flight. Logs go to stderr
/// (DATAVISA_LOG=debug|info|warn|error).
#[derive(Parser, Debug)]
#[command(name = "datavisa serve", version)]
struct ServeArgs {
    /// Address and port to listen on (nothing else is listened on).
    #[arg(long, default_value = "127.0.0.1:8470")]
    listen: std::net::SocketAddr,
    /// Store directory; the vault is `vault.db` inside it.
    #[arg(long, default_value = ".datavisa")]
    store: PathBuf,
    /// File holding the master key (otherwise the DATAVISA_MASTER_KEY environment variable).
    #[arg(long)]
    master_key_file: Option<PathBuf>,
    /// Largest dataset upload, in MiB.
    #[arg(long, default_value_t = 256)]
    max_upload_mib: u64,
    /// Largest JSON request body, in KiB.
    #[arg(long, default_value_t = 64)]
    max_json_kib: usize,
    /// Longest a request may run, in seconds.
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
    /// Requests served at once (more wait their turn).
    #[arg(long, default_value_t = 64)]
    max_concurrent: usize,
    /// Worker threads running jobs (twins, assessments, large scans).
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Jobs that may wait for a worker; one more submission is refused with 429.
    #[arg(long, default_value_t = 16)]
    queue: usize,
    /// At SIGTERM, seconds to wait for running jobs to stop at a progress point; they are
    /// recorded as interrupted, to be resubmitted.
    #[arg(long, default_value_t = 10)]
    shutdown_grace_secs: u64,
    /// Datasets of more rows are scanned as a job instead of in the request.
    #[arg(long, default_value_t = 100_000)]
    sync_scan_rows: u64,
}

impl ServeArgs {
    /// The server's configuration from the flags (limits of at least one unit).
    fn config(&self) -> Config {
        Config {
            listen: self.listen,
            store: StoreLocation::Dir(self.store.clone()),
            master_key_file: self.master_key_file.clone(),
            limits: Limits {
                upload_bytes: self.max_upload_mib.max(1).saturating_mul(1024 * 1024),
                json_bytes: self.max_json_kib.max(1).saturating_mul(1024),
                timeout: std::time::Duration::from_secs(self.timeout_secs.max(1)),
                concurrency: self.max_concurrent.max(1),
                sync_scan_rows: self.sync_scan_rows,
            },
            pool: PoolSize {
                workers: self.workers.max(1),
                queue: self.queue,
                hold: false,
                grace: std::time::Duration::from_secs(self.shutdown_grace_secs),
            },
        }
    }
}

fn main() -> ExitCode {
    let args = ServeArgs::parse();
    // The CLI passes its --lang on as DATAVISA_LANG.
    let lang = std::env::var("DATAVISA_LANG")
        .ok()
        .and_then(|v| Lang::parse(v.trim()))
        .unwrap_or(Lang::En);
    let run = datavisa_server::run(args.config(), |addr| {
        let m = Msg::new("cli.serve.listening")
            .arg("address", addr.to_string())
            .arg("keys", "Ctrl-C")
            .arg("signal", "SIGTERM");
        eprintln!("{}", m.render(lang));
    });
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            // The workflow's error kind picks the exit code, as the CLI's: bad input 2,
            // refused 3, else 1.
            match e {
                ServerError::Store(w) => ExitCode::from(w.kind.exit_code()),
                ServerError::Listen { .. } => ExitCode::from(1),
            }
        }
    }
}
