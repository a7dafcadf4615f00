//! Training-step benchmark of the image model, with the time split by op kind.
//!
//! `cargo bench --bench train_step -- [--n 128] [--m 192] [--batch 8] [--crop 128] [--steps 5] [--device cpu|cuda|libtorch|libtorch-cuda]`
//!
//! Each part runs forward + backward alone with the shapes it has inside the model
//! (convolutions without their GDNs, conv-transposes without IGDNs, the GDN/IGDN layers, the
//! entropy bottleneck), then the whole step with Adam; the optimizer's share is the whole step
//! minus forward + backward. `benches/train_step.py` does the same in PyTorch for side-by-side runs.

mod common;

use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, Tensor};
use common::median_time;
use nmc::codec::OnDevice;
use nmc::image::{FactorizedConfig, FactorizedModel};
use nmc::latent::EntropyBottleneck;
use nmc::nn::{conv_down, conv_up, Gdn};

struct Args {
    n: usize,
    m: usize,
    batch: usize,
    crop: usize,
    steps: usize,
    device: String,
}

fn parse_args() -> Args {
    let mut a = Args { n: 128, m: 192, batch: 8, crop: 128, steps: 5, device: "cpu".into() };
    for (name, value) in common::flags() {
        match name.as_str() {
            "--n" => a.n = value.parse().expect("--n"),
            "--m" => a.m = value.parse().expect("--m"),
            "--batch" => a.batch = value.parse().expect("--batch"),
            "--crop" => a.crop = value.parse().expect("--crop"),
            "--steps" => a.steps = value.parse().expect("--steps"),
            "--device" => a.device = value,
            _ => panic!("unknown option {name} {value}"),
        }
    }
    a
}

fn sync<B: Backend>(device: &B::Device) {
    B::sync(device).expect("device sync");
}

fn run<B: AutodiffBackend>(a: &Args, device: &B::Device) {
    let (n, m, b, c) = (a.n, a.m, a.batch, a.crop);
    let rand4 = |shape: [usize; 4]| Tensor::<B, 4>::random(shape, Distribution::Uniform(-1.0, 1.0), device);
    let mut rows: Vec<(&str, f64, f64)> = Vec::new(); // (name, seconds, GFLOP per run)

    // Analysis convolutions alone (5×5, stride 2): 3→N, N→N, N→N, N→M.
    let widths_a = [3, n, n, n, m];
    let convs: Vec<_> = (0..4).map(|i| conv_down::<B>(widths_a[i], widths_a[i + 1], 5, device)).collect();
    let x = rand4([b, 3, c, c]).require_grad();
    let conv_flops: f64 = (0..4)
        .map(|i| 2.0 * 25.0 * (widths_a[i] * widths_a[i + 1]) as f64 * (b * (c >> (i + 1)) * (c >> (i + 1))) as f64)
        .sum();
    let t = median_time(a.steps, || {
        let mut h = x.clone();
        for conv in &convs {
            h = conv.forward(h);
        }
        let _ = h.sum().backward();
        sync::<B>(device);
    });
    rows.push(("conv 5x5 s2 (g_a) fwd+bwd", t, 3.0 * conv_flops / 1e9));

    // Synthesis conv-transposes alone: M→N, N→N, N→N, N→3.
    let widths_s = [m, n, n, n, 3];
    let ups: Vec<_> = (0..4).map(|i| conv_up::<B>(widths_s[i], widths_s[i + 1], 5, device)).collect();
    let y = rand4([b, m, c / 16, c / 16]).require_grad();
    let up_flops: f64 = (0..4)
        .map(|i| 2.0 * 25.0 * (widths_s[i] * widths_s[i + 1]) as f64 * (b * (c >> (4 - i)) * (c >> (4 - i))) as f64)
        .sum();
    let t = median_time(a.steps, || {
        let mut h = y.clone();
        for up in &ups {
            h = up.forward(h);
        }
        let _ = h.sum().backward();
        sync::<B>(device);
    });
    rows.push(("conv-transpose 5x5 s2 (g_s) fwd+bwd", t, 3.0 * up_flops / 1e9));

    // GDN and IGDN at the resolutions they run at (c/2, c/4, c/8; twice: analysis and synthesis).
    let gdns: Vec<_> = (0..3).map(|_| Gdn::<B>::new(n, false, device)).collect();
    let feats: Vec<_> = (1..4).map(|i| rand4([b, n, c >> i, c >> i]).require_grad()).collect();
    let t = median_time(a.steps, || {
        let mut total = Tensor::<B, 1>::zeros([1], device);
        for (gdn, f) in gdns.iter().zip(&feats) {
            total = total + gdn.forward(f.clone()).sum();
        }
        let _ = total.backward();
        sync::<B>(device);
    });
    rows.push(("GDN + IGDN (x2 of 3 layers) fwd+bwd", 2.0 * t, 0.0));

    // Entropy bottleneck: likelihoods of the latent + aux loss.
    let bottleneck = EntropyBottleneck::<B>::new(m, device);
    let t = median_time(a.steps, || {
        let l = bottleneck.likelihood(y.clone()).log().sum() + bottleneck.aux_loss();
        let _ = l.backward();
        sync::<B>(device);
    });
    rows.push(("entropy bottleneck fwd+bwd", t, 0.0));

    // Data loading: random crops of the shared training set, if present.
    let data_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/images/train");
    if let Ok(set) = nmc::train::ImageSet::load(&data_dir, c) {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
        let t = median_time(a.steps, || {
            let batch = set.sample(&mut rng, b, c);
            let _ = Tensor::<B, 4>::from_data(burn::tensor::TensorData::new(batch, [b, 3, c, c]), device);
            sync::<B>(device);
        });
        rows.push(("data: crops + upload", t, 0.0));
    }

    // The whole step: model forward + backward, then with Adam.
    let config = FactorizedConfig { n, m };
    let mut model = FactorizedModel::<B>::new(config, device);
    let mut optim = AdamConfig::new().init::<B, FactorizedModel<B>>();
    let input = rand4([b, 3, c, c]).add_scalar(1.0).div_scalar(2.0);
    let loss_of = |model: &FactorizedModel<B>| {
        let out = model.forward_train(input.clone());
        (out.x_hat - input.clone()).powi_scalar(2).mean().mul_scalar(845.0)
            + out.bits.div_scalar((b * c * c) as f64)
            + model.bottleneck().aux_loss()
    };
    let fwd_bwd = median_time(a.steps, || {
        let _ = loss_of(&model).backward();
        sync::<B>(device);
    });
    let step = median_time(a.steps, || {
        let grads = GradientsParams::from_grads(loss_of(&model).backward(), &model);
        model = optim.step(1e-4, model.clone(), grads);
        sync::<B>(device);
    });
    rows.push(("optimizer (Adam) = step - fwd/bwd", (step - fwd_bwd).max(0.0), 0.0));

    println!("image model N={n} M={m}, batch {b} of {c}x{c}, device {}", a.device);
    println!("{:<40} {:>10} {:>10}", "part", "ms", "GFLOP/s");
    for (name, t, gflop) in &rows {
        let rate = if *gflop > 0.0 { format!("{:.1}", gflop / t) } else { "-".into() };
        println!("{name:<40} {:>10.1} {rate:>10}", t * 1e3);
    }
    println!("{:<40} {:>10.1}", "whole training step (fwd+bwd+Adam)", step * 1e3);
    println!("throughput: {:.2} img/s", b as f64 / step);
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
