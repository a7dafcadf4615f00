//! Raw media types and their file I/O.

mod audio;
mod image;
mod video;

pub use self::audio::{Audio, AudioSource, Resampler, WavReader, WavWriter};
pub use self::image::Image;
pub use self::video::{chroma_size, rgb_to_ycbcr, ycbcr_to_rgb, Frame, Video};

use crate::container::MediaKind;

/// Any media nmc can code.
#[derive(Clone, Debug, PartialEq)]
pub enum Media {
    /// A still image.
    Image(Image),
    /// An audio clip.
    Audio(Audio),
    /// A video clip.
    Video(Video),
}

impl Media {
    /// The kind of media.
    pub fn kind(&self) -> MediaKind {
        match self {
            Media::Image(_) => MediaKind::Image,
            Media::Audio(_) => MediaKind::Audio,
            Media::Video(_) => MediaKind::Video,
        }
    }
}

impl From<Image> for Media {
    fn from(image: Image) -> Self {
        Media::Image(image)
    }
}

impl From<Audio> for Media {
    fn from(audio: Audio) -> Self {
        Media::Audio(audio)
    }
}

impl From<Video> for Media {
    fn from(video: Video) -> Self {
        Media::Video(video)
    }
}
