//! The training loop: a short run writes a usable model, and resuming continues it.

mod common;

use std::path::Path;

use burn::backend::Autodiff;
use nmc::codec::{Architecture, Cpu, ModelFile};
use nmc::image::{FactorizedConfig, HyperpriorConfig};
use nmc::train::{train_image, QualityLevels, TrainConfig};

fn config(out: &Path, steps: u64, resume: bool) -> TrainConfig {
    let mut c = common::quick_train_config(out, Architecture::ImageFactorized(FactorizedConfig { n: 8, m: 8 }), steps);
    c.resume = resume.then(|| out.to_path_buf());
    c.learning_rate = 1e-3;
    c.checkpoint_every = 10;
    c
}

#[test]
fn train_checkpoint_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.nmcm");
    train_image::<Autodiff<Cpu>>(&config(&out, 20, false), &Default::default()).unwrap();
    let first = ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(first.meta.training.steps, 20);
    let optim = dir.path().join("m.nmcm.optim.bin");
    let optim_size = std::fs::metadata(&optim).unwrap().len();

    train_image::<Autodiff<Cpu>>(&config(&out, 30, true), &Default::default()).unwrap();
    let second = ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(second.meta.training.steps, 30);
    let runs = &second.meta.training.runs;
    assert_eq!(runs.iter().map(|r| (r.first_step, r.last_step)).collect::<Vec<_>>(), [(0, 20), (20, 30)]);
    // Each run records where its schedule's last tenth (at a tenth of the rate) began.
    assert_eq!(runs.iter().map(|r| r.decayed_from).collect::<Vec<_>>(), [Some(18), Some(27)]);
    assert!(second.meta.training.wall_time_s >= first.meta.training.wall_time_s);
    assert_ne!(first.tensors, second.tensors, "resumed training must change the weights");
    // The optimizer state is keyed by stable parameter ids: resuming reuses it, not appends to it.
    assert_eq!(std::fs::metadata(&optim).unwrap().len(), optim_size);

    // The checkpoint is a complete model that codes images.
    let model = std::sync::Arc::new(nmc::Model::from_bytes(&std::fs::read(&out).unwrap()).unwrap());
    let image = nmc::Image::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory.png")).unwrap();
    let options = nmc::EncodeOptions { quality: None, model: Some(model), ..Default::default() };
    assert!(!nmc::encode(&nmc::Media::Image(image), &options).unwrap().is_empty());
}

/// `--qualities 8` trains level 8 only: the gain vectors of the other seven levels get no
/// gradient and keep their values exactly, and the run records the levels it trained.
#[test]
fn quality_levels_restrict_the_trained_gains() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("h.nmcm");
    let mut c = common::quick_train_config(&out, Architecture::ImageHyperprior(HyperpriorConfig::new(8, 12)), 1);
    // From the first step, so that no other level has optimizer momentum either.
    c.qualities = "8".parse().unwrap();
    train_image::<Autodiff<Cpu>>(&c, &Default::default()).unwrap();
    let before = ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap();
    c.resume = Some(out.clone());
    c.steps = 6;
    train_image::<Autodiff<Cpu>>(&c, &Default::default()).unwrap();
    let after = ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(after.meta.training.runs.last().unwrap().qualities, "8");
    // The gains and inverse gains: one row of 12 channels per level.
    let gains: Vec<_> = before.tensors.iter().zip(&after.tensors).filter(|(b, _)| b.shape == [8, 12]).collect();
    assert_eq!(gains.len(), 2);
    for (b, a) in gains {
        assert_eq!(b.values[..7 * 12], a.values[..7 * 12], "levels 1-7 must not move");
        assert_ne!(b.values[7 * 12..], a.values[7 * 12..], "level 8 must train");
    }
}

#[test]
fn quality_levels_parse_and_reject_bad_ranges() {
    assert_eq!("5-8".parse::<QualityLevels>().unwrap(), QualityLevels::new(5, 8).unwrap());
    assert_eq!("3".parse::<QualityLevels>().unwrap().to_string(), "3");
    assert_eq!(QualityLevels::ALL.to_string(), "1-8");
    for bad in ["0-4", "6-5", "9", "x", "2-"] {
        let err = bad.parse::<QualityLevels>().unwrap_err();
        assert!(err.to_string().contains("quality levels"), "{bad}: {err}");
    }
    // A fixed-rate model has no qualities to choose from.
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&dir.path().join("m.nmcm"), 1, false);
    c.qualities = QualityLevels::new(2, 3).unwrap();
    let err = train_image::<Autodiff<Cpu>>(&c, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("fixed"), "{err}");
}

#[test]
fn training_reduces_the_loss() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.nmcm");
    let early = train_image::<Autodiff<Cpu>>(&config(&out, 10, false), &Default::default()).unwrap();
    let late = train_image::<Autodiff<Cpu>>(&config(&out, 150, true), &Default::default()).unwrap();
    assert!(late.loss < early.loss, "loss {} → {}", early.loss, late.loss);
}

