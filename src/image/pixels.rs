//! Between images and tensors: padding to the transform's block size, cropping back, limits.

use burn::tensor::{Tensor, TensorData};

use crate::codec::Cpu;
use crate::container::{Chunk, FourCc, ImageParams};
use crate::media::Image;
use crate::{Error, Result};

/// Largest image (in padded pixels) transformed in one piece; bounds decoder memory whatever a
/// file's header claims. Tiled processing will lift it.
pub const MAX_UNTILED_PIXELS: u64 = 1 << 24;

/// The size `(height, width)` of an image padded up to multiples of `block`, within the limit.
pub fn padded_size(width: u32, height: u32, block: usize) -> Result<(usize, usize)> {
    let ph = (height as usize).div_ceil(block) * block;
    let pw = (width as usize).div_ceil(block) * block;
    let pixels = (ph * pw) as u64;
    if pixels > MAX_UNTILED_PIXELS {
        return Err(Error::LimitExceeded { what: "image size in pixels".into(), value: pixels, limit: MAX_UNTILED_PIXELS });
    }
    Ok((ph, pw))
}

/// The image as `[1, 3, ph, pw]` in [0, 1], padded by repeating the last row and column.
pub fn image_tensor(image: &Image, ph: usize, pw: usize) -> Result<Tensor<Cpu, 4>> {
    let rgb = image.to_rgb()?;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut planes = Vec::with_capacity(3 * pw * ph);
    for c in 0..3 {
        for y in 0..ph {
            let row = y.min(h - 1) * w;
            for x in 0..pw {
                planes.push(rgb[(row + x.min(w - 1)) * 3 + c] as f32 / 255.0);
            }
        }
    }
    Ok(Tensor::from_data(TensorData::new(planes, [1, 3, ph, pw]), &Default::default()))
}

/// The reconstruction `[1, 3, ph, pw]` cropped to the image, clamped, rounded to 8 bits.
pub fn tensor_image(x_hat: Tensor<Cpu, 4>, params: &ImageParams) -> Result<Image> {
    let [_, _, ph, pw] = x_hat.dims();
    let planes = to_vec(x_hat)?;
    let (w, h) = (params.width as usize, params.height as usize);
    let mut rgb = Vec::with_capacity(3 * w * h);
    for y in 0..h.min(ph) {
        for x in 0..w.min(pw) {
            for c in 0..3 {
                rgb.push((planes[(c * ph + y) * pw + x].clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
    }
    Image::from_rgb(params.width, params.height, params.channels, &rgb)
}

/// Table index `offset + c` of every element of channel `c`, in `[C, H, W]` order.
pub fn channel_indexes(channels: usize, plane: usize, offset: u32) -> Vec<u32> {
    (0..channels as u32).flat_map(|c| std::iter::repeat_n(offset + c, plane)).collect()
}

/// A tensor's values as `f32`.
pub fn to_vec<const D: usize>(t: Tensor<Cpu, D>) -> Result<Vec<f32>> {
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
