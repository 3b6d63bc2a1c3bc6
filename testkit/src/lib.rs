//! What netui's tests share, and the thin client's end-to-end tests.
//!
//! The thin client's tests need a real display server, and the thin client itself must not
//! depend on the server, so they live here (`tests/viewer*.rs`), with the thin client's
//! program built as `thin-client-under-test` to run as a process.
//!
//! # Layout
//! - [`server`]: a headless display server on a temporary private directory.
#![forbid(unsafe_code)]

pub mod server;
