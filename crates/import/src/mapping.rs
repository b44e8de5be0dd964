//! The mapping file: what the column names alone do not say.
//!
//! ```toml
//! # Which kind a file holds, when its name does not say.
//! [files]
//! "Pipeline report.csv" = "opportunity"
//! # A column's field, per kind (`""` ignores the column).
//! [columns.opportunity]
//! "Deal Size (USD)" = "amount"
//! "Internal notes" = ""
//! # A CRM user id (or owner name in a report) → the rep's name in Countersign.
//! [owners]
//! "0055e000001AbCdAAK" = "sam.okafor"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::fields::{FileKind, fold};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default)]
    columns: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    owners: BTreeMap<String, String>,
}

/// A parsed mapping file (empty: nothing overridden).
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    files: BTreeMap<String, FileKind>,
    /// (kind, folded column) → field, `None` to ignore the column.
    columns: BTreeMap<(FileKind, String), Option<String>>,
    owners: BTreeMap<String, String>,
}

impl Mapping {
    /// Reads a mapping file's text; problems name the key.
    pub fn parse(text: &str) -> Result<Self, String> {
        let raw: RawMapping = toml::from_str(text).map_err(|e| e.to_string())?;
        let kind = |key: &str, k: &str| {
            FileKind::parse(k).ok_or_else(|| {
                format!("{key}: `{k}` is not a kind (account, contact, opportunity, opportunity_history, task, event, activity, user)")
            })
        };
        let mut m = Self::default();
        for (file, k) in &raw.files {
            m.files
                .insert(file.clone(), kind(&format!("files.\"{file}\""), k)?);
        }
        for (k, cols) in &raw.columns {
            let fk = kind(&format!("columns.{k}"), k)?;
            for (column, field) in cols {
                if !field.is_empty() && !fk.fields().iter().any(|(f, _)| f == field) {
                    let known: Vec<&str> = fk.fields().iter().map(|(f, _)| *f).collect();
                    return Err(format!(
                        "columns.{k}.\"{column}\": `{field}` is not a field of {k} (one of {}, or \"\" to ignore it)",
                        known.join(", ")
                    ));
                }
                m.columns.insert(
                    (fk, fold(column)),
                    (!field.is_empty()).then(|| field.clone()),
                );
            }
        }
        m.owners = raw.owners;
        Ok(m)
    }

    /// The kind the mapping gives a file name, if it gives one.
    pub fn file_kind(&self, file_name: &str) -> Option<FileKind> {
        self.files.get(file_name).copied()
    }

    /// The field a column maps to: `Some(Some(field))`, `Some(None)` to ignore it, `None`
    /// when the mapping does not say.
    pub fn column(&self, kind: FileKind, column: &str) -> Option<Option<&str>> {
        self.columns
            .get(&(kind, fold(column)))
            .map(|f| f.as_deref())
    }

    /// The rep name the mapping gives a CRM owner.
    pub fn owner(&self, crm_owner: &str) -> Option<&str> {
        self.owners.get(crm_owner).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn a_mapping_overrides_columns_and_names_its_mistakes() {
        let m = Mapping::parse(
            "[files]\n\"Pipeline.csv\" = \"opportunity\"\n[columns.opportunity]\n\"Deal Size (USD)\" = \"amount\"\n\"Notes\" = \"\"\n[owners]\n\"005A\" = \"sam.okafor\"\n",
        )
        .unwrap();
        assert_eq!(m.file_kind("Pipeline.csv"), Some(FileKind::Opportunity));
        assert_eq!(
            m.column(FileKind::Opportunity, "deal size (usd)"),
            Some(Some("amount"))
        );
        assert_eq!(m.column(FileKind::Opportunity, "NOTES"), Some(None));
        assert_eq!(m.owner("005A"), Some("sam.okafor"));
        let e = Mapping::parse("[columns.opportunity]\n\"X\" = \"size\"\n").unwrap_err();
        assert!(e.contains("`size` is not a field of opportunity"), "{e}");
        let e = Mapping::parse("[files]\n\"a.csv\" = \"deals\"\n").unwrap_err();
        assert!(e.contains("`deals` is not a kind"), "{e}");
    }
}
