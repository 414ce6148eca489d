//! `[adaptive_limit.NAME]` overrides an adaptive limiter's settings when it is created.

use retry_runtime::config::Overrides;
use retry_runtime::testing::scope;
use retry_runtime::{LimitExceeded, adaptive_limit, adaptive_limiter};

#[derive(Debug, PartialEq)]
enum DbError {
    Exceeded,
}

impl From<LimitExceeded> for DbError {
    fn from(_: LimitExceeded) -> Self {
        DbError::Exceeded
    }
}

#[adaptive_limit(name = "configured", initial_limit = 2)]
fn configured() -> Result<(), DbError> {
    Ok(())
}

#[test]
fn a_config_section_overrides_the_sites_settings() {
    crate::installed();
    let _scope = scope();
    assert_eq!(configured(), Ok(()));
    let limiter = adaptive_limiter("configured").unwrap();
    let config = limiter.config();
    assert_eq!(limiter.limit(), 7);
    assert_eq!(
        (
            config.algorithm().name(),
            config.min_limit(),
            config.max_limit()
        ),
        ("aimd", 1, 9)
    );
}

/// This module's overrides, merged with every other module's by [`crate::installed`].
pub(crate) fn overrides() -> Overrides {
    Overrides::from_toml(
        "[adaptive_limit.configured]\nalgorithm = \"aimd\"\ninitial_limit = 7\nmax_limit = 9\n",
        "test",
    )
    .unwrap()
}
