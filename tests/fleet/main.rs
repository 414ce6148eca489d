mod basics;
mod budget;
mod rate_limit;
#[cfg(feature = "redis")]
mod support;
mod tls;
