//! The workspace's root package holds the runnable examples (`examples/`) and the
//! benchmarks (`benches/`); this library is empty. Its doctests are the README's code
//! samples, so the README cannot drift from the API.

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeSamples;
