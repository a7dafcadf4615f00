//! nmc: a learned media codec.
//!
//! The one API is [`encode`], [`decode`] and [`inspect`]; see the README for the CLI.
#![forbid(unsafe_code)]

pub mod audio;
pub mod cli;
pub mod codec;
pub mod container;
pub mod entropy;
pub mod error;
pub mod eval;
pub mod fsutil;
pub mod image;
pub mod latent;
pub mod media;
pub mod nn;
pub mod train;
pub mod video;

pub use codec::{decode, decode_with, encode, encode_at_bitrate, inspect, DecodeOptions, Device, EncodeOptions, Info, Model};
pub use error::{Error, Result};
pub use media::{Audio, Image, Media, Video};
