//! Overrides of compiled-in settings at start-up, from a TOML or JSON file and from environment
//! variables, without recompiling (feature `config`).
//!
//! ```toml
//! [retry."store.fetch"]        # a retry site, by its name (`name = ...`, or `module::fn`)
//! max_attempts = 5
//! delay = "200ms"
//!
//! [breaker.db]                 # a circuit breaker, by name
//! failure_threshold = 10
//! open_for = "1m"
//!
//! [budget.api]                 # a retry budget, by name
//! share = 0.1
//! ```
//!
//! Environment variables say the same as `RETRY_RUNTIME__<SECTION>__<NAME>__<KEY>=<value>`, the
//! name upper-cased with every character other than a letter or digit turned into `_`:
//! `RETRY_RUNTIME__RETRY__STORE_FETCH__MAX_ATTEMPTS=5`.
//!
//! Overrides are partial: the keys given replace the compiled-in values, the others stay. Each
//! site, breaker and budget applies its override when it first runs, so [`install`] them at
//! start-up, before the first call. Every value is checked when loaded: a bad one is reported
//! with the file (or variable), the key and the reason; an override that only turns out invalid
//! against a site's own settings (a `delay` above its `max_delay`, say) is reported as a warning
//! when the site first runs, and the site keeps its compiled-in settings. Nothing panics.

use std::collections::{BTreeMap, HashSet};
use std::error::Error;
use std::fmt;
use std::path::Path;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::backoff::Backoff;
use crate::breaker::config::BreakerConfig;
use crate::budget::BudgetConfig;
use crate::jitter::Jitter;
use crate::policy::RetryPolicy;

/// A setting that could not be used, with where it came from and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, or `environment` for variables.
    pub origin: String,
    /// The key, as `section.name.key` (or the variable's name).
    pub key: String,
    /// What is wrong, and what to write instead.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: `{}`: {}", self.origin, self.key, self.reason)
    }
}

impl Error for ConfigError {}

/// One value of a configuration, whatever the format.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Integer(i64),
    Float(f64),
    Text(String),
    Other(&'static str),
}

type Section = BTreeMap<String, BTreeMap<String, Value>>;

/// Overrides by section and name, checked; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    retry: BTreeMap<String, RetryOverride>,
    breaker: BTreeMap<String, BreakerOverride>,
    budget: BTreeMap<String, BudgetOverride>,
}

#[derive(Clone, Debug, Default)]
struct RetryOverride {
    max_attempts: Option<u32>,
    backoff: Option<Backoff>,
    delay: Option<Duration>,
    max_delay: Option<Duration>,
    factor: Option<f64>,
    jitter: Option<Jitter>,
    max_elapsed: Option<Duration>,
    attempt_timeout: Option<Duration>,
}

#[derive(Clone, Debug, Default)]
struct BreakerOverride {
    failure_threshold: Option<u32>,
    failure_rate: Option<f64>,
    window: Option<u32>,
    min_calls: Option<u32>,
    slow_call: Option<Duration>,
    slow_call_rate: Option<f64>,
    open_for: Option<Duration>,
    open_for_factor: Option<f64>,
    max_open_for: Option<Duration>,
    half_open_calls: Option<u32>,
}

#[derive(Clone, Debug, Default)]
struct BudgetOverride {
    share: Option<f64>,
    min_per_second: Option<f64>,
    cap: Option<f64>,
}

