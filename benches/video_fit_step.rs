//! Fitting-step benchmark of the video representation (the encoder's inner loop), with the
//! context model's share split out.
//!
//! `cargo bench --bench video_fit_step -- [--width 480] [--height 270] [--frames 32] [--steps 5] [--device cpu|cuda|libtorch|libtorch-cuda]`
//!
//! A step draws 2 frames of a group (as `nmc encode` does), runs the representation forward
//! with the rate of one fitting phase, backward, and Adam. Timed alone: each phase's forward +
//! backward (first half: per-level rate, with the context model learning beside it; second
//! half: the context model's rate), the same without a context model, and the context model
//! alone on the finest level of the two frames.

mod common;

use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Distribution, Tensor};
use common::median_time;
use nmc::codec::OnDevice;
use nmc::container::Chroma;
use nmc::media::{Frame, Video};
use nmc::video::context::ContextModel;
use nmc::video::fit::{distortion, Target};
use nmc::video::network::{Geometry, Plan, Quantizer, RateModel, VideoInr};
use nmc::video::{NetConfig, DEFAULT_STEPS};

struct Args {
    width: usize,
    height: usize,
    frames: usize,
    steps: usize,
    device: String,
}

fn parse_args() -> Args {
    let mut a = Args { width: 480, height: 270, frames: 32, steps: 5, device: "cpu".into() };
    for (name, value) in common::flags() {
        match name.as_str() {
            "--width" => a.width = value.parse().expect("--width"),
            "--height" => a.height = value.parse().expect("--height"),
            "--frames" => a.frames = value.parse().expect("--frames"),
            "--steps" => a.steps = value.parse().expect("--steps"),
            "--device" => a.device = value,
            _ => panic!("unknown option {name} {value}"),
        }
    }
    a
}

/// A clip of smooth gradients (the step's cost does not depend on the content).
fn clip(a: &Args) -> Video {
    let (w, h) = (a.width, a.height);
    let (cw, ch) = nmc::media::chroma_size(w, h, Chroma::Yuv420);
    let frames = (0..a.frames)
        .map(|t| Frame {
            planes: [
                (0..w * h).map(|i| ((i % w + i / w + 3 * t) % 256) as u8).collect(),
                (0..cw * ch).map(|i| (96 + (i % cw) % 64) as u8).collect(),
                (0..cw * ch).map(|i| (160 - (i / cw) % 64) as u8).collect(),
            ],
        })
        .collect();
    Video::new(w, h, (25, 1), Chroma::Yuv420, frames).expect("clip")
}

fn run<B: AutodiffBackend>(a: &Args, device: &B::Device) {
    let video = clip(a);
    let geometry = Geometry::of(&video);
    let target = Target::<B>::new(&video, geometry, device);
    let frames = [a.frames / 3, a.frames / 3 + 1];
    let lambda = nmc::video::lambda(nmc::video::DEFAULT_QUALITY).expect("default quality") * 255.0 * 255.0;
    let pixels = (geometry.frames * geometry.width * geometry.height) as f64;
    let loss_of = |model: &VideoInr<B>, plan: &Plan<B>, quantizer, rate| {
        let (out, bits, aux) = model.forward(plan, &frames, quantizer, rate);
        (bits + aux).div_scalar(pixels) + distortion(out, &target, &frames, geometry).mul_scalar(lambda)
    };
    let sync = || B::sync(device).expect("device sync");
    let mut rows: Vec<(&str, f64)> = Vec::new();

    let config = NetConfig::default();
    let plan = Plan::<B>::new(&config, geometry, device);
    let mut model = VideoInr::<B>::new(&config, geometry, device);
    let first = median_time(a.steps, || {
        let _ = loss_of(&model, &plan, Quantizer::Noise, RateModel::Levels).backward();
        sync();
    });
    rows.push(("fwd+bwd, first half (per-level rate)", first));
    let second = median_time(a.steps, || {
        let _ = loss_of(&model, &plan, Quantizer::Ste, RateModel::Context).backward();
        sync();
    });
    rows.push(("fwd+bwd, second half (context rate)", second));

    let plain = NetConfig { context: None, ..NetConfig::default() };
    let plain_plan = Plan::<B>::new(&plain, geometry, device);
    let plain_model = VideoInr::<B>::new(&plain, geometry, device);
    let t = median_time(a.steps, || {
        let _ = loss_of(&plain_model, &plain_plan, Quantizer::Noise, RateModel::Levels).backward();
        sync();
    });
    rows.push(("fwd+bwd without a context model", t));

    let context = ContextModel::<B>::new(config.context.as_deref().expect("default context model"), device);
    let (h, w) = geometry.padded();
    let level = Tensor::<B, 3>::random([2, h, w], Distribution::Uniform(-3.0, 3.0), device).round();
    let t = median_time(a.steps, || {
        let _ = context.bits(level.clone().require_grad(), level.clone(), level.clone()).backward();
        sync();
    });
    rows.push(("context model alone, finest level", t));

    let mut optim = AdamConfig::new().init::<B, VideoInr<B>>();
    let step = median_time(a.steps, || {
        let grads = GradientsParams::from_grads(loss_of(&model, &plan, Quantizer::Ste, RateModel::Context).backward(), &model);
        model = optim.step(1e-2, model.clone(), grads);
        sync();
    });
    let adam = (step - second).max(0.0);
    rows.push(("optimizer (Adam) = step - fwd/bwd", adam));

    println!("video fitting, {}x{} group of {} frames, 2 frames per step, device {}", a.width, a.height, a.frames, a.device);
    println!("{:<40} {:>10}", "part", "ms");
    for (name, t) in &rows {
        println!("{name:<40} {:>10.1}", t * 1e3);
    }
    let per_step = (first + second) / 2.0 + adam;
    println!("{:<40} {:>10.1}", "mean step over the two halves", per_step * 1e3);
    println!("{DEFAULT_STEPS} steps (the default): {:.0} s", per_step * DEFAULT_STEPS as f64);
}

impl OnDevice for Args {
    type Output = ();

    fn run<B: AutodiffBackend>(self, device: &B::Device) -> nmc::Result<()> {
        run::<B>(&self, device);
        Ok(())
    }
}

fn main() {
    let args = parse_args();
    common::run_on(&args.device.clone(), args);
}
