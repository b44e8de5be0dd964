//! Any text as one of a policy's three files (the first byte picks which; the others are the
//! shipped ones): loading never panics, and a loaded policy decides a plain e-mail.
#![no_main]

use countersign_engine::policy::{DEFAULT_SOURCES, PolicySources};
use countersign_engine::{Action, Context, Gate, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let d = DEFAULT_SOURCES;
    let sources = match which % 3 {
        0 => PolicySources {
            toml: ("policy.toml", &text),
            ..d
        },
        1 => PolicySources {
            cedar: ("policy.cedar", &text),
            ..d
        },
        _ => PolicySources {
            schema: ("policy.cedarschema", &text),
            ..d
        },
    };
    if let Ok(policy) = Policy::load(&sources) {
        let action = Action::email("f", "Recap", "Hi Dana, the recording is attached.");
        let now = chrono::DateTime::from_timestamp(1_796_000_000, 0).unwrap_or_default();
        let _ = Gate::new().decide(&action, &Context::default(), &policy, now);
    }
});
