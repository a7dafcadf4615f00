//! Helpers of the image codecs: padded sizes, table indexes, tensor data, chunks.

use burn::tensor::Tensor;

use burn::tensor::backend::Backend;
use crate::container::{Chunk, FourCc};
use crate::{Error, Result};

/// The size `(height, width)` of an image padded up to multiples of `block`.
pub fn padded_size(width: u32, height: u32, block: usize) -> (usize, usize) {
    ((height as usize).div_ceil(block) * block, (width as usize).div_ceil(block) * block)
}

/// Table index `offset + c` of every element of channel `c`, in `[C, H, W]` order.
pub fn channel_indexes(channels: usize, plane: usize, offset: u32) -> Vec<u32> {
    (0..channels as u32).flat_map(|c| std::iter::repeat_n(offset + c, plane)).collect()
}

/// A tensor's values as `f32`.
pub fn to_vec<B: Backend, const D: usize>(t: Tensor<B, D>) -> Result<Vec<f32>> {
    t.into_data().convert::<f32>().to_vec().map_err(|e| Error::Model(format!("tensor data: {e:?}")))
}

/// The image-file chunk of the given type, or a `Malformed` error naming it.
pub fn chunk(chunks: &[Chunk], fourcc: FourCc) -> Result<&[u8]> {
    chunks
        .iter()
        .find(|c| c.fourcc == fourcc)
        .map(|c| c.payload.as_slice())
        .ok_or_else(|| Error::Malformed(format!("missing chunk '{fourcc}'")))
}
