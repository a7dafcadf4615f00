//! The numeric limits of format v1 (FORMAT.md, "Limits") and the one helper that checks them.

use crate::error::{Error, Result};

/// Largest image width or height, in pixels.
pub const MAX_IMAGE_DIM: u32 = 65_535;
/// Largest image area (width × height), in pixels: 2^28.
pub const MAX_IMAGE_PIXELS: u64 = 1 << 28;
/// Allowed image channel counts (gray, RGB, RGBA).
pub const IMAGE_CHANNELS: [u8; 3] = [1, 3, 4];
/// Allowed image bit depths per sample (v1 encoders write 8).
pub const IMAGE_BIT_DEPTHS: [u8; 2] = [8, 16];
/// Largest audio sample rate, in Hz.
pub const MAX_SAMPLE_RATE: u32 = 384_000;
/// Largest audio channel count.
pub const MAX_AUDIO_CHANNELS: u16 = 8;
/// Largest audio length, in samples per channel: 2^36.
pub const MAX_AUDIO_SAMPLES: u64 = 1 << 36;
/// Largest video width or height, in pixels.
pub const MAX_VIDEO_DIM: u32 = 16_384;
/// Largest video length, in frames: 2^20.
pub const MAX_VIDEO_FRAMES: u32 = 1 << 20;
/// Largest chunk payload, in bytes: 2^30.
pub const MAX_CHUNK_PAYLOAD: u32 = 1 << 30;
/// Largest number of chunks in a file, not counting the final `NEND`.
pub const MAX_CHUNKS: usize = 4096;

/// Checks `min <= value <= max`: a value below `min` is [`Error::Malformed`] (zero sizes,
/// zero rates), a value above `max` is [`Error::LimitExceeded`].
pub(crate) fn check_range(what: &str, value: u64, min: u64, max: u64) -> Result<()> {
    if value < min {
        return Err(Error::Malformed(format!(
            "{what} is {value}; the minimum is {min}"
        )));
    }
    if value > max {
        return Err(Error::LimitExceeded {
            what: what.to_string(),
            value,
            limit: max,
        });
    }
    Ok(())
}
