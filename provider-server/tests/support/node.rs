//! Running a Node script of `tests/interop/` as the other side of a test: it speaks one
//! JSON object per line over stdin/stdout (`tests/interop/conversation.mjs`), and a
//! message with `error` is its refusal.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// The repository root (scripts and `node_modules` live there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A running script.
pub struct Script {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Script {
    /// Starts `node tests/interop/<script>` with `env`, after checking that the npm
    /// `package` it needs is installed (a missing one fails the test with what to do;
    /// it never skips).
    pub fn start(script: &str, package: &str, env: &[(&str, &str)]) -> Self {
        let root = root();
        assert!(
            root.join("node_modules")
                .join(package)
                .join("package.json")
                .is_file(),
            "node_modules/{package} is missing: run `npm ci` at the repository root ({})",
            root.display()
        );
        let mut child = tokio::process::Command::new("node")
            .arg(format!("tests/interop/{script}"))
            .current_dir(&root)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `node` (is Node.js installed?): {e}"));
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            lines,
        }
    }

    /// The script's next message; `Err` is its refusal (the `error` it sent).
    pub async fn next(&mut self) -> Result<Value, String> {
        let line = tokio::time::timeout(Duration::from_secs(60), self.lines.next_line())
            .await
            .expect("the script said nothing for 60 s")
            .unwrap()
            .expect("the script exited without an answer");
        let message: Value = serde_json::from_str(&line).unwrap();
        match message.get("error") {
            Some(e) => Err(e.as_str().unwrap_or_default().to_owned()),
            None => Ok(message),
        }
    }

    /// Sends the script a message.
    pub async fn send(&mut self, message: &Value) {
        self.stdin
            .write_all(format!("{message}\n").as_bytes())
            .await
            .unwrap();
    }

    /// Waits for the script to exit; whether it exited successfully.
    pub async fn succeeded(mut self) -> bool {
        self.child.wait().await.unwrap().success()
    }
}
