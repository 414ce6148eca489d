//! Compile-time rejections: each error spanned at the offending token and naming the fix, with
//! the expected output checked in next to each case, in a folder per attribute
//! (`tests/ui/<attribute>/*.stderr`; `shared/` for stacks and keys every attribute has). Regenerate after an
//! intended change with `TRYBUILD=overwrite cargo test --test test_ui`, and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*/*.rs");
    cases.pass("tests/ui-pass/*.rs");
}

/// No expected error names the runtime's private module: a message that points the user at
/// `retry_runtime::__private::...` tells them about code they never wrote.
#[test]
fn no_expected_error_names_the_private_module() {
    let mut leaks = Vec::new();
    let folders = std::fs::read_dir("tests/ui").expect("tests/ui exists");
    let files = folders.flat_map(|folder| {
        std::fs::read_dir(folder.expect("a directory entry").path())
            .expect("a folder per attribute")
    });
    for entry in files {
        let path = entry.expect("a directory entry").path();
        if path
            .extension()
            .is_some_and(|extension| extension == "stderr")
        {
            let text = std::fs::read_to_string(&path).expect("a readable .stderr");
            if text.contains("__private") {
                leaks.push(path.display().to_string());
            }
        }
    }
    leaks.sort();
    assert!(
        leaks.is_empty(),
        "these expected errors name the runtime's private module: {leaks:?}"
    );
}
