//! The API's JSON bodies under the mutation fuzzer of crates/workflow/tests/fuzz.rs: the real
//! router (role check, extractors, handlers, workflow, problem+json middleware) built in process
//! over a temp store, every route whose OpenAPI operation takes a JSON body (so a new route is
//! fuzzed without editing this file), seeded by hand for the known routes and from the request
//! schema for any other. No input may panic or get a 5xx, and every refusal is problem+json.
//! An input is `METHOD PATH\n` and the body (so a saved crash names its route);
//! `DATAVISA_FUZZ_SECS` and `DATAVISA_FUZZ_SEED` work as for the other targets, and crashes go
//! to crates/workflow/tests/fuzz-regressions/api-json/.

#[path = "../../workflow/tests/fuzz_harness/mod.rs"]
mod fuzz_harness;

use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use datavisa_server::state::{AppState, Limits, ServerSecrets, StoreLocation};
use datavisa_workflow::users::Role;
use datavisa_workflow::KdfParams;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use zeroize::Zeroizing;

/// CI's share of the fuzz budget: with the seeds' own pass (about 3 s) this target takes about
/// 12 s, as each of the workflow's four does.
const CI_SECS: f64 = 9.0;

/// A route taking JSON, with its parameters filled in.
struct JsonRoute {
    method: Method,
    template: String,
    path: String,
}

/// The router over a temp store with one user holding every role, and a token of theirs.
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

impl Api {
    fn new() -> (Api, String, String) {
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
        let token = ws.create_token("fuzzer", "1d").unwrap().token;
        // The routes on a token or user act on `other`, never on the fuzzer's own.
        let other_prefix = ws.create_token("other", "1d").unwrap().info.prefix;
        let app = datavisa_server::app(AppState::new(ws, Limits::default(), true));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let api = Api {
            rt,
            app,
            token,
            _dir: dir,
        };
        let up = api.send(
            Method::POST,
            "/api/v1/datasets?name=f.csv",
            "text/csv",
            b"id,name,born,zip\n1,Wang Wei,1985-07-14,518057\n2,Li Na,1990-01-02,100000\n".to_vec(),
        );
        assert_eq!(up.status, 201, "{}", String::from_utf8_lossy(&up.body));
        let sha = json_of(&up.body)["sha256"].as_str().unwrap().to_owned();
        (api, sha, other_prefix)
    }

    fn send(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
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

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

/// Every routed operation whose OpenAPI request body is JSON.
fn json_routes(sha: &str, prefix: &str) -> Vec<JsonRoute> {
    let doc = serde_json::to_value(datavisa_server::openapi::document()).unwrap();
    let mut out = Vec::new();
    for rule in datavisa_server::routes::table() {
        let op = &doc["paths"][rule.path][rule.method.as_str().to_ascii_lowercase()];
        if op["requestBody"]["content"]["application/json"].is_null() {
            continue;
        }
        let mut path = rule
            .path
            .replace("{sha256}", sha)
            .replace("{prefix}", prefix)
            .replace("{name}", "other");
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
fn seeds_of(route: &JsonRoute, anchor: &Value) -> Vec<String> {
    let doc = serde_json::to_value(datavisa_server::openapi::document()).unwrap();
    let op = &doc["paths"][&route.template][route.method.as_str().to_ascii_lowercase()];
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let mut seeds = vec![example(schema, &doc, 0).to_string()];
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
    let (api, sha, prefix) = Api::new();
    let routes = json_routes(&sha, &prefix);
    // Users, tokens, inspect, scan and the audit verification take JSON today.
    assert!(routes.len() >= 5, "{}", routes.len());
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
        hand.extend(seeds_of(r, &anchor));
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
    let n = fuzz_harness::fuzz("api-json", fuzz_harness::budget(CI_SECS), &seeds, &check);
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
