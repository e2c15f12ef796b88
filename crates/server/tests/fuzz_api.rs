//! The API's JSON bodies under the mutation fuzzer of crates/workflow/tests/fuzz.rs: the real
//! router (role check, extractors, handlers, workflow, problem+json middleware) built in process
//! over a temp store populated through the API as a team would (a dataset, twins made by jobs,
//! assessments, visas, relink requests, the ledger's parties), every route whose OpenAPI
//! operation takes a JSON body, seeded by hand and from the request schema. Before mutating,
//! one seed of every route must succeed, so a new route fails this target until it has a seed
//! that works (and, for a `{id}` route, the object it names). No input may panic or get a 5xx,
//! and every refusal is problem+json.
//! An input is `METHOD PATH\n` and the body (so a saved crash names its route);
//! `DATAVISA_FUZZ_SECS` and `DATAVISA_FUZZ_SEED` work as for the other targets, and crashes go
//! to crates/workflow/tests/fuzz-regressions/api-json/.

#[path = "../../workflow/tests/fuzz_harness/mod.rs"]
mod fuzz_harness;

use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use datavisa_server::jobs::{Pool, PoolSize};
use datavisa_server::state::{AppState, Limits, ServerSecrets, StoreLocation};
use datavisa_workflow::users::Role;
use datavisa_workflow::KdfParams;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use zeroize::Zeroizing;

/// CI's share of this target, as each of the workflow's four has: the setup and the seeds' own
/// pass (every route's seeds and their structural variants, about 3,700 requests taking 8 to
/// 12 s) come out of it, and the loop gets what is left, but never less than [`LOOP_MIN_SECS`].
const CI_SECS: f64 = 14.0;

/// The loop's least share in CI, however long the seeds took.
const LOOP_MIN_SECS: f64 = 4.0;

/// A route taking JSON, with its parameters filled in.
struct JsonRoute {
    method: Method,
    template: String,
    path: String,
}

/// The router over a temp store, and the token of `fuzzer`, a user holding every role.
struct Api {
    rt: tokio::runtime::Runtime,
    app: Router,
    token: String,
    _dir: tempfile::TempDir,
}

/// An answer: status, content type, body.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

/// What `Api::new` made, as a team would, for the seeds and the paths to name: a dataset, a
/// generalized and a pseudonymized twin of it, three assessments, two visas, two relink
/// requests of another steward, an exporter and a recipient in the ledger.
struct World {
    /// The stored dataset (pid, a, b, c, s).
    sha: String,
    /// The prefix of `other`'s token (the routes on a token act on it).
    prefix: String,
    /// The generalized twin's hash.
    twin: String,
    /// The pseudonymized twin's vault id and its pseudonyms of `pid`.
    twin_id: String,
    pseudonyms: Vec<String>,
    /// An assessment (recipient r3) with no visa yet, for the issue seed.
    assessment: String,
    /// Visas to void and to revoke.
    to_void: String,
    to_revoke: String,
    /// Pending relink requests filed by `stew`, for the fuzzer to approve and to deny.
    to_approve: String,
    to_deny: String,
}

#[path = "fixtures/team.rs"]
mod team;
use team::{assess_spec, source_csv, PSEUDO_SPEC, SYNTH_SPEC};

/// A vault approver's credential.
fn credential(name: &str) -> String {
    format!("{name}-approver-credential-fuzz")
}

/// The ledger's exporter and recipient the transfer and filing seeds name.
const EXPORTER: &str = "Fuzz Retail Co";
const LEDGER_RECIPIENT: &str = "partner-sg";

