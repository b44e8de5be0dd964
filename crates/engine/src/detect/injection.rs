//! Placeholder, being written.

use super::{Detector, DetectorError, Document, Signals};
use crate::finding::Finding;

/// Placeholder.
#[derive(Debug, Default)]
pub struct InjectionDetector;

impl InjectionDetector {
    pub fn new() -> Self {
        Self
    }
}

impl Detector for InjectionDetector {
    fn name(&self) -> &'static str {
        "injection"
    }

    fn detect(&self, _doc: &Document<'_>, _signals: &Signals<'_>, _out: &mut Vec<Finding>) -> Result<(), DetectorError> {
        Ok(())
    }
}
