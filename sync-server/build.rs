//! Fetches the supervisor pages' third-party browser assets (Leaflet) with npm,
//! from the committed lock file, so they can be embedded in the binary. Nothing
//! fetched is committed.

use std::path::Path;
use std::process::Command;

fn main() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    println!("cargo:rerun-if-changed=web/package-lock.json");
    println!("cargo:rerun-if-changed=web/package.json");
    let leaflet = web.join("node_modules/leaflet/dist/leaflet.js");
    if leaflet.exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--silent", "--no-audit", "--no-fund"])
        .current_dir(&web)
        .status();
    match status {
        Ok(s) if s.success() && leaflet.exists() => {}
        Ok(s) => panic!(
            "`npm ci` in {} failed ({s}); the supervisor pages need Leaflet from the npm registry",
            web.display()
        ),
        Err(e) => panic!("npm is needed to fetch the supervisor pages' map library (Leaflet): {e}"),
    }
}