/// A learning rate far too high: training stops with a typed error naming the last checkpoint
/// instead of writing a broken model.
#[test]
fn divergence_stops_training_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.nmcm");
    let mut c = config(&out, 10, false);
    train_image::<Autodiff<Cpu>>(&c, &Default::default()).unwrap();
    c.resume = Some(out.clone());
    c.steps = 40;
    c.learning_rate = 1e4;
    c.checkpoint_every = 1000;
    let err = train_image::<Autodiff<Cpu>>(&c, &Default::default()).unwrap_err();
    assert!(matches!(err, nmc::Error::Diverged { .. }), "{err}");
    assert!(err.to_string().contains("holds step 10"), "{err}");
    assert_eq!(ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap().meta.training.steps, 10);
}

#[test]
fn empty_data_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&dir.path().join("m.nmcm"), 1, false);
    c.data = dir.path().to_path_buf();
    let err = train_image::<Autodiff<Cpu>>(&c, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("no readable images"), "{err}");
}

#[test]
fn validation_is_recorded_at_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.nmcm");
    let mut c = config(&out, 10, false);
    c.validation = Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"));
    train_image::<Autodiff<Cpu>>(&c, &Default::default()).unwrap();
    let record = ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap().meta.training;
    let v = record.validation.expect("validation recorded");
    assert!(v.rate > 0.0 && v.metric > 5.0 && v.loss > v.rate && v.data.contains("1 images"), "{v:?}");
    // The first validation is the best so far: that checkpoint is kept beside.
    assert_eq!(record.best_validation.as_ref().map(|b| b.step), Some(10));
    let best = ModelFile::parse(&std::fs::read(nmc::train::best_path(&out)).unwrap()).unwrap();
    assert_eq!(best.meta.training.steps, 10);
    assert_eq!(record.runs.len(), 1);
    assert_eq!((record.runs[0].first_step, record.runs[0].last_step), (0, 10));
}

/// `nmc train audio`'s loop on the sample speech: a short run, a resumed run, a run that grows
/// residual units, one that moves the rate points, a model that codes.
#[test]
fn audio_train_checkpoint_and_resume() {
    use nmc::audio::AudioConfig;
    use nmc::train::train_audio;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a.nmcm");
    let mut c = common::quick_train_config(&out, Architecture::AudioHyperprior(AudioConfig::new(4, 8, 8)), 6);
    c.crop = 2560;
    c.checkpoint_every = 3;
    let stats = train_audio::<Autodiff<Cpu>>(&c, &Default::default()).unwrap();
    assert!(stats.rate > 0.0 && stats.distortion > 0.0 && stats.loss > stats.rate, "{stats:?}");
    c.resume = Some(out.clone());
    c.steps = 9;
    train_audio::<Autodiff<Cpu>>(&c, &Default::default()).unwrap();
    let file = ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(file.meta.training.steps, 9);
    assert!(file.meta.training.runs[0].data.contains("1 clips"), "{:?}", file.meta.training.runs[0].data);
    // Growing residual units on resume: the architecture and the record say so.
    c.grow_res = Some(2);
    c.steps = 11;
    train_audio::<Autodiff<Cpu>>(&c, &Default::default()).unwrap();
    let file = ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(file.meta.architecture, Architecture::AudioHyperprior(AudioConfig { res: 2, ..AudioConfig::new(4, 8, 8) }));
    let runs = &file.meta.training.runs;
    assert_eq!((runs.len(), runs[2].first_step, runs[2].last_step), (3, 9, 11));
    assert!(runs[1].change.is_empty() && runs[2].change.contains("0 → 2"), "{runs:?}");
    // Units cannot be removed.
    c.grow_res = Some(1);
    c.steps = 12;
    let err = train_audio::<Autodiff<Cpu>>(&c, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("cannot be removed"), "{err}");
    c.grow_res = None;
    // Moving the rate points: quality 8 at a sixteenth of its λ starts with the gains of a
    // quality near 5, so it codes smaller (an untrained model's low qualities code no latent).
    // A zero learning rate leaves the change to the retargeting alone.
    let audio = nmc::Media::Audio(common::test_audio(24_000, 1, 2.0));
    let size = |quality: f32| {
        let model = std::sync::Arc::new(nmc::Model::from_bytes(&std::fs::read(&out).unwrap()).unwrap());
        nmc::encode(&audio, &nmc::EncodeOptions { quality: Some(quality), model: Some(model), ..Default::default() }).unwrap().len()
    };
    let before = size(8.0);
    let lambdas = nmc::audio::LAMBDAS.map(|l| l / 16.0);
    c.retarget = Some(lambdas);
    c.learning_rate = 0.0;
    train_audio::<Autodiff<Cpu>>(&c, &Default::default()).unwrap();
    let file = ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(file.meta.architecture, Architecture::AudioHyperprior(AudioConfig { res: 2, lambdas, ..AudioConfig::new(4, 8, 8) }));
    assert!(file.meta.training.runs.last().unwrap().change.contains("rate points"), "{:?}", file.meta.training.runs);
    let after = size(8.0);
    assert!(after < before, "quality 8 at a sixteenth of its λ: {before} → {after} bytes");
    // Segments must be multiples of 1280 samples.
    c.crop = 1000;
    assert!(train_audio::<Autodiff<Cpu>>(&c, &Default::default()).is_err());
}
