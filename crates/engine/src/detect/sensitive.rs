//! Placeholder, being written.

use super::{Detector, DetectorError, Document, Signals};
use crate::finding::Finding;

/// Placeholder.
#[derive(Debug, Default)]
pub struct SensitiveDetector;

impl SensitiveDetector {
    pub fn new() -> Self {
        Self
    }
}

impl Detector for SensitiveDetector {
    fn name(&self) -> &'static str {
        "sensitive"
    }

    fn detect(&self, _doc: &Document<'_>, _signals: &Signals<'_>, _out: &mut Vec<Finding>) -> Result<(), DetectorError> {
        Ok(())
    }
}
