//! Random TOML and JSON documents, random environments and random text never panic the loader;
//! every rejection of a well-formed document names a key and a reason, and every message stays
//! short whatever the input.
#![cfg(feature = "config")]

use proptest::prelude::*;
use retry_runtime::config::{ConfigError, Overrides};
use retry_runtime::{MAX_HALF_OPEN_CALLS, MAX_WINDOW};

const KEYS: [&str; 22] = [
    "max_attempts",
    "backoff",
    "delay",
    "max_delay",
    "factor",
    "jitter",
    "max_elapsed",
    "attempt_timeout",
    "failure_threshold",
    "failure_rate",
    "window",
    "min_calls",
    "slow_call",
    "slow_call_rate",
    "open_for",
    "open_for_factor",
    "max_open_for",
    "half_open_calls",
    "half_open_timeout",
    "share",
    "min_per_second",
    "cap",
];

/// The longest message any rejection may have, in characters.
const MESSAGE_LIMIT: usize = 600;

#[derive(Clone, Debug)]
enum Generated {
    Integer(i64),
    Unsigned(u64),
    Float(f64),
    Text(String),
    Boolean(bool),
    Array(Vec<i64>),
    Table(Vec<(String, i64)>),
}

type Document = Vec<(String, Vec<(String, Vec<(String, Generated)>)>)>;

fn section() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["retry", "breaker", "budget"]).prop_map(str::to_owned),
        1 => "[a-zA-Z_]{0,8}",
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9._-]{0,10}",
        any::<String>().prop_map(|name| name.chars().take(12).collect()),
        (0..300_usize).prop_map(|length| "n".repeat(length)),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS.to_vec()).prop_map(str::to_owned),
        1 => "[a-z_]{0,14}",
        1 => (0..300_usize).prop_map(|length| "k".repeat(length)),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,22}(\\.[0-9]{0,12})?(ns|us|ms|s|m|h|d|)",
        "([0-9]{1,3}(h|m|s|ms)){1,4}",
        prop::sample::select(vec![
            "exponential",
            "linear",
            "fixed",
            "fibonacci",
            "full",
            "equal",
            "decorrelated",
            "none",
            "",
            "0s",
            "18446744073.709551615s",
            "18446744073.709551616s",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
        (0..2_000_usize).prop_map(|length| "v".repeat(length)),
    ]
}

fn value() -> impl Strategy<Value = Generated> {
    prop_oneof![
        3 => prop_oneof![
            any::<i64>(),
            prop::sample::select(vec![
                -1,
                0,
                1,
                2,
                65_535,
                65_536,
                1 << 20,
                (1 << 20) + 1,
                4_294_967_295,
                4_294_967_296,
            ]),
        ]
        .prop_map(Generated::Integer),
        1 => any::<u64>().prop_map(Generated::Unsigned),
        3 => prop_oneof![
            any::<f64>(),
            prop::sample::select(vec![0.0, 0.0004, 0.001, 0.5, 1.0, 1.5, 1e300, f64::NAN]),
        ]
        .prop_map(Generated::Float),
        4 => text().prop_map(Generated::Text),
        1 => any::<bool>().prop_map(Generated::Boolean),
        1 => prop::collection::vec(any::<i64>(), 0..3).prop_map(Generated::Array),
        1 => prop::collection::vec(("[a-z]{1,5}", any::<i64>()), 0..3).prop_map(Generated::Table),
    ]
}

