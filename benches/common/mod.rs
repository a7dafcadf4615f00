//! Timing, arguments and device dispatch shared by the benches.

use std::time::Instant;

/// Median seconds of `runs` runs of `f` after one warm-up run (`f` must synchronize its device).
pub fn median_time(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// The `--name value` pairs of the command line, in order (other words, such as the `--bench`
/// that cargo adds, are skipped).
#[allow(dead_code)] // not every bench takes arguments
pub fn flags() -> Vec<(String, String)> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        match argv.get(i + 1) {
            Some(value) if argv[i].starts_with("--") && !value.starts_with("--") => {
                pairs.push((argv[i].clone(), value.clone()));
                i += 2;
            }
            _ => i += 1,
        }
    }
    pairs
}

/// Runs `bench` on the device named `device` (`cpu`, `cuda`, `libtorch`, `libtorch-cuda`).
#[allow(dead_code)] // not every bench chooses a device
pub fn run_on<J: nmc::codec::OnDevice<Output = ()>>(device: &str, bench: J) {
    let device: nmc::codec::Device = device.parse().expect("--device");
    device.run(bench).expect("benchmark");
}
