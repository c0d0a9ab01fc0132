//! A real moto server (the local AWS emulator) on a free 127.0.0.1 port, for the crawl tests.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const INSTALL: &str =
    "moto is needed for the AWS crawl tests: python3 -m pip install 'moto[server]'";

/// A running moto server, stopped when dropped.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    /// Start moto on a free port and wait until it answers.
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// Start moto with extra environment variables (e.g. `INITIAL_NO_AUTH_ACTION_COUNT`).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        let check = Command::new("python3")
            .args(["-c", "import moto.server"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run python3 ({e}); {INSTALL}"));
        assert!(check.status.success(), "{INSTALL}");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto ({e}); {INSTALL}"));
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto did not start on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// Seed the test estate (tests/fixtures/aws/seed.py) and return the ids it created.
    pub fn seed(&self) -> Value {
        self.run_seed("seed.py")
    }

    /// Run a seed script of tests/fixtures/aws/ and return the JSON it prints.
    pub fn run_seed(&self, name: &str) -> Value {
        self.run_seed_with(name, &[])
    }

    /// Run a seed script of tests/fixtures/aws/ with arguments after the endpoint.
    pub fn run_seed_with(&self, name: &str, args: &[&str]) -> Value {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/aws")
            .join(name);
        let out = Command::new("python3")
            .arg(script)
            .arg(&self.url)
            .args(args)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "seeding moto failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("the seed script prints JSON")
    }

    /// Wipe every account and region (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let code = "import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + '/moto-api/reset', method='POST'))";
        let out = Command::new("python3")
            .args(["-c", code, &self.url])
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "reset failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `linchpin` against AWS-like endpoints with test credentials and none of the machine's
/// own AWS configuration; `env` adds or overrides variables.
pub fn linchpin_aws(args: &[&str], env: &[(&str, &str)]) -> Output {
    linchpin_aws_command(args, env)
        .output()
        .expect("the binary runs")
}

/// The command `linchpin_aws` runs, to spawn and drive by hand.
pub fn linchpin_aws_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_linchpin"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            command.env_remove(key);
        }
    }
    command
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/nonexistent/linchpin-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/linchpin-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}