impl Api {
    fn new() -> (Api, World) {
        let dir = tempfile::tempdir().unwrap();
        let secrets = ServerSecrets::new(Zeroizing::new(b"fuzz master key".to_vec()));
        let ws = StoreLocation::Dir(dir.path().join("st"))
            .open(secrets)
            .unwrap();
        // The cheapest Argon2id OWASP allows: every request that opens the vault derives it.
        ws.vault_init(KdfParams {
            m_kib: 7 * 1024,
            t: 5,
            p: 1,
        })
        .unwrap();
        ws.add_user("fuzzer", &Role::ALL).unwrap();
        ws.add_user("other", &[Role::Dpo]).unwrap();
        ws.add_user("stew", &[Role::Steward]).unwrap();
        for name in ["ann", "bob"] {
            ws.add_user(name, &[Role::Approver]).unwrap();
        }
        // The fuzzer approves the requests of `stew`; ann and bob approve the fuzzer's.
        for name in ["fuzzer", "ann", "bob"] {
            let cred = Zeroizing::new(credential(name).into_bytes());
            ws.with_approver_credential(cred)
                .add_approver(name)
                .unwrap();
        }
        let token = ws.create_token("fuzzer", "1d").unwrap().token;
        let stew = ws.create_token("stew", "1d").unwrap().token;
        // The routes on a token or user act on `other`, never on the fuzzer's own.
        let prefix = ws.create_token("other", "1d").unwrap().info.prefix;
        // Twins and assessments are jobs: a pool with workers makes them, and the fuzzed router
        // gets one that never runs any (its submissions queue, then are 429), so the loop
        // stays on the handlers and no mutated job runs in the background.
        let setup = AppState::new(ws.clone(), Limits::default(), true).with_pool(PoolSize {
            workers: 2,
            ..PoolSize::default()
        });
        Pool::start(&setup);
        let fuzzed = datavisa_server::app(AppState::new(ws, Limits::default(), true));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut api = Api {
            rt,
            app: datavisa_server::app(setup),
            token,
            _dir: dir,
        };
        let world = api.build_world(prefix, &stew);
        api.app = fuzzed;
        (api, world)
    }

    /// The state the routes need, made through the API by the fuzzer and `stew`.
    fn build_world(&self, prefix: String, stew: &str) -> World {
        let up = self.send(
            Method::POST,
            "/api/v1/datasets?name=source.csv",
            "text/csv",
            source_csv().into_bytes(),
        );
        let sha = expect(&up, 201)["sha256"].as_str().unwrap().to_owned();
        let pseudo = self.job(
            "/api/v1/twins/pseudonymize",
            json!({"dataset": sha, "recipient": "acme", "spec": PSEUDO_SPEC}),
        );
        let general = self.job(
            "/api/v1/twins/generalize",
            json!({"dataset": sha, "quasi": ["a", "b", "c"], "sensitive": ["s"], "k": 2}),
        );
        let pseudo_sha = pseudo["result"]["output"]["sha256"].as_str().unwrap();
        let twin = general["result"]["output"]["sha256"]
            .as_str()
            .unwrap()
            .to_owned();
        let m = self.get(&format!("/api/v1/twins/{pseudo_sha}"));
        let twin_id = expect(&m, 200)["twin_id"].as_str().unwrap().to_owned();
        let file = self.get(&format!("/api/v1/twins/{pseudo_sha}/download"));
        assert_eq!(file.status, 200);
        let text = String::from_utf8(file.body).unwrap();
        let pseudonyms: Vec<String> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_owned())
            .collect();
        assert!(
            pseudonyms.len() == 60 && !pseudonyms[0].starts_with('P'),
            "{text}"
        );
        let assessments: Vec<String> = ["r1", "r2", "r3"]
            .iter()
            .map(|r| {
                let done = self.job(
                    "/api/v1/assessments",
                    json!({"twin": twin, "source": sha, "spec": assess_spec(), "recipient": r,
                           "n_attacks": 50, "max_attacks": 50, "seed": 7}),
                );
                done["result"]["id"].as_str().unwrap().to_owned()
            })
            .collect();
        let visa = |a: &str| {
            let v = self.post(&self.token, "/api/v1/visas", json!({"assessment": a}));
            expect(&v, 201)["id"].as_str().unwrap().to_owned()
        };
        let (to_void, to_revoke) = (visa(&assessments[0]), visa(&assessments[1]));
        let relink = |p: &str| {
            let body = json!({"twin_id": twin_id, "pseudonyms": [p], "purpose": "a complaint",
                              "legal_basis": "PIPL Art. 13(2)"});
            let r = self.post(stew, "/api/v1/relinks", body);
            expect(&r, 201)["id"].as_str().unwrap().to_owned()
        };
        let (to_approve, to_deny) = (relink(&pseudonyms[0]), relink(&pseudonyms[1]));
        let e = self.post(
            &self.token,
            "/api/v1/ledger/exporters",
            json!({"name": EXPORTER}),
        );
        expect(&e, 201);
        let r = self.post(
            &self.token,
            "/api/v1/ledger/recipients",
            json!({"name": LEDGER_RECIPIENT, "jurisdiction": "SG"}),
        );
        expect(&r, 201);
        World {
            sha,
            prefix,
            twin,
            twin_id,
            pseudonyms,
            assessment: assessments[2].clone(),
            to_void,
            to_revoke,
            to_approve,
            to_deny,
        }
    }

    /// Submits a job as the fuzzer and waits for its end, which must be a success.
    fn job(&self, path: &str, body: Value) -> Value {
        let a = self.post(&self.token, path, body);
        let id = expect(&a, 202)["id"].as_str().unwrap().to_owned();
        loop {
            let j = self.get(&format!("/api/v1/jobs/{id}"));
            let j = expect(&j, 200);
            match j["state"].as_str().unwrap() {
                "queued" | "running" => std::thread::sleep(std::time::Duration::from_millis(5)),
                "succeeded" => return j,
                _ => panic!("job {path}: {j}"),
            }
        }
    }

    fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, "application/json", Vec::new())
    }

    fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send_as(
            token,
            Method::POST,
            path,
            "application/json",
            body.to_string().into_bytes(),
        )
    }

    fn send(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        self.send_as(&self.token, method, path, content_type, body)
    }

    fn send_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        self.rt.block_on(async {
            let r = self.app.clone().oneshot(req).await.unwrap();
            let status = r.status().as_u16();
            let content_type = r
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = r.into_body().collect().await.unwrap().to_bytes().to_vec();
            Answer {
                status,
                content_type,
                body,
            }
        })
    }
}

