//! Breaker settings: when to trip, how long to stay open, how many probes to let through. They
//! are the settings model's ([`retry_settings::BreakerConfig`]), shared with the compile-time
//! checks of `#[circuit_breaker]`; the breaker's modules name them from here.

pub use retry_settings::BreakerConfig;
