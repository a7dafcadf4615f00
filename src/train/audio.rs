//! The audio task: random segments (random gain and polarity), loss λ·D + kbps with
//! D = log-mel distance + multi-resolution STFT distance + waveform L1, validation by real coding.

use std::path::Path;

use burn::module::list_param_ids;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use rand::rngs::StdRng;
use rand::Rng;

use crate::audio::loss::{mel_distance, stft_distance};
use crate::audio::{AudioConfig, AudioModel, HOP, HYPER_HOP, LAMBDAS, MODEL_RATE, RES_DILATIONS};
use crate::codec::{Architecture, Validation};
use crate::eval::{audio_files, eval_audio};
use crate::latent::gain::LEVELS;
use crate::media::Audio;
use crate::nn::{load_tensors, number_params, save_tensors, TrainOutput};
use crate::{Error, Result};

use super::{checked_lambdas, retarget_description, start_run, train, Change, Resumed, StepStats, Task, TrainConfig};

/// Weight of the waveform L1 term in the audio distortion.
const WAVEFORM_WEIGHT: f64 = 0.1;

/// Trains (or resumes training) an audio model on backend `B`.
pub fn train_audio<B: AutodiffBackend>(config: &TrainConfig, device: &B::Device) -> Result<StepStats> {
    let block = HOP * HYPER_HOP;
    if config.crop == 0 || !config.crop.is_multiple_of(block) {
        return Err(Error::InvalidArgument(format!("the segment length must be a positive multiple of {block} samples")));
    }
    let resumed = match start_run::<B>(config, device)? {
        Some(resumed) if config.grow_res.is_some() || config.retarget.is_some() => {
            let path = config.resume.as_deref().unwrap_or(&config.out);
            Some(reshape::<B>(resumed, config.grow_res, config.retarget, device).map_err(|e| e.in_file(path))?)
        }
        resumed => resumed,
    };
    let architecture = resumed.as_ref().map_or(config.architecture, |r| r.file.meta.architecture);
    if !matches!(architecture, Architecture::AudioHyperprior(_)) {
        return Err(Error::InvalidArgument(format!("{architecture:?} is not an audio model")));
    }
    let lambdas = checked_lambdas(&architecture, LAMBDAS)?;
    let task = AudioTask { set: AudioSet::load(&config.data, config.crop)?, data: config.data.display().to_string(), segment: config.crop, lambdas };
    train::<B, AudioModel<B>>(&task, config, resumed, device)
}

/// Changes a resumed audio model before training resumes: `res` residual units per scale (the
/// new units start as the identity, so training resumes from exactly what the model coded)
/// and the trade-offs `lambdas` of its rate points (their gains start interpolated from the
/// old ones).
fn reshape<B: Backend>(resumed: Resumed, res: Option<usize>, lambdas: Option<[f64; LEVELS]>, device: &B::Device) -> Result<Resumed> {
    let mut file = resumed.file;
    let Architecture::AudioHyperprior(config) = file.meta.architecture else {
        return Err(Error::InvalidArgument(format!("{:?} is not an audio model", file.meta.architecture)));
    };
    let res = res.unwrap_or(config.res);
    if res < config.res {
        return Err(Error::InvalidArgument(format!("the model has {} residual units per scale; they cannot be removed (--res {res})", config.res)));
    }
    if res > RES_DILATIONS.len() {
        return Err(Error::InvalidArgument(format!("at most {} residual units per scale (--res {res})", RES_DILATIONS.len())));
    }
    let lambdas = lambdas.unwrap_or(config.lambdas);
    let mut changes = Vec::new();
    if res > config.res {
        changes.push(format!("residual units per scale {} → {res} (new units start as the identity)", config.res));
    }
    changes.extend(retarget_description(&config.lambdas, &lambdas));
    if changes.is_empty() {
        return Ok(Resumed { file, change: resumed.change });
    }
    // Numbered 0, 1, … as in training, so that the new position of each saved parameter shows.
    let model = number_params(load_tensors(AudioModel::<B>::new(config, device), &file.tensors)?);
    let changed = model.with_residual_units(config, res, device).with_lambdas(&config.lambdas, &lambdas);
    let tensors = save_tensors(&changed);
    // A saved parameter keeps its optimizer state where it still is, unchanged.
    let mut renumber = vec![None; file.tensors.len()];
    for (position, id) in list_param_ids(&changed).iter().enumerate() {
        let saved = id.val() as usize;
        if let Some(slot) = renumber.get_mut(saved) {
            let (old, new) = (&file.tensors[saved], &tensors[position]);
            *slot = (old.shape == new.shape && old.values == new.values).then_some(position as u64);
        }
    }
    file.tensors = tensors;
    file.meta.architecture = Architecture::AudioHyperprior(AudioConfig { res, lambdas, ..config });
    Ok(Resumed { file, change: Some(Change { description: changes.join("; "), renumber }) })
}

