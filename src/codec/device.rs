//! Where training and video fitting run. Coding itself always runs on the CPU backend.

use std::fmt;
use std::str::FromStr;

use crate::Error;

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
}

impl Device {
    /// The devices this build supports.
    pub fn supported() -> Vec<Device> {
        let mut devices = vec![Device::Cpu];
        if cfg!(feature = "cuda") {
            devices.push(Device::Cuda);
        }
        if cfg!(feature = "tch") {
            devices.push(Device::LibTorch);
        }
        devices
    }

    /// The device and backend in words, for training records.
    pub fn describe(self) -> String {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        match self {
            Device::Cpu => format!("{threads}-thread CPU (burn flex)"),
            Device::Cuda => "NVIDIA GPU (burn-cuda)".to_string(),
            Device::LibTorch => format!("{threads}-thread CPU (burn-tch, LibTorch)"),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
            Device::LibTorch => "libtorch",
        })
    }
}

impl FromStr for Device {
    type Err = Error;

    /// `cpu`, `cuda` or `libtorch`, if this build supports it.
    fn from_str(name: &str) -> Result<Self, Error> {
        let supported = Device::supported();
        supported.iter().copied().find(|d| d.to_string() == name).ok_or_else(|| {
            let names: Vec<String> = supported.iter().map(Device::to_string).collect();
            Error::InvalidArgument(format!(
                "unknown or unavailable device '{name}' (this build supports: {}; `cuda` needs --features cuda, `libtorch` --features tch)",
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