impl Overrides {
    /// Reads a `.toml` or `.json` file.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the file, the key and the reason for an unreadable file, a
    /// syntax error, an unknown section or key, or a bad value.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Overrides, ConfigError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
            origin: origin.clone(),
            key: String::new(),
            reason: format!("cannot read the file: {error}"),
        })?;
        match path.extension().and_then(|extension| extension.to_str()) {
            Some("json") => Overrides::from_json(&text, &origin),
            Some("toml") => Overrides::from_toml(&text, &origin),
            _ => Err(ConfigError {
                origin,
                key: String::new(),
                reason: "unknown format; name the file `*.toml` or `*.json`".to_owned(),
            }),
        }
    }

    /// Parses TOML; `origin` names it in errors.
    ///
    /// ```
    /// use retry_runtime::config::Overrides;
    ///
    /// let overrides = Overrides::from_toml("[retry.fetch]\nmax_attempts = 5\n", "inline")?;
    /// assert!(!overrides.is_empty());
    /// let error = Overrides::from_toml("[retry.fetch]\nmax_attempts = 0\n", "inline").unwrap_err();
    /// assert_eq!(error.to_string(), "inline: `retry.fetch.max_attempts`: must be at least 1 (it counts the first attempt)");
    /// # Ok::<(), retry_runtime::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    pub fn from_toml(text: &str, origin: &str) -> Result<Overrides, ConfigError> {
        let table: toml::Table = text.parse().map_err(|error: toml::de::Error| ConfigError {
            origin: origin.to_owned(),
            key: String::new(),
            reason: format!("not valid TOML: {}", error.message()),
        })?;
        let mut sections = BTreeMap::new();
        for (section, names) in table {
            let toml::Value::Table(names) = names else {
                return Err(shape_error(origin, &section));
            };
            let mut entries = BTreeMap::new();
            for (name, keys) in names {
                let toml::Value::Table(keys) = keys else {
                    return Err(shape_error(origin, &format!("{section}.{name}")));
                };
                let keys = keys
                    .into_iter()
                    .map(|(key, value)| {
                        let value = match value {
                            toml::Value::Integer(integer) => Value::Integer(integer),
                            toml::Value::Float(float) => Value::Float(float),
                            toml::Value::String(text) => Value::Text(text),
                            toml::Value::Boolean(_) => Value::Other("a boolean"),
                            _ => Value::Other("a table, an array or a date"),
                        };
                        (key, value)
                    })
                    .collect();
                entries.insert(name, keys);
            }
            sections.insert(section, entries);
        }
        Overrides::from_sections(sections, origin)
    }

    /// Parses JSON of the same shape (`{"retry": {"fetch": {"max_attempts": 5}}}`).
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    pub fn from_json(text: &str, origin: &str) -> Result<Overrides, ConfigError> {
        let root: serde_json::Value = serde_json::from_str(text).map_err(|error| ConfigError {
            origin: origin.to_owned(),
            key: String::new(),
            reason: format!("not valid JSON: {error}"),
        })?;
        let serde_json::Value::Object(root) = root else {
            return Err(shape_error(origin, ""));
        };
        let mut sections = BTreeMap::new();
        for (section, names) in root {
            let serde_json::Value::Object(names) = names else {
                return Err(shape_error(origin, &section));
            };
            let mut entries = BTreeMap::new();
            for (name, keys) in names {
                let serde_json::Value::Object(keys) = keys else {
                    return Err(shape_error(origin, &format!("{section}.{name}")));
                };
                let keys = keys
                    .into_iter()
                    .map(|(key, value)| {
                        let value = match value {
                            serde_json::Value::Number(number) => number
                                .as_i64()
                                .map(Value::Integer)
                                .or_else(|| number.as_f64().map(Value::Float))
                                .unwrap_or(Value::Other("a number out of range")),
                            serde_json::Value::String(text) => Value::Text(text),
                            serde_json::Value::Bool(_) => Value::Other("a boolean"),
                            _ => Value::Other("an object, an array or null"),
                        };
                        (key, value)
                    })
                    .collect();
                entries.insert(name, keys);
            }
            sections.insert(section, entries);
        }
        Overrides::from_sections(sections, origin)
    }

    /// Reads every `RETRY_RUNTIME__<SECTION>__<NAME>__<KEY>` variable. A name there is matched
    /// against sites, breakers and budgets after the same normalisation (upper case, `_` for
    /// anything but letters and digits).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the variable for a malformed name or a bad value.
    pub fn from_env() -> Result<Overrides, ConfigError> {
        Overrides::from_variables(std::env::vars())
    }

    /// As [`from_env`](Self::from_env), from given variables (for tests).
    ///
    /// ```
    /// use retry_runtime::config::Overrides;
    ///
    /// let overrides = Overrides::from_variables([(
    ///     "RETRY_RUNTIME__BREAKER__DB__OPEN_FOR".to_owned(),
    ///     "2m".to_owned(),
    /// )])?;
    /// assert!(!overrides.is_empty());
    /// # Ok::<(), retry_runtime::config::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_variables(
        variables: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Overrides, ConfigError> {
        let mut by_section: BTreeMap<String, Section> = BTreeMap::new();
        for (variable, value) in variables {
            let Some(rest) = variable.strip_prefix("RETRY_RUNTIME__") else {
                continue;
            };
            let parts: Vec<&str> = rest.split("__").collect();
            let [section, name, key] = parts.as_slice() else {
                return Err(ConfigError {
                    origin: "environment".to_owned(),
                    key: variable.clone(),
                    reason: "expected RETRY_RUNTIME__<SECTION>__<NAME>__<KEY>, such as RETRY_RUNTIME__RETRY__FETCH__MAX_ATTEMPTS".to_owned(),
                });
            };
            let value = value
                .parse::<i64>()
                .map(Value::Integer)
                .or_else(|_| value.parse::<f64>().map(Value::Float))
                .unwrap_or(Value::Text(value));
            by_section
                .entry(section.to_lowercase())
                .or_default()
                .entry(format!("{ENV_NAME_MARK}{name}"))
                .or_default()
                .insert(key.to_lowercase(), value);
        }
        Overrides::from_sections(by_section, "environment")
    }

    fn from_sections(
        sections: BTreeMap<String, Section>,
        origin: &str,
    ) -> Result<Overrides, ConfigError> {
        let mut overrides = Overrides::default();
        for (section, names) in sections {
            for (name, keys) in names {
                let mut reader = Reader {
                    origin,
                    prefix: format!("{section}.{}", name.trim_start_matches(ENV_NAME_MARK)),
                    keys,
                };
                match section.as_str() {
                    "retry" => {
                        overrides.retry.insert(name, reader.retry()?);
                    }
                    "breaker" => {
                        overrides.breaker.insert(name, reader.breaker()?);
                    }
                    "budget" => {
                        overrides.budget.insert(name, reader.budget()?);
                    }
                    other => {
                        return Err(ConfigError {
                            origin: origin.to_owned(),
                            key: other.to_owned(),
                            reason:
                                "unknown section; the sections are `retry`, `breaker` and `budget`"
                                    .to_owned(),
                        });
                    }
                }
                reader.finish()?;
            }
        }
        Ok(overrides)
    }

    /// Whether no override was given.
    pub fn is_empty(&self) -> bool {
        self.retry.is_empty() && self.breaker.is_empty() && self.budget.is_empty()
    }

    /// Both sets of overrides; where both set a key, `later`'s value wins (file, then
    /// environment, say).
    #[must_use]
    pub fn merged_with(mut self, later: Overrides) -> Overrides {
        fn merge<T: Clone>(
            into: &mut BTreeMap<String, T>,
            from: BTreeMap<String, T>,
            combine: fn(&mut T, T),
        ) {
            for (name, value) in from {
                match into.get_mut(&name) {
                    Some(existing) => combine(existing, value),
                    None => {
                        into.insert(name, value);
                    }
                }
            }
        }
        merge(&mut self.retry, later.retry, |a, b| {
            *a = RetryOverride {
                max_attempts: b.max_attempts.or(a.max_attempts),
                backoff: b.backoff.or(a.backoff),
                delay: b.delay.or(a.delay),
                max_delay: b.max_delay.or(a.max_delay),
                factor: b.factor.or(a.factor),
                jitter: b.jitter.or(a.jitter),
                max_elapsed: b.max_elapsed.or(a.max_elapsed),
                attempt_timeout: b.attempt_timeout.or(a.attempt_timeout),
            };
        });
        merge(&mut self.breaker, later.breaker, |a, b| {
            *a = BreakerOverride {
                failure_threshold: b.failure_threshold.or(a.failure_threshold),
                failure_rate: b.failure_rate.or(a.failure_rate),
                window: b.window.or(a.window),
                min_calls: b.min_calls.or(a.min_calls),
                slow_call: b.slow_call.or(a.slow_call),
                slow_call_rate: b.slow_call_rate.or(a.slow_call_rate),
                open_for: b.open_for.or(a.open_for),
                open_for_factor: b.open_for_factor.or(a.open_for_factor),
                max_open_for: b.max_open_for.or(a.max_open_for),
                half_open_calls: b.half_open_calls.or(a.half_open_calls),
            };
        });
        merge(&mut self.budget, later.budget, |a, b| {
            *a = BudgetOverride {
                share: b.share.or(a.share),
                min_per_second: b.min_per_second.or(a.min_per_second),
                cap: b.cap.or(a.cap),
            };
        });
        self
    }
}

