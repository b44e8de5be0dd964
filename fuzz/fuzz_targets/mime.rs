//! Any bytes as a sent message (MIME, headers, HTML parts) through the shadow-AI mail
//! reader: never panics; what cannot be read is one `unreadable` finding.
#![no_main]

use countersign_engine::{Gate, Policy};
use countersign_scan::mail::MailScanner;
use countersign_scan::{Known, Signatures};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static GATE: LazyLock<Gate> = LazyLock::new(Gate::new);
static SIGNATURES: LazyLock<Signatures> = LazyLock::new(Signatures::shipped);
static KNOWN: LazyLock<Known> = LazyLock::new(|| {
    let mut k = Known::default();
    k.rep_addresses
        .insert("sam@seller.example".into(), "sam".into());
    k.rep_names.insert("sam".into(), "sam".into());
    k.company_domains.insert("seller.example".into());
    k.buyer_domains.insert("buyer.example".into());
    k
});

fuzz_target!(|data: &[u8]| {
    let scanner = MailScanner {
        known: &KNOWN,
        signatures: &SIGNATURES,
        gate: &GATE,
        policy: Policy::default_policy(),
    };
    scanner.message(data, "fuzz", &mut |_| {});
});
