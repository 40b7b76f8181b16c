//! Runs the county simulator against a running server.
//!
//! `county-sim URL ADMIN_TOKEN DIR [TOWNS] [PHONES]`

use fieldgrid_tests::sim::{SimConfig, run};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, token, dir, rest @ ..] = args.as_slice() else {
        return Err("usage: county-sim URL ADMIN_TOKEN DIR [TOWNS] [PHONES]".into());
    };
    let mut cfg = SimConfig::default();
    if let Some(t) = rest.first() {
        cfg.towns = t.parse()?;
    }
    if let Some(p) = rest.get(1) {
        cfg.phones = p.parse()?;
    }
    std::fs::create_dir_all(dir)?;
    let started = std::time::Instant::now();
    let r = run(url, token, std::path::Path::new(dir), &cfg).await?;
    println!("{r}, in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
