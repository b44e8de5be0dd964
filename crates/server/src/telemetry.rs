//! Logging: `tracing` with an `EnvFilter` (`RUST_LOG` wins over the configured filter),
//! human output by default and JSON for log shippers. Request spans carry the request id,
//! method and matched route — never bodies, queries, headers or keys.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber, writing to stderr (stdout is the MCP stdio channel).
/// Calling it twice is harmless: the second call changes nothing.
pub fn init(format: &str, filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
