//! Relinks, visas, the ledger and reports through the HTTP API against a real `datavisa serve`
//! on a loopback port: dual control end to end (the requester cannot approve, one approver
//! counts once, a wrong credential is refused, two approvals then one execution), withdraw and
//! deny, every step in the audit log with its actor, token prefix and request id, no secret or
//! identity in the server's log or the audit details; a visa issued and revoked through the API
//! is what the CLI shows, and a report through the API has the CLI's bytes.

mod common;

use common::serve::{add_user, dv_env as dv, init_store, ok, Reply, Server, MASTER};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// Three people; the twin tokenizes their e-mail addresses.
const PEOPLE: &str = "email,city\na@x.com,Beijing\nb@y.com,Shanghai\nc@z.com,Beijing\n";
const SPEC: &str = "[pseudonymize.email]\nmethod = \"token\"\n";

fn credential(name: &str) -> String {
    format!("{name}-approver-credential-7f3a")
}

/// A store with a vault, a pseudonymized twin and users: `stew` (steward), `ann` and `bob`
/// (approvers), `sam` (steward and approver), `aud` (auditor); ann, bob and sam are vault
/// approvers of the same names.
struct Team {
    dir: tempfile::TempDir,
    tokens: Vec<(String, String)>,
    twin_id: String,
    /// The twin's pseudonym of each e-mail, in the file's order.
    pseudonyms: Vec<(String, String)>,
}

impl Team {
    fn new() -> Team {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let st = ["--store", "st"];
        init_store(d);
        let mut tokens = Vec::new();
        for (name, roles) in [
            ("stew", "steward"),
            ("ann", "approver"),
            ("bob", "approver"),
            ("sam", "steward,approver"),
            ("aud", "auditor"),
        ] {
            tokens.push((name.to_owned(), add_user(d, name, roles)));
        }
        for name in ["ann", "bob", "sam"] {
            ok(dv(
                d,
                &[("DATAVISA_APPROVER_CREDENTIAL", &credential(name))],
                &[&["vault", "approver", "add", name], &st[..]].concat(),
            ));
        }
        std::fs::write(d.join("people.csv"), PEOPLE).unwrap();
        std::fs::write(d.join("spec.toml"), SPEC).unwrap();
        ok(dv(
            d,
            &[],
            &[
                "twin",
                "pseudonymize",
                "people.csv",
                "-o",
                "twin.csv",
                "--recipient",
                "acme",
                "--spec",
                "spec.toml",
                "--store",
                "st",
                "--quiet",
            ],
        ));
        let manifest: Value = serde_json::from_str(
            &std::fs::read_to_string(d.join("twin.csv.manifest.json")).unwrap(),
        )
        .unwrap();
        let twin_id = manifest["twin_id"].as_str().unwrap().to_owned();
        let twin = std::fs::read_to_string(d.join("twin.csv")).unwrap();
        let pseudonyms = PEOPLE
            .lines()
            .skip(1)
            .zip(twin.lines().skip(1))
            .map(|(p, t)| {
                let email = p.split(',').next().unwrap().to_owned();
                let token = t.split(',').next().unwrap().to_owned();
                assert_ne!(email, token);
                (email, token)
            })
            .collect();
        Team {
            dir,
            tokens,
            twin_id,
            pseudonyms,
        }
    }

    fn token(&self, user: &str) -> &str {
        &self.tokens.iter().find(|(u, _)| u == user).unwrap().1
    }

    fn prefix(&self, user: &str) -> &str {
        &self.token(user)[..11]
    }
}

/// The team's server.
fn serve(team: &Team) -> Server {
    start_in(team.dir.path(), "st", MASTER)
}

/// A server on the store `store` in `dir`, unlocked with `master`, logging at debug.
fn start_in(dir: &Path, store: &str, master: &str) -> Server {
    Server::start(
        dir,
        &["--store", store],
        &[("DATAVISA_MASTER_KEY", master), ("DATAVISA_LOG", "debug")],
    )
}

