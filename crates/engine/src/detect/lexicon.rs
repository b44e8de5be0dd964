//! Placeholder, being written.

use super::{Detector, DetectorError, Document, Signals};
use crate::finding::Finding;

/// Placeholder.
#[derive(Debug, Default)]
pub struct LexiconDetector;

impl LexiconDetector {
    pub fn new() -> Self {
        Self
    }
}

impl Detector for LexiconDetector {
    fn name(&self) -> &'static str {
        "lexicon"
    }

    fn detect(&self, _doc: &Document<'_>, _signals: &Signals<'_>, _out: &mut Vec<Finding>) -> Result<(), DetectorError> {
        Ok(())
    }
}
