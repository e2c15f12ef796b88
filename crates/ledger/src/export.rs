//! The ledger as one JSON document for auditors (`ledger export`), restored by `ledger import`
//! into an empty ledger with the same key; and the yearly summary (`ledger report`).

use crate::error::{invalid, Result};
use crate::plan::{Facts, Rules};
use crate::store::{now, Ledger};
use datavisa_vault::crypto::{hex, hmac_sha256, unhex};
use rusqlite::types::{Value as Sql, ValueRef};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// Tables in the order they can be restored.
const TABLES: &[&str] = &[
    "exporters",
    "recipients",
    "transfers",
    "persons",
    "filings",
    "calendar",
];

fn key_check(l: &Ledger) -> String {
    hex(&hmac_sha256(&l.key[..], b"datavisa ledger key check"))
}

fn to_json(v: ValueRef) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => json!({ "hex": hex(b) }),
    }
}

fn from_json(v: &Value) -> Result<Sql> {
    Ok(match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(*b as i64),
        Value::Number(n) => n
            .as_i64()
            .map(Sql::Integer)
            .or_else(|| n.as_f64().map(Sql::Real))
            .unwrap_or(Sql::Null),
        Value::String(s) => Sql::Text(s.clone()),
        Value::Object(o) => Sql::Blob(
            o.get("hex")
                .and_then(Value::as_str)
                .and_then(unhex)
                .ok_or_else(|| invalid("a blob must be {\"hex\": ...}"))?,
        ),
        Value::Array(_) => return Err(invalid("unexpected array in a row")),
    })
}

/// A yearly summary line of one exporter.
#[derive(Clone, Debug, Serialize)]
pub struct ExporterYear {
    pub exporter: String,
    pub ciio: bool,
    pub group: Option<String>,
    pub counts: crate::record::Counts,
    pub transfers: u64,
    pub recipients: Vec<String>,
    pub mechanism: String,
    pub rules: Vec<String>,
}

impl Ledger {
    /// Every table as JSON rows (person hashes as hex, never identifiers).
    pub fn export(&self) -> Result<Value> {
        let mut tables = Map::new();
        for t in TABLES {
            let mut st = self.conn.prepare(&format!("SELECT * FROM {t}"))?;
            let names: Vec<String> = st.column_names().map(|s| s.to_string()).collect();
            let rows: Vec<Value> = st
                .query_map([], |r| {
                    let mut o = Map::new();
                    for (i, n) in names.iter().enumerate() {
                        o.insert(n.clone(), to_json(r.get_ref(i)?));
                    }
                    Ok(Value::Object(o))
                })?
                .collect::<rusqlite::Result<_>>()?;
            tables.insert((*t).to_owned(), Value::Array(rows));
        }
        Ok(json!({
            "format": "datavisa-ledger", "schema": crate::store::SCHEMA_VERSION, "exported_at": now(),
            "key_check": key_check(self), "tool_version": env!("CARGO_PKG_VERSION"), "tables": tables,
        }))
    }

    /// Restores an export into this (empty) ledger, which must hold the same key.
    pub fn import(&mut self, doc: &Value) -> Result<u64> {
        if doc["format"] != "datavisa-ledger" {
            return Err(invalid("not a datavisa ledger export"));
        }
        if doc["key_check"].as_str() != Some(key_check(self).as_str()) {
            return Err(invalid(
                "this ledger's key differs from the exporting ledger's: copy its ledger.key into the store first (person hashes are keyed)",
            ));
        }
        let empty: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM exporters", [], |r| r.get(0))?;
        if empty > 0 {
            return Err(invalid("import into an empty ledger only"));
        }
        self.write(|tx| {
            let mut n = 0u64;
            for t in TABLES {
                for row in doc["tables"][*t]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    let o = row
                        .as_object()
                        .ok_or_else(|| invalid("a row must be an object"))?;
                    let cols: Vec<&String> = o.keys().collect();
                    let sql = format!(
                        "INSERT INTO {t} ({}) VALUES ({})",
                        cols.iter()
                            .map(|c| format!("\"{}\"", c.replace('"', "")))
                            .collect::<Vec<_>>()
                            .join(", "),
                        (1..=cols.len())
                            .map(|i| format!("?{i}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    let vals: Vec<Sql> = o.values().map(from_json).collect::<Result<_>>()?;
                    tx.execute(&sql, rusqlite::params_from_iter(vals))?;
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    /// Each exporter's year: counters, transfers, recipients and the mechanism they need now.
    pub fn year_report(&self, rules: &Rules, year: i64) -> Result<Vec<ExporterYear>> {
        let mut out = Vec::new();
        for e in self.exporters()? {
            let counts = self.counts(e.id, year)?;
            let transfers: i64 = self.conn.query_row(
                "SELECT COUNT(*) FROM transfers WHERE exporter_id = ?1 AND year = ?2",
                rusqlite::params![e.id, year],
                |r| r.get(0),
            )?;
            let mut st = self.conn.prepare(
                "SELECT DISTINCT r.name FROM transfers t JOIN recipients r ON r.id = t.recipient_id
                 WHERE t.exporter_id = ?1 AND t.year = ?2 ORDER BY r.name",
            )?;
            let recipients: Vec<String> = st
                .query_map(rusqlite::params![e.id, year], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let d = rules.decide(
                &Facts {
                    ciio: e.ciio,
                    ..Default::default()
                },
                counts,
            );
            out.push(ExporterYear {
                exporter: e.name,
                ciio: e.ciio,
                group: e.group,
                counts,
                transfers: transfers as u64,
                recipients,
                mechanism: d.mechanism,
                rules: d.rules,
            });
        }
        Ok(out)
    }
}