/// Marks names that came from environment variables, which match after normalisation.
const ENV_NAME_MARK: &str = "\u{0}env:";

fn shape_error(origin: &str, key: &str) -> ConfigError {
    ConfigError {
        origin: origin.to_owned(),
        key: key.to_owned(),
        reason: "expected tables of the form [section.name] with key = value entries".to_owned(),
    }
}

/// Takes the keys of one `[section.name]`, reporting bad and unknown ones with their path.
struct Reader<'a> {
    origin: &'a str,
    prefix: String,
    keys: BTreeMap<String, Value>,
}

impl Reader<'_> {
    fn error(&self, key: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            origin: self.origin.to_owned(),
            key: format!("{}.{key}", self.prefix),
            reason: reason.into(),
        }
    }

    fn count(&mut self, key: &str, min: u32) -> Result<Option<u32>, ConfigError> {
        match self.keys.remove(key) {
            None => Ok(None),
            Some(Value::Integer(value)) => match u32::try_from(value) {
                Ok(value) if value >= min => Ok(Some(value)),
                _ => Err(self.error(
                    key,
                    if key == "max_attempts" {
                        "must be at least 1 (it counts the first attempt)".to_owned()
                    } else {
                        format!("must be a whole number from {min} to {}", u32::MAX)
                    },
                )),
            },
            Some(other) => Err(self.error(
                key,
                format!("expected a whole number, found {}", describe(&other)),
            )),
        }
    }

    fn number(
        &mut self,
        key: &str,
        valid: fn(f64) -> bool,
        rule: &str,
    ) -> Result<Option<f64>, ConfigError> {
        let value = match self.keys.remove(key) {
            None => return Ok(None),
            #[allow(clippy::cast_precision_loss)]
            Some(Value::Integer(value)) => value as f64,
            Some(Value::Float(value)) => value,
            Some(other) => {
                return Err(self.error(
                    key,
                    format!("expected a number, found {}", describe(&other)),
                ));
            }
        };
        if valid(value) {
            Ok(Some(value))
        } else {
            Err(self.error(key, format!("{value} is out of range: {rule}")))
        }
    }

    fn duration(&mut self, key: &str, allow_zero: bool) -> Result<Option<Duration>, ConfigError> {
        match self.keys.remove(key) {
            None => Ok(None),
            Some(Value::Text(text)) => match crate::duration::parse_duration(&text) {
                Ok(duration) if duration.is_zero() && !allow_zero => {
                    Err(self.error(key, "must be more than zero"))
                }
                Ok(duration) => Ok(Some(duration)),
                Err(reason) => Err(self.error(key, reason)),
            },
            Some(other) => Err(self.error(
                key,
                format!(
                    "expected a duration string such as \"250ms\", found {}",
                    describe(&other)
                ),
            )),
        }
    }

    fn text(&mut self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.keys.remove(key) {
            None => Ok(None),
            Some(Value::Text(text)) => Ok(Some(text)),
            Some(other) => Err(self.error(
                key,
                format!("expected a string, found {}", describe(&other)),
            )),
        }
    }

    fn retry(&mut self) -> Result<RetryOverride, ConfigError> {
        let factor = self.number(
            "factor",
            |f| f.is_finite() && f >= 1.0,
            "an exponential factor is at least 1",
        )?;
        let backoff = match self.text("backoff")?.as_deref() {
            None => factor.map(|factor| Backoff::Exponential { factor }),
            Some("exponential") => Some(Backoff::Exponential {
                factor: factor.unwrap_or(2.0),
            }),
            Some("linear") => Some(Backoff::Linear),
            Some("fixed") => Some(Backoff::Fixed),
            Some("fibonacci") => Some(Backoff::Fibonacci),
            Some(other) => {
                return Err(self.error(
                    "backoff",
                    format!("unknown backoff \"{other}\"; use \"exponential\", \"linear\", \"fixed\" or \"fibonacci\""),
                ));
            }
        };
        let jitter = match self.text("jitter")?.as_deref() {
            None => None,
            Some("none") => Some(Jitter::None),
            Some("full") => Some(Jitter::Full),
            Some("equal") => Some(Jitter::Equal),
            Some("decorrelated") => Some(Jitter::Decorrelated),
            Some(other) => {
                return Err(self.error(
                    "jitter",
                    format!("unknown jitter \"{other}\"; use \"full\", \"equal\", \"decorrelated\" or \"none\""),
                ));
            }
        };
        Ok(RetryOverride {
            max_attempts: self.count("max_attempts", 1)?,
            backoff,
            delay: self.duration("delay", true)?,
            max_delay: self.duration("max_delay", true)?,
            factor,
            jitter,
            max_elapsed: self.duration("max_elapsed", false)?,
            attempt_timeout: self.duration("attempt_timeout", false)?,
        })
    }

    fn breaker(&mut self) -> Result<BreakerOverride, ConfigError> {
        let rate = |rate: f64| rate > 0.0 && rate <= 1.0;
        Ok(BreakerOverride {
            failure_threshold: self.count("failure_threshold", 0)?,
            failure_rate: self.number("failure_rate", rate, "a rate is above 0 and at most 1")?,
            window: self.count("window", 1)?,
            min_calls: self.count("min_calls", 1)?,
            slow_call: self.duration("slow_call", false)?,
            slow_call_rate: self.number(
                "slow_call_rate",
                rate,
                "a rate is above 0 and at most 1",
            )?,
            open_for: self.duration("open_for", false)?,
            open_for_factor: self.number(
                "open_for_factor",
                |f| f.is_finite() && f >= 1.0,
                "it is at least 1",
            )?,
            max_open_for: self.duration("max_open_for", false)?,
            half_open_calls: self.count("half_open_calls", 1)?,
        })
    }

    fn budget(&mut self) -> Result<BudgetOverride, ConfigError> {
        let non_negative = |value: f64| value.is_finite() && value >= 0.0;
        Ok(BudgetOverride {
            share: self.number("share", non_negative, "it is at least 0")?,
            min_per_second: self.number("min_per_second", non_negative, "it is at least 0")?,
            cap: self.number(
                "cap",
                |cap| cap.is_finite() && cap >= 1.0,
                "it is at least 1",
            )?,
        })
    }

    /// Any key left was not recognised.
    fn finish(self) -> Result<(), ConfigError> {
        match self.keys.keys().next() {
            Some(key) => Err(self.error(key, "unknown key")),
            None => Ok(()),
        }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Integer(integer) => format!("the number {integer}"),
        Value::Float(float) => format!("the number {float}"),
        Value::Text(text) => format!("the string \"{text}\""),
        Value::Other(kind) => (*kind).to_owned(),
    }
}

