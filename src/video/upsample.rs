//! Linear interpolation of the latent grids, as matrices with dyadic (exactly representable)
//! weights, so the fitting (burn) and the decoder (plain Rust) compute the same values.
//!
//! Spatially a level of factor `f = 2^l` is upsampled bilinearly with pixel centres aligned
//! (output `i` samples the grid at `(i + ½)/f − ½`, clamped at the borders); in time, frame `t`
//! samples a level of stride `s` at `t/s` (grid frame `t/s` exactly when `s` divides `t`).

/// One output position as `(first index, weight of first, second index, weight of second)`.
pub type Tap = (usize, f32, usize, f32);

/// Spatial taps of `out` outputs from `len` grid cells, upsampling by `factor` (a power of two).
pub fn spatial_taps(out: usize, len: usize, factor: usize) -> Vec<Tap> {
    (0..out)
        .map(|i| {
            // src = (i + ½)/f − ½ = (2i + 1 − f) / 2f, computed exactly in integers.
            let num = 2 * i as i64 + 1 - factor as i64;
            let den = 2 * factor as i64;
            let i0 = num.div_euclid(den);
            let frac = num.rem_euclid(den) as f32 / den as f32;
            let clamp = |v: i64| v.clamp(0, len as i64 - 1) as usize;
            (clamp(i0), 1.0 - frac, clamp(i0 + 1), frac)
        })
        .collect()
}

/// Temporal tap of frame `t` in a level of stride `stride` with `len` grid frames.
pub fn temporal_tap(t: usize, len: usize, stride: usize) -> Tap {
    let i0 = t / stride;
    let frac = (t % stride) as f32 / stride as f32;
    (i0.min(len - 1), 1.0 - frac, (i0 + 1).min(len - 1), frac)
}

/// The taps as a dense row-major `[out, len]` matrix.
pub fn dense(taps: &[Tap], len: usize) -> Vec<f32> {
    let mut m = vec![0f32; taps.len() * len];
    for (row, &(a, wa, b, wb)) in taps.iter().enumerate() {
        m[row * len + a] += wa;
        m[row * len + b] += wb;
    }
    m
}

/// Grid cells of a level of factor `factor` covering `n` pixels.
pub fn level_len(n: usize, factor: usize) -> usize {
    n.div_ceil(factor)
}

/// Grid frames of a level of stride `stride` covering `frames` frames.
pub fn level_frames(frames: usize, stride: usize) -> usize {
    (frames - 1).div_ceil(stride) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sum_to_one_and_ramps_are_reproduced() {
        for (out, factor) in [(16, 4), (10, 2), (7, 8), (5, 1)] {
            let len = level_len(out, factor);
            let taps = spatial_taps(out, len, factor);
            for &(_, wa, _, wb) in &taps {
                assert_eq!(wa + wb, 1.0);
            }
            // Away from the borders a linear ramp on the grid stays linear.
            let grid: Vec<f32> = (0..len).map(|i| i as f32).collect();
            for (i, &(a, wa, b, wb)) in taps.iter().enumerate() {
                let v = wa * grid[a] + wb * grid[b];
                let src = (i as f32 + 0.5) / factor as f32 - 0.5;
                if src >= 0.0 && src <= (len - 1) as f32 {
                    assert_eq!(v, src, "out {out} factor {factor} i {i}");
                }
            }
        }
    }

    #[test]
    fn temporal_taps_hit_grid_frames() {
        assert_eq!(level_frames(9, 4), 3);
        assert_eq!(level_frames(1, 4), 1);
        assert_eq!(temporal_tap(4, 3, 4), (1, 1.0, 2, 0.0));
        assert_eq!(temporal_tap(6, 3, 4), (1, 0.5, 2, 0.5));
        assert_eq!(temporal_tap(8, 3, 4), (2, 1.0, 2, 0.0));
        assert_eq!(dense(&[(0, 0.25, 1, 0.75)], 2), vec![0.25, 0.75]);
    }
}