/// One request with `token`; `body` is sent as JSON.
fn call(s: &Server, method: &str, path: &str, token: &str, body: Option<Value>) -> Reply {
    let b = body.map(|b| b.to_string());
    common::serve::call(
        s,
        method,
        path,
        Some(token),
        b.as_ref().map(|b| ("application/json", b.as_bytes())),
    )
}

fn approve(s: &Server, team: &Team, id: &str, who: &str, cred: &str) -> Reply {
    call(
        s,
        "POST",
        &format!("/api/v1/relinks/{id}/approve"),
        team.token(who),
        Some(json!({ "credential": cred })),
    )
}

fn execute(s: &Server, team: &Team, id: &str, who: &str) -> Reply {
    call(
        s,
        "POST",
        &format!("/api/v1/relinks/{id}/execute"),
        team.token(who),
        None,
    )
}

/// Files a request as `who` for the first `n` pseudonyms.
fn file(s: &Server, team: &Team, who: &str, n: usize) -> Value {
    let pseudonyms: Vec<&str> = team.pseudonyms[..n]
        .iter()
        .map(|(_, t)| t.as_str())
        .collect();
    call(
        s,
        "POST",
        "/api/v1/relinks",
        team.token(who),
        Some(json!({
            "twin_id": team.twin_id,
            "pseudonyms": pseudonyms,
            "purpose": "a court order for two customers",
            "legal_basis": "PIPL art. 13(3)",
            "expires": "2h",
        })),
    )
    .expect(201)
}

fn relink(s: &Server, team: &Team, id: &str) -> Value {
    call(
        s,
        "GET",
        &format!("/api/v1/relinks/{id}"),
        team.token("aud"),
        None,
    )
    .expect(200)
}