static INSTALLED: OnceLock<Overrides> = OnceLock::new();
static USED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

/// Makes `overrides` apply to every site, breaker and budget that has not run yet. Once per
/// process, at start-up.
///
/// # Errors
/// A [`ConfigError`] if overrides are already installed.
pub fn install(overrides: Overrides) -> Result<(), ConfigError> {
    INSTALLED.set(overrides).map_err(|_| ConfigError {
        origin: "install".to_owned(),
        key: String::new(),
        reason: "overrides are already installed; install them once, at start-up".to_owned(),
    })
}

/// Names in the installed overrides that no site, breaker or budget has used yet: after a
/// warm-up, these are likely misspelt.
pub fn unmatched() -> Vec<String> {
    let Some(overrides) = INSTALLED.get() else {
        return Vec::new();
    };
    let used = USED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let sections = [
        ("retry", overrides.retry.keys().collect::<Vec<_>>()),
        ("breaker", overrides.breaker.keys().collect()),
        ("budget", overrides.budget.keys().collect()),
    ];
    let mut unmatched = Vec::new();
    for (section, names) in sections {
        for name in names {
            if !used.contains(&format!("{section}.{name}")) {
                unmatched.push(format!(
                    "{section}.{}",
                    name.trim_start_matches(ENV_NAME_MARK)
                ));
            }
        }
    }
    unmatched
}

