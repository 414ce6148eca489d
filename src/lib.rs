//! Integration tests, examples and benchmarks of the retry workspace; nothing to use from here.
