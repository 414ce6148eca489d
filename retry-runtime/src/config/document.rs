//! The one reader behind TOML and JSON: both formats deserialize, through serde, into the same
//! tree of sections, names and keys, which keeps every entry in the order written, duplicates
//! included, so that a duplicate is reported by its name instead of silently replacing the first
//! (`serde_json::Value` keeps the last one); the tree is then split into the groups that
//! environment variables also produce (see `environment.rs`).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde_core::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use super::error::{ConfigError, clip, clip_message};
use super::settings::{Group, Name, Section, Setting, Value};

/// Parses TOML into groups; `origin` names it in errors.
pub(super) fn from_toml(text: &str, origin: &str) -> Result<Vec<Group>, ConfigError> {
    let Document(root) = toml::from_str(text).map_err(|error| toml_error(text, &error, origin))?;
    groups(root, origin)
}

/// Parses JSON into groups; `origin` names it in errors.
pub(super) fn from_json(text: &str, origin: &str) -> Result<Vec<Group>, ConfigError> {
    let Document(root) = serde_json::from_str(text).map_err(|error| {
        ConfigError::new(
            origin,
            "",
            format!("not valid JSON: {}", clip_message(&error.to_string())),
        )
    })?;
    groups(root, origin)
}

/// A table of entries in the order written, or a value.
enum Node {
    Table(Vec<(String, Node)>),
    Value(Value),
}

/// The whole document: sections of names of keys.
struct Document(Node);

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The root, its sections and their names are tables; below them, values.
        NodeSeed { tables: 3 }
            .deserialize(deserializer)
            .map(Document)
    }
}

/// Reads a node, as a table if `tables` levels of tables are still expected. Deeper tables and
/// arrays are skipped and read as [`Value::Other`], so their size or depth costs nothing.
#[derive(Clone, Copy)]
struct NodeSeed {
    tables: u8,
}

/// The key under which the `toml` crate hands a date to a visitor, as a one-entry table.
const TOML_DATE_KEY: &str = "$__toml_private_datetime";

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tables of settings")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Value(Value::Boolean(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Value(Value::Integer(value.into())))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Value(Value::Integer(value.into())))
    }

    fn visit_i128<E>(self, value: i128) -> Result<Node, E> {
        Ok(Node::Value(Value::Integer(value)))
    }

    fn visit_u128<E>(self, value: u128) -> Result<Node, E> {
        Ok(Node::Value(i128::try_from(value).map_or(
            Value::Other("a number too large for any setting"),
            Value::Integer,
        )))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Node, E> {
        Ok(Node::Value(Value::Float(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Node, E> {
        Ok(Node::Value(Value::Text(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Node, E> {
        Ok(Node::Value(Value::Text(value)))
    }

    fn visit_bytes<E>(self, _: &[u8]) -> Result<Node, E> {
        Ok(Node::Value(Value::Other("bytes")))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Value(Value::Other("null")))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Value(Value::Other("null")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Node::Value(Value::Other("an array")))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if entries.is_empty() && key == TOML_DATE_KEY {
                map.next_value::<IgnoredAny>()?;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(Node::Value(Value::Other("a date")));
            }
            if self.tables == 0 {
                map.next_value::<IgnoredAny>()?;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(Node::Value(Value::Other("a table")));
            }
            let node = map.next_value_seed(NodeSeed {
                tables: self.tables - 1,
            })?;
            entries.push((key, node));
        }
        if self.tables == 0 {
            return Ok(Node::Value(Value::Other("a table")));
        }
        Ok(Node::Table(entries))
    }
}

/// Splits the tree into one group per `[section.name]`, checking its shape and that no section
/// or name appears twice (keys are checked where they are read, for every source alike).
fn groups(root: Node, origin: &str) -> Result<Vec<Group>, ConfigError> {
    let Node::Table(sections) = root else {
        return Err(shape_error(origin, ""));
    };
    let mut groups = Vec::new();
    let mut seen_sections = HashSet::new();
    for (section_name, names) in sections {
        let section_key = part(&section_name).into_owned();
        if !seen_sections.insert(section_name.clone()) {
            return Err(ConfigError::new(
                origin,
                section_key,
                "duplicate section; write each section once",
            ));
        }
        let section = Section::named(&section_name)
            .ok_or_else(|| Section::unknown(origin, section_key.clone()))?;
        let Node::Table(names) = names else {
            return Err(shape_error(origin, &section_key));
        };
        let mut seen_names = HashSet::new();
        for (name, keys) in names {
            let path = format!("{section_key}.{}", part(&name));
            if !seen_names.insert(name.clone()) {
                return Err(ConfigError::new(
                    origin,
                    path,
                    "duplicate name; write each name once per section",
                ));
            }
            let Node::Table(keys) = keys else {
                return Err(shape_error(origin, &path));
            };
            let settings = keys
                .into_iter()
                .map(|(key, node)| Setting {
                    label: format!("{path}.{}", part(&key)),
                    key,
                    value: match node {
                        Node::Value(value) => value,
                        Node::Table(_) => Value::Other("a table"),
                    },
                })
                .collect();
            groups.push(Group {
                section,
                name: Name::Exact(name),
                settings,
            });
        }
    }
    Ok(groups)
}

/// A section, name or key as errors show it in a `section.name.key` path: cut as [`clip`]
/// does, and `""` when empty, so that the path always shows every part.
fn part(text: &str) -> Cow<'_, str> {
    if text.is_empty() {
        Cow::Borrowed("\"\"")
    } else {
        clip(text)
    }
}

fn shape_error(origin: &str, key: &str) -> ConfigError {
    ConfigError::new(
        origin,
        key,
        "expected tables of the form [section.name] with key = value entries",
    )
}

/// A TOML syntax error with its line and column, and the text it points at when that is a
/// duplicate key (the `toml` crate itself refuses duplicate keys and tables).
fn toml_error(text: &str, error: &toml::de::Error, origin: &str) -> ConfigError {
    let message = clip_message(error.message());
    let Some(span) = error.span() else {
        return ConfigError::new(origin, "", format!("not valid TOML: {message}"));
    };
    let duplicate = match text.get(span.clone()) {
        Some(key) if error.message() == "duplicate key" => format!(" `{}`", clip(key)),
        _ => String::new(),
    };
    let before = text.get(..span.start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    ConfigError::new(
        origin,
        "",
        format!("not valid TOML: {message}{duplicate} at line {line}, column {column}"),
    )
}