/// The overrides for `name` in `section`, in the order they apply: by exact name (files), then
/// by its environment form, so that environment variables win key by key.
fn lookup<'a, T>(section: &'static str, map: &'a BTreeMap<String, T>, name: &str) -> Vec<&'a T> {
    let environment_form: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    let found: Vec<(&String, &T)> = [
        map.get_key_value(name),
        map.get_key_value(&format!("{ENV_NAME_MARK}{environment_form}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut used = USED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    for (key, _) in &found {
        used.insert(format!("{section}.{key}"));
    }
    found.into_iter().map(|(_, value)| value).collect()
}

fn overrides_for<T>(
    section: &'static str,
    map: fn(&Overrides) -> &BTreeMap<String, T>,
    name: &str,
) -> Vec<&'static T> {
    INSTALLED
        .get()
        .map(|overrides| lookup(section, map(overrides), name))
        .unwrap_or_default()
}

/// The policy a retry site runs with: its own, with any override applied.
pub(crate) fn retry_policy(name: &'static str, compiled: &RetryPolicy) -> RetryPolicy {
    let found = overrides_for("retry", |overrides| &overrides.retry, name);
    if found.is_empty() {
        return *compiled;
    }
    let mut builder = compiled.to_builder();
    for found in found {
        builder = apply_retry(builder, found, compiled);
    }
    builder.build().unwrap_or_else(|error| {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name,
            %error,
            "the configured override does not fit this retry site; it keeps its compiled-in policy"
        );
        *compiled
    })
}

