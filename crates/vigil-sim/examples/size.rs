//! Measures a simulation run: `cargo run --release -p vigil-sim --example size -- [users] [days] [seed] [out_dir]`.

use std::time::Instant;

use vigil_sim::{SimConfig, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let users: u32 = args.first().map(|s| s.parse()).transpose()?.unwrap_or(1000);
    let days: u32 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(30);
    let seed: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(7);
    let keep = args.get(3).cloned();
    let tmp = tempfile::tempdir()?;
    let out = keep.as_deref().map(std::path::PathBuf::from).unwrap_or_else(|| tmp.path().to_path_buf());
    let cfg = SimConfig { seed, days, users, ..SimConfig::default() };
    let t = Instant::now();
    let s = simulate(&cfg, &out)?;
    let secs = t.elapsed().as_secs_f64();
    let mut per_dir: std::collections::BTreeMap<String, (u64, u64, u64)> = Default::default();
    for (path, records, bytes) in &s.files {
        let dir = path.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
        let e = per_dir.entry(dir).or_default();
        e.0 += 1;
        e.1 += records;
        e.2 += bytes;
    }
    println!(
        "users={users} days={days} seed={seed} profile={}",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    for (dir, (files, records, bytes)) in &per_dir {
        println!(
            "  {:<16} files={files:<6} records={records:<10} bytes={bytes}",
            if dir.is_empty() { "." } else { dir }
        );
    }
    println!("events={} bytes={} ({:.1} MB) seconds={secs:.2}", s.events, s.bytes, s.bytes as f64 / 1e6);
    println!("events per user-day={:.1}", s.events as f64 / f64::from(users * days));
    for (name, n) in &s.scenarios {
        println!("  scenario {name}: {n}");
    }
    Ok(())
}
