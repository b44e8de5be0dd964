//! One scan, for the CLI, the REST endpoint and the inbox alike: what the store knows, the
//! inputs read against it, the server's own sightings of unknown keys, the report folded
//! and stored (audited).

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use countersign_engine::{Gate, Policy};
use countersign_store::{ScanFacts, Store, StoreError};

use crate::{Finding, Folder, Kind, Known, Report, Signatures, crm_logins, extensions, mail};

/// What to read. Every path is optional; a scan of nothing reports the unknown keys only.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub mbox: Vec<PathBuf>,
    pub eml_dirs: Vec<PathBuf>,
    pub maildirs: Vec<PathBuf>,
    pub crm_logins: Vec<PathBuf>,
    pub extensions: Vec<PathBuf>,
}

impl Inputs {
    /// The inputs' file names, for the audit record.
    pub fn names(&self) -> Vec<String> {
        self.mbox
            .iter()
            .chain(&self.eml_dirs)
            .chain(&self.maildirs)
            .chain(&self.crm_logins)
            .chain(&self.extensions)
            .map(|p| {
                p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            })
            .collect()
    }
}

/// What the readers compare against, from the store's facts. The seller's own domains are
/// those of the reps' company addresses.
pub fn known(facts: &ScanFacts) -> Known {
    let mut k = Known::default();
    for (address, rep) in &facts.rep_addresses {
        k.rep_addresses.insert(address.clone(), rep.clone());
        if let Some((_, domain)) = address.rsplit_once('@') {
            k.company_domains.insert(domain.to_owned());
        }
    }
    for (name, rep) in &facts.rep_names {
        k.rep_names.insert(name.clone(), rep.clone());
    }
    for rep in &facts.reps {
        k.rep_names.insert(rep.to_lowercase(), rep.clone());
        // `sam.okafor` also answers to `sam okafor` and `samokafor`.
        k.rep_names.insert(
            rep.replace(['.', '_', '-'], " ").to_lowercase(),
            rep.clone(),
        );
        k.rep_names
            .insert(rep.replace(['.', '_', '-'], "").to_lowercase(), rep.clone());
    }
    k.buyer_domains = facts
        .buyer_domains
        .iter()
        .filter(|d| !k.company_domains.contains(*d))
        .cloned()
        .collect();
    k.gated_message_ids = facts.delivered_message_ids.iter().cloned().collect();
    k.gated_pairs = facts
        .decided_pairs
        .iter()
        .map(|(to, subject)| (to.clone(), crate::subject_key(subject)))
        .collect();
    k.registered_tools = facts.tools.iter().map(|t| t.to_lowercase()).collect();
    k
}

/// Reads every input (blocking: call it off the async runtime for large mailboxes) and folds
/// what it finds. An input that cannot be opened is reported as unreadable; the rest goes on.
pub fn read(
    inputs: &Inputs,
    known: &Known,
    signatures: &Signatures,
    gate: &Gate,
    policy: &Policy,
) -> Folder {
    let mut folder = Folder::new(signatures);
    let scanner = mail::MailScanner {
        known,
        signatures,
        gate,
        policy,
    };
    for p in &inputs.mbox {
        each(&mut folder, p, "mbox", |sink| scanner.mbox(p, sink));
    }
    for p in &inputs.eml_dirs {
        each(&mut folder, p, "folder", |sink| scanner.eml_dir(p, sink));
    }
    for p in &inputs.maildirs {
        each(&mut folder, p, "Maildir", |sink| scanner.maildir(p, sink));
    }
    for p in &inputs.crm_logins {
        each(&mut folder, p, "export", |sink| {
            crm_logins::scan(p, known, signatures, sink)
        });
    }
    for p in &inputs.extensions {
        each(&mut folder, p, "inventory", |sink| {
            extensions::scan(p, known, signatures, sink)
        });
    }
    folder
}

/// Reads one input into `folder` as its findings come (memory stays one row per kind, rep
/// and tool, however large the input).
fn each(
    folder: &mut Folder,
    path: &std::path::Path,
    what: &str,
    read: impl FnOnce(&mut dyn FnMut(Finding)) -> std::io::Result<u64>,
) {
    let name = path.display().to_string();
    match read(&mut |finding| folder.add(finding)) {
        Ok(n) => folder.read(&name, n),
        Err(e) => folder.add(Finding::unreadable(
            name,
            format!("cannot read this {what}: {e}"),
        )),
    }
}

/// Adds what the server saw of unknown and revoked keys in the last 90 days: requests it
/// refused (sightings) and proposals it stored as denied.
pub async fn add_sightings(
    store: &Store,
    folder: &mut Folder,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for p in store
        .unregistered_proposals(now - Duration::days(90))
        .await?
    {
        folder.add_span(
            Finding {
                kind: Kind::UnknownToolKey,
                rep: None,
                tool: p.claimed_tool,
                evidence: "proposed with a key the registry does not know (denied)".to_owned(),
                source: "the store's proposals".to_owned(),
                at: Some(p.first),
                touched: Default::default(),
            },
            u64::try_from(p.count).unwrap_or(0),
            p.last,
        );
    }
    for s in store.sightings(now - Duration::days(90), 1000).await? {
        let claimed = s.claimed_tool.clone();
        folder.add_span(
            Finding {
                kind: Kind::UnknownToolKey,
                rep: None,
                tool: claimed
                    .clone()
                    .or_else(|| Some(format!("key {}", s.key_fingerprint))),
                evidence: format!(
                    "key {}… used on {}{}",
                    s.key_fingerprint,
                    s.source,
                    s.recipient_domain
                        .as_deref()
                        .map_or(String::new(), |d| format!(" (mail to {d})"))
                ),
                source: "the server's refused requests".to_owned(),
                at: Some(s.first_seen_at),
                touched: Default::default(),
            },
            u64::try_from(s.count.max(1)).unwrap_or(1),
            s.last_seen_at,
        );
    }
    Ok(())
}

/// Stores `report` and audits the scan; returns its id.
pub async fn save(
    store: &Store,
    report: &Report,
    inputs: &Inputs,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let mut counts = std::collections::BTreeMap::new();
    for row in &report.rows {
        *counts.entry(row.kind.as_str().to_owned()).or_default() += row.count;
    }
    let json = serde_json::to_value(report).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store
        .save_scan(&json, inputs.names(), counts, actor, now)
        .await
}

/// A whole scan in one call, reading on this thread (the CLI and the demo; the server reads
/// off its async runtime instead): the store's facts, the inputs, the sightings, the report
/// stored and audited.
pub async fn scan(
    store: &Store,
    inputs: &Inputs,
    signatures: &Signatures,
    gate: &Gate,
    policy: &Policy,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Report, StoreError> {
    let known = known(&store.scan_facts().await?);
    let mut folder = read(inputs, &known, signatures, gate, policy);
    add_sightings(store, &mut folder, now).await?;
    let report = folder.finish();
    save(store, &report, inputs, actor, now).await?;
    Ok(report)
}
