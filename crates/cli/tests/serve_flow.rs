//! The demo's whole flow over HTTP, one token per role, against a real `datavisa serve` on a
//! loopback port: the admin makes the team (and sees no data), the steward uploads, scans,
//! makes twins, attacks and assesses, the DPO names the recipient and issues the visa, the
//! steward sends the twin under it, relinks a pseudonym with two approvers' consent, the DPO
//! revokes, the auditor reads and verifies every step. Only the store, its first admin and the
//! vault's approver enrolment are made with the CLI (the vault holds approvers' credentials,
//! which the API never creates).

mod common;

use common::serve::{add_user, dv_env, get, init_store, ok, post_json, upload, Reply, Server};
use serde_json::{json, Value};
use std::fmt::Write;

fn credential(name: &str) -> String {
    format!("{name}-approver-credential-flow")
}

/// 1,000 people from `first` on: an identifier, three quasi-identifiers and a diagnosis.
fn people(first: usize, seed: u64) -> String {
    let mut csv = String::from("pid,age,city,sex,diagnosis\n");
    let mut x: u64 = seed;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    for i in first..first + 1000 {
        writeln!(
            csv,
            "P{i:05},{},{},{},{}",
            20 + next(50),
            ["Beijing", "Shanghai", "Shenzhen", "Chengdu"][next(4) as usize],
            ["F", "M"][next(2) as usize],
            ["asthma", "flu", "none", "diabetes"][next(4) as usize]
        )
        .unwrap();
    }
    csv
}

/// Roles, the recipient (the ledger's and the spec's `partner-sg`) and the age hierarchy.
fn spec() -> String {
    let mut s = String::new();
    for (c, role) in [
        ("pid", "identifier"),
        ("age", "quasi"),
        ("city", "quasi"),
        ("sex", "quasi"),
        ("diagnosis", "sensitive"),
    ] {
        writeln!(s, "[[columns]]\nname = \"{c}\"\nrole = \"{role}\"").unwrap();
    }
    s.push_str(
        "[[recipients]]\nid = \"partner-sg\"\nknows = [\"age\", \"city\", \"sex\"]\n\
         context = \"named_recipient\"\n[recipients.controls]\nno_reidentification = true\n\
         no_relinking = true\naudited_security = true\n",
    );
    s
}

fn expect(r: Reply, status: u16) -> Value {
    r.expect(status)
}

fn post(s: &Server, path: &str, token: &str, body: Value) -> Reply {
    post_json(s, path, Some(token), &body.to_string())
}

/// Polls a job to its end (bounded by count, not by a clock); it must succeed.
fn job_result(s: &Server, token: &str, accepted: Reply) -> Value {
    let id = expect(accepted, 202)["id"].as_str().unwrap().to_owned();
    for _ in 0..6000 {
        let j = expect(get(s, &format!("/api/v1/jobs/{id}"), Some(token)), 200);
        match j["state"].as_str().unwrap() {
            "queued" | "running" => std::thread::sleep(std::time::Duration::from_millis(20)),
            "succeeded" => return j["result"].clone(),
            _ => panic!("job {id} did not succeed: {j}"),
        }
    }
    panic!("job {id} never ended");
}

