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
