//! Any text (plain or HTML) through the normaliser the detectors read: never panics, and
//! every span of the normalised text maps back inside the original on char boundaries.
#![no_main]

use countersign_engine::detect::normalize::normalize;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let n = normalize(&text);
    let mut ends: Vec<usize> = n.text.char_indices().map(|(i, _)| i).collect();
    ends.push(n.text.len());
    for w in ends.windows(2).take(64) {
        let r = n.original_range(w[0]..w[1]);
        assert!(
            r.start <= r.end && r.end <= text.len(),
            "{r:?} outside {}",
            text.len()
        );
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
    }
    for o in &n.obfuscations {
        assert!(o.start <= o.end && o.end <= text.len());
    }
});