#[test]
fn dual_control_through_the_api_end_to_end() {
    let team = Team::new();
    let s = serve(&team);
    let r = file(&s, &team, "sam", 2);
    let id = r["id"].as_str().unwrap().to_owned();
    assert_eq!(r["status"], "pending");
    assert_eq!(r["requested_by"], "sam");
    assert_eq!(r["n_values"], 2);
    assert_eq!(r["column"], "email");

    // The requester holds the approver role, and still cannot approve their own request.
    approve(&s, &team, &id, "sam", &credential("sam")).refused("cannot approve");
    // A wrong credential is refused, and counts for nothing.
    approve(&s, &team, &id, "ann", &credential("bob")).refused("wrong credential");
    assert_eq!(relink(&s, &team, &id)["approvals"], json!([]));
    // The right one counts once, however often it is sent.
    let first = approve(&s, &team, &id, "ann", &credential("ann"));
    assert_eq!(first.expect(200)["approvals"][0]["approver"], "ann");
    approve(&s, &team, &id, "ann", &credential("ann")).refused("already approved");
    assert_eq!(
        relink(&s, &team, &id)["approvals"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    execute(&s, &team, &id, "sam").refused("1 valid approval(s)");

    approve(&s, &team, &id, "bob", &credential("bob")).expect(200);
    assert_eq!(
        relink(&s, &team, &id)["approvals"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Only the requester executes, even another steward.
    execute(&s, &team, &id, "stew").refused("only the requester (sam)");
    assert_eq!(relink(&s, &team, &id)["status"], "pending");

    let done = execute(&s, &team, &id, "sam");
    let executed_request = done.request_id();
    let done = done.expect(200);
    assert_eq!(done["request"]["status"], "executed");
    let got: Vec<(String, String)> = done["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["value"].as_str().unwrap().to_owned(),
                i["pseudonym"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut want = team.pseudonyms[..2].to_vec();
    let mut got_sorted = got.clone();
    want.sort();
    got_sorted.sort();
    assert_eq!(got_sorted, want, "the two e-mails asked for, and only them");
    let lines: String = got.iter().map(|(v, p)| format!("{p},{v}\n")).collect();
    assert_eq!(
        done["identities_sha256"],
        datavisa_vault::crypto::sha256_hex(lines.as_bytes())
    );
    // Once: a second execution is refused and hands out nothing.
    let again = execute(&s, &team, &id, "sam");
    again.refused("is executed");
    assert!(!again.body.contains("a@x.com"));

    // Every step is in the audit log with its actor, token prefix and request id.
    let log = call(
        &s,
        "GET",
        "/api/v1/audit?kind=relink",
        team.token("aud"),
        None,
    )
    .expect(200);
    let steps: Vec<(String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["request"] == id.as_str())
        .map(|e| {
            assert_eq!(
                e["detail"]["token_prefix"],
                team.prefix(e["actor"].as_str().unwrap()),
                "{e}"
            );
            assert!(
                e["detail"]["request_id"]
                    .as_str()
                    .is_some_and(|r| !r.is_empty()),
                "{e}"
            );
            let step = e["detail"]["step"].as_str().unwrap_or("").to_owned();
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
                step,
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("relink.requested", "sam", ""),
        ("relink.refused", "sam", "approve"),
        ("relink.refused", "ann", "approve"),
        ("relink.approved", "ann", ""),
        ("relink.refused", "ann", "approve"),
        ("relink.refused", "sam", "execute"),
        ("relink.approved", "bob", ""),
        ("relink.refused", "stew", "execute"),
        ("relink.executed", "sam", ""),
        ("relink.refused", "sam", "execute"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(steps, expected);
    let executed = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "relink.executed")
        .unwrap();
    assert_eq!(executed["detail"]["request_id"], executed_request.as_str());
    assert_eq!(executed["detail"]["result"]["values"], 2);
    assert_eq!(
        executed["detail"]["result"]["output_sha256"],
        done["identities_sha256"]
    );
    let verify = call(&s, "POST", "/api/v1/audit/verify", team.token("aud"), None).expect(200);
    assert_eq!(verify["intact"], true, "{verify}");

    // No credential, token, master key or identity in the server's log or the audit details.
    let audit_text = log.to_string();
    let server_log = s.stop();
    assert!(
        server_log.contains("authorized"),
        "the log was captured: {server_log}"
    );
    let mut secrets: Vec<String> = ["ann", "bob", "sam"]
        .iter()
        .map(|n| credential(n))
        .collect();
    secrets.extend(team.tokens.iter().map(|(_, t)| t.clone()));
    secrets.push(MASTER.to_owned());
    secrets.extend(team.pseudonyms.iter().map(|(e, _)| e.clone()));
    for secret in &secrets {
        assert!(!server_log.contains(secret.as_str()), "{secret} in the log");
        assert!(
            !audit_text.contains(secret.as_str()),
            "{secret} in the audit"
        );
    }
    // The CLI's verification of the same store checks every relink row against the chain.
    ok(dv(
        team.dir.path(),
        &[],
        &["audit", "verify", "--store", "st"],
    ));
}

#[test]
fn withdraw_is_the_requesters_and_a_denial_is_final() {
    let team = Team::new();
    let s = serve(&team);
    let w = file(&s, &team, "stew", 1)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/relinks/{w}/withdraw");
    call(&s, "POST", &path, team.token("sam"), None).refused("only the requester (stew)");
    let r = call(&s, "POST", &path, team.token("stew"), None).expect(200);
    assert_eq!(r["status"], "withdrawn");
    approve(&s, &team, &w, "ann", &credential("ann")).refused("is withdrawn");

    let d = file(&s, &team, "stew", 3)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(relink(&s, &team, &d)["n_values"], 3);
    let path = format!("/api/v1/relinks/{d}/deny");
    let body = |cred: &str| Some(json!({"credential": cred, "reason": "no court order attached"}));
    call(&s, "POST", &path, team.token("bob"), body("guess")).refused("wrong credential");
    assert_eq!(relink(&s, &team, &d)["status"], "pending");
    let r = call(
        &s,
        "POST",
        &path,
        team.token("bob"),
        body(&credential("bob")),
    )
    .expect(200);
    assert_eq!(r["status"], "denied");
    assert_eq!(r["closed_by"], "bob");
    assert_eq!(r["reason"], "no court order attached");
    approve(&s, &team, &d, "ann", &credential("ann")).refused("is denied");

    // Listing shows both, newest first, to approvers too; a credential is never echoed.
    let list = call(&s, "GET", "/api/v1/relinks", team.token("ann"), None).expect(200);
    let statuses: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.contains(&"withdrawn") && statuses.contains(&"denied"));
    assert!(!list.to_string().contains(&credential("bob")));
    // A request for a pseudonym the twin does not hold is refused before anyone decides.
    let r = call(
        &s,
        "POST",
        "/api/v1/relinks",
        team.token("stew"),
        Some(
            json!({"twin_id": team.twin_id, "pseudonyms": ["nope"], "purpose": "p", "legal_basis": "b"}),
        ),
    );
    r.refused("1 of 1 values are not pseudonyms");
}

/// The demo's store, served, with a DPO, a steward and an auditor; the CLI on the same store.
struct Demo {
    dir: tempfile::TempDir,
    master: String,
    tokens: Vec<(String, String)>,
}

impl Demo {
    fn new() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        common::small_demo(dir.path());
        let master = std::fs::read_to_string(dir.path().join("demo/demo-master.key"))
            .unwrap()
            .trim()
            .to_owned();
        let mut demo = Demo {
            dir,
            master,
            tokens: Vec::new(),
        };
        for (name, role) in [("dora", "dpo"), ("stew", "steward"), ("aud", "auditor")] {
            demo.cli(&["user", "add", name, "--role", role]);
            let t = demo.cli(&["token", "create", "--user", name]);
            demo.tokens.push((name.to_owned(), t.trim().to_owned()));
        }
        demo
    }

    /// `datavisa ARGS --store demo/demo-store` in the demo's directory; its stdout.
    fn cli(&self, args: &[&str]) -> String {
        let o = Command::new(env!("CARGO_BIN_EXE_datavisa"))
            .args(args)
            .args(["--store", "demo/demo-store"])
            .current_dir(self.dir.path())
            .env("DATAVISA_MASTER_KEY", &self.master)
            .env("DATAVISA_LANG", "en")
            .output()
            .expect("binary runs");
        ok(o)
    }

    fn cli_json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        serde_json::from_str(&self.cli(&a)).unwrap()
    }

    fn token(&self, user: &str) -> &str {
        &self.tokens.iter().find(|(u, _)| u == user).unwrap().1
    }

    fn serve(&self) -> Server {
        start_in(self.dir.path(), "demo/demo-store", &self.master)
    }
}

#[test]
fn visas_recipients_and_reports_through_the_api_are_the_clis() {
    let demo = Demo::new();
    let s = demo.serve();
    let assessments = demo.cli_json(&["assess", "list"]);
    let ids: Vec<&str> = assessments
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "the demo assesses two recipients");
    let visas_before = demo.cli_json(&["visa", "list"]).as_array().unwrap().len();

    // Issue on the second assessment, then revoke: the API's answers are the CLI's records.
    let issued = call(
        &s,
        "POST",
        "/api/v1/visas",
        demo.token("dora"),
        Some(json!({"assessment": ids[1], "review_months": 6})),
    );
    let issue_request = issued.request_id();
    let issued = issued.expect(201);
    let visa = issued["id"].as_str().unwrap().to_owned();
    assert_eq!(issued["assessment_id"], ids[1]);
    assert_eq!(issued["state"], "active");
    assert_eq!(
        demo.cli_json(&["visa", "list"]).as_array().unwrap().len(),
        visas_before + 1
    );
    let path = format!("/api/v1/visas/{visa}/revoke");
    let revoked = call(
        &s,
        "POST",
        &path,
        demo.token("dora"),
        Some(json!({"reason": "the broker's controls lapsed"})),
    );
    let revoke_request = revoked.request_id();
    let revoked = revoked.expect(200);
    assert_eq!(revoked["state"], "revoked");
    // Stewards and auditors do not issue or revoke.
    call(
        &s,
        "POST",
        &path,
        demo.token("stew"),
        Some(json!({"reason": "x"})),
    )
    .expect(403);
    let shown = call(
        &s,
        "GET",
        &format!("/api/v1/visas/{visa}"),
        demo.token("aud"),
        None,
    )
    .expect(200);
    assert_eq!(shown, demo.cli_json(&["visa", "show", &visa]));
    assert_eq!(shown["state_reason"], "the broker's controls lapsed");

    // A recipient registered through the API is in the CLI's list.
    call(
        &s,
        "POST",
        "/api/v1/ledger/recipients",
        demo.token("dora"),
        Some(json!({"name": "partner-jp", "jurisdiction": "JP", "legal_name": "Partner KK"})),
    )
    .expect(201);
    let listed = call(
        &s,
        "GET",
        "/api/v1/ledger/recipients",
        demo.token("aud"),
        None,
    )
    .expect(200);
    assert_eq!(listed, demo.cli_json(&["ledger", "recipient", "list"]));
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let due = call(
        &s,
        "GET",
        "/api/v1/ledger/due?as_of=2026-11-22",
        demo.token("stew"),
        None,
    )
    .expect(200);
    assert_eq!(
        due,
        demo.cli_json(&["ledger", "due", "--as-of", "2026-11-22"])
    );

    // Each change is audited as dora with her token's prefix and the request's id.
    let log = call(
        &s,
        "GET",
        "/api/v1/audit?actor=dora",
        demo.token("aud"),
        None,
    )
    .expect(200);
    let find = |action: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action} in {log}"))
            .clone()
    };
    let e = find("visa.issued");
    assert_eq!(e["detail"]["visa"], visa.as_str());
    assert_eq!(e["detail"]["request_id"], issue_request.as_str());
    assert_eq!(e["detail"]["token_prefix"], &demo.token("dora")[..11]);
    let e = find("visa.revoked");
    assert_eq!(e["detail"]["request_id"], revoke_request.as_str());
    assert_eq!(e["detail"]["reason"], "the broker's controls lapsed");
    assert_eq!(
        find("ledger.recipient_added")["detail"]["recipient"],
        "partner-jp"
    );

    // The report through the API has the CLI's bytes, in each format and language.
    for (format, lang, ext) in [
        ("html", "zh", "html"),
        ("md", "en", "md"),
        ("json", "en", "json"),
    ] {
        let r = call(
            &s,
            "GET",
            &format!(
                "/api/v1/reports/assessment/{}?format={format}&lang={lang}",
                ids[0]
            ),
            demo.token("aud"),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let out = format!("report-{lang}.{ext}");
        demo.cli(&["report", "assessment", ids[0], "-o", &out, "--lang", lang]);
        let cli = std::fs::read_to_string(demo.dir.path().join(&out)).unwrap();
        assert_eq!(stamp_masked(&r.body), stamp_masked(&cli), "{format} {lang}");
        assert!(r.body.len() > 500, "{format}: {} bytes", r.body.len());
    }
    let zh = call(
        &s,
        "GET",
        &format!("/api/v1/reports/assessment/{}?lang=zh", ids[0]),
        demo.token("aud"),
        None,
    );
    let en = call(
        &s,
        "GET",
        &format!("/api/v1/reports/assessment/{}?lang=en", ids[0]),
        demo.token("aud"),
        None,
    );
    assert_ne!(zh.body, en.body, "the language changes the report");
    assert!(zh.body.contains("<html"), "html by default");
    // A review through the API re-assesses every active visa, as `visa review --all` would.
    let active: Vec<String> = demo
        .cli_json(&["visa", "list"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] == "active")
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!active.is_empty() && !active.contains(&visa));
    let spec = std::fs::read_to_string(demo.dir.path().join("demo/spec.toml")).unwrap();
    let body = json!({"spec": spec, "all": true});
    call(
        &s,
        "POST",
        "/api/v1/visas/review",
        demo.token("stew"),
        Some(body.clone()),
    )
    .expect(403);
    let r = call(
        &s,
        "POST",
        "/api/v1/visas/review",
        demo.token("dora"),
        Some(body),
    );
    let review_request = r.request_id();
    let r = r.expect(200);
    let mut reviewed: Vec<String> = r["reviewed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["visa"].as_str().unwrap().to_owned())
        .collect();
    reviewed.sort();
    let mut want = active.clone();
    want.sort();
    assert_eq!(reviewed, want);
    let after = demo.cli_json(&["assess", "list"]).as_array().unwrap().len();
    assert_eq!(
        after,
        ids.len() + active.len(),
        "one new assessment per visa"
    );
    let log = call(
        &s,
        "GET",
        "/api/v1/audit?kind=visa.reviewed",
        demo.token("aud"),
        None,
    )
    .expect(200);
    assert_eq!(log[0]["actor"], "dora");
    assert_eq!(log[0]["detail"]["request_id"], review_request.as_str());
    assert_eq!(
        log[0]["detail"]["reviewed"].as_array().unwrap().len(),
        active.len()
    );
    let broken = json!({"spec": "[recipients\nx = ", "all": true});
    call(
        &s,
        "POST",
        "/api/v1/visas/review",
        demo.token("dora"),
        Some(broken),
    )
    .expect(400);

    let bad = call(
        &s,
        "GET",
        &format!("/api/v1/reports/assessment/{}?format=docx", ids[0]),
        demo.token("aud"),
        None,
    );
    assert!(bad.expect(400)["detail"].as_str().unwrap().contains("docx"));
}

#[test]
fn plans_transfers_filings_and_the_pipia_through_the_api_are_the_clis() {
    let demo = Demo::new();
    let s = demo.serve();
    let exporter = "Demo Retail (Shanghai) Co., Ltd.";
    let bytes = std::fs::read(demo.dir.path().join("demo/transfer-3.csv")).unwrap();
    let r = call_bytes(
        &s,
        "/api/v1/datasets?name=transfer-3.csv",
        demo.token("stew"),
        &bytes,
    );
    let sha = r.expect(201)["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha, datavisa_vault::crypto::sha256_hex(&bytes));

    // The plan through the API is the CLI's, but for the file's path on each side.
    let plan_args = [
        "plan",
        "--exporter",
        exporter,
        "--recipient",
        "partner-sg",
        "--file",
        "demo/transfer-3.csv",
        "--person-column",
        "身份证号",
        "--date",
        "2026-11-23",
    ];
    let query = format!(
        "/api/v1/ledger/plan?exporter={}&recipient=partner-sg&dataset={sha}&person_column={}&date=2026-11-23",
        enc(exporter),
        enc("身份证号")
    );
    let mut api = call(&s, "GET", &query, demo.token("stew"), None).expect(200);
    let mut cli = demo.cli_json(&plan_args);
    assert_eq!(api["file"]["sha256"], cli["file"]["sha256"]);
    api["file"]["path"] = Value::Null;
    cli["file"]["path"] = Value::Null;
    assert_eq!(api, cli);
    let before = cli["counts"]["ordinary"]["after"].as_u64().unwrap();
    assert!(before > 0, "{cli}");

    // Recording it counts its people once: the next plan starts where this one ended.
    let body = json!({
        "exporter": exporter, "recipient": "partner-sg", "dataset": sha,
        "person_column": "身份证号", "date": "2026-11-23", "mechanism": "standard_contract",
    });
    let r = call(
        &s,
        "POST",
        "/api/v1/ledger/transfers",
        demo.token("stew"),
        Some(body.clone()),
    );
    r.expect(201);
    call(
        &s,
        "POST",
        "/api/v1/ledger/transfers",
        demo.token("dora"),
        Some(body),
    )
    .expect(403);
    let again = demo.cli_json(&plan_args);
    assert_eq!(
        again["counts"]["ordinary"]["before"].as_u64().unwrap(),
        before
    );

    // A filing through the API is in the CLI's list and in the audit log.
    let filing = json!({"exporter": exporter, "recipient": "partner-sg", "kind": "standard_contract",
        "effective": "2026-11-23", "data_types": ["身份证号"]});
    call(
        &s,
        "POST",
        "/api/v1/ledger/filings",
        demo.token("stew"),
        Some(filing),
    )
    .expect(201);
    let filings = call(&s, "GET", "/api/v1/ledger/filings", demo.token("aud"), None).expect(200);
    assert_eq!(filings, demo.cli_json(&["ledger", "filing", "list"]));
    assert!(filings.to_string().contains("2026-11-23"), "{filings}");
    let log = call(
        &s,
        "GET",
        "/api/v1/audit?actor=stew",
        demo.token("aud"),
        None,
    )
    .expect(200);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["ledger.transfer_recorded", "ledger.filing_added"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }

    // The PIPIA draft through the API has the CLI's bytes.
    for (format, lang, ext) in [("md", "en", "md"), ("html", "zh", "html")] {
        let q = format!(
            "/api/v1/reports/pipia?exporter={}&recipient=partner-sg&year=2026&format={format}&lang={lang}",
            enc(exporter)
        );
        let r = call(&s, "GET", &q, demo.token("aud"), None);
        assert_eq!(r.status, 200, "{}", r.body);
        let out = format!("pipia-{lang}.{ext}");
        demo.cli(&[
            "report",
            "pipia",
            "--exporter",
            exporter,
            "--recipient",
            "partner-sg",
            "--year",
            "2026",
            "-o",
            &out,
            "--lang",
            lang,
        ]);
        let cli = std::fs::read_to_string(demo.dir.path().join(&out)).unwrap();
        assert_eq!(stamp_masked(&r.body), stamp_masked(&cli), "{format} {lang}");
        assert!(r.body.len() > 500);
    }
}

/// Percent-encodes a query value (UTF-8 bytes other than letters and digits).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn call_bytes(s: &Server, path: &str, token: &str, bytes: &[u8]) -> Reply {
    common::serve::call(s, "POST", path, Some(token), Some(("text/csv", bytes)))
}

/// `text` with its last UTC time stamp (`2026-12-04T02:37:52Z`, the document's "written at",
/// which differs by the second between two runs) masked; everything else is compared as is.
fn stamp_masked(text: &str) -> String {
    let b = text.as_bytes();
    let is_stamp = |i: usize| {
        let d = |j: usize| b.get(i + j).is_some_and(u8::is_ascii_digit);
        let c = |j: usize, ch: u8| b.get(i + j) == Some(&ch);
        (0..4).all(d)
            && c(4, b'-')
            && d(5)
            && d(6)
            && c(7, b'-')
            && d(8)
            && d(9)
            && c(10, b'T')
            && d(11)
            && d(12)
            && c(13, b':')
            && d(14)
            && d(15)
            && c(16, b':')
            && d(17)
            && d(18)
            && c(19, b'Z')
    };
    match (0..b.len()).rev().find(|&i| is_stamp(i)) {
        Some(i) => format!("{}<time>{}", &text[..i], &text[i + 20..]),
        None => text.to_owned(),
    }
}

#[test]
fn only_the_last_stamp_is_masked() {
    assert_eq!(
        stamp_masked("a 2026-01-02T03:04:05Z b 2026-12-04T02:37:52Z c"),
        "a 2026-01-02T03:04:05Z b <time> c"
    );
    assert_eq!(stamp_masked("no stamp"), "no stamp");
}
