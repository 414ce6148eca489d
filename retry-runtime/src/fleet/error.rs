//! Why a fleet link could not start.

use std::error::Error;
use std::fmt;

/// Why [`connect`](super::connect) returned no link. A server that cannot be reached is not
/// an error: the link starts anyway and keeps reconnecting.
#[derive(Debug)]
#[non_exhaustive]
pub enum FleetError {
    /// The URL is not a Redis URL (`redis://host:port/db`, `redis+unix:///path`, and with
    /// feature `redis-tls` `rediss://host:port/db`), or asks for what the link does not offer
    /// (`#insecure`).
    InvalidUrl {
        /// The URL, without its password.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An option is out of its range, or its CA cannot be used (with the file and why).
    InvalidOptions {
        /// The option's method on [`FleetOptions`](super::FleetOptions).
        option: &'static str,
        /// Its value and its range.
        reason: String,
    },
    /// A link already runs in this process: shut it down first (one process, one fleet).
    AlreadyConnected,
    /// The link's thread or its runtime could not be started.
    Start(std::io::Error),
}

impl fmt::Display for FleetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FleetError::InvalidUrl { url, reason } => {
                write!(f, "fleet link: `{url}` is not a Redis URL: {reason}")
            }
            FleetError::InvalidOptions { option, reason } => {
                write!(f, "fleet link: invalid `{option}`: {reason}")
            }
            FleetError::AlreadyConnected => f.write_str(
                "fleet link: a link already runs in this process; shut it down before connecting again",
            ),
            FleetError::Start(error) => {
                write!(f, "fleet link: its thread could not be started: {error}")
            }
        }
    }
}

impl Error for FleetError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            FleetError::Start(error) => Some(error),
            _ => None,
        }
    }
}
