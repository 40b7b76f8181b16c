//! Processes for the benchmarks: the real server binary in a child process, and
//! its CPU time and peak memory read from `/proc`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Peak resident memory (VmHWM) of a process, in MB.
pub fn peak_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are 14th and 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Resets a process's peak-memory mark (Linux `clear_refs` 5).
pub fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// A `fieldgrid-server` binary running in a child process.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its address.
    pub addr: std::net::SocketAddr,
    /// Its data directory.
    pub dir: PathBuf,
    binary: PathBuf,
    database_url: Option<String>,
    env: Vec<(String, String)>,
}

/// The `fieldgrid-server` binary of the running test's build, built first
/// (quick when up to date): testing this package alone would otherwise find a
/// missing or stale binary. A debug build is the workspace's whole build with
/// every target, as `tests/run-all.sh` and `cargo nextest run --workspace` make
/// it: building the server alone (`-p`) would unify features differently and
/// compile the server and the core a second time.
pub fn server_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("the test's own path");
            // target/<profile>/deps/<test> -> target/<profile>
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("a test binary under target/<profile>/deps");
            let target = profile_dir.parent().expect("the target directory");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut build = Command::new(cargo);
            build
                .args(["build", "--quiet", "--locked"])
                .arg("--target-dir")
                .arg(target);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                build.args(["--release", "-p", "fieldgrid-server"]);
            } else {
                build.args(["--workspace", "--all-targets"]);
            }
            let status = build.status().expect("cargo runs");
            assert!(status.success(), "building fieldgrid-server failed");
            profile_dir.join("fieldgrid-server")
        })
        .clone()
}

impl Server {
    /// Starts the binary on a free loopback port (SQLite in `dir`, or PostgreSQL).
    pub fn start(
        binary: &Path,
        dir: &Path,
        database_url: Option<&str>,
    ) -> Result<Server, BoxError> {
        Server::start_env(binary, dir, database_url, &[])
    }

    /// As [`Server::start`], with more environment (object storage settings);
    /// the CLI commands run with it too.
    pub fn start_env(
        binary: &Path,
        dir: &Path,
        database_url: Option<&str>,
        env: &[(String, String)],
    ) -> Result<Server, BoxError> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse()?;
        // `FIELDGRID_BENCH_SERVER_WRAP="heaptrack -o /tmp/server"` runs the server
        // under a profiler (its CPU and memory figures are then the wrapper's).
        let mut cmd = match std::env::var("FIELDGRID_BENCH_SERVER_WRAP") {
            Ok(wrap) if !wrap.trim().is_empty() => {
                let mut words = wrap.split_whitespace();
                let mut c = Command::new(words.next().unwrap_or_default());
                c.args(words).arg(binary);
                c
            }
            _ => Command::new(binary),
        };
        cmd.args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(dir)
            .env("RUST_LOG", "warn")
            // A benchmark enrols thousands of phones from one loopback address.
            .env("FIELDGRID_REGISTRATIONS_PER_HOUR", "1000000")
            .envs(env.iter().map(|(k, v)| (k, v)))
            // Its log (warnings and up) beside its data folder, for a test or a
            // benchmark to read after.
            .stdout(std::fs::File::create(dir.with_extension("log"))?)
            .stderr(Stdio::inherit());
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        let child = cmd.spawn()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            if Instant::now() > deadline {
                return Err("the server did not start".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Server {
            child,
            url: format!("http://{addr}"),
            addr,
            dir: dir.to_owned(),
            binary: binary.to_owned(),
            database_url: database_url.map(str::to_owned),
            env: env.to_vec(),
        })
    }

    /// Lines of the server's log (its warnings and errors) that contain `text`.
    pub fn log_lines(&self, text: &str) -> usize {
        std::fs::read_to_string(self.dir.with_extension("log"))
            .map_or(0, |log| log.lines().filter(|l| l.contains(text)).count())
    }

    /// The binary with this server's environment, for a CLI command.
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Kills the process at once (SIGKILL), as a crash or an OOM kill would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Creates a page login for `staff` (a supervisor) through the CLI.
    pub fn web_user(&self, username: &str, staff: &str, password: &str) -> Result<(), BoxError> {
        let mut cmd = self.command();
        cmd.args([
            "admin",
            "create-web-user",
            "--username",
            username,
            "--staff",
            staff,
        ])
        .arg("--data-dir")
        .arg(&self.dir)
        .env("FIELDGRID_WEB_PASSWORD", password);
        if let Some(url) = &self.database_url {
            cmd.args(["--database-url", url]);
        }
        let out = cmd.output()?;
        if !out.status.success() {
            return Err(format!(
                "create-web-user failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok(())
    }

    /// Creates an administrator through the CLI and returns the token.
    pub fn admin_token(&self) -> Result<String, BoxError> {
        let mut cmd = self.command();
        cmd.args(["admin", "create-admin", "--name", "bench", "--data-dir"])
            .arg(&self.dir);
        if let Some(url) = &self.database_url {
            cmd.args(["--database-url", url]);
        }
        let out = cmd.output()?;
        let text = String::from_utf8(out.stdout)?;
        Ok(text
            .lines()
            .last()
            .ok_or("no token printed")?
            .trim()
            .to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
