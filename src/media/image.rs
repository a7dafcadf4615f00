//! 8-bit images (gray, RGB, RGBA), read and written through the `image` crate.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageFormat};

use crate::{Error, Result};

/// An 8-bit image with 1 (gray), 3 (RGB) or 4 (RGBA) interleaved channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    width: u32,
    height: u32,
    channels: u8,
    pixels: Vec<u8>,
}

impl Image {
    /// An image from interleaved pixels; `pixels.len()` must be `width * height * channels`.
    pub fn new(width: u32, height: u32, channels: u8, pixels: Vec<u8>) -> Result<Self> {
        if !matches!(channels, 1 | 3 | 4) {
            return Err(Error::UnsupportedMedia(format!("{channels} channels (expected 1, 3 or 4)")));
        }
        if width == 0 || height == 0 {
            return Err(Error::UnsupportedMedia(format!("empty image ({width}x{height})")));
        }
        let expected = width as u64 * height as u64 * channels as u64;
        if pixels.len() as u64 != expected {
            return Err(Error::InvalidArgument(format!(
                "{width}x{height}x{channels} image needs {expected} bytes, got {}",
                pixels.len()
            )));
        }
        Ok(Self { width, height, channels, pixels })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Channels per pixel: 1, 3 or 4.
    pub fn channels(&self) -> u8 {
        self.channels
    }

    /// Interleaved 8-bit samples, row by row.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Reads any format the `image` crate knows; 16-bit and float images are converted to 8 bits.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_file_bytes(&bytes).map_err(|e| e.in_file(path))
    }

    /// Decodes an image file held in memory (format guessed from its content).
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self> {
        let decoded = image::load_from_memory(bytes).map_err(|e| Error::UnsupportedMedia(format!("cannot read image: {e}")))?;
        Ok(Self::from_dynamic(decoded))
    }

    fn from_dynamic(img: DynamicImage) -> Self {
        let (width, height) = (img.width(), img.height());
        let color = img.color();
        let (channels, pixels) = if color.has_alpha() {
            (4, img.into_rgba8().into_raw())
        } else if color.channel_count() == 1 {
            (1, img.into_luma8().into_raw())
        } else {
            (3, img.into_rgb8().into_raw())
        };
        Self { width, height, channels, pixels }
    }

    /// Encodes the image in the format implied by `path`'s extension (e.g. `.png`).
    pub fn encode_for_path(&self, path: &Path) -> Result<Vec<u8>> {
        let format = ImageFormat::from_path(path)
            .map_err(|_| Error::UnsupportedMedia(format!("cannot tell an image format from '{}'", path.display())))?;
        self.encode(format)
    }

    /// Encodes the image in the given file format.
    pub fn encode(&self, format: ImageFormat) -> Result<Vec<u8>> {
        let img = self.to_dynamic();
        let img = if format == ImageFormat::Jpeg && self.channels == 4 { DynamicImage::ImageRgb8(img.into_rgb8()) } else { img };
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).map_err(|e| Error::UnsupportedMedia(format!("cannot write {format:?}: {e}")))?;
        Ok(out.into_inner())
    }

    fn to_dynamic(&self) -> DynamicImage {
        let (w, h, px) = (self.width, self.height, self.pixels.clone());
        // Buffers always match their dimensions (checked in `new`), so `from_raw` cannot fail.
        match self.channels {
            1 => DynamicImage::ImageLuma8(image::GrayImage::from_raw(w, h, px).expect("sized buffer")),
            3 => DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, px).expect("sized buffer")),
            _ => DynamicImage::ImageRgba8(image::RgbaImage::from_raw(w, h, px).expect("sized buffer")),
        }
    }

    /// The image as RGB: gray is replicated; alpha must be fully opaque (it is restored on decode).
    pub fn to_rgb(&self) -> Result<Vec<u8>> {
        match self.channels {
            3 => Ok(self.pixels.clone()),
            1 => Ok(self.pixels.iter().flat_map(|&g| [g, g, g]).collect()),
            _ => {
                if self.pixels.chunks_exact(4).any(|p| p[3] != 255) {
                    return Err(Error::UnsupportedMedia(
                        "the image has transparent pixels; nmc codes opaque images only (flatten the alpha channel first)".into(),
                    ));
                }
                Ok(self.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect())
            }
        }
    }

    /// Builds an image with `channels` channels from RGB samples (inverse of [`Image::to_rgb`]).
    pub fn from_rgb(width: u32, height: u32, channels: u8, rgb: &[u8]) -> Result<Self> {
        let pixels = match channels {
            3 => rgb.to_vec(),
            1 => rgb.chunks_exact(3).map(|p| ((p[0] as u16 + p[1] as u16 + p[2] as u16 + 1) / 3) as u8).collect(),
            4 => rgb.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
            _ => return Err(Error::UnsupportedMedia(format!("{channels} channels"))),
        };
        Self::new(width, height, channels, pixels)
    }
}