/// Training audio: every channel of every WAV of a folder, at 24 kHz, held in memory.
pub struct AudioSet {
    clips: Vec<Vec<f32>>,
}

impl AudioSet {
    /// Loads the WAV files of `dir` with at least `segment` samples at 24 kHz; unreadable files
    /// are skipped.
    pub fn load(dir: &Path, segment: usize) -> Result<Self> {
        let mut clips = Vec::new();
        for path in audio_files(dir)? {
            let Ok(audio) = Audio::read(&path) else { continue };
            let audio = audio.resample(MODEL_RATE).map_err(|e| e.in_file(&path))?;
            clips.extend(audio.into_channels().into_iter().filter(|c| c.len() >= segment));
        }
        if clips.is_empty() {
            return Err(Error::InvalidArgument(format!("{}: no readable WAV files of at least {segment} samples at 24 kHz", dir.display())));
        }
        Ok(Self { clips })
    }

    /// Number of clips (channels).
    pub fn len(&self) -> usize {
        self.clips.len()
    }

    /// Whether the set is empty (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.clips.is_empty()
    }

    /// A batch of random segments, clip chosen in proportion to its length, with a random gain
    /// (−12 to 0 dB) and polarity: `[B, 1, 1, segment]`.
    pub fn sample(&self, rng: &mut impl Rng, batch: usize, segment: usize) -> Vec<f32> {
        let total: usize = self.clips.iter().map(|c| c.len() - segment + 1).sum();
        let mut out = Vec::with_capacity(batch * segment);
        for _ in 0..batch {
            let mut pick = rng.random_range(0..total);
            let clip = self.clips.iter().find(|c| {
                let starts = c.len() - segment + 1;
                if pick < starts { true } else { pick -= starts; false }
            });
            let clip = clip.unwrap_or(&self.clips[0]);
            let gain = 10f32.powf(-rng.random_range(0.0..12.0) / 20.0) * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            out.extend(clip[pick..pick + segment].iter().map(|v| v * gain));
        }
        out
    }
}

struct AudioTask {
    set: AudioSet,
    data: String,
    segment: usize,
    /// The trade-offs of the model's qualities 1 to 8.
    lambdas: [f64; LEVELS],
}

impl<B: AutodiffBackend> Task<B> for AudioTask {
    fn data_description(&self) -> String {
        format!("{} ({} clips)", self.data, self.set.len())
    }

    fn lambdas(&self) -> [f64; LEVELS] {
        self.lambdas
    }

    fn sample(&self, rng: &mut StdRng, batch: usize, device: &B::Device) -> Tensor<B, 4> {
        Tensor::from_data(TensorData::new(self.set.sample(rng, batch, self.segment), [batch, 1, 1, self.segment]), device)
    }

    fn loss(&self, x: Tensor<B, 4>, out: TrainOutput<B>, lambda: f64) -> [Tensor<B, 1>; 3] {
        let [b, _, _, t] = x.dims();
        let (x, x_hat) = (x.reshape([b, t]), out.x_hat.reshape([b, t]));
        let waveform = (x.clone() - x_hat.clone()).abs().mean().mul_scalar(WAVEFORM_WEIGHT);
        let mel = mel_distance(x.clone(), x_hat.clone(), MODEL_RATE);
        let distortion = mel.clone() + stft_distance(x, x_hat) + waveform;
        let kbps = out.bits.div_scalar(b as f64 * t as f64 / f64::from(MODEL_RATE) * 1000.0);
        // The log shows the mel distance, the part that evaluation reports.
        [distortion.mul_scalar(lambda) + kbps.clone(), kbps, mel]
    }

    fn describe(&self, stats: &StepStats) -> String {
        format!("kbps {:.2}  mel {:.3}", stats.rate, stats.distortion)
    }

    fn validate(&self, model_file: &[u8], dir: &Path, lambda: f64, step: u64) -> Result<Validation> {
        let model = std::sync::Arc::new(crate::Model::from_bytes(model_file)?);
        let options = crate::EncodeOptions { quality: None, model: Some(model), ..Default::default() };
        let files = audio_files(dir)?;
        if files.is_empty() {
            return Err(Error::InvalidArgument("no validation WAV files".into()).in_file(dir));
        }
        let mut v = Validation { data: format!("{} ({} clips)", dir.display(), files.len()), ..Default::default() };
        for file in &files {
            let r = eval_audio(file, &options, None)?;
            v.rate += r.kbps / files.len() as f64;
            v.metric += r.metrics.mel / files.len() as f64;
        }
        v.step = step;
        v.loss = lambda * v.metric + v.rate;
        Ok(v)
    }
}
