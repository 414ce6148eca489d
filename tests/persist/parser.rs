//! Whatever a state file holds, restoring it never panics: the file is applied, or rejected as
//! corrupt with a line of the file and a reason.
#![cfg(feature = "persist")]

use std::path::PathBuf;

use proptest::prelude::*;
use retry_runtime::persist::{BreakerStore, PersistError};

const HEADER: &str = "retry-runtime breaker state v1";

fn file(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "retry-runtime-persist-parser-{}-{test}",
        std::process::id()
    ))
}

/// Restores `bytes` and checks the outcome.
fn restore(path: &PathBuf, bytes: &[u8]) -> Result<(), TestCaseError> {
    std::fs::write(path, bytes).unwrap();
    let lines = bytes.split(|&byte| byte == b'\n').count();
    match BreakerStore::new(path).restore() {
        Ok(count) => {
            let text = std::str::from_utf8(bytes).expect("applied, so UTF-8");
            prop_assert_eq!(count, text.lines().count() - 1, "one breaker a line");
        }
        Err(PersistError::Corrupt { line, reason, .. }) => {
            prop_assert!((1..=lines).contains(&line), "line {} of {}", line, lines);
            prop_assert!(!reason.is_empty());
        }
        Err(other) => prop_assert!(false, "neither applied nor corrupt: {}", other),
    }
    Ok(())
}

/// A field: often valid, often nearly so.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "persist-parser-[a-z]{1,6}",
        prop::sample::select(vec![
            "closed",
            "open",
            "half_open",
            "disabled",
            "forced_open",
            "metrics_only",
            "ajar",
            "OPEN",
        ])
        .prop_map(str::to_owned),
        any::<u32>().prop_map(|number| number.to_string()),
        any::<u64>().prop_map(|number| number.to_string()),
        prop::sample::select(vec![
            "18446744073709551615",
            "18446744073709551616",
            "4294967296",
            "-1",
            "1.5",
            " 7",
            "0x10",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

/// A line: usually four fields, sometimes more or fewer, sometimes any text at all.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(field(), 4).prop_map(|fields| fields.join("\t")),
        1 => prop::collection::vec(field(), 0..7).prop_map(|fields| fields.join("\t")),
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_are_applied_or_rejected_with_a_line_and_a_reason(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        with_header in any::<bool>(),
    ) {
        let mut contents = Vec::new();
        if with_header {
            contents.extend_from_slice(HEADER.as_bytes());
            contents.push(b'\n');
        }
        contents.extend_from_slice(&bytes);
        restore(&file("bytes"), &contents)?;
    }

    #[test]
    fn any_lines_are_applied_or_rejected_with_a_line_and_a_reason(
        lines in prop::collection::vec(line(), 0..12),
        line_break in prop::sample::select(vec!["\n", "\r\n"]),
    ) {
        let mut text = format!("{HEADER}{line_break}");
        for line in lines {
            text.push_str(&line);
            text.push_str(line_break);
        }
        restore(&file("lines"), text.as_bytes())?;
    }
}
