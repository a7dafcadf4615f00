//! Training data: images held in memory, sampled as random crops with random flips.

use std::path::Path;

use rand::Rng;

use crate::eval::image_files;
use crate::media::Image;
use crate::{Error, Result};

/// RGB training images.
pub struct ImageSet {
    images: Vec<(usize, usize, Vec<u8>)>,
}

impl ImageSet {
    /// Loads the images of `dir` (as [`image_files`] lists them) that are at least
    /// `crop`×`crop` pixels; unreadable files are skipped.
    pub fn load(dir: &Path, crop: usize) -> Result<Self> {
        let mut images = Vec::new();
        for path in image_files(dir)? {
            let Ok(image) = Image::read(&path) else { continue };
            let (w, h) = (image.width() as usize, image.height() as usize);
            if w >= crop && h >= crop {
                images.push((w, h, image.to_rgb().map_err(|e| e.in_file(&path))?));
            }
        }
        if images.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{}: no readable images of at least {crop}x{crop} pixels",
                dir.display()
            )));
        }
        Ok(Self { images })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether the set is empty (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// A batch of random `crop`×`crop` crops, randomly flipped, as planar `[B, 3, crop, crop]` in [0, 1].
    pub fn sample(&self, rng: &mut impl Rng, batch: usize, crop: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(batch * 3 * crop * crop);
        for _ in 0..batch {
            let (w, h, rgb) = &self.images[rng.random_range(0..self.images.len())];
            let x0 = rng.random_range(0..=w - crop);
            let y0 = rng.random_range(0..=h - crop);
            let (flip_x, flip_y) = (rng.random_bool(0.5), rng.random_bool(0.5));
            for c in 0..3 {
                for y in 0..crop {
                    let sy = y0 + if flip_y { crop - 1 - y } else { y };
                    for x in 0..crop {
                        let sx = x0 + if flip_x { crop - 1 - x } else { x };
                        out.push(rgb[(sy * w + sx) * 3 + c] as f32 / 255.0);
                    }
                }
            }
        }
        out
    }
}
