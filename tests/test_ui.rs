//! Compile-time rejections: each error spanned at the offending token and naming the fix, with
//! the expected output checked in next to each case (`tests/ui/*.stderr`). Regenerate after an
//! intended change with `TRYBUILD=overwrite cargo test --test test_ui`, and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui-pass/*.rs");
}
