//! Timing shared by the benches.

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
