//! Helpers of the image codecs.

/// The size `(height, width)` of an image padded up to multiples of `block`.
pub fn padded_size(width: u32, height: u32, block: usize) -> (usize, usize) {
    ((height as usize).div_ceil(block) * block, (width as usize).div_ceil(block) * block)
}

/// Planes `[3, rows, cols]` in 0–1 of a window of an interleaved RGB image `width × height`,
/// edge pixels replicated where the window extends past the image.
pub fn rgb_planes(rgb: &[u8], (width, height): (usize, usize), rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) -> Vec<f32> {
    let mut planes = Vec::with_capacity(3 * rows.len() * cols.len());
    for c in 0..3 {
        for y in rows.clone() {
            let row = y.min(height - 1) * width;
            planes.extend(cols.clone().map(|x| f32::from(rgb[(row + x.min(width - 1)) * 3 + c]) / 255.0));
        }
    }
    planes
}