fn apply_retry(
    mut builder: crate::policy::RetryPolicyBuilder,
    found: &RetryOverride,
    compiled: &RetryPolicy,
) -> crate::policy::RetryPolicyBuilder {
    if let Some(value) = found.max_attempts {
        builder = builder.max_attempts(value);
    }
    if let Some(value) = found.backoff {
        builder = builder.backoff(value);
    } else if let (Some(factor), Backoff::Exponential { .. }) = (found.factor, compiled.backoff()) {
        builder = builder.backoff(Backoff::Exponential { factor });
    }
    if let Some(value) = found.delay {
        builder = builder.delay(value);
    }
    if let Some(value) = found.max_delay {
        builder = builder.max_delay(value);
    }
    if let Some(value) = found.jitter {
        builder = builder.jitter(value);
    }
    if let Some(value) = found.max_elapsed {
        builder = builder.max_elapsed(value);
    }
    if let Some(value) = found.attempt_timeout {
        builder = builder.attempt_timeout(value);
    }
    builder
}

/// The settings a breaker is created with: the site's, with any override applied.
pub(crate) fn breaker_config(name: &'static str, compiled: BreakerConfig) -> BreakerConfig {
    let found = overrides_for("breaker", |overrides| &overrides.breaker, name);
    if found.is_empty() {
        return compiled;
    }
    let mut builder = compiled.to_builder();
    for found in found {
        builder = apply_breaker(builder, found, &compiled);
    }
    builder.build().unwrap_or_else(|error| {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name,
            %error,
            "the configured override does not fit this circuit breaker; it keeps its compiled-in settings"
        );
        compiled
    })
}

fn apply_breaker(
    mut builder: crate::breaker::config::BreakerConfigBuilder,
    found: &BreakerOverride,
    compiled: &BreakerConfig,
) -> crate::breaker::config::BreakerConfigBuilder {
    // A new window with no min_calls of its own: min_calls follows it, if it did before.
    if found.window.is_some()
        && found.min_calls.is_none()
        && compiled.min_calls() == compiled.window()
    {
        builder = builder.min_calls(0);
    }
    if let Some(value) = found.failure_threshold {
        builder = builder.failure_threshold(value);
    }
    if let Some(value) = found.failure_rate {
        builder = builder.failure_rate(value);
    }
    if let Some(value) = found.window {
        builder = builder.window(value);
    }
    if let Some(value) = found.min_calls {
        builder = builder.min_calls(value);
    }
    if let Some(value) = found.slow_call {
        builder = builder.slow_call(value);
    }
    if let Some(value) = found.slow_call_rate {
        builder = builder.slow_call_rate(value);
    }
    if let Some(value) = found.open_for {
        builder = builder.open_for(value);
    }
    if let Some(value) = found.open_for_factor {
        builder = builder.open_for_factor(value);
    }
    if let Some(value) = found.max_open_for {
        builder = builder.max_open_for(value);
    }
    if let Some(value) = found.half_open_calls {
        builder = builder.half_open_calls(value);
    }
    builder
}

/// The settings a budget is created with.
pub(crate) fn budget_config(name: &'static str, compiled: BudgetConfig) -> BudgetConfig {
    let found = overrides_for("budget", |overrides| &overrides.budget, name);
    if found.is_empty() {
        return compiled;
    }
    let config = found
        .into_iter()
        .fold(compiled, |config, found| BudgetConfig {
            share: found.share.unwrap_or(config.share),
            min_per_second: found.min_per_second.unwrap_or(config.min_per_second),
            cap: found.cap.unwrap_or(config.cap),
        });
    match config.validate() {
        Ok(()) => config,
        Err(reason) => {
            tracing::warn!(target: crate::TRACING_TARGET, name, %reason, "the configured budget override is invalid; keeping the site's");
            compiled
        }
    }
}
