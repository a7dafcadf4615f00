//! Distortion metrics.

/// PSNR in dB between two 8-bit sample buffers of equal length (∞ when identical).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "psnr of buffers of different sizes");
    let sse: f64 = a.iter().zip(b).map(|(&x, &y)| (x as f64 - y as f64).powi(2)).sum();
    let mse = sse / a.len().max(1) as f64;
    if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64 * 255.0 / mse).log10() }
}

#[cfg(test)]
mod tests {
    use super::psnr;

    #[test]
    fn psnr_of_known_error() {
        // Every sample off by 1: MSE 1, PSNR = 20·log10(255).
        let a = vec![10u8; 300];
        let b = vec![11u8; 300];
        assert!((psnr(&a, &b) - 48.1308).abs() < 1e-3);
        assert!(psnr(&a, &a).is_infinite());
    }
}

/// Weights of the five MS-SSIM scales (Wang, Simoncelli, Bovik 2003).
const MS_SSIM_WEIGHTS: [f64; 5] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

/// MS-SSIM of two 8-bit images with `channels` interleaved channels, averaged over channels
/// (11×11 Gaussian window, σ = 1.5, 2×2 average downsampling, as pytorch-msssim, which
/// CompressAI's results use). `None` when the image is too small for five scales (< 161 pixels
/// on a side).
pub fn ms_ssim(a: &[u8], b: &[u8], width: usize, height: usize, channels: usize) -> Option<f64> {
    assert_eq!(a.len(), b.len(), "ms_ssim of buffers of different sizes");
    if width.min(height) < 161 {
        return None;
    }
    let mut total = 0.0;
    for c in 0..channels {
        let plane = |img: &[u8]| img.iter().skip(c).step_by(channels).map(|&v| v as f64).collect::<Vec<f64>>();
        let (mut x, mut y, mut w, mut h) = (plane(a), plane(b), width, height);
        let mut value = 1.0;
        for (scale, weight) in MS_SSIM_WEIGHTS.iter().enumerate() {
            let (ssim, cs) = ssim_terms(&x, &y, w, h);
            let last = scale == MS_SSIM_WEIGHTS.len() - 1;
            value *= (if last { ssim } else { cs }).max(0.0).powf(*weight);
            if !last {
                let (hx, nw, nh) = halve(&x, w, h);
                (x, y, w, h) = (hx, halve(&y, w, h).0, nw, nh);
            }
        }
        total += value;
    }
    Some(total / channels as f64)
}

/// Mean SSIM and mean contrast–structure term over the valid (unpadded) window positions.
fn ssim_terms(x: &[f64], y: &[f64], w: usize, h: usize) -> (f64, f64) {
    const K: usize = 11;
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let g: Vec<f64> = {
        let raw: Vec<f64> = (0..K).map(|i| (-((i as f64 - 5.0).powi(2)) / (2.0 * 1.5 * 1.5)).exp()).collect();
        let s: f64 = raw.iter().sum();
        raw.into_iter().map(|v| v / s).collect()
    };
    // Separable Gaussian filtering, "valid" region only.
    let filter = |img: &[f64]| {
        let (ow, oh) = (w - K + 1, h - K + 1);
        let mut rows = vec![0.0; ow * h];
        for yy in 0..h {
            for xx in 0..ow {
                rows[yy * ow + xx] = (0..K).map(|k| g[k] * img[yy * w + xx + k]).sum();
            }
        }
        let mut out = vec![0.0; ow * oh];
        for yy in 0..oh {
            for xx in 0..ow {
                out[yy * ow + xx] = (0..K).map(|k| g[k] * rows[(yy + k) * ow + xx]).sum();
            }
        }
        out
    };
    let prod = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(a, b)| a * b).collect::<Vec<f64>>();
    let (mx, my) = (filter(x), filter(y));
    let (sxx, syy, sxy) = (filter(&prod(x, x)), filter(&prod(y, y)), filter(&prod(x, y)));
    let n = mx.len() as f64;
    let (mut ssim, mut cs) = (0.0, 0.0);
    for i in 0..mx.len() {
        let (vx, vy, cov) = (sxx[i] - mx[i] * mx[i], syy[i] - my[i] * my[i], sxy[i] - mx[i] * my[i]);
        let cs_i = (2.0 * cov + c2) / (vx + vy + c2);
        cs += cs_i / n;
        ssim += (2.0 * mx[i] * my[i] + c1) / (mx[i] * mx[i] + my[i] * my[i] + c1) * cs_i / n;
    }
    (ssim, cs)
}

/// 2×2 average pooling as pytorch-msssim does it: an odd side is zero-padded by one on both
/// ends (zeros count in the average), giving `ceil(n / 2)` outputs.
fn halve(img: &[f64], w: usize, h: usize) -> (Vec<f64>, usize, usize) {
    let (px, py) = (w % 2, h % 2);
    let (ow, oh) = ((w + 2 * px - 2) / 2 + 1, (h + 2 * py - 2) / 2 + 1);
    let at = |x: isize, y: isize| if x < 0 || y < 0 || x >= w as isize || y >= h as isize { 0.0 } else { img[y as usize * w + x as usize] };
    let mut out = Vec::with_capacity(ow * oh);
    for y in 0..oh as isize {
        for x in 0..ow as isize {
            let (sx, sy) = (2 * x - px as isize, 2 * y - py as isize);
            out.push((at(sx, sy) + at(sx + 1, sy) + at(sx, sy + 1) + at(sx + 1, sy + 1)) / 4.0);
        }
    }
    (out, ow, oh)
}

#[cfg(test)]
mod ms_ssim_tests {
    use super::ms_ssim;

    #[test]
    fn identical_is_one_and_noise_lowers_it() {
        let (w, h) = (180, 170);
        let a: Vec<u8> = (0..w * h * 3).map(|i| ((i * 7 + (i / 540) * 13) % 251) as u8).collect();
        assert!((ms_ssim(&a, &a, w, h, 3).unwrap() - 1.0).abs() < 1e-9);
        let small: Vec<u8> = a.iter().enumerate().map(|(i, &v)| v.saturating_add((i % 3) as u8)).collect();
        let large: Vec<u8> = a.iter().enumerate().map(|(i, &v)| v.wrapping_add((i * 31 % 40) as u8)).collect();
        let (s, l) = (ms_ssim(&a, &small, w, h, 3).unwrap(), ms_ssim(&a, &large, w, h, 3).unwrap());
        assert!(1.0 > s && s > l, "{s} {l}");
        assert!(ms_ssim(&a[..100 * 100 * 3], &a[..100 * 100 * 3], 100, 100, 3).is_none());
    }
}
