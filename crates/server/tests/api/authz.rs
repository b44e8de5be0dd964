//! The authorization matrix: every role × every endpoint, with the status each must get.
//! Reading or approving another role's item, another tool's item, and a rep approving
//! their own protected moment are all refused.
//!
//! Endpoints that change an item run on a fresh held item per cell, so one cell's
//! approval cannot change what the next cell sees.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{DISCOUNT, Kind, TestApp};

/// The callers, in the order of each row's expected statuses.
const ROLES: [&str; 8] = [
    "anonymous",
    "tool_a",
    "tool_b",
    "rep_sam",
    "rep_rita",
    "deal_desk",
    "security",
    "admin",
];

struct Row {
    method: Method,
    /// `{X}`: the shared held item (tool A's, on behalf of sam.rep, needs deal_desk);
    /// `{fresh}`: a new held item like it; `{n}`: a unique suffix.
    path: &'static str,
    body: Option<Value>,
    expect: [u16; 8],
}

fn row(method: Method, path: &'static str, body: Option<Value>, expect: [u16; 8]) -> Row {
    Row {
        method,
        path,
        body,
        expect,
    }
}

fn policy_texts() -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/default");
    let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
    json!({"toml": read("policy.toml"), "cedar": read("policy.cedar"), "schema": read("policy.cedarschema")})
}

