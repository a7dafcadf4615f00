//! Compares burn's CPU backends (`flex`, `ndarray`, and LibTorch's CPU with `--features tch`) on
//! the image model: inference of one
//! 768×512 image (g_a + g_s) and one training step (batch 8 of 128×128), median of 3 runs.
//!
//! Run: `cargo bench --bench backends [--features tch]`

use std::time::Instant;

use burn::backend::{Autodiff, Flex, NdArray};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, Tensor};
use nmc::image::{FactorizedConfig, FactorizedModel};

const CONFIG: FactorizedConfig = FactorizedConfig { n: 64, m: 96 };

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn inference<B: Backend>() -> f64 {
    let device = Default::default();
    let model = FactorizedModel::<B>::new(CONFIG, &device);
    let x = Tensor::<B, 4>::random([1, 3, 512, 768], Distribution::Uniform(0.0, 1.0), &device);
    let run = || {
        let t = Instant::now();
        let out = model.synthesis(model.analysis(x.clone()).round());
        let _ = out.into_data();
        t.elapsed().as_secs_f64()
    };
    run();
    median((0..3).map(|_| run()).collect())
}

fn train_step<B: AutodiffBackend>() -> f64 {
    let device = Default::default();
    let mut model = FactorizedModel::<B>::new(CONFIG, &device);
    let mut optim = AdamConfig::new().init::<B, FactorizedModel<B>>();
    let mut times = Vec::new();
    for i in 0..4 {
        let x = Tensor::<B, 4>::random([8, 3, 128, 128], Distribution::Uniform(0.0, 1.0), &device);
        let t = Instant::now();
        let out = model.forward_train(x.clone());
        let loss = (out.x_hat - x).powi_scalar(2).mean().mul_scalar(845.0) + out.bits.div_scalar(131072.0);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-4, model, grads);
        if i > 0 {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    median(times)
}

fn main() {
    println!("backend   inference 768x512 (s)   train step 8x128x128 (s)");
    println!("flex      {:>10.3}              {:>10.3}", inference::<Flex>(), train_step::<Autodiff<Flex>>());
    println!("ndarray   {:>10.3}              {:>10.3}", inference::<NdArray>(), train_step::<Autodiff<NdArray>>());
    #[cfg(feature = "tch")]
    {
        use burn::backend::LibTorch;
        println!("libtorch  {:>10.3}              {:>10.3}", inference::<LibTorch>(), train_step::<Autodiff<LibTorch>>());
    }
}