#[test]
fn a_team_of_five_roles_does_the_demo_flow_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    init_store(d);
    let root = add_user(d, "root", "admin");
    for name in ["ann", "bob"] {
        ok(dv_env(
            d,
            &[("DATAVISA_APPROVER_CREDENTIAL", &credential(name))],
            &["vault", "approver", "add", name, "--store", "st"],
        ));
    }
    let s = Server::start(d, &["--store", "st"], &[]);

    // Admin: the team, through the API; users and tokens only, no data.
    let mut tokens = std::collections::HashMap::new();
    for (name, roles) in [
        ("stew", json!(["steward"])),
        ("ann", json!(["approver"])),
        ("bob", json!(["approver"])),
        ("dora", json!(["dpo"])),
        ("aud", json!(["auditor"])),
    ] {
        expect(
            post(
                &s,
                "/api/v1/users",
                &root,
                json!({"name": name, "roles": roles}),
            ),
            201,
        );
        let t = expect(
            post(
                &s,
                "/api/v1/tokens",
                &root,
                json!({"user": name, "expires": "1d"}),
            ),
            201,
        );
        tokens.insert(name, t["token"].as_str().unwrap().to_owned());
    }
    let t = |n: &str| tokens[n].clone();
    get(&s, "/api/v1/datasets", Some(&root)).problem(403);

    // Steward: upload, scan, a generalized and a pseudonymized twin.
    let stored = |name: &str, csv: String| {
        expect(upload(&s, &t("stew"), name, csv.as_bytes()), 201)["sha256"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let ds = stored("people.csv", people(0, 0x2545_F491_4F6C_DD1D));
    // Others of the same population, not in the twin: the control attacks' targets.
    let control = stored("control.csv", people(1000, 0x9E37_79B9_7F4A_7C15));
    let scan = expect(
        post(
            &s,
            &format!("/api/v1/datasets/{ds}/scan"),
            &t("stew"),
            json!({}),
        ),
        200,
    );
    assert!(scan.to_string().contains("pid"), "{scan}");
    let gen = job_result(
        &s,
        &t("stew"),
        post(
            &s,
            "/api/v1/twins/generalize",
            &t("stew"),
            json!({"dataset": ds, "spec": spec(), "k": 5, "suppression": 0.05}),
        ),
    );
    let twin = gen["output"]["sha256"].as_str().unwrap().to_owned();
    let pseudo = job_result(
        &s,
        &t("stew"),
        post(
            &s,
            "/api/v1/twins/pseudonymize",
            &t("stew"),
            json!({"dataset": ds, "recipient": "partner-sg",
                   "spec": "[pseudonymize.pid]\nmethod = \"token\"\n"}),
        ),
    );
    let psha = pseudo["output"]["sha256"].as_str().unwrap().to_owned();
    let twin_id = pseudo["twin_id"].as_str().unwrap().to_owned();
    let pseudonymized = get(
        &s,
        &format!("/api/v1/twins/{psha}/download"),
        Some(&t("aud")),
    );
    assert_eq!(pseudonymized.status, 200);
    let first_pseudonym = pseudonymized
        .body
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .unwrap()
        .to_owned();
    assert_ne!(first_pseudonym, "P00000");

    // Steward: the recipient's attack, then the assessment.
    let attack = job_result(
        &s,
        &t("stew"),
        post(
            &s,
            "/api/v1/attacks",
            &t("stew"),
            json!({"attack": "linkability", "twin": twin, "source": ds,
                   "aux_a": ["age"], "aux_b": ["city", "sex"], "n_attacks": 200, "seed": 1}),
        ),
    );
    assert!(attack["risk"]["value"].is_number(), "{attack}");
    let assessed = job_result(
        &s,
        &t("stew"),
        post(
            &s,
            "/api/v1/assessments",
            &t("stew"),
            json!({"twin": twin, "source": ds, "control": control, "spec": spec(),
                   "recipient": "partner-sg", "n_attacks": 300, "seed": 7}),
        ),
    );
    let assessment = assessed["id"].as_str().unwrap().to_owned();
    // The command that re-runs it names a spec that is still there.
    let command = assessed["command"].as_str().unwrap();
    let spec_file = command
        .split(' ')
        .skip_while(|w| *w != "--spec")
        .nth(1)
        .unwrap();
    assert_eq!(std::fs::read_to_string(d.join(spec_file)).unwrap(), spec());
    assert_eq!(
        assessed["verdict"], "anonymized",
        "a k=5 twin for a contracted recipient: {assessed}"
    );

    // DPO: the recipient in the ledger and the visa. The steward may not issue it.
    expect(
        post(
            &s,
            "/api/v1/ledger/recipients",
            &t("dora"),
            json!({"name": "partner-sg", "jurisdiction": "SG", "legal_name": "Partner Pte Ltd"}),
        ),
        201,
    );
    post(
        &s,
        "/api/v1/visas",
        &t("stew"),
        json!({"assessment": assessment}),
    )
    .problem(403);
    let visa = expect(
        post(
            &s,
            "/api/v1/visas",
            &t("dora"),
            json!({"assessment": assessment, "review_months": 6}),
        ),
        201,
    );
    let visa_id = visa["id"].as_str().unwrap().to_owned();
    assert_eq!(
        expect(
            get(&s, &format!("/api/v1/visas/{visa_id}"), Some(&t("aud"))),
            200
        )["status"],
        "valid"
    );
    // Ids nothing has are 404, not 400.
    get(&s, "/api/v1/visas/visa-nothing", Some(&t("aud"))).problem(404);
    get(&s, "/api/v1/assessments/a-nothing", Some(&t("aud"))).problem(404);

    // Steward: the exporter, the twin sent under the visa (its people not counted).
    expect(
        post(
            &s,
            "/api/v1/ledger/exporters",
            &t("stew"),
            json!({"name": "Flow Retail Co", "ciio": false}),
        ),
        201,
    );
    let sent = expect(
        post(
            &s,
            "/api/v1/ledger/transfers",
            &t("stew"),
            json!({"exporter": "Flow Retail Co", "recipient": "partner-sg", "dataset": twin,
                   "date": "2026-11-23", "visa": visa_id}),
        ),
        201,
    );
    assert!(sent.to_string().contains(&visa_id), "{sent}");
    let report = get(
        &s,
        &format!("/api/v1/reports/assessment/{assessment}?format=md&lang=en"),
        Some(&t("dora")),
    );
    assert_eq!(report.status, 200);
    assert!(report.body.contains(&assessment), "{}", report.body);

    // Relink one pseudonym: the steward asks, two approvers consent, the steward executes once.
    let asked = expect(
        post(
            &s,
            "/api/v1/relinks",
            &t("stew"),
            json!({"twin_id": twin_id, "pseudonyms": [first_pseudonym],
                   "purpose": "a complaint needs the customer", "legal_basis": "PIPL Art. 13(2)"}),
        ),
        201,
    );
    let rid = asked["id"].as_str().unwrap().to_owned();
    let approve = |who: &str| {
        post(
            &s,
            &format!("/api/v1/relinks/{rid}/approve"),
            &t(who),
            json!({"credential": credential(who)}),
        )
    };
    expect(approve("ann"), 200);
    expect(approve("bob"), 200);
    let executed = expect(
        post(
            &s,
            &format!("/api/v1/relinks/{rid}/execute"),
            &t("stew"),
            json!({}),
        ),
        200,
    );
    assert_eq!(executed["identities"][0]["value"], "P00000", "{executed}");
    post(
        &s,
        &format!("/api/v1/relinks/{rid}/execute"),
        &t("stew"),
        json!({}),
    )
    .problem(409);

    // DPO: revoked, the visa no longer covers a transfer.
    expect(
        post(
            &s,
            &format!("/api/v1/visas/{visa_id}/revoke"),
            &t("dora"),
            json!({"reason": "the contract ended"}),
        ),
        200,
    );
    post(
        &s,
        "/api/v1/ledger/transfers",
        &t("stew"),
        json!({"exporter": "Flow Retail Co", "recipient": "partner-sg", "dataset": twin,
               "date": "2026-11-24", "visa": visa_id}),
    )
    .problem(400);

    // Auditor: reads everything, changes nothing, and the chain holds every actor.
    post(
        &s,
        "/api/v1/visas",
        &t("aud"),
        json!({"assessment": assessment}),
    )
    .problem(403);
    let verified = expect(post(&s, "/api/v1/audit/verify", &t("aud"), json!({})), 200);
    assert_eq!(verified["intact"], true, "{verified}");
    assert_eq!(verified["problems"], json!([]), "{verified}");
    let log = expect(get(&s, "/api/v1/audit", Some(&t("aud"))), 200);
    let actors: std::collections::BTreeSet<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["actor"].as_str())
        .collect();
    for who in ["root", "stew", "ann", "bob", "dora"] {
        assert!(actors.contains(who), "{who} missing from {actors:?}");
    }
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "user.added",
        "token.created",
        "relink.executed",
        "visa.issued",
        "visa.revoked",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    // No token or credential is anywhere in the log.
    let text = log.to_string();
    for tok in tokens.values() {
        assert!(!text.contains(tok.as_str()));
    }
    assert!(!text.contains(&credential("ann")));
    let _ = s.stop();
}
