//! Raw media types and their file I/O.

mod image;

pub use self::image::Image;

use crate::container::MediaKind;

/// Any media nmc can code.
#[derive(Clone, Debug, PartialEq)]
pub enum Media {
    /// A still image.
    Image(Image),
}

impl Media {
    /// The kind of media.
    pub fn kind(&self) -> MediaKind {
        match self {
            Media::Image(_) => MediaKind::Image,
        }
    }
}

impl From<Image> for Media {
    fn from(image: Image) -> Self {
        Media::Image(image)
    }
}
