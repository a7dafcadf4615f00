//! Helpers of the image codecs.

/// The size `(height, width)` of an image padded up to multiples of `block`.
pub fn padded_size(width: u32, height: u32, block: usize) -> (usize, usize) {
    ((height as usize).div_ceil(block) * block, (width as usize).div_ceil(block) * block)
}
