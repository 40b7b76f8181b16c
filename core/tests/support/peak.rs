//! The process's own memory as Linux counts it, for the photo corpus test and
//! the photo benchmark: each case runs in a child process of its own, which
//! resets its high-water mark after reading the input and reports how far the
//! resident set grew while the photo was processed.

use std::path::Path;
use std::time::Instant;

use fieldgrid_core::media::{PhotoOptions, process};

/// A `/proc/self/status` field, bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("{field} missing from /proc/self/status"))
}

/// One case as the child saw it.
#[derive(Debug, Clone)]
pub struct Measured {
    /// `Ok((width, height))` of the stored photo, or the refusal's message.
    pub outcome: Result<(u32, u32), String>,
    /// Milliseconds spent in `process`.
    pub ms: f64,
    /// How far the resident set rose above where it stood before `process`.
    pub peak_growth: u64,
}

/// Child side: processes `path` and prints one line the parent reads.
pub fn child(path: &Path) {
    let bytes = std::fs::read(path).expect("fixture");
    // Start the high-water mark from here: what the input itself takes is not
    // the decoder's.
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    let before = status_bytes("VmRSS:");
    let t = Instant::now();
    let result = process(&bytes, &PhotoOptions::default());
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let growth = status_bytes("VmHWM:").saturating_sub(before);
    match result {
        Ok(p) => println!("PEAK ok {} {} {ms} {growth}", p.width, p.height),
        Err(e) => println!("PEAK refused {ms} {growth} {e}"),
    }
}

/// Parent side: runs the current executable with `args` and reads the child's line.
pub fn measure(args: &[&str], env: (&str, &Path)) -> Measured {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(args)
        .env(env.0, env.1)
        .output()
        .expect("start the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PEAK "))
        .unwrap_or_else(|| {
            panic!(
                "the child processing {} printed no result (status {}):\n{stdout}\n{}",
                env.1.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let parts: Vec<&str> = line.splitn(5, ' ').collect();
    let num = |s: &str| s.parse::<f64>().unwrap();
    match parts[0] {
        "ok" => Measured {
            outcome: Ok((num(parts[1]) as u32, num(parts[2]) as u32)),
            ms: num(parts[3]),
            peak_growth: num(parts[4]) as u64,
        },
        _ => Measured {
            outcome: Err(line.splitn(4, ' ').nth(3).unwrap_or("").to_owned()),
            ms: num(parts[1]),
            peak_growth: num(parts[2]) as u64,
        },
    }
}
