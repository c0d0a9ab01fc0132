//! Helpers shared by the integration tests: run the real binary.

#![allow(dead_code)]

use std::process::{Command, Output};

use serde_json::Value;

/// Run `linchpin` with arguments.
pub fn linchpin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linchpin"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Run `linchpin`, expect exit 0, and parse stdout as JSON.
pub fn json(args: &[&str]) -> Value {
    let out = linchpin(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}
pub mod moto;
pub mod sarif;