/// The answer's JSON, which must have `status`.
fn expect(a: &Answer, status: u16) -> Value {
    assert_eq!(a.status, status, "{}", String::from_utf8_lossy(&a.body));
    json_of(&a.body)
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

/// Every routed operation whose OpenAPI request body is JSON, its `{id}` naming the object of
/// `world` the route acts on (a route left with `none` gets no success, which fails the test).
fn json_routes(world: &World) -> Vec<JsonRoute> {
    let doc = serde_json::to_value(datavisa_server::openapi::document()).unwrap();
    let mut out = Vec::new();
    for rule in datavisa_server::routes::table() {
        let op = &doc["paths"][rule.path][rule.method.as_str().to_ascii_lowercase()];
        if op["requestBody"]["content"]["application/json"].is_null() {
            continue;
        }
        let id = match rule.path {
            "/api/v1/relinks/{id}/approve" => world.to_approve.as_str(),
            "/api/v1/relinks/{id}/deny" => &world.to_deny,
            "/api/v1/visas/{id}/void" => &world.to_void,
            "/api/v1/visas/{id}/revoke" => &world.to_revoke,
            _ => "none",
        };
        let mut path = rule
            .path
            .replace("{sha256}", &world.sha)
            .replace("{prefix}", &world.prefix)
            .replace("{name}", "other")
            .replace("{id}", id);
        while let Some(at) = path.find('{') {
            let end = path[at..].find('}').map_or(path.len(), |e| at + e + 1);
            path.replace_range(at..end, "none");
        }
        out.push(JsonRoute {
            method: rule.method.clone(),
            template: rule.path.to_owned(),
            path,
        });
    }
    out
}

/// A value of `schema` (refs resolved): each property present, strings `a`, numbers 1.
fn example(schema: &Value, doc: &Value, depth: usize) -> Value {
    if depth > 6 {
        return Value::Null;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or_default();
        return example(&doc["components"]["schemas"][name], doc, depth + 1);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema[key].as_array() {
            let some = list.iter().find(|s| s["type"] != "null");
            return some.map_or(Value::Null, |s| example(s, doc, depth + 1));
        }
    }
    if !schema["example"].is_null() {
        return schema["example"].clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types
            .iter()
            .find(|t| *t != "null")
            .cloned()
            .unwrap_or_default(),
        t => t.clone(),
    };
    match ty.as_str() {
        Some("string") => json!("a"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([example(&schema["items"], doc, depth + 1)]),
        _ => {
            let mut o = serde_json::Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (k, v) in props {
                    o.insert(k.clone(), example(v, doc, depth + 1));
                }
            }
            Value::Object(o)
        }
    }
}

/// The seeds of a route: what its clients send, by hand where known, and the schema's example.
/// The hand seeds act on `world`'s objects; those consuming one (approve, deny, void, revoke)
/// each have their own, so every route has a success whatever ran before it.
fn seeds_of(route: &JsonRoute, anchor: &Value, w: &World) -> Vec<String> {
    let doc = serde_json::to_value(datavisa_server::openapi::document()).unwrap();
    let op = &doc["paths"][&route.template][route.method.as_str().to_ascii_lowercase()];
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let mut seeds = vec![example(schema, &doc, 0).to_string()];
    let purpose = "a customer complaint needs the customer's identity";
    let by_hand: Vec<Value> = match route.template.as_str() {
        "/api/v1/users" => vec![json!({"name": "u1", "roles": ["dpo", "auditor"]})],
        "/api/v1/tokens" => vec![json!({"user": "other", "expires": "30d"})],
        p if p.ends_with("/inspect") => vec![json!({}), json!({"top": 3})],
        p if p.ends_with("/scan") => {
            vec![json!({"seed": 0, "sample": 1000, "as_of": "2026-01-31"})]
        }
        "/api/v1/audit/verify" => vec![
            json!({}),
            json!({"anchor": anchor}),
            json!({"anchor": anchor, "anchor_public_key": anchor["public_key"]}),
        ],
        "/api/v1/relinks" => vec![
            json!({"twin_id": w.twin_id, "pseudonyms": [w.pseudonyms[2]], "purpose": purpose,
                   "legal_basis": "PIPL Art. 13(2)"}),
            json!({"twin_id": w.twin_id, "column": "pid", "pseudonyms": &w.pseudonyms[3..6],
                   "purpose": purpose, "legal_basis": "PIPL Art. 13(2)", "expires": "30m"}),
        ],
        "/api/v1/relinks/{id}/approve" => vec![json!({"credential": credential("fuzzer")})],
        "/api/v1/relinks/{id}/deny" => {
            vec![json!({"credential": credential("fuzzer"), "reason": "no contract covers it"})]
        }
        "/api/v1/visas" => vec![
            json!({"assessment": w.assessment, "review_months": 6}),
            json!({"assessment": w.assessment, "conditions": ["no onward transfer"],
                   "override_reason": "the latest word"}),
        ],
        "/api/v1/visas/{id}/void" => vec![json!({"reason": "issued in error"})],
        "/api/v1/visas/{id}/revoke" => vec![json!({"reason": "the contract ended"})],
        "/api/v1/visas/review" => vec![json!({"spec": assess_spec(), "all": true})],
        "/api/v1/ledger/recipients" => {
            vec![json!({"name": "partner-jp", "jurisdiction": "JP", "legal_name": "Partner KK"})]
        }
        "/api/v1/ledger/exporters" => {
            vec![json!({"name": "Fuzz Two Co", "ciio": false, "group": "fuzz", "ftz": "lingang"})]
        }
        "/api/v1/ledger/transfers" => vec![json!({
            "exporter": EXPORTER, "recipient": LEDGER_RECIPIENT, "dataset": w.sha,
            "person_column": "pid", "date": "2026-11-23", "mechanism": "standard_contract"})],
        "/api/v1/ledger/filings" => vec![json!({
            "exporter": EXPORTER, "recipient": LEDGER_RECIPIENT, "kind": "standard_contract",
            "effective": "2026-11-23", "data_types": ["pid"]})],
        "/api/v1/twins/generalize" => vec![json!({"dataset": w.sha, "quasi": ["a", "b", "c"],
            "sensitive": ["s"], "k": 2, "suppression": 0.1, "search": "optimal"})],
        "/api/v1/twins/pseudonymize" => {
            vec![json!({"dataset": w.sha, "recipient": "acme", "spec": PSEUDO_SPEC})]
        }
        "/api/v1/twins/synthesize" => vec![
            json!({"dataset": w.sha, "spec": SYNTH_SPEC, "epsilon": 1.0, "seed": 3, "rows": 20}),
        ],
        "/api/v1/assessments" => vec![json!({"twin": w.twin, "source": w.sha,
            "spec": assess_spec(), "recipient": "r1", "n_attacks": 50, "seed": 7})],
        "/api/v1/attacks" => vec![
            json!({"attack": "singling_out", "twin": w.twin, "source": w.sha, "n_attacks": 20}),
            json!({"attack": "linkability", "twin": w.twin, "source": w.sha,
                   "aux_a": ["a"], "aux_b": ["b", "c"], "n_attacks": 20}),
            json!({"attack": "inference", "twin": w.twin, "source": w.sha, "secret": "s",
                   "n_attacks": 20}),
        ],
        "/api/v1/risk" => vec![json!({"table": w.twin, "quasi": ["a", "b", "c"],
            "sensitive": ["s"], "source": w.sha, "samples": 20})],
        "/api/v1/utility" => vec![json!({"twin": w.twin, "source": w.sha, "queries": 20})],
        _ => Vec::new(),
    };
    seeds.extend(by_hand.iter().map(Value::to_string));
    seeds
        .into_iter()
        .map(|body| format!("{} {}\n{body}", route.method, route.template))
        .collect()
}

/// Values that break handlers more often than bytes do: wrong types, extremes, odd strings.
fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(-1),
        json!(0),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e308),
        json!(-0.5),
        json!(""),
        json!("\u{0}"),
        json!("../../../etc/passwd"),
        json!("x".repeat(5000)),
        json!("张三"),
        json!("2026-02-30"),
        json!(true),
        json!([]),
        json!({}),
        json!([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]),
    ]
}

