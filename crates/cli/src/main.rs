//! The `datavisa` binary: argument parsing, output formatting and exit codes; the work is done
//! by the library crates.

mod attack;
mod commands;
mod front;
mod generalize;
mod hierarchy;
mod import;
mod inspect;
mod ledger;
mod output;
mod pipia;
mod pseudonymize;
mod synthesize;
mod team;
mod vault;
mod verdict;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// datavisa: prove, per recipient, that what leaves the country is anonymized, and keep the evidence.
#[derive(Parser)]
#[command(name = "datavisa", version, about)]
pub struct Cli {
    /// Hide progress bars and notes on stderr.
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Language of the human output and of documents: en or zh (DATAVISA_LANG sets it for a
    /// session; the PIPIA draft is in zh, everything else in en, unless one is named).
    #[arg(long, global = true)]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
}

/// How to read a table (flags override the spec's `[source]`).
#[derive(Args, Clone, Debug)]
pub struct ReadArgs {
    /// Field delimiter: one of , ; | tab (or any single character); sniffed when absent.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// The first row is data, not column names.
    #[arg(long)]
    pub no_header: bool,
    /// Text encoding: auto, utf-8, gb18030 (gbk).
    #[arg(long)]
    pub encoding: Option<String>,
    /// Missing-value tokens, comma-separated (replaces the default: empty NA N/A NULL null ? - \N).
    #[arg(long, value_delimiter = ',')]
    pub na: Option<Vec<String>>,
    /// Largest field accepted, in bytes.
    #[arg(long, default_value_t = datavisa_workflow::read::DEFAULT_MAX_FIELD_BYTES)]
    pub max_field_bytes: usize,
    /// Spec file: declared column types and how the source is read.
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Treat a column mixing numbers and text as an error (exit 2) instead of a warning.
    #[arg(long)]
    pub strict: bool,
}

impl Default for ReadArgs {
    fn default() -> Self {
        ReadArgs {
            delimiter: None,
            no_header: false,
            encoding: None,
            na: None,
            max_field_bytes: datavisa_workflow::read::DEFAULT_MAX_FIELD_BYTES,
            spec: None,
            strict: false,
        }
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Rows, columns, inferred types, missing shares, distinct counts, top values, uniqueness.
    Inspect {
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        /// Top values shown per column.
        #[arg(long, default_value_t = 3)]
        top: usize,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Find personal information, PIPL sensitive categories and each column's role.
    Scan {
        file: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        /// Write a spec draft (TOML) with every column's role and type.
        #[arg(long)]
        write_spec: Option<PathBuf>,
        /// Distinct values each detector tries before the confirming full pass.
        #[arg(long, default_value_t = 1000)]
        sample: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Date (YYYY-MM-DD) at which ages and minors are judged; today by default.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Attack a twin the way a recipient could: singling out, linkability or inference.
    Attack {
        #[command(subcommand)]
        attack: AttackCommand,
    },
    /// Classic re-identification risk over quasi-identifiers (k, prosecutor/journalist/marketer,
    /// population uniqueness, l-diversity, t-closeness; DCR and copies with --source).
    Risk {
        /// The table to measure (a twin, or any release).
        #[arg(long)]
        file: PathBuf,
        /// Quasi-identifiers, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        quasi: Vec<String>,
        /// Sensitive columns for l-diversity and t-closeness, comma-separated.
        #[arg(long, value_delimiter = ',')]
        sensitive: Vec<String>,
        /// Report the records in classes smaller than k.
        #[arg(long)]
        k: Option<u64>,
        /// Record risk above which a record counts as at risk.
        #[arg(long, default_value_t = 0.2)]
        threshold: f64,
        /// Population table (a superset of --file) for journalist and marketer risk.
        #[arg(long)]
        population: Option<PathBuf>,
        /// Population size for population-uniqueness estimates (Pitman, Zayatz, SNB, Dankar).
        #[arg(long)]
        population_size: Option<f64>,
        /// l for distinct, entropy and recursive (c,l)-diversity checks.
        #[arg(long)]
        l: Option<f64>,
        /// c for recursive (c,l)-diversity.
        #[arg(long)]
        c: Option<f64>,
        /// t for t-closeness checks.
        #[arg(long)]
        t: Option<f64>,
        /// The twin's training data: adds DCR, NNDR and exact copies.
        #[arg(long)]
        source: Option<PathBuf>,
        /// Records from the same population not used for the twin (DCR baseline).
        #[arg(long)]
        holdout: Option<PathBuf>,
        /// Twin rows measured for DCR/NNDR.
        #[arg(long, default_value_t = 10_000)]
        samples: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// How well a twin keeps its source's distributions, associations and counts.
    Utility {
        #[arg(long)]
        source: PathBuf,
        #[arg(long)]
        twin: PathBuf,
        /// Random 2- and 3-way count queries in the workload.
        #[arg(long, default_value_t = 500)]
        queries: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Make a twin: a protected version of a table for one recipient.
    Twin {
        #[command(subcommand)]
        twin: TwinCommand,
    },
    /// Check a table as it is against privacy models and list the classes that fail.
    Check {
        file: PathBuf,
        #[arg(long, value_delimiter = ',')]
        quasi: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        sensitive: Vec<String>,
        #[command(flatten)]
        models: ModelArgs,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The in-country key vault: create it, list keys and twins, rotate, register approvers,
    /// destroy a recipient's keys.
    Vault {
        #[command(subcommand)]
        vault: VaultCommand,
    },
    /// Turn a pseudonymized twin's tokens back into identities: request, two approvals, execute.
    Relink {
        #[command(subcommand)]
        relink: RelinkCommand,
    },
    /// The vault's hash-chained audit log.
    Audit {
        #[command(subcommand)]
        audit: AuditCommand,
    },
    /// The transfer ledger: exporters, recipients, transfers and the people in them, filings,
    /// deadlines, export and yearly report.
    Ledger {
        #[command(subcommand)]
        ledger: LedgerCommand,
    },
    /// Before a transfer: the counters now and after, the mechanism it needs (with rule ids and
    /// sources), the exemptions to consider, the duties that stay, and warnings.
    Plan {
        #[command(flatten)]
        transfer: Box<TransferArgs>,
        /// Facts the ledger cannot know.
        #[command(flatten)]
        facts: PlanFacts,
        /// A rules file to use instead of the built-in one (same format).
        #[arg(long)]
        rules: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Assess a twin from one recipient's position and decide its verdict (stored in the
    /// register); `assess list|show` read the register, `assess export|import` carry the
    /// recipient's own assessment.
    #[command(args_conflicts_with_subcommands = true)]
    Assess {
        #[command(subcommand)]
        action: Option<AssessCommand>,
        #[command(flatten)]
        args: Box<AssessArgs>,
    },
    /// Issue, list, show, revoke and review visas.
    Visa {
        #[command(subcommand)]
        visa: VisaCommand,
    },
    /// Reports: the PIPIA draft, assessment reports.
    Report {
        #[command(subcommand)]
        report: ReportCommand,
    },
    /// Split a table into the release (what a twin is made from) and the control set (people
    /// kept home for the attacks' control): seeded, a person's rows on one side with --by, rows
    /// copied byte for byte, each half with a split record that `assess` checks.
    Split {
        /// The table (CSV).
        input: PathBuf,
        /// Where the release half goes.
        #[arg(long = "release", value_name = "FILE")]
        release_output: PathBuf,
        /// Where the control half goes.
        #[arg(long = "control", value_name = "FILE")]
        control_output: PathBuf,
        /// Share of people in the release.
        #[arg(long, default_value_t = 0.5)]
        share: f64,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The column identifying a person: all of a person's rows go to one side.
        #[arg(long)]
        by: Option<String>,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Generalization hierarchies in ARX's format: build one from a column, show one's levels.
    Hierarchy {
        #[command(subcommand)]
        cmd: HierarchyCommand,
    },
    /// Specs from other tools: an ARX project or ARX's example files, SDV metadata.
    Spec {
        #[command(subcommand)]
        cmd: SpecCommand,
    },
    /// Users of the team server and their roles: steward, approver, dpo, auditor, admin
    /// (every change is in the audit log).
    User {
        #[command(subcommand)]
        user: UserCommand,
    },
    /// API tokens of the team server: made (and shown) once, stored only as a hash, listed by
    /// prefix, revocable (every change is in the audit log).
    Token {
        #[command(subcommand)]
        token: TokenCommand,
    },
    /// Serve the HTTP API (/api/v1) for a team (`datavisa serve --help` lists its flags).
    ///
    /// The server is its own program, `datavisa-server` beside this one; its flags are handed
    /// to it as they are.
    #[command(disable_help_flag = true)]
    Serve {
        /// The server's flags: --listen, --store, --master-key-file, limits, --workers, --queue.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Generate a realistic Chinese customer table from a seed and run every step on it.
    Demo {
        /// Directory for everything the demo writes.
        #[arg(long, default_value = "datavisa-demo")]
        out: PathBuf,
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Date (YYYY-MM-DD) the demo data is generated and judged at; today by default.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user with one or more roles.
    Add {
        /// The user's name (letters, digits, '.', '_', '-', '@').
        name: String,
        /// steward, approver, dpo, auditor or admin; repeat the flag or give a comma list.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List users.
    List {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Disable a user: their tokens stop working.
    Disable {
        name: String,
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a token for a user and print it, once.
    Create {
        /// Whose token.
        #[arg(long)]
        user: String,
        /// Lifetime: 90d, 12h, 30m, 2w, or never.
        #[arg(long, default_value = "90d")]
        expires: String,
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List tokens by prefix (never their values).
    List {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Revoke a token by its prefix.
    Revoke {
        prefix: String,
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// Inputs and settings every attack shares.
#[derive(Args, Clone, Debug)]
pub struct AttackArgs {
    /// The records the twin was made from.
    #[arg(long)]
    pub source: PathBuf,
    /// The release being attacked.
    #[arg(long)]
    pub twin: PathBuf,
    /// Records of the same population not used to make the twin (strongly recommended).
    #[arg(long)]
    pub control: Option<PathBuf>,
    #[arg(long, default_value_t = 500)]
    pub n_attacks: usize,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub read: ReadArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Singling-out query mode.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModeArg {
    Univariate,
    Multivariate,
}

/// Denominator of the singling-out rates.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DenominatorArg {
    /// Queries actually found (corrected).
    Generated,
    /// Requested n_attacks (Anonymeter 1.1.0).
    Requested,
}

/// How an inferred secret is judged.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SecretKindArg {
    Auto,
    Categorical,
    Numeric,
}

#[derive(Subcommand)]
pub enum AttackCommand {
    /// Can a query isolate one source record?
    SinglingOut {
        #[command(flatten)]
        common: AttackArgs,
        #[arg(long, value_enum, default_value = "multivariate")]
        mode: ModeArg,
        /// Columns per query in multivariate mode.
        #[arg(long, default_value_t = 3)]
        n_cols: usize,
        /// Candidate queries tried before giving up.
        #[arg(long, default_value_t = 10_000_000)]
        max_attempts: u64,
        #[arg(long, value_enum, default_value = "generated")]
        denominator: DenominatorArg,
    },
    /// Can two data sets holding different columns be joined through the twin?
    Linkability {
        #[command(flatten)]
        common: AttackArgs,
        /// Columns of the first external data set.
        #[arg(long, value_delimiter = ',')]
        aux_a: Vec<String>,
        /// Columns of the second external data set.
        #[arg(long, value_delimiter = ',')]
        aux_b: Vec<String>,
        /// Alternative to --aux-a/--aux-b: the first half of these columns is A, the rest B.
        #[arg(long, value_delimiter = ',', conflicts_with_all = ["aux_a", "aux_b"])]
        aux_cols: Vec<String>,
        #[arg(long, default_value_t = 1)]
        n_neighbors: usize,
    },
    /// Can a secret column be guessed from columns the attacker knows?
    Inference {
        #[command(flatten)]
        common: AttackArgs,
        /// The column to infer.
        #[arg(long)]
        secret: String,
        /// Columns the attacker knows (default: every other column).
        #[arg(long, value_delimiter = ',')]
        aux_cols: Vec<String>,
        #[arg(long, value_enum, default_value = "auto")]
        secret_kind: SecretKindArg,
        /// Numeric guesses within this share of the true value count as correct.
        #[arg(long, default_value_t = 0.05)]
        tolerance: f64,
    },
}

/// Privacy models and the suppression limit.
#[derive(Args, Clone, Debug)]
pub struct ModelArgs {
    /// k-anonymity: every class has at least k records.
    #[arg(long)]
    pub k: Option<u64>,
    /// l-diversity of each sensitive column.
    #[arg(long)]
    pub l: Option<f64>,
    /// distinct, entropy or recursive.
    #[arg(long, default_value = "distinct")]
    pub l_variant: String,
    /// c of recursive (c,l)-diversity.
    #[arg(long, default_value_t = 3.0)]
    pub c: f64,
    /// t-closeness of each sensitive column.
    #[arg(long)]
    pub t: Option<f64>,
    /// equal, ordered or hierarchical.
    #[arg(long, default_value = "equal")]
    pub t_distance: String,
    /// Average re-identification risk (classes / records) at most this.
    #[arg(long)]
    pub avg_risk: Option<f64>,
    /// Share of records that may be suppressed (whole classes).
    #[arg(long, default_value_t = 0.0)]
    pub suppression: f64,
}

/// How a twin's text is written; by default as its source is (delimiter, quoting, encoding).
#[derive(Args, Clone, Debug, Default)]
pub struct OutputArgs {
    /// The twin's field delimiter instead of the source's: , ; | tab or another punctuation
    /// character (--delimiter is how the source is read).
    #[arg(long)]
    pub output_delimiter: Option<String>,
    /// The twin's encoding instead of the source's: utf-8, gbk or gb18030.
    #[arg(long)]
    pub output_encoding: Option<String>,
}

/// Arguments of `twin generalize`.
#[derive(Args, Clone, Debug)]
pub struct GeneralizeArgs {
    pub input: PathBuf,
    /// The twin to write (.csv, .tsv or .parquet); a manifest is written next to it.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Quasi-identifiers (default: the spec's role = "quasi" columns).
    #[arg(long, value_delimiter = ',')]
    pub quasi: Vec<String>,
    /// Sensitive columns (default: the spec's role = "sensitive" columns).
    #[arg(long, value_delimiter = ',')]
    pub sensitive: Vec<String>,
    /// COLUMN=FILE: an ARX-format hierarchy (repeatable).
    #[arg(long)]
    pub hierarchy: Vec<String>,
    #[command(flatten)]
    pub models: ModelArgs,
    /// loss, precision, height, discernibility, aecs or entropy.
    #[arg(long, default_value = "loss")]
    pub metric: String,
    /// optimal, heuristic or auto (optimal up to 100,000 lattice nodes).
    #[arg(long, default_value = "auto")]
    pub search: String,
    /// Heuristic search: nodes checked at most.
    #[arg(long, default_value_t = 2000)]
    pub max_checks: usize,
    /// Heuristic search: seconds at most.
    #[arg(long, default_value_t = 60.0)]
    pub time_limit: f64,
    #[command(flatten)]
    pub text: OutputArgs,
}

/// The synthesis mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum SynthMethod {
    /// MST: 1-way marginals, a private spanning tree of pairs, one model fit (fast).
    #[default]
    Mst,
    /// AIM: adaptive rounds choosing the worst-fitted workload marginal (slower, usually better).
    Aim,
}

/// Arguments of `twin synthesize`.
#[derive(Args, Clone, Debug)]
pub struct SynthesizeArgs {
    pub input: PathBuf,
    /// The twin to write (.csv, .tsv or .parquet); a manifest is written next to it.
    #[arg(short, long)]
    pub output: PathBuf,
    #[arg(long, value_enum, default_value_t)]
    pub method: SynthMethod,
    /// Privacy budget epsilon (required: there is no safe default).
    #[arg(long)]
    pub epsilon: f64,
    /// Privacy budget delta (below 1/n^1.5 is the usual advice).
    #[arg(long, default_value_t = 1e-9)]
    pub delta: f64,
    /// Rows to generate (default: the noisy estimate of the source's size, never the true one).
    #[arg(long)]
    pub rows: Option<usize>,
    /// Seed of every random step; recorded in the manifest, which then must stay in-country.
    /// Without it the noise comes from the operating system and the run is not reproducible.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Estimate domains the spec does not declare with differential privacy (paid from the budget).
    #[arg(long)]
    pub dp_domain: bool,
    /// Share of the budget spent on estimating domains, when --dp-domain needs any.
    #[arg(long, default_value_t = 0.1)]
    pub domain_share: f64,
    /// With --dp-domain: the share of a column's values its estimated domain must cover; a
    /// column below it is named at the end of the run and in the manifest.
    #[arg(long, default_value_t = 0.9)]
    pub min_domain_coverage: f64,
    /// COLUMN=FILE: declare the column's domain as the file's values, one a line (a public
    /// list such as a code table), instead of the spec's or an estimated one.
    #[arg(long = "domain-from")]
    pub domain_from: Vec<String>,
    /// Columns to leave out of the twin.
    #[arg(long, value_delimiter = ',')]
    pub drop: Vec<String>,
    /// Mirror-descent iterations of the final model fit (MST default 5000, AIM 2000).
    #[arg(long)]
    pub iterations: Option<usize>,
    /// AIM: workload of all 2-way or all 3-way marginals.
    #[arg(long, default_value_t = 2)]
    pub degree: usize,
    #[command(flatten)]
    pub text: OutputArgs,
    /// AIM: planned rounds (default 16 × columns, the paper's choice).
    #[arg(long)]
    pub rounds: Option<usize>,
    /// AIM: mirror-descent iterations per round (warm-started).
    #[arg(long, default_value_t = 300)]
    pub round_iterations: usize,
    /// AIM: workload marginals with more cells are left out.
    #[arg(long, default_value_t = 10_000)]
    pub max_cells: usize,
    /// AIM: largest model (junction tree), in MB (the paper uses 80; slower).
    #[arg(long, default_value_t = 8.0)]
    pub max_model_mb: f64,
}

/// Where the vault lives and how it is unlocked.
#[derive(Args, Clone, Debug)]
pub struct VaultArgs {
    /// Store directory; the vault is `vault.db` inside it.
    #[arg(long, default_value = ".datavisa")]
    pub store: PathBuf,
    /// File holding the master key (otherwise the DATAVISA_MASTER_KEY environment variable).
    #[arg(long)]
    pub master_key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum VaultCommand {
    /// Create the vault, protected by a master key (Argon2id).
    Init {
        #[command(flatten)]
        vault: VaultArgs,
        /// Argon2id memory in MiB.
        #[arg(long, default_value_t = 64)]
        kdf_memory_mib: u32,
        /// Argon2id passes.
        #[arg(long, default_value_t = 3)]
        kdf_passes: u32,
    },
    /// Write a new random master key file (owner-only); never overwrites.
    Keygen {
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Keys (identities and states, never bytes), twins and approvers.
    Status {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// New key versions for a recipient (one domain or all); old versions stay for relinking.
    Rotate {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long)]
        recipient: Option<String>,
        #[arg(long)]
        domain: Option<String>,
    },
    /// Change the master key (new one from --new-master-key-file or DATAVISA_NEW_MASTER_KEY).
    Rekey {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long)]
        new_master_key_file: Option<PathBuf>,
    },
    /// Register, remove or list the people who approve relink requests.
    Approver {
        #[command(subcommand)]
        approver: ApproverCommand,
    },
    /// Crypto-shredding: destroy a recipient's keys and token index (irreversible).
    Destroy {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long)]
        recipient: String,
        #[arg(long)]
        domain: Option<String>,
        /// Confirm that the twins made with these keys can never be relinked.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
pub enum ApproverCommand {
    /// Register an approver; their credential comes from --credential-file or
    /// DATAVISA_APPROVER_CREDENTIAL and is asked for at every approval.
    Add {
        name: String,
        #[arg(long)]
        credential_file: Option<PathBuf>,
        #[command(flatten)]
        vault: VaultArgs,
    },
    /// Remove an approver (their approvals no longer count).
    Remove {
        name: String,
        #[command(flatten)]
        vault: VaultArgs,
    },
    /// List approvers.
    List {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum RelinkCommand {
    /// File a request to relink pseudonyms of a twin's column.
    Request {
        #[command(flatten)]
        vault: VaultArgs,
        /// The twin's manifest (`OUTPUT.manifest.json`).
        #[arg(long)]
        twin: PathBuf,
        /// File of pseudonyms, one per line (otherwise every value of --column in the twin).
        #[arg(long)]
        values: Option<PathBuf>,
        /// The twin column the pseudonyms come from (needed when it has several keyed columns).
        #[arg(long)]
        column: Option<String>,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        legal_basis: String,
        #[arg(long)]
        requested_by: String,
        /// Time to live: e.g. 72h, 30m, 7d, 90s.
        #[arg(long, default_value = "72h")]
        ttl: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Approve a request (credential from --credential-file or DATAVISA_APPROVER_CREDENTIAL).
    Approve {
        id: String,
        #[arg(long = "as")]
        approver: String,
        #[arg(long)]
        credential_file: Option<PathBuf>,
        #[command(flatten)]
        vault: VaultArgs,
    },
    /// Deny a request (final).
    Deny {
        id: String,
        #[arg(long = "as")]
        approver: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        credential_file: Option<PathBuf>,
        #[command(flatten)]
        vault: VaultArgs,
    },
    /// Withdraw a request (its requester only).
    Withdraw {
        id: String,
        #[arg(long = "as")]
        by: String,
        #[command(flatten)]
        vault: VaultArgs,
    },
    /// Execute an approved request once: writes pseudonym,value pairs (owner-only file).
    Execute {
        id: String,
        #[arg(short, long)]
        output: PathBuf,
        /// Who executes (recorded); the OS user by default.
        #[arg(long = "as")]
        by: Option<String>,
        #[command(flatten)]
        vault: VaultArgs,
    },
    /// List requests.
    List {
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show one request.
    Show {
        id: String,
        #[command(flatten)]
        vault: VaultArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Print the audit log.
    Log {
        #[command(flatten)]
        vault: VaultArgs,
        /// Only the last N entries.
        #[arg(long)]
        last: Option<usize>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Check the chain, every MAC, the head and every relink row; exit 3 naming each tampered
    /// entry. With --anchor, also that the log still holds everything up to that checkpoint.
    Verify {
        #[command(flatten)]
        vault: VaultArgs,
        /// An anchor written by `audit anchor` (or automatically), kept outside the store.
        #[arg(long)]
        anchor: Option<PathBuf>,
        /// The public key the anchor must be signed by (hex); any valid signature otherwise.
        #[arg(long, requires = "anchor")]
        anchor_public_key: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Sign the chain's head with a key kept outside the store, for the auditor to keep
    /// elsewhere (anchors are also written at every relink execution and key destruction).
    Anchor {
        #[command(flatten)]
        vault: VaultArgs,
        /// The anchor file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// The anchor signing key (made, owner-only, when missing); by default
        /// $DATAVISA_ANCHOR_KEY, else `anchor.key` in the directory beside the store.
        #[arg(long)]
        anchor_key: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// Where the ledger lives.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Store directory; the ledger is `ledger.db` (and its hashing key `ledger.key`) inside it.
    #[arg(long, default_value = ".datavisa")]
    pub store: PathBuf,
}

/// A transfer: who sends which file to whom, and whose people are in it.
#[derive(Args, Clone, Debug)]
pub struct TransferArgs {
    #[arg(long)]
    pub exporter: String,
    #[arg(long)]
    pub recipient: String,
    #[arg(long)]
    pub file: PathBuf,
    /// The column that identifies a natural person (resident ID, customer number...); needed
    /// unless the file is a twin covered by an anonymized visa (`ledger record --visa`).
    #[arg(long)]
    pub person_column: Option<String>,
    /// Columns holding sensitive PI (comma-separated; '' for none); by default the ones `scan`
    /// finds, or for a twin the ones its manifest records from its source.
    #[arg(long, value_delimiter = ',')]
    pub sensitive_columns: Option<Vec<String>>,
    /// Treat every person in the file as having sensitive PI sent.
    #[arg(long)]
    pub sensitive: bool,
    /// Transfer date, YYYY-MM-DD; today by default.
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long)]
    pub purpose: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// File holding the master key (otherwise DATAVISA_MASTER_KEY): a pseudonymized twin's
    /// people are read from the vault.
    #[arg(long)]
    pub master_key_file: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Facts for the planner (each exemption is asked for, never assumed).
#[derive(Args, Clone, Debug, Default)]
pub struct PlanFacts {
    /// The data is important data (notified or published as such).
    #[arg(long)]
    pub important_data: bool,
    /// An exemption fact that holds, by the name the rules file declares (repeatable), e.g.
    /// `--fact contract-necessity`; `plan` lists the facts worth considering.
    #[arg(long = "fact", value_name = "NAME")]
    pub facts: Vec<String>,
    /// Same as `--fact no-personal-information` (E-1: no PI and no important data in
    /// trade/transport/academic/manufacturing data).
    #[arg(long)]
    pub no_personal_information: bool,
    /// Same as `--fact collected-abroad` (E-2: PI collected abroad, processed here and sent back with nothing domestic added).
    #[arg(long)]
    pub collected_abroad: bool,
    /// Same as `--fact contract-necessity` (E-3: genuinely necessary for a contract the individual is party to).
    #[arg(long)]
    pub contract_necessity: bool,
    /// Same as `--fact hr-management` (E-4: employee PI for cross-border HR management).
    #[arg(long)]
    pub hr_management: bool,
    /// Same as `--fact emergency` (E-5: emergency, to protect life, health or property).
    #[arg(long)]
    pub emergency: bool,
    /// Same as `--fact ftz-off-list` (E-7: the data is not on the exporter's free-trade-zone negative list).
    #[arg(long)]
    pub ftz_off_list: bool,
    /// Where the recipient will store the data (checked against the filings, T-5).
    #[arg(long)]
    pub storage_location: Option<String>,
}

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Register or list exporters.
    Exporter {
        #[command(subcommand)]
        cmd: ExporterCommand,
    },
    /// Register or list recipients.
    Recipient {
        #[command(subcommand)]
        cmd: RecipientCommand,
    },
    /// Record a transfer that happened and count its people (keyed hashes only; idempotent).
    Record {
        #[command(flatten)]
        transfer: Box<TransferArgs>,
        #[arg(long)]
        legal_basis: Option<String>,
        /// The mechanism relied on (exempt, standard_contract, certification, security_assessment).
        #[arg(long)]
        mechanism: Option<String>,
        /// A visa (from `datavisa visa issue`) under which the file is anonymized as to this
        /// recipient: the transfer is recorded with it and its people are not counted.
        #[arg(long)]
        visa: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Record or list filings and certificates.
    Filing {
        #[command(subcommand)]
        cmd: FilingCommand,
    },
    /// Public holidays and make-up working days for working-day deadlines.
    Holiday {
        #[command(subcommand)]
        cmd: HolidayCommand,
    },
    /// Deadlines: SCC filing, certification renewal, security-assessment extension and expiry.
    Due {
        /// Date the deadlines are judged at; today by default.
        #[arg(long)]
        as_of: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write the whole ledger as JSON (person hashes only) for an audit.
    Export {
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Restore an export into an empty ledger holding the same ledger.key.
    Import {
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Each exporter's year: counters, transfers, recipients, mechanism needed.
    Report {
        #[arg(long)]
        year: Option<i64>,
        /// A rules file to use instead of the built-in one (same format as for `plan`).
        #[arg(long)]
        rules: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum ExporterCommand {
    /// Register an exporter (a legal entity in China).
    Add {
        name: String,
        /// Critical information infrastructure operator.
        #[arg(long)]
        ciio: bool,
        /// Group the entity belongs to (volumes across a group are watched, C-5).
        #[arg(long)]
        group: Option<String>,
        /// Free trade zone it is registered in.
        #[arg(long)]
        ftz: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List exporters.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum RecipientCommand {
    /// Register a recipient abroad.
    Add {
        /// The recipient's id: the same as its `[[recipients]] id` in the spec.
        name: String,
        /// Two-letter country code.
        #[arg(long)]
        jurisdiction: String,
        /// Its legal name, as the contract and the PIPIA name it.
        #[arg(long)]
        legal_name: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List recipients.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// A filing, certificate or assessment result to record.
#[derive(Args, Clone, Debug)]
pub struct FilingArgs {
    #[arg(long)]
    pub exporter: String,
    /// standard_contract, certification or security_assessment.
    #[arg(long)]
    pub kind: String,
    /// Recipient covered (all recipients when absent).
    #[arg(long)]
    pub recipient: Option<String>,
    /// Date the standard contract takes effect.
    #[arg(long)]
    pub effective: Option<String>,
    /// Date the filing was made.
    #[arg(long)]
    pub filed: Option<String>,
    /// Date the certificate or assessment result was issued.
    #[arg(long)]
    pub issued: Option<String>,
    /// Expiry (3 years after issue by default).
    #[arg(long)]
    pub expires: Option<String>,
    #[arg(long)]
    pub purpose: Option<String>,
    #[arg(long)]
    pub scope: Option<String>,
    /// Data types (columns) the filing covers, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub data_types: Option<Vec<String>>,
    /// Where the recipient stores the data.
    #[arg(long)]
    pub storage_location: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Subcommand)]
pub enum FilingCommand {
    /// Record a standard contract filing, certificate or security assessment result.
    Add(Box<FilingArgs>),
    /// List filings.
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum HolidayCommand {
    /// Mark a day as a public holiday, or (--working) as a make-up working day.
    Add {
        date: String,
        #[arg(long)]
        working: bool,
        #[arg(long, default_value = "")]
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Load a calendar CSV: date,working(0|1),name.
    Import {
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the calendar.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// What `report pipia` is about and where it goes.
#[derive(Args, Clone, Debug)]
pub struct PipiaArgs {
    #[arg(long)]
    pub exporter: String,
    #[arg(long)]
    pub recipient: String,
    /// Calendar year of the counts; this year by default.
    #[arg(long)]
    pub year: Option<i64>,
    /// Output: .html (default), .md or .json.
    #[arg(short, long)]
    pub output: PathBuf,
    /// A file of the transfer to scan for sensitive categories and minors.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// How to read `--file` (delimiter, encoding, missing-value tokens, a spec).
    #[command(flatten)]
    pub read: ReadArgs,
    /// Store directory (ledger, and the vault for key custody when a master key is given).
    #[arg(long, default_value = ".datavisa")]
    pub store: PathBuf,
    #[arg(long)]
    pub master_key_file: Option<PathBuf>,
    /// A rules file to use instead of the built-in one (same format as for `plan`).
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum SpecCommand {
    /// A spec from an ARX project: an unpacked project (input/definition.xml, data/input.csv,
    /// the hierarchies) or a data file beside NAME_hierarchy_<column>.csv files.
    ImportArx {
        /// The directory.
        dir: PathBuf,
        /// Where the spec goes (its hierarchy paths are relative to it).
        #[arg(short, long, default_value = "spec.toml")]
        output: PathBuf,
        /// The data file, when the directory holds several.
        #[arg(long)]
        data: Option<PathBuf>,
        /// A column that identifies a person directly (repeatable).
        #[arg(long)]
        identifying: Vec<String>,
        /// A quasi-identifying column (repeatable).
        #[arg(long)]
        quasi: Vec<String>,
        /// A sensitive column (repeatable).
        #[arg(long)]
        sensitive: Vec<String>,
        /// An insensitive column, kept as it is (repeatable).
        #[arg(long)]
        insensitive: Vec<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// A spec from SDV metadata JSON (SINGLE_TABLE_V1, or MULTI_TABLE_V1 with --table).
    ImportSdv {
        /// The metadata file.
        metadata: PathBuf,
        /// Where the spec goes.
        #[arg(short, long, default_value = "spec.toml")]
        output: PathBuf,
        /// The table of multi-table metadata.
        #[arg(long)]
        table: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum HierarchyCommand {
    /// Build a hierarchy for one column of a table and write it as an ARX file (`;`).
    Build {
        /// The table.
        data: PathBuf,
        #[arg(long)]
        column: String,
        /// postcode (6 -> 4 -> 3 -> 2 -> 1 digits -> *), date, interval, mask, address
        /// (district -> city -> province), resident-id (division code 6 -> 4 -> 2 digits), age
        /// (5/10/20-year bands) or frequency (rare values grouped into "(other)").
        #[arg(long)]
        kind: String,
        /// Interval widths, each dividing the next (--kind interval; age, default 5,10,20).
        #[arg(long, value_delimiter = ',')]
        widths: Option<Vec<f64>>,
        /// Date levels: day, month, quarter, year, 5years, decade (--kind date); district, city,
        /// province (--kind address).
        #[arg(long, value_delimiter = ',')]
        levels: Option<Vec<String>>,
        /// Leading characters each level keeps, decreasing (--kind mask or postcode;
        /// resident-id, default 6,4,2).
        #[arg(long, value_delimiter = ',')]
        keep: Option<Vec<i64>>,
        /// Share of the rows a value needs to stay itself at each level, increasing
        /// (--kind frequency, default 0.01,0.05,0.2).
        #[arg(long, value_delimiter = ',')]
        min_share: Option<Vec<f64>>,
        /// Label of the values grouped together (--kind frequency, default "(other)").
        #[arg(long)]
        other: Option<String>,
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// A hierarchy file's levels, each node with its values and, with --data, its rows.
    Show {
        file: PathBuf,
        /// The column it is for (names it in messages; needed with --data).
        #[arg(long, default_value = "value")]
        column: String,
        /// A table whose rows to count per node.
        #[arg(long)]
        data: Option<PathBuf>,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// PIPIA draft (LEGAL-RULES §5): facts filled in, judgements marked for the assessor.
    Pipia(Box<PipiaArgs>),
    /// The assessment report: verdict, charts, profile, policy with sources, reproduction.
    Assessment {
        /// Assessment id (from `datavisa assess`) or a visa id (its assessment).
        id: String,
        /// Output: .html (default), .md or .json.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The visa as a contract annex: one bilingual page with the twin's hash, the recipient,
    /// the verdict and its margin, the review date and the conditions as contract clauses.
    Visa {
        /// The visa's id.
        id: String,
        /// Output: .html (default) or .json.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// What `datavisa assess` does besides assessing.
#[derive(Subcommand)]
pub enum AssessCommand {
    /// Every stored assessment, oldest first; every one of a (twin, recipient) pair is shown.
    List {
        /// Only this twin: a file (matched by its content), a content hash or a path as assessed.
        #[arg(long)]
        twin: Option<String>,
        #[arg(long)]
        recipient: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Write a kit for the recipient to assess the twin on its own side (from the latest
    /// assessment of the twin for it): the twin's hash, the profile, the policy, the method
    /// versions.
    Export {
        #[arg(long)]
        twin: PathBuf,
        #[arg(long)]
        recipient: String,
        /// The kit directory to write (kit.json inside it).
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Verify a recipient's signed attestation (signature, kit, twin hash) and record it.
    Import {
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// One stored assessment: its checks, looks, reasons and margin.
    Show {
        /// Assessment id, or a visa id (its assessment).
        id: String,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// Inputs of `datavisa assess`.
#[derive(Args, Clone, Debug)]
pub struct AssessArgs {
    /// The twin to assess.
    #[arg(long)]
    pub twin: Option<PathBuf>,
    /// The records the twin was made from.
    #[arg(long)]
    pub source: Option<PathBuf>,
    /// The recipient id from the spec.
    #[arg(long)]
    pub recipient: Option<String>,
    /// On the recipient's side: the kit the exporter sent (with --twin, --holds,
    /// --signing-key and -o for the signed attestation).
    #[arg(long, conflicts_with_all = ["source", "recipient", "control"])]
    pub kit: Option<PathBuf>,
    /// On the recipient's side: its own datasets to join with the twin (repeatable).
    #[arg(long, requires = "kit")]
    pub holds: Vec<PathBuf>,
    /// On the recipient's side: its Ed25519 key (made, owner-only, when missing).
    #[arg(long, requires = "kit")]
    pub signing_key: Option<PathBuf>,
    /// Records of the same population not used to make the twin (the attacks' control set).
    #[arg(long)]
    pub control: Option<PathBuf>,
    /// How the twin was made, when it has no manifest: generalized, pseudonymized, synthetic, unknown.
    #[arg(long)]
    pub kind: Option<String>,
    /// Attacks at the first look of each sequential check (doubling at each further look).
    #[arg(long, default_value_t = 500)]
    pub n_attacks: usize,
    /// Attacks at the last look: a check still undecided there is inconclusive.
    #[arg(long, default_value_t = 16000)]
    pub max_attacks: usize,
    /// Candidate queries the singling-out search may try before it stops.
    #[arg(long, default_value_t = 2_000_000)]
    pub max_attempts: u64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also write the assessment JSON here.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The twin's field delimiter, when it is not the one sniffed (a twin made elsewhere);
    /// the reading flags below are the source's and the control's.
    #[arg(long)]
    pub twin_delimiter: Option<String>,
    /// The twin's text encoding: auto (default), utf-8, gb18030 (gbk).
    #[arg(long)]
    pub twin_encoding: Option<String>,
    /// The twin's first row is data, not column names.
    #[arg(long)]
    pub twin_no_header: bool,
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Reading options; `--spec` (with [[recipients]], [policy] and the columns' roles) is required.
    #[command(flatten)]
    pub read: ReadArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Inputs of `datavisa visa review`.
#[derive(Args, Clone, Debug)]
pub struct ReviewArgs {
    /// Visas to review; by default those expiring, expired or flagged for review.
    pub ids: Vec<String>,
    /// Review every active visa.
    #[arg(long)]
    pub all: bool,
    /// Review as of this date (YYYY-MM-DD); today by default.
    #[arg(long)]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Subcommand)]
pub enum VisaCommand {
    /// Issue a visa on an assessment (supersedes the visa of the same twin and recipient).
    Issue {
        #[arg(long)]
        assessment: String,
        /// Months until review; the policy's review_months by default.
        #[arg(long)]
        review_months: Option<u32>,
        /// Contract clauses relied on (comma-separated); the recipient's controls by default.
        #[arg(long, value_delimiter = ',')]
        conditions: Option<Vec<String>>,
        /// Issue although a later or contrary assessment of the same twin and recipient exists;
        /// the reason is kept in the visa, its history and the report.
        #[arg(long)]
        override_reason: Option<String>,
        /// Issue date (YYYY-MM-DD); today by default.
        #[arg(long)]
        as_of: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Every visa with its status on a date.
    List {
        #[arg(long)]
        as_of: Option<String>,
        /// Flag visas whose recipient profile or policy in this spec changed.
        #[arg(long)]
        spec: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// One visa with its history.
    Show {
        id: String,
        #[arg(long)]
        as_of: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Revoke a visa: it no longer covers transfers.
    Revoke {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        as_of: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Void a visa issued in error: kept for the record, it takes no further part.
    Void {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        as_of: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Mark the twin a visa covers as sent to its recipient (a candidate until then; a ledger
    /// transfer under the visa marks it too).
    Sent {
        id: String,
        /// The day it was sent (YYYY-MM-DD); today by default.
        #[arg(long)]
        as_of: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Re-run assessments with the current profile, policy and register; flip what changed.
    Review(Box<ReviewArgs>),
}

#[derive(Subcommand)]
pub enum TwinCommand {
    /// Replace identifiers with the recipient's pseudonyms (token, encrypt, fpe, mask, drop,
    /// generalize-date, date-shift, redact (free text), keep per column, from the spec or from
    /// what scan finds).
    Pseudonymize {
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        /// The recipient whose keys are used (created on first use).
        #[arg(long)]
        recipient: String,
        #[command(flatten)]
        vault: VaultArgs,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        text: OutputArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Generalize quasi-identifiers and suppress records until the privacy models hold, with the
    /// best quality (ARX's models and Loss).
    Generalize {
        #[command(flatten)]
        args: Box<GeneralizeArgs>,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// A differentially private synthetic twin (MST or AIM) over the spec's public domain:
    /// no row belongs to a real person, and the budget spent is listed in the manifest.
    Synthesize {
        #[command(flatten)]
        args: Box<SynthesizeArgs>,
        #[command(flatten)]
        read: ReadArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Re-apply a generalized twin's recorded transformation to new data.
    Apply {
        /// The manifest of an earlier `twin generalize`.
        #[arg(long)]
        recipe: PathBuf,
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        read: ReadArgs,
        #[command(flatten)]
        text: OutputArgs,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let run = front::guard_outputs(&matches)
        .map_err(anyhow::Error::from)
        .and_then(|()| front::set_lang(cli.lang.as_deref()))
        .and_then(|()| commands::run(cli));
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            // The workflow's error kind picks the exit code: bad input 2, refused 3, else 1.
            let kind = e.downcast_ref::<datavisa_workflow::Error>().map(|w| w.kind);
            ExitCode::from(kind.map_or(1, datavisa_workflow::ErrorKind::exit_code))
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use std::path::Path;

    /// clap's own consistency checks (unique names, valid defaults) over every subcommand.
    #[test]
    fn command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// Every command and subcommand (one with subcommands may take arguments of its own, as
    /// `assess` does).
    fn leaves(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
        let subs: Vec<&clap::Command> = cmd.get_subcommands().collect();
        out.push((path.clone(), cmd.clone()));
        for s in subs {
            let mut p = path.clone();
            p.push(s.get_name().to_owned());
            leaves(s, p, out);
        }
    }

    /// The arguments a leaf needs to parse: every required one, filled with `input` (or a
    /// number or the first allowed value where a path does not parse).
    fn required_args(
        root: &clap::Command,
        path: &[String],
        leaf: &clap::Command,
        input: &Path,
        testing: &str,
    ) -> Vec<String> {
        let mut argv: Vec<String> = std::iter::once("datavisa".to_owned())
            .chain(path.iter().cloned())
            .collect();
        for arg in leaf.get_arguments().filter(|a| a.is_required_set()) {
            let id = arg.get_id().as_str();
            if id == testing {
                continue;
            }
            if crate::front::OUTPUT_ARGS.contains(&id) {
                // Another output of the same verb: somewhere harmless.
                let harmless = input.with_file_name(format!("harmless-{id}.out"));
                push_arg(&mut argv, arg, &harmless.display().to_string());
                continue;
            }
            let candidates: Vec<String> = arg
                .get_possible_values()
                .first()
                .map(|v| vec![v.get_name().to_owned()])
                .unwrap_or_else(|| vec![input.display().to_string(), "1".into()]);
            let mut chosen = None;
            for v in candidates {
                let mut trial = argv.clone();
                push_arg(&mut trial, arg, &v);
                let err = root.clone().try_get_matches_from(&trial).err();
                let bad_value = err.as_ref().is_some_and(|e| {
                    matches!(
                        e.kind(),
                        clap::error::ErrorKind::ValueValidation
                            | clap::error::ErrorKind::InvalidValue
                    )
                });
                if !bad_value {
                    chosen = Some(v);
                    break;
                }
            }
            push_arg(&mut argv, arg, &chosen.unwrap_or_else(|| "1".into()));
        }
        argv
    }

    fn push_arg(argv: &mut Vec<String>, arg: &clap::Arg, v: &str) {
        match arg.get_long() {
            Some(l) => {
                argv.push(format!("--{l}"));
                argv.push(v.to_owned());
            }
            None if arg.get_short().is_some() => {
                argv.push(format!("-{}", arg.get_short().unwrap()));
                argv.push(v.to_owned());
            }
            None => argv.push(v.to_owned()),
        }
    }

    /// The output guard covers every writing verb by construction: each leaf of the command
    /// tree with an output argument is refused, before any work, for an input of the same
    /// command, a symlink and a hard link to it, a file of the store, and the store itself.
    #[test]
    fn every_output_argument_is_guarded() {
        let d = tempfile::tempdir().unwrap();
        let input = d.path().join("in.csv");
        std::fs::write(&input, "a\n1\n").unwrap();
        let store = d.path().join("st");
        std::fs::create_dir(&store).unwrap();
        for f in datavisa_workflow::guard::STORE_FILES {
            std::fs::write(store.join(f), "store file").unwrap();
        }
        std::os::unix::fs::symlink(&input, d.path().join("sym.csv")).unwrap();
        std::fs::hard_link(&input, d.path().join("hard.csv")).unwrap();
        let root = super::Cli::command();
        let mut all = Vec::new();
        leaves(&root, Vec::new(), &mut all);
        let mut checked = 0;
        for (path, leaf) in &all {
            let outs: Vec<&clap::Arg> = leaf
                .get_arguments()
                .filter(|a| crate::front::OUTPUT_ARGS.contains(&a.get_id().as_str()))
                .collect();
            for out in outs {
                let takes_input = leaf.get_arguments().any(|a| {
                    a.is_required_set() && !crate::front::OUTPUT_ARGS.contains(&a.get_id().as_str())
                });
                let mut targets = vec![
                    store.join("vault.db"),
                    store.join("ledger.key"),
                    store.clone(),
                ];
                if takes_input {
                    targets.extend([
                        input.clone(),
                        d.path().join("sym.csv"),
                        d.path().join("hard.csv"),
                    ]);
                }
                for target in targets {
                    let mut argv = required_args(&root, path, leaf, &input, out.get_id().as_str());
                    push_arg(&mut argv, out, &target.display().to_string());
                    if leaf.get_arguments().any(|a| a.get_id() == "store") {
                        argv.extend(["--store".into(), store.display().to_string()]);
                    }
                    // An output that needs a companion flag (`--signing-key` needs `--kit`).
                    if root.clone().try_get_matches_from(&argv).is_err() {
                        argv.extend(["--kit".into(), input.display().to_string()]);
                    }
                    let m = root
                        .clone()
                        .try_get_matches_from(&argv)
                        .unwrap_or_else(|e| panic!("{argv:?} does not parse: {e}"));
                    assert!(
                        crate::front::guard_outputs(&m).is_err(),
                        "{argv:?} would write {}",
                        target.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 63, "only {checked} cases: the walk lost verbs");
        let kept = std::fs::read_to_string(&input).unwrap();
        assert_eq!(kept, "a\n1\n");
    }
}