fn rows() -> Vec<Row> {
    use Method as M;
    let email = json!({"kind": "email.send", "on_behalf_of": "sam.rep",
        "payload": {"to": ["dana@acme.example"], "subject": "Hi", "body": "Thanks for the call today."}});
    vec![
        //                                                              anon tA   tB   sam  rita desk sec  admin
        row(
            M::POST,
            "/v1/actions",
            Some(email.clone()),
            [401, 201, 201, 403, 403, 403, 403, 403],
        ),
        row(
            M::GET,
            "/v1/actions/{X}",
            None,
            [401, 200, 404, 200, 403, 200, 403, 200],
        ),
        row(
            M::POST,
            "/v1/actions/{fresh}/approve",
            Some(json!({"revision": 1})),
            [401, 403, 403, 403, 403, 200, 403, 403],
        ),
        row(
            M::POST,
            "/v1/actions/{fresh}/edit",
            Some(json!({"body": "Let's talk pricing on a call."})),
            [401, 403, 403, 200, 403, 200, 403, 403],
        ),
        row(
            M::POST,
            "/v1/actions/{fresh}/reject",
            Some(json!({"reason": "not now"})),
            [401, 403, 403, 200, 403, 200, 403, 403],
        ),
        row(
            M::GET,
            "/v1/queue",
            None,
            [401, 403, 403, 200, 200, 200, 200, 200],
        ),
        row(
            M::GET,
            "/v1/queue?role=deal_desk",
            None,
            [401, 403, 403, 200, 403, 200, 403, 200],
        ),
        row(
            M::GET,
            "/v1/me",
            None,
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        row(
            M::GET,
            "/v1/accounts",
            None,
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(
            M::POST,
            "/v1/accounts",
            Some(
                json!({"name": "new.{n}", "roles": ["manager"], "password": "a long enough password"}),
            ),
            [401, 403, 403, 403, 403, 403, 403, 201],
        ),
        row(
            M::GET,
            "/v1/tools",
            None,
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(
            M::POST,
            "/v1/tools",
            Some(json!({"name": "tool-{n}", "kinds": ["email.send"]})),
            [401, 403, 403, 403, 403, 403, 403, 201],
        ),
        row(
            M::DELETE,
            "/v1/tools/victim-{n}",
            None,
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(
            M::GET,
            "/v1/policy",
            None,
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        row(
            M::POST,
            "/v1/policy/validate",
            Some(policy_texts()),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(
            M::POST,
            "/v1/policy/activate",
            Some(policy_texts()),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(
            M::POST,
            "/v1/policy/check",
            Some(email),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(
            M::GET,
            "/v1/audit/export",
            None,
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(
            M::GET,
            "/v1/audit/verify",
            None,
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(
            M::GET,
            "/v1/contacts/c-1",
            None,
            [401, 403, 403, 200, 200, 200, 200, 200],
        ),
        row(
            M::PUT,
            "/v1/contacts/c-1",
            Some(json!({"title": "VP Finance"})),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(
            M::GET,
            "/v1/opportunities/o-1",
            None,
            [401, 403, 403, 200, 200, 200, 200, 200],
        ),
        row(
            M::PUT,
            "/v1/opportunities/o-1",
            Some(json!({"stage": "Negotiation"})),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        row(
            M::GET,
            "/v1/suppressions",
            None,
            [401, 403, 403, 200, 200, 200, 200, 200],
        ),
        row(
            M::POST,
            "/v1/suppressions",
            Some(json!({"email": "gone@acme.example", "reason": "opt_out"})),
            [401, 403, 403, 201, 201, 201, 201, 201],
        ),
        row(
            M::GET,
            "/v1/context?contact_id=c-1",
            None,
            [401, 200, 200, 200, 200, 200, 200, 200],
        ),
        row(
            M::GET,
            "/healthz",
            None,
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        row(
            M::GET,
            "/openapi.json",
            None,
            [200, 200, 200, 200, 200, 200, 200, 200],
        ),
        row(
            M::PUT,
            "/v1/accounts/rita.rep/chat",
            Some(json!({"slack_user_id": "U0RITA", "teams_user_id": null})),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        // Last: a password change ends the account's sessions.
        row(
            M::PUT,
            "/v1/accounts/rita.rep/password",
            Some(
                json!({"password": "a long enough password", "current_password": crate::helpers::PASSWORD}),
            ),
            [401, 403, 403, 403, 200, 403, 403, 200],
        ),
    ]
}

async fn every_role_gets_exactly_its_rights_on_every_endpoint(kind: Kind) {
    let Some(app) =
        TestApp::spawn_with(kind, |c| c.rate_limit.anonymous_per_minute = 10_000, None).await
    else {
        return;
    };
    let tool_a = app.tool("tool-a").await;
    let tool_b = app.tool("tool-b").await;
    let sam = app.account("sam.rep", &["rep", "deal_desk"], false).await;
    let rita = app.account("rita.rep", &["rep"], false).await;
    let desk = app.account("dora.dealdesk", &["deal_desk"], false).await;
    let sec = app.account("sid.security", &["security"], false).await;
    let tokens: [Option<String>; 8] = [
        None,
        Some(tool_a.clone()),
        Some(tool_b),
        Some(sam.clone()),
        Some(rita),
        Some(desk),
        Some(sec),
        Some(app.admin.clone()),
    ];
    app.send(
        Method::PUT,
        "/v1/contacts/c-1",
        Some(&app.admin),
        Some(&json!({"title": "CFO"})),
    )
    .await;
    app.send(
        Method::PUT,
        "/v1/opportunities/o-1",
        Some(&app.admin),
        Some(&json!({"stage": "Proposal"})),
    )
    .await;
    let held = async |app: &TestApp| {
        let r = app
            .propose_email(&tool_a, "dana@acme.example", DISCOUNT)
            .await;
        assert_eq!(r.body["decision"]["decision"], "hold", "{:?}", r.body);
        r.body["action_id"].as_str().unwrap().to_owned()
    };
    let x = held(&app).await;

    let mut failures = Vec::new();
    let mut n = 0;
    for row in rows() {
        for (i, token) in tokens.iter().enumerate() {
            n += 1;
            let mut path = row.path.replace("{X}", &x).replace("{n}", &n.to_string());
            if path.contains("{fresh}") {
                path = path.replace("{fresh}", &held(&app).await);
            }
            if path.contains("/v1/tools/victim-") {
                let name = path.trim_start_matches("/v1/tools/").to_owned();
                let r = app
                    .post(
                        "/v1/tools",
                        &app.admin,
                        &json!({"name": name, "kinds": ["email.send"]}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::CREATED);
            }
            let body = row.body.as_ref().map(|b| {
                serde_json::from_str::<Value>(&b.to_string().replace("{n}", &n.to_string()))
                    .unwrap()
            });
            let r = app
                .send(row.method.clone(), &path, token.as_deref(), body.as_ref())
                .await;
            let expected = row.expect[i];
            if r.status.as_u16() != expected {
                failures.push(format!(
                    "{} {} as {}: expected {expected}, got {} {}",
                    row.method,
                    row.path,
                    ROLES[i],
                    r.status.as_u16(),
                    r.body
                ));
            }
            if r.status.is_client_error() {
                assert!(
                    r.body["error"]["code"].is_string(),
                    "{} {}: {}",
                    row.method,
                    path,
                    r.body
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cell(s) wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // The rep's refusal is separation of duties, said in those words.
    let own = held(&app).await;
    let r = app
        .post(
            &format!("/v1/actions/{own}/approve"),
            &sam,
            &json!({"revision": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is the rep the action is on behalf of"),
        "{}",
        r.body
    );
    // Logging out ends the session.
    let bye = app
        .send(Method::DELETE, "/v1/sessions/current", Some(&sam), None)
        .await;
    assert_eq!(bye.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/v1/me", &sam).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A tool cannot log out, and a wrong password says nothing about which part was wrong.
    assert_eq!(
        app.send(Method::DELETE, "/v1/sessions/current", Some(&tool_a), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let wrong = app
        .send(
            Method::POST,
            "/v1/sessions",
            None,
            Some(&json!({"name": "dora.dealdesk", "password": "not the password"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["error"]["message"], "wrong name or password");
    app.stop().await;
}
api_test!(every_role_gets_exactly_its_rights_on_every_endpoint);