/// `v` with its `n`th node (depth first) replaced by `with`; the count of nodes seen.
fn replace_node(v: &mut Value, n: &mut usize, with: &Value) -> bool {
    if *n == 0 {
        *v = with.clone();
        return true;
    }
    *n -= 1;
    match v {
        Value::Array(items) => items.iter_mut().any(|i| replace_node(i, n, with)),
        Value::Object(map) => map.values_mut().any(|i| replace_node(i, n, with)),
        _ => false,
    }
}

/// Seeds with one node replaced by each odd value: well-formed JSON of the wrong shape or
/// range, which byte mutations rarely make and which reaches the handlers past the parser.
fn structural(seeds: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for s in seeds {
        let (head, body) = s.split_once('\n').unwrap();
        let Ok(v) = serde_json::from_str::<Value>(body) else {
            continue;
        };
        for node in 1..64 {
            for odd in odd_values() {
                let mut w = v.clone();
                let mut n = node;
                if !replace_node(&mut w, &mut n, &odd) {
                    break;
                }
                out.push(format!("{head}\n{w}"));
            }
        }
    }
    out
}

/// What is wrong with an answer: a 5xx, or a refusal that is not an RFC 9457 problem.
fn fault(a: &Answer) -> Option<String> {
    let text = || String::from_utf8_lossy(&a.body).into_owned();
    if a.status >= 500 {
        return Some(format!("status {}: {}", a.status, text()));
    }
    if a.status >= 400 {
        if a.content_type != "application/problem+json" {
            return Some(format!("{} as {:?}: {}", a.status, a.content_type, text()));
        }
        let p: Value = serde_json::from_slice(&a.body).unwrap_or_default();
        if p["status"] != a.status || !p["detail"].is_string() {
            return Some(format!("{} with a bad problem: {}", a.status, text()));
        }
    }
    None
}

