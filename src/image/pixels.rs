//! Helpers of the image codecs.

use crate::nn::plain2d::FeatureMap;

/// The size `(height, width)` of an image padded up to multiples of `block`.
pub fn padded_size(width: u32, height: u32, block: usize) -> (usize, usize) {
    ((height as usize).div_ceil(block) * block, (width as usize).div_ceil(block) * block)
}

/// Pixel-major maps `[rows, cols, 3]` in 0–1 of a window of an interleaved RGB image
/// `width × height`, edge pixels replicated where the window extends past the image.
pub fn rgb_window(rgb: &[u8], (width, height): (usize, usize), rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) -> FeatureMap {
    let mut data = Vec::with_capacity(3 * rows.len() * cols.len());
    for y in rows.clone() {
        let row = y.min(height - 1) * width;
        for x in cols.clone() {
            data.extend(rgb[(row + x.min(width - 1)) * 3..][..3].iter().map(|&v| f32::from(v) / 255.0));
        }
    }
    FeatureMap { height: rows.len(), width: cols.len(), channels: 3, data }
}
