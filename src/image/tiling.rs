//! Tiled transforms: the analysis and synthesis run on overlapping tiles (a halo of latent
//! pixels around each, wider than the transforms' receptive fields), and only each tile's centre
//! is kept, so the result equals untiled processing up to float rounding while memory stays
//! bounded by the tile size, whatever the image size.

use burn::tensor::{Tensor, TensorData};

use burn::tensor::backend::Backend;
use crate::container::ImageParams;
use crate::media::Image;
use crate::Result;

use crate::nn::to_vec;
use super::pixels::rgb_planes;
use super::DOWNSAMPLING;

/// Tile side and halo, in latent pixels (one latent pixel is 16×16 image pixels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    /// Side of the kept centre of a tile.
    pub tile: usize,
    /// Extra latent pixels on each side; must cover the receptive field (< 2 for g_a and g_s).
    pub halo: usize,
}

/// Tiles of 512×512 image pixels with a 64-pixel halo.
pub const DEFAULT_TILING: Tiling = Tiling { tile: 32, halo: 4 };

/// Ranges `(window, centre)` along one axis of `len` latent pixels.
fn spans(len: usize, t: Tiling) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    (0..len.div_ceil(t.tile))
        .map(|i| {
            let centre = i * t.tile..((i + 1) * t.tile).min(len);
            (centre.start.saturating_sub(t.halo)..(centre.end + t.halo).min(len), centre)
        })
        .collect()
}

/// Runs the analysis `g_a` over an RGB image padded (by edge replication) to `lh×lw` latent
/// pixels; returns the latent, `channels × lh × lw`, planar.
pub fn analysis<B: Backend>(
    image: &Image,
    (lh, lw): (usize, usize),
    channels: usize,
    tiling: Tiling,
    device: &B::Device,
    g_a: impl Fn(Tensor<B, 4>) -> Tensor<B, 4>,
) -> Result<Vec<f32>> {
    let rgb = image.to_rgb()?;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let d = DOWNSAMPLING;
    let mut latent = vec![0f32; channels * lh * lw];
    for (wy, cy) in spans(lh, tiling) {
        for (wx, cx) in spans(lw, tiling) {
            let (th, tw) = (wy.len() * d, wx.len() * d);
            let planes = rgb_planes(&rgb, (w, h), wy.start * d..wy.end * d, wx.start * d..wx.end * d);
            let tile = g_a(Tensor::from_data(TensorData::new(planes, [1, 3, th, tw]), device));
            let values = to_vec(tile)?;
            for c in 0..channels {
                for y in cy.clone() {
                    let src = (c * wy.len() + y - wy.start) * wx.len() + (cx.start - wx.start);
                    let dst = (c * lh + y) * lw + cx.start;
                    latent[dst..dst + cx.len()].copy_from_slice(&values[src..src + cx.len()]);
                }
            }
        }
    }
    Ok(latent)
}

/// Runs the synthesis `g_s` over a latent (`channels × lh × lw`, planar) and returns the image
/// described by `params`, clamped and rounded to 8 bits.
pub fn synthesis<B: Backend>(
    latent: &[f32],
    channels: usize,
    (lh, lw): (usize, usize),
    params: &ImageParams,
    tiling: Tiling,
    device: &B::Device,
    g_s: impl Fn(Tensor<B, 4>) -> Tensor<B, 4>,
) -> Result<Image> {
    let (w, h) = (params.width as usize, params.height as usize);
    let d = DOWNSAMPLING;
    let mut rgb = vec![0u8; 3 * w * h];
    for (wy, cy) in spans(lh, tiling) {
        for (wx, cx) in spans(lw, tiling) {
            let mut values = Vec::with_capacity(channels * wy.len() * wx.len());
            for c in 0..channels {
                for y in wy.clone() {
                    let start = (c * lh + y) * lw;
                    values.extend_from_slice(&latent[start + wx.start..start + wx.end]);
                }
            }
            let input = Tensor::from_data(TensorData::new(values, [1, channels, wy.len(), wx.len()]), device);
            let planes = to_vec(g_s(input))?;
            let (th, tw) = (wy.len() * d, wx.len() * d);
            for y in cy.start * d..(cy.end * d).min(h) {
                for x in cx.start * d..(cx.end * d).min(w) {
                    let (ty, tx) = (y - wy.start * d, x - wx.start * d);
                    for c in 0..3 {
                        let v = planes[(c * th + ty) * tw + tx];
                        rgb[(y * w + x) * 3 + c] = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                    }
                }
            }
        }
    }
    Image::from_rgb(params.width, params.height, params.channels, &rgb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Cpu;
    use crate::image::{FactorizedConfig, FactorizedModel};

    /// Tiny tiles (1 latent pixel, halo 3) give the same latent and image as one big tile.
    #[test]
    fn tiled_equals_untiled() {
        let model = FactorizedModel::<Cpu>::new(FactorizedConfig { n: 8, m: 6 }, &Default::default());
        let (w, h) = (70u32, 45u32);
        let px: Vec<u8> = (0..w * h * 3).map(|i| ((i * 37 + i / 211) % 256) as u8).collect();
        let image = Image::new(w, h, 3, px).unwrap();
        let size = (3, 5);
        let whole = Tiling { tile: 64, halo: 0 };
        let small = Tiling { tile: 1, halo: 3 };
        let a = analysis(&image, size, 6, whole, &Default::default(), |x| model.analysis(x)).unwrap();
        let b = analysis(&image, size, 6, small, &Default::default(), |x| model.analysis(x)).unwrap();
        let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-4, "latent differs by {worst}");
        let params = ImageParams { width: w, height: h, channels: 3, bit_depth: 8 };
        let ia = synthesis(&a, 6, size, &params, whole, &Default::default(), |y| model.synthesis(y)).unwrap();
        let ib = synthesis(&a, 6, size, &params, small, &Default::default(), |y| model.synthesis(y)).unwrap();
        let differ = ia.pixels().iter().zip(ib.pixels()).filter(|(x, y)| x != y).count();
        assert!(differ * 1000 <= ia.pixels().len(), "{differ} samples differ");
    }
}