#[test]
fn fuzz_the_api_json_bodies() {
    let started = std::time::Instant::now();
    let (api, world) = Api::new();
    let routes = json_routes(&world);
    // Users, tokens, inspect, scan, the audit verification, three relink, four visa, four
    // ledger, three twin routes and the assessments take JSON today.
    assert!(routes.len() >= 20, "{}", routes.len());
    let a = api.send(
        Method::GET,
        "/api/v1/audit/anchor",
        "application/json",
        vec![],
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let anchor = json_of(&a.body);
    let mut seeds = Vec::new();
    let mut hand = Vec::new();
    for r in &routes {
        hand.extend(seeds_of(r, &anchor, &world));
    }
    for s in hand.iter().chain(&structural(&hand)) {
        seeds.push(s.clone().into_bytes());
    }
    let statuses = std::cell::RefCell::new(std::collections::BTreeMap::<u16, u64>::new());
    let check = |input: &[u8]| -> Result<(), String> {
        // The route the first line names; a mangled line picks one by the input's length.
        let (head, body) = match input.iter().position(|b| *b == b'\n') {
            Some(i) => (&input[..i], &input[i + 1..]),
            None => (&input[..0], input),
        };
        let named = routes
            .iter()
            .find(|r| format!("{} {}", r.method, r.template).as_bytes() == head);
        let route = named.unwrap_or(&routes[input.len() % routes.len()]);
        let answer = api.send(
            route.method.clone(),
            &route.path,
            "application/json",
            body.to_vec(),
        );
        *statuses.borrow_mut().entry(answer.status).or_default() += 1;
        match fault(&answer) {
            Some(why) => Err(format!("crash: {} {}: {why}", route.method, route.template)),
            None => Ok(()),
        }
    };
    // The seeds as they are reach their handlers, and on every route one succeeds: the fuzzer
    // starts from working requests, not only from refusals (a schema example may be refused,
    // a made-up user, but only as a problem).
    let mut succeeded = vec![0usize; routes.len()];
    for s in &seeds {
        let (head, body) = s.split_at(s.iter().position(|b| *b == b'\n').unwrap());
        let head = String::from_utf8_lossy(head);
        let i = routes
            .iter()
            .position(|r| format!("{} {}", r.method, r.template) == head)
            .unwrap();
        let a = api.send(
            routes[i].method.clone(),
            &routes[i].path,
            "application/json",
            body[1..].to_vec(),
        );
        assert!(fault(&a).is_none(), "{head}: {}", a.status);
        succeeded[i] += usize::from(a.status < 300);
    }
    for (r, n) in routes.iter().zip(&succeeded) {
        assert!(*n > 0, "no seed of {} {} succeeds", r.method, r.template);
    }
    let left = (CI_SECS - started.elapsed().as_secs_f64()).max(LOOP_MIN_SECS);
    let n = fuzz_harness::fuzz("api-json", fuzz_harness::budget(left), &seeds, &check);
    assert!(n > 0);
    eprintln!("fuzz api-json: answers by status {:?}", statuses.borrow());
}

/// The fuzzer's judge: a 5xx, a plain-text refusal and a problem whose status disagrees are
/// faults; a problem+json refusal and a success are not.
#[test]
fn the_judge_names_5xx_and_refusals_that_are_not_problems() {
    let answer = |status: u16, content_type: &str, body: &str| Answer {
        status,
        content_type: content_type.into(),
        body: body.as_bytes().to_vec(),
    };
    let problem = r#"{"type":"/problems/bad-input","status":400,"detail":"x"}"#;
    assert!(fault(&answer(500, "application/problem+json", problem)).is_some());
    assert!(fault(&answer(400, "text/plain", "bad")).is_some());
    assert!(fault(&answer(422, "application/problem+json", problem)).is_some());
    assert!(fault(&answer(400, "application/problem+json", problem)).is_none());
    assert!(fault(&answer(200, "application/json", "{}")).is_none());
}
