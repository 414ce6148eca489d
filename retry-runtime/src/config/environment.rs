//! `RETRY_RUNTIME__<SECTION>__<NAME>__<KEY>=<value>` variables, as the same groups of settings a
//! file gives. Variables that are not ours are skipped whatever they hold, UTF-8 or not; one of
//! ours whose name or value is not UTF-8 is an error naming it.

use std::collections::BTreeMap;
use std::ffi::OsString;

use super::error::{ConfigError, clip};
use super::settings::{Group, Name, Section, Setting, Value, environment_form};

/// The origin of every error about a variable.
pub(super) const ORIGIN: &str = "environment";

const PREFIX: &str = "RETRY_RUNTIME__";

/// The groups the variables among `variables` that are ours set, in a stable order.
pub(super) fn groups(
    variables: impl IntoIterator<Item = (OsString, OsString)>,
) -> Result<Vec<Group>, ConfigError> {
    let mut groups: BTreeMap<(Section, Name), Vec<Setting>> = BTreeMap::new();
    for (variable, value) in variables {
        if !variable.as_encoded_bytes().starts_with(PREFIX.as_bytes()) {
            continue;
        }
        let variable = variable.into_string().map_err(|variable| {
            error(
                &variable.to_string_lossy(),
                "the variable's name is not UTF-8",
            )
        })?;
        let value = value
            .into_string()
            .map_err(|_| error(&variable, "the value is not UTF-8"))?;
        let (section, name, key) = split(&variable)?;
        let section_name = section.to_lowercase();
        let section = Section::named(&section_name)
            .ok_or_else(|| Section::unknown(ORIGIN, clip(&variable).into_owned()))?;
        let setting = Setting {
            key: key.to_lowercase(),
            value: parse(value),
            label: clip(&variable).into_owned(),
        };
        groups
            .entry((section, Name::Environment(environment_form(name))))
            .or_default()
            .push(setting);
    }
    Ok(groups
        .into_iter()
        .map(|((section, name), settings)| Group {
            section,
            name,
            settings,
        })
        .collect())
}

/// `<SECTION>`, `<NAME>` and `<KEY>`, none of them empty.
fn split(variable: &str) -> Result<(&str, &str, &str), ConfigError> {
    let rest = &variable[PREFIX.len()..];
    let parts: Vec<&str> = rest.split("__").collect();
    match parts.as_slice() {
        [section, name, key] if !section.is_empty() && !name.is_empty() && !key.is_empty() => {
            Ok((section, name, key))
        }
        _ => Err(error(
            variable,
            "expected RETRY_RUNTIME__<SECTION>__<NAME>__<KEY>, such as RETRY_RUNTIME__RETRY__FETCH__MAX_ATTEMPTS",
        )),
    }
}

/// A whole number, another number, or text (a duration, a backoff's name, ...).
fn parse(value: String) -> Value {
    if let Ok(integer) = value.parse::<i128>() {
        Value::Integer(integer)
    } else if let Ok(float) = value.parse::<f64>() {
        Value::Float(float)
    } else {
        Value::Text(value)
    }
}

fn error(variable: &str, reason: &str) -> ConfigError {
    ConfigError::new(ORIGIN, clip(variable).into_owned(), reason)
}
