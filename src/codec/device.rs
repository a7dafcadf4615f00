//! Where training and video fitting run. Coding itself always runs on the CPU backend.

use std::fmt;
use std::str::FromStr;

use burn::backend::Autodiff;
use burn::tensor::backend::AutodiffBackend;

use crate::{Error, Result};

/// A compute device for training and video fitting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Device {
    /// The CPU through burn's `flex` backend (every build).
    #[default]
    Cpu,
    /// NVIDIA GPUs through burn-cuda (builds with the `cuda` feature).
    Cuda,
    /// The CPU through LibTorch's kernels, burn-tch (builds with the `tch` feature).
    LibTorch,
    /// NVIDIA GPUs through LibTorch (cuDNN), burn-tch (builds with the `tch` feature against a
    /// CUDA build of LibTorch).
    LibTorchCuda,
}

/// Work generic over the training backend (a training run, a video fit), run by [`Device::run`].
pub trait OnDevice {
    /// What the work returns.
    type Output;
    /// Runs the work on backend `B`.
    fn run<B: AutodiffBackend>(self, device: &B::Device) -> Result<Self::Output>;
}

impl Device {
    /// The devices this build supports.
    pub fn supported() -> Vec<Device> {
        let mut devices = vec![Device::Cpu];
        if cfg!(feature = "cuda") {
            devices.push(Device::Cuda);
        }
        if cfg!(feature = "tch") {
            devices.extend([Device::LibTorch, Device::LibTorchCuda]);
        }
        devices
    }

    /// Runs `job` on this device's backend. GPU backends panic when the GPU or its libraries
    /// are missing; that becomes an error.
    pub fn run<J: OnDevice>(self, job: J) -> Result<J::Output> {
        match self {
            Device::Cpu => job.run::<Autodiff<super::Cpu>>(&Default::default()),
            #[cfg(feature = "cuda")]
            Device::Cuda => on_gpu(self, || job.run::<Autodiff<burn::backend::Cuda>>(&Default::default())),
            #[cfg(feature = "tch")]
            Device::LibTorch => job.run::<Autodiff<burn::backend::LibTorch>>(&burn::backend::libtorch::LibTorchDevice::Cpu),
            #[cfg(feature = "tch")]
            Device::LibTorchCuda => on_gpu(self, || job.run::<Autodiff<burn::backend::LibTorch>>(&burn::backend::libtorch::LibTorchDevice::Cuda(0))),
            #[allow(unreachable_patterns)]
            other => Err(Error::InvalidArgument(format!("this build cannot run on '{other}' (build with --features cuda or tch)"))),
        }
    }

    /// The device and backend in words, for training records.
    pub fn describe(self) -> String {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        match self {
            Device::Cpu => format!("{threads}-thread CPU (burn flex)"),
            Device::Cuda => "NVIDIA GPU (burn-cuda)".to_string(),
            Device::LibTorch => format!("{threads}-thread CPU (burn-tch, LibTorch)"),
            Device::LibTorchCuda => "NVIDIA GPU (burn-tch, LibTorch CUDA)".to_string(),
        }
    }
}

#[cfg(any(feature = "cuda", feature = "tch"))]
fn on_gpu<T>(device: Device, run: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).map_err(|_| {
        Error::InvalidArgument(format!("device '{device}' failed: no usable NVIDIA GPU (driver or CUDA libraries missing?)"))
    })?
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
            Device::LibTorch => "libtorch",
            Device::LibTorchCuda => "libtorch-cuda",
        })
    }
}

impl FromStr for Device {
    type Err = Error;

    /// `cpu`, `cuda`, `libtorch` or `libtorch-cuda`, if this build supports it.
    fn from_str(name: &str) -> Result<Self, Error> {
        let supported = Device::supported();
        supported.iter().copied().find(|d| d.to_string() == name).ok_or_else(|| {
            let names: Vec<String> = supported.iter().map(Device::to_string).collect();
            Error::InvalidArgument(format!(
                "unknown or unavailable device '{name}' (this build supports: {}; `cuda` needs --features cuda, `libtorch` and `libtorch-cuda` --features tch)",
                names.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Device;

    #[test]
    fn parses_what_it_prints_and_refuses_the_rest() {
        for device in Device::supported() {
            assert_eq!(device.to_string().parse::<Device>().unwrap(), device);
        }
        assert!("gpu".parse::<Device>().unwrap_err().to_string().contains("cpu"));
        assert_eq!("cuda".parse::<Device>().is_ok(), cfg!(feature = "cuda"));
    }
}
