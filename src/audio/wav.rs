//! WAV in, `.nmc` out and back, block by block: the CLI's path for audio, whose memory does not
//! grow with the clip beyond its compact symbols (5 bytes per latent value).

use std::io::{Read, Seek, Write};

use super::AudioCodec;
use crate::codec::{bisect_bitrate, container_bytes, encoding_model, parse_with_model, Model, AUDIO_HALVINGS};
use crate::container::{MediaKind, MediaParams};
use crate::media::{AudioSource, WavReader, WavWriter};
use crate::{DecodeOptions, EncodeOptions, Error, Result};

/// The audio codec of a model.
fn audio_codec(model: &Model) -> Result<&AudioCodec> {
    (model.codec() as &dyn std::any::Any).downcast_ref().ok_or_else(|| Error::InvalidArgument(format!("model {} is not an audio model", model.id())))
}

/// Encodes a WAV stream into `.nmc` bytes, reading it block by block: the same bytes as
/// [`crate::encode`] of the clip read whole.
pub fn encode_wav(input: impl Read, options: &EncodeOptions) -> Result<Vec<u8>> {
    let model = encoding_model(MediaKind::Audio, options)?;
    let (params, chunks) = audio_codec(&model)?.encode_source(&mut WavReader::new(input)?, options.quality)?;
    container_bytes(&model, params, chunks)
}

/// [`encode_wav`] at the largest quality whose file is at most `kbps`, as
/// [`crate::encode_at_bitrate`]: the stream is read and analyzed once, and the latent coded at
/// each quality tried.
pub fn encode_wav_at_bitrate(input: impl Read, options: &EncodeOptions, kbps: f64) -> Result<Vec<u8>> {
    encode_source_at_bitrate(&mut WavReader::new(input)?, options, kbps)
}

/// The bitrate search of [`encode_wav_at_bitrate`] and [`crate::encode_at_bitrate`] over any source.
pub(crate) fn encode_source_at_bitrate(source: &mut dyn AudioSource, options: &EncodeOptions, kbps: f64) -> Result<Vec<u8>> {
    let model = encoding_model(MediaKind::Audio, options)?;
    let codec = audio_codec(&model)?;
    let clip = codec.analyze_source(source)?;
    bisect_bitrate(clip.duration(), AUDIO_HALVINGS, kbps, |quality| {
        let (params, chunks) = codec.encode_analyzed(&clip, Some(quality))?;
        container_bytes(&model, params, chunks)
    })
}

/// Decodes `.nmc` audio into a 16-bit WAV stream written block by block to `out`, at the clip's
/// sample rate or at `rate`: the samples of [`crate::decode_with`] (then
/// [`crate::Audio::resample`]). Errors writing `out` are [`Error::Io`] (path `<output>`).
pub fn decode_to_wav(bytes: &[u8], options: &DecodeOptions, rate: Option<u32>, out: impl Write + Seek) -> Result<()> {
    let (container, model) = parse_with_model(bytes, options)?;
    let MediaParams::Audio(params) = container.header.params else {
        return Err(Error::UnsupportedMedia(format!("the file holds {:?} media, not audio", container.header.params.kind())));
    };
    let mut wav = WavWriter::new(out, rate.unwrap_or(params.sample_rate), usize::from(params.channels))?;
    audio_codec(&model)?.decode_blocks(&container.header, &container.chunks, rate, &mut |block| wav.write(block))?;
    wav.finish()
}
