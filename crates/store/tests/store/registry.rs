//! The tool and reviewer registries.

use countersign_store::sha256_hex;

use crate::harness::{TestDb, now};

async fn a_tool_key_is_shown_once_and_stored_only_as_its_hash(t: &TestDb) {
    let new = t
        .store
        .add_tool(
            "outreach-agent",
            &["email.send".to_owned()],
            &["contact_details".to_owned()],
            &t.policy,
            "cli:admin",
            now(),
        )
        .await
        .unwrap();
    assert!(new.api_key.starts_with("cs_"));
    assert_eq!(new.api_key.len(), 35);
    assert_eq!(
        t.count(&format!(
            "SELECT count(*) FROM tool WHERE key_hash = '{}'",
            sha256_hex(&new.api_key)
        ))
        .await,
        1
    );
    let mut export = Vec::new();
    t.store.export_audit(&mut export).await.unwrap();
    let export = String::from_utf8(export).unwrap();
    assert!(
        !export.contains(&new.api_key),
        "the key must not reach the audit log"
    );
    assert!(export.contains("tool_registration"));

    let err = t
        .store
        .add_tool(
            "outreach-agent",
            &["email.send".to_owned()],
            &[],
            &t.policy,
            "cli:admin",
            now(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already registered"), "{err}");

    let revoked = t
        .store
        .revoke_tool("outreach-agent", "cli:admin", now())
        .await
        .unwrap();
    assert!(revoked.revoked_at.is_some());
    // The name is free again, with a new key.
    let again = t
        .store
        .add_tool(
            "outreach-agent",
            &["email.send".to_owned()],
            &[],
            &t.policy,
            "cli:admin",
            now(),
        )
        .await
        .unwrap();
    assert_ne!(again.api_key, new.api_key);
    let tools = t.store.list_tools().await.unwrap();
    assert_eq!(tools.len(), 2);
    assert!(tools[0].revoked_at.is_none(), "active tools first");
    let err = t
        .store
        .revoke_tool("no-such-tool", "cli:admin", now())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "active tool `no-such-tool` not found");
}
store_test!(a_tool_key_is_shown_once_and_stored_only_as_its_hash);

async fn registry_input_is_checked_against_the_policy(t: &TestDb) {
    let err = t
        .store
        .add_tool(
            "agent",
            &["email.send".to_owned(), "Email".to_owned()],
            &[],
            &t.policy,
            "cli:admin",
            now(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "kinds[1]: `Email` is not an action kind (expected e.g. `email.send`)"
    );
    let err = t
        .store
        .add_tool(
            "agent",
            &["email.send".to_owned()],
            &["medical".to_owned()],
            &t.policy,
            "cli:admin",
            now(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("data_classes[0]: `medical` is not a data class of the policy"),
        "{err}"
    );
    let err = t
        .store
        .add_reviewer(
            "dora.dealdesk",
            &["deal-desk".to_owned()],
            &t.policy,
            "cli:admin",
            now(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("roles[0]: `deal-desk` is not a role of the policy"),
        "{err}"
    );
    t.reviewer("dora.dealdesk", &["deal_desk"]).await;
    t.reviewer("dora.dealdesk", &["deal_desk", "finance"]).await;
    let list = t.store.list_reviewers().await.unwrap();
    let dora: Vec<_> = list.iter().filter(|r| r.name == "dora.dealdesk").collect();
    assert_eq!(dora.len(), 1);
    assert_eq!(
        dora[0].roles.iter().collect::<Vec<_>>(),
        ["deal_desk", "finance"]
    );
}
store_test!(registry_input_is_checked_against_the_policy);
