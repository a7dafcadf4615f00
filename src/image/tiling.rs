//! Tiled transforms: the analysis and synthesis run on overlapping tiles (a halo of latent
//! pixels around each, wider than the transforms' receptive fields), and only each tile's centre
//! is kept, so the result equals untiled processing up to float rounding while memory stays
//! bounded by the tile size, whatever the image size.

use crate::container::ImageParams;
use crate::media::Image;
use crate::nn::plain2d::FeatureMap;
use crate::Result;

use super::pixels::rgb_window;
use super::DOWNSAMPLING;

/// Tile side and halo, in latent pixels (one latent pixel is 16×16 image pixels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    /// Side of the kept centre of a tile.
    pub tile: usize,
    /// Extra latent pixels on each side; must cover the receptive field (< 2 for g_a and g_s).
    pub halo: usize,
}

/// Tiles of 768×768 image pixels (a 768×512 image is one tile) with a 64-pixel halo.
pub const DEFAULT_TILING: Tiling = Tiling { tile: 48, halo: 4 };

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
pub fn analysis(image: &Image, (lh, lw): (usize, usize), channels: usize, tiling: Tiling, g_a: impl Fn(&FeatureMap) -> FeatureMap) -> Result<Vec<f32>> {
    let rgb = image.to_rgb()?;
    let (w, h) = (image.width() as usize, image.height() as usize);
    let d = DOWNSAMPLING;
    let mut latent = vec![0f32; channels * lh * lw];
    for (wy, cy) in spans(lh, tiling) {
        for (wx, cx) in spans(lw, tiling) {
            let tile = g_a(&rgb_window(&rgb, (w, h), wy.start * d..wy.end * d, wx.start * d..wx.end * d));
            for y in cy.clone() {
                for x in cx.clone() {
                    let pixel = &tile.data[((y - wy.start) * tile.width + x - wx.start) * channels..][..channels];
                    for (c, &v) in pixel.iter().enumerate() {
                        latent[(c * lh + y) * lw + x] = v;
                    }
                }
            }
        }
    }
    Ok(latent)
}

/// Runs the synthesis `g_s` over a latent (`channels × lh × lw`, planar) and returns the image
/// described by `params`, clamped and rounded to 8 bits.
pub fn synthesis(
    latent: &[f32],
    channels: usize,
    (lh, lw): (usize, usize),
    params: &ImageParams,
    tiling: Tiling,
    g_s: impl Fn(&FeatureMap) -> FeatureMap,
) -> Result<Image> {
    let (w, h) = (params.width as usize, params.height as usize);
    let d = DOWNSAMPLING;
    let mut rgb = vec![0u8; 3 * w * h];
    for (wy, cy) in spans(lh, tiling) {
        for (wx, cx) in spans(lw, tiling) {
            let (ys, xs) = (cy.start * d..(cy.end * d).min(h), cx.start * d..(cx.end * d).min(w));
            if ys.is_empty() || xs.is_empty() {
                continue; // the centre lies wholly in the padding
            }
            let mut tile = FeatureMap { height: wy.len(), width: wx.len(), channels, data: Vec::with_capacity(channels * wy.len() * wx.len()) };
            for y in wy.clone() {
                for x in wx.clone() {
                    tile.data.extend((0..channels).map(|c| latent[(c * lh + y) * lw + x]));
                }
            }
            let out = g_s(&tile);
            for y in ys {
                let from = ((y - wy.start * d) * out.width + xs.start - wx.start * d) * 3;
                let values = &out.data[from..from + 3 * xs.len()];
                for (dst, v) in rgb[(y * w + xs.start) * 3..(y * w + xs.end) * 3].iter_mut().zip(values) {
                    *dst = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
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

    /// Tiny tiles (1 latent pixel, halo 3) give the same latent and image as one big tile,
    /// also where a tile's centre lies wholly in the padding (the last column: 64–79 of 60).
    #[test]
    fn tiled_equals_untiled() {
        let model = FactorizedModel::<Cpu>::new(FactorizedConfig { n: 8, m: 6 }, &Default::default());
        let (w, h) = (60u32, 45u32);
        let px: Vec<u8> = (0..w * h * 3).map(|i| ((i * 37 + i / 211) % 256) as u8).collect();
        let image = Image::new(w, h, 3, px).unwrap();
        let size = (3, 5);
        let whole = Tiling { tile: 64, halo: 0 };
        let small = Tiling { tile: 1, halo: 3 };
        let (g_a, g_s) = model.plain_transforms().unwrap();
        let a = analysis(&image, size, 6, whole, |x| g_a.forward(x)).unwrap();
        let b = analysis(&image, size, 6, small, |x| g_a.forward(x)).unwrap();
        let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(worst < 1e-4, "latent differs by {worst}");
        let params = ImageParams { width: w, height: h, channels: 3, bit_depth: 8 };
        let ia = synthesis(&a, 6, size, &params, whole, |y| g_s.forward(y)).unwrap();
        let ib = synthesis(&a, 6, size, &params, small, |y| g_s.forward(y)).unwrap();
        let differ = ia.pixels().iter().zip(ib.pixels()).filter(|(x, y)| x != y).count();
        assert!(differ * 1000 <= ia.pixels().len(), "{differ} samples differ");
    }
}
