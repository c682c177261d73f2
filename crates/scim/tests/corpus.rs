//! Replays the request flows Microsoft Entra ID and Okta send, as their public documentation
//! shows them (`tests/corpus/*.json`; the format and the sources are in its README), each
//! flow on a new organization, and checks every answer's status, the attributes it must
//! hold and those it must not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use tenantry::testing::WorldBuilder;
use tenantry_scim::service::{ScimClient, ScimRequest, ScimService};

const BASE: &str = "https://app.example/scim/v2";
const TOKEN: &str = "token-of-the-provisioning-client-0123456789";

/// `${name}` in `text` replaced by the captured values.
fn substitute(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (name, value) in vars {
        out = out.replace(&format!("${{{name}}}"), value);
    }
    out
}

fn substitute_json(value: &Value, vars: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) => Value::String(substitute(s, vars)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| substitute_json(v, vars)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute_json(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether `actual` holds `expected`: objects key by key, arrays element for element in any
/// order (as many of each), scalars equal.
fn holds(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, ev)| a.get(k).is_some_and(|av| holds(av, ev))),
        (Value::Array(a), Value::Array(e)) => {
            if a.len() != e.len() {
                return false;
            }
            let mut used = vec![false; a.len()];
            e.iter().all(|ev| {
                let found = a
                    .iter()
                    .enumerate()
                    .find(|(i, av)| !used[*i] && holds(av, ev));
                match found {
                    Some((i, _)) => {
                        used[i] = true;
                        true
                    }
                    None => false,
                }
            })
        }
        (a, e) => a == e,
    }
}

/// A query string as a client sends it: percent-encoded (what the corpus already encodes
/// stays as it is).
fn encode_query(query: &str) -> String {
    let mut out = String::new();
    for b in query.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'='
            | b'&'
            | b'%' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn service() -> ScimService {
    let w = WorldBuilder::new().build().await.unwrap();
    let client = ScimClient::new(w.org, w.admin, TOKEN).unwrap();
    ScimService::new(Arc::new(w.dir), BASE, vec![client]).unwrap()
}

/// Runs every flow of one corpus file; returns what failed, one line per flow (a flow stops
/// at its first failing step, whose successors depend on it).
async fn replay(file: &str) -> (usize, Vec<String>) {
    let path = format!("{}/tests/corpus/{file}", env!("CARGO_MANIFEST_DIR"));
    let corpus: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let flows = corpus["flows"].as_array().unwrap();
    let mut failures = Vec::new();
    let mut steps = 0;
    for flow in flows {
        let scim = service().await;
        let mut vars: HashMap<String, String> = HashMap::new();
        steps += flow["steps"].as_array().unwrap().len();
        for step in flow["steps"].as_array().unwrap() {
            let request = &step["request"];
            let method = request["method"].as_str().unwrap();
            let target = substitute(request["path"].as_str().unwrap(), &vars);
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let body = request
                .get("body")
                .map(|b| substitute_json(b, &vars).to_string())
                .unwrap_or_default();
            let query = encode_query(query);
            let authorization = format!("Bearer {TOKEN}");
            let answer = scim
                .handle(ScimRequest {
                    method,
                    path,
                    query: &query,
                    authorization: Some(&authorization),
                    if_match: None,
                    if_none_match: None,
                    body: body.as_bytes(),
                })
                .await;
            let got = answer.body.clone().unwrap_or(Value::Null);
            let expect = &step["expect"];
            let status_ok = match expect.get("status_any") {
                Some(any) => any
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s.as_u64() == Some(u64::from(answer.status))),
                None => expect["status"].as_u64() == Some(u64::from(answer.status)),
            };
            let mut problem = None;
            if !status_ok {
                problem = Some(format!("status {}", answer.status));
            } else if let Some(wanted) = expect.get("body") {
                let wanted = substitute_json(wanted, &vars);
                if !holds(&got, &wanted) {
                    problem = Some(format!("the answer lacks {wanted}"));
                }
            }
            if problem.is_none()
                && let Some(absent) = expect.get("absent").and_then(Value::as_array)
            {
                for pointer in absent {
                    let pointer = pointer.as_str().unwrap();
                    if got.pointer(pointer).is_some() {
                        problem = Some(format!("the answer has {pointer}"));
                    }
                }
            }
            if let Some(problem) = problem {
                failures.push(format!(
                    "{}: {} / {}: {problem}; answered {} {got}",
                    file, flow["name"], step["name"], answer.status
                ));
                break;
            }
            if let Some(capture) = step.get("capture").and_then(Value::as_object) {
                for (name, pointer) in capture {
                    let value = got
                        .pointer(pointer.as_str().unwrap())
                        .and_then(Value::as_str)
                        .unwrap_or_else(|| {
                            panic!("{}: nothing at {pointer} to capture", step["name"])
                        });
                    vars.insert(name.clone(), value.to_owned());
                }
            }
        }
    }
    (steps, failures)
}

#[tokio::test]
async fn microsoft_entra_id_flows_as_documented() {
    let (steps, failures) = replay("entra.json").await;
    assert!(steps > 100, "{steps} steps");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn okta_flows_as_documented() {
    let (steps, failures) = replay("okta.json").await;
    assert!(steps > 50, "{steps} steps");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
