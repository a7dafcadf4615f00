//! The kind-specific header parameters: their bytes, and the limits they must meet.

use super::ids::MediaKind;
use super::limits::*;
use super::reader::Reader;
use crate::error::{Error, Result};

/// Image parameters (10 bytes in v1.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ImageParams {
    /// Width in pixels, 1..=[`MAX_IMAGE_DIM`].
    pub width: u32,
    /// Height in pixels, 1..=[`MAX_IMAGE_DIM`]; width × height ≤ [`MAX_IMAGE_PIXELS`].
    pub height: u32,
    /// Channels: one of [`IMAGE_CHANNELS`].
    pub channels: u8,
    /// Bits per sample: one of [`IMAGE_BIT_DEPTHS`].
    pub bit_depth: u8,
}

/// Audio parameters (14 bytes in v1.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AudioParams {
    /// Sample rate in Hz, 1..=[`MAX_SAMPLE_RATE`].
    pub sample_rate: u32,
    /// Channels, 1..=[`MAX_AUDIO_CHANNELS`].
    pub channels: u16,
    /// Samples per channel, 0..=[`MAX_AUDIO_SAMPLES`].
    pub samples: u64,
}

/// Chroma sampling of a video.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Chroma {
    /// 4:2:0 (code 0).
    Yuv420,
    /// 4:4:4 (code 1).
    Yuv444,
}

/// Video parameters (21 bytes in v1.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VideoParams {
    /// Width in pixels, 1..=[`MAX_VIDEO_DIM`].
    pub width: u32,
    /// Height in pixels, 1..=[`MAX_VIDEO_DIM`].
    pub height: u32,
    /// Number of frames, 1..=[`MAX_VIDEO_FRAMES`].
    pub frames: u32,
    /// Frame rate numerator, ≥ 1.
    pub fps_num: u32,
    /// Frame rate denominator, ≥ 1.
    pub fps_den: u32,
    /// Chroma sampling.
    pub chroma: Chroma,
}

/// The parameters of one medium; which variant is present is the header's media kind.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum MediaParams {
    /// An image.
    Image(ImageParams),
    /// An audio clip.
    Audio(AudioParams),
    /// A video.
    Video(VideoParams),
}

impl ImageParams {
    /// Bytes of the fields defined in v1.0.
    pub const ENCODED_LEN: usize = 10;
}

impl AudioParams {
    /// Bytes of the fields defined in v1.0.
    pub const ENCODED_LEN: usize = 14;
}

impl VideoParams {
    /// Bytes of the fields defined in v1.0.
    pub const ENCODED_LEN: usize = 21;
}

impl MediaParams {
    /// The media kind these parameters describe.
    pub fn kind(&self) -> MediaKind {
        match self {
            MediaParams::Image(_) => MediaKind::Image,
            MediaParams::Audio(_) => MediaKind::Audio,
            MediaParams::Video(_) => MediaKind::Video,
        }
    }

    /// Checks the limits of FORMAT.md: values that are zero or not in an allowed set are
    /// [`Error::Malformed`], values that are too large are [`Error::LimitExceeded`].
    pub fn validate(&self) -> Result<()> {
        match self {
            MediaParams::Image(p) => {
                let dim = u64::from(MAX_IMAGE_DIM);
                check_range("image width", p.width.into(), 1, dim)?;
                check_range("image height", p.height.into(), 1, dim)?;
                let pixels = u64::from(p.width) * u64::from(p.height);
                check_range("image pixel count", pixels, 1, MAX_IMAGE_PIXELS)?;
                if !IMAGE_CHANNELS.contains(&p.channels) {
                    return Err(Error::Malformed(format!(
                        "image channels is {}",
                        p.channels
                    )));
                }
                if !IMAGE_BIT_DEPTHS.contains(&p.bit_depth) {
                    return Err(Error::Malformed(format!(
                        "image bit depth is {}",
                        p.bit_depth
                    )));
                }
            }
            MediaParams::Audio(p) => {
                check_range(
                    "audio sample rate",
                    p.sample_rate.into(),
                    1,
                    MAX_SAMPLE_RATE.into(),
                )?;
                check_range(
                    "audio channels",
                    p.channels.into(),
                    1,
                    MAX_AUDIO_CHANNELS.into(),
                )?;
                check_range("audio samples", p.samples, 0, MAX_AUDIO_SAMPLES)?;
            }
            MediaParams::Video(p) => {
                let dim = u64::from(MAX_VIDEO_DIM);
                check_range("video width", p.width.into(), 1, dim)?;
                check_range("video height", p.height.into(), 1, dim)?;
                check_range("video frames", p.frames.into(), 1, MAX_VIDEO_FRAMES.into())?;
                check_range("video fps numerator", p.fps_num.into(), 1, u32::MAX.into())?;
                check_range(
                    "video fps denominator",
                    p.fps_den.into(),
                    1,
                    u32::MAX.into(),
                )?;
            }
        }
        Ok(())
    }

    /// The v1.0 bytes of these parameters (not validated).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(VideoParams::ENCODED_LEN);
        match self {
            MediaParams::Image(p) => {
                out.extend_from_slice(&p.width.to_le_bytes());
                out.extend_from_slice(&p.height.to_le_bytes());
                out.extend_from_slice(&[p.channels, p.bit_depth]);
            }
            MediaParams::Audio(p) => {
                out.extend_from_slice(&p.sample_rate.to_le_bytes());
                out.extend_from_slice(&p.channels.to_le_bytes());
                out.extend_from_slice(&p.samples.to_le_bytes());
            }
            MediaParams::Video(p) => {
                for v in [p.width, p.height, p.frames, p.fps_num, p.fps_den] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                out.push(match p.chroma {
                    Chroma::Yuv420 => 0,
                    Chroma::Yuv444 => 1,
                });
            }
        }
        out
    }

    /// Reads and validates the parameters of `kind` from the header's params field. Bytes past
    /// the fields v1.0 defines (appended by a later minor version) are ignored.
    pub(crate) fn decode(kind: MediaKind, bytes: &[u8]) -> Result<Self> {
        let need = match kind {
            MediaKind::Image => ImageParams::ENCODED_LEN,
            MediaKind::Audio => AudioParams::ENCODED_LEN,
            MediaKind::Video => VideoParams::ENCODED_LEN,
        };
        if bytes.len() < need {
            return Err(Error::Malformed(format!(
                "{kind} params are {} bytes; v1 needs at least {need}",
                bytes.len()
            )));
        }
        let mut r = Reader::new(bytes);
        let params = match kind {
            MediaKind::Image => MediaParams::Image(ImageParams {
                width: r.u32("image width")?,
                height: r.u32("image height")?,
                channels: r.u8("image channels")?,
                bit_depth: r.u8("image bit depth")?,
            }),
            MediaKind::Audio => MediaParams::Audio(AudioParams {
                sample_rate: r.u32("audio sample rate")?,
                channels: r.u16("audio channels")?,
                samples: r.u64("audio samples")?,
            }),
            MediaKind::Video => MediaParams::Video(VideoParams {
                width: r.u32("video width")?,
                height: r.u32("video height")?,
                frames: r.u32("video frames")?,
                fps_num: r.u32("video fps numerator")?,
                fps_den: r.u32("video fps denominator")?,
                chroma: match r.u8("video chroma")? {
                    0 => Chroma::Yuv420,
                    1 => Chroma::Yuv444,
                    other => return Err(Error::Malformed(format!("video chroma is {other}"))),
                },
            }),
        };
        params.validate()?;
        Ok(params)
    }
}