fn document() -> impl Strategy<Value = Document> {
    prop::collection::vec(
        (
            section(),
            prop::collection::vec(
                (name(), prop::collection::vec((key(), value()), 0..5)),
                0..3,
            ),
        ),
        0..4,
    )
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A JSON string; JSON needs only the first 32 code points escaped.
fn json_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if u32::from(c) < 0x20 => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn toml_value(value: &Generated) -> String {
    match value {
        Generated::Integer(integer) => integer.to_string(),
        // TOML integers are 64-bit and signed.
        Generated::Unsigned(unsigned) => i64::try_from(*unsigned).unwrap_or(i64::MAX).to_string(),
        Generated::Float(float) if float.is_nan() => "nan".to_owned(),
        Generated::Float(float) => format!("{float:?}"),
        Generated::Text(text) => toml_string(text),
        Generated::Boolean(boolean) => boolean.to_string(),
        Generated::Array(items) => format!("{items:?}"),
        Generated::Table(entries) => {
            // Each key once: TOML refuses a repeat itself, before any key is looked at.
            let mut seen = std::collections::HashSet::new();
            let entries: Vec<String> = entries
                .iter()
                .filter(|(key, _)| seen.insert(key))
                .map(|(key, value)| format!("{key} = {value}"))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

fn json_value(value: &Generated) -> String {
    match value {
        Generated::Integer(integer) => integer.to_string(),
        Generated::Unsigned(unsigned) => unsigned.to_string(),
        // JSON has no NaN or infinity.
        Generated::Float(float) if !float.is_finite() => json_string(&float.to_string()),
        Generated::Float(float) => format!("{float:?}"),
        Generated::Text(text) => json_string(text),
        Generated::Boolean(boolean) => boolean.to_string(),
        Generated::Array(items) => format!("{items:?}"),
        Generated::Table(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{}: {value}", json_string(key)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

/// A value in range for `key`, as the module documentation's table gives the ranges.
fn in_range(key: &'static str) -> BoxedStrategy<Generated> {
    let count = |min: u32, max: u32| {
        (min..=max)
            .prop_map(|n| Generated::Integer(n.into()))
            .boxed()
    };
    let duration = |min: u64| {
        (min..=u64::MAX)
            .prop_map(|nanos| Generated::Text(format!("{nanos}ns")))
            .boxed()
    };
    let number = |min: f64, max: f64| (min..=max).prop_map(Generated::Float).boxed();
    let name = |names: &[&'static str]| {
        prop::sample::select(names.to_vec())
            .prop_map(|name| Generated::Text(name.to_owned()))
            .boxed()
    };
    match key {
        "max_attempts" => count(1, u32::MAX),
        "failure_threshold" => count(0, u32::MAX),
        "window" | "min_calls" => count(1, MAX_WINDOW),
        "half_open_calls" => count(1, MAX_HALF_OPEN_CALLS),
        "backoff" => name(&["exponential", "linear", "fixed", "fibonacci"]),
        "jitter" => name(&["full", "equal", "decorrelated", "none"]),
        "delay" | "max_delay" => duration(0),
        "max_elapsed" | "attempt_timeout" | "slow_call" | "open_for" | "max_open_for"
        | "half_open_timeout" => duration(1),
        "failure_rate" | "slow_call_rate" => (1..=1_000_000_u32)
            .prop_map(|millionths| Generated::Float(f64::from(millionths) / 1e6))
            .boxed(),
        "factor" | "open_for_factor" => number(1.0, 1e12),
        "share" => prop_oneof![Just(Generated::Integer(0)), number(0.001, 1e12)].boxed(),
        "min_per_second" => number(0.0, 1e12),
        "cap" => number(1.0, 1e12),
        other => unreachable!("{other}"),
    }
}

/// A document of in-range values, each key at most once.
fn valid_document() -> impl Strategy<Value = Document> {
    let sections: [(&str, &[&'static str]); 3] = [
        ("retry", &KEYS[..8]),
        ("breaker", &KEYS[8..19]),
        ("budget", &KEYS[19..]),
    ];
    let sections: Vec<_> = sections
        .into_iter()
        .map(|(section, keys)| {
            let settings: Vec<_> = keys
                .iter()
                .map(|key| prop::option::of(in_range(key)).prop_map(move |value| (*key, value)))
                .collect();
            (name(), settings).prop_map(move |(name, settings)| {
                let settings = settings
                    .into_iter()
                    .filter_map(|(key, value)| Some((key.to_owned(), value?)))
                    .collect();
                (section.to_owned(), vec![(name, settings)])
            })
        })
        .collect();
    sections
}

/// TOML that parses: each section, name and key once (TOML refuses repeats itself).
fn render_toml(document: &Document) -> String {
    let mut text = String::new();
    let mut headers = std::collections::HashSet::new();
    for (section, names) in document {
        for (name, keys) in names {
            if !headers.insert((section, name)) {
                continue;
            }
            text.push_str(&format!(
                "[{}.{}]\n",
                toml_string(section),
                toml_string(name)
            ));
            let mut seen = std::collections::HashSet::new();
            for (key, value) in keys {
                if seen.insert(key) {
                    text.push_str(&format!("{} = {}\n", toml_string(key), toml_value(value)));
                }
            }
        }
    }
    text
}

/// JSON with every repeat kept: repeats must be rejected by name.
fn render_json(document: &Document) -> String {
    let sections: Vec<String> = document
        .iter()
        .map(|(section, names)| {
            let names: Vec<String> = names
                .iter()
                .map(|(name, keys)| {
                    let keys: Vec<String> = keys
                        .iter()
                        .map(|(key, value)| format!("{}: {}", json_string(key), json_value(value)))
                        .collect();
                    format!("{}: {{{}}}", json_string(name), keys.join(", "))
                })
                .collect();
            format!("{}: {{{}}}", json_string(section), names.join(", "))
        })
        .collect();
    format!("{{{}}}", sections.join(", "))
}

fn check_message(error: &ConfigError) -> Result<(), TestCaseError> {
    prop_assert!(!error.reason.is_empty(), "{error:?}");
    let length = error.to_string().chars().count();
    prop_assert!(length <= MESSAGE_LIMIT, "{length} characters: {error}");
    Ok(())
}

/// A rejection of a well-formed document names the key and says why.
fn check_rejection(result: Result<Overrides, ConfigError>) -> Result<(), TestCaseError> {
    if let Err(error) = result {
        check_message(&error)?;
        prop_assert!(!error.key.is_empty(), "{error}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn toml_documents_are_taken_or_rejected_by_key(document in document()) {
        let text = render_toml(&document);
        check_rejection(Overrides::from_toml(&text, "app.toml"))?;
    }

    #[test]
    fn json_documents_are_taken_or_rejected_by_key(document in document()) {
        let text = render_json(&document);
        check_rejection(Overrides::from_json(&text, "app.json"))?;
    }

    #[test]
    fn environments_are_taken_or_rejected_by_variable(
        variables in prop::collection::vec(
            (
                prop::collection::vec(prop_oneof![section(), name(), key()], 0..5),
                prop_oneof![text(), any::<i64>().prop_map(|integer| integer.to_string())],
            ),
            0..6,
        )
    ) {
        let variables = variables.into_iter().map(|(parts, value)| {
            (format!("RETRY_RUNTIME__{}", parts.join("__")), value)
        });
        check_rejection(Overrides::from_variables(variables))?;
    }

    /// The loader takes every value within the documented ranges, in both formats.
    #[test]
    fn documents_of_values_in_range_are_taken(document in valid_document()) {
        let toml = render_toml(&document);
        prop_assert!(Overrides::from_toml(&toml, "app.toml").is_ok(), "{toml}");
        let json = render_json(&document);
        prop_assert!(Overrides::from_json(&json, "app.json").is_ok(), "{json}");
    }

    /// Cut anywhere, or replaced by random text, a document is still never a panic.
    #[test]
    fn any_text_is_taken_or_rejected(
        document in document(),
        cut in any::<prop::sample::Index>(),
        noise in any::<String>(),
    ) {
        for text in [render_toml(&document), render_json(&document), noise] {
            let end = text
                .char_indices()
                .map(|(index, _)| index)
                .nth(cut.index(text.chars().count().max(1)))
                .unwrap_or(text.len());
            for text in [&text[..end], text.as_str()] {
                for result in [
                    Overrides::from_toml(text, "app.toml"),
                    Overrides::from_json(text, "app.json"),
                ] {
                    if let Err(error) = result {
                        check_message(&error)?;
                    }
                }
            }
        }
    }
}
