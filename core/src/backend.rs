//! The only file that chooses a burn [`Device`].
//!
//! The page asks for WebGPU and falls back to the CPU (burn's `flex` backend) when no adapter
//! can be had, recording why. Natively (CLI, tests) the CPU backend is used.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// Which backend a run trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// burn's pure-Rust CPU backend.
    Cpu,
    /// WebGPU through burn's wgpu runtime.
    WebGpu,
}

/// The chosen backend and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendInfo {
    /// The backend.
    pub kind: BackendKind,
    /// Why it was chosen (e.g. the WebGPU init error that made us fall back).
    pub reason: String,
}

impl BackendInfo {
    /// The badge text: "WebGPU" or "CPU — reason" (the reason up to its first parenthesis;
    /// the full text is [`BackendInfo::reason`]).
    pub fn badge(&self) -> String {
        match self.kind {
            BackendKind::WebGpu => "WebGPU".to_string(),
            BackendKind::Cpu => {
                let short = self.reason.split(" (").next().unwrap_or(&self.reason);
                format!("CPU — {short}")
            }
        }
    }
}

/// A device and what it is.
#[derive(Debug, Clone)]
pub struct Backend {
    /// The training device (without autodiff; the trainer enables it per tensor).
    pub device: Device,
    /// What was chosen and why.
    pub info: BackendInfo,
}

/// The CPU backend, with the reason it was chosen.
pub fn cpu(reason: impl Into<String>) -> Backend {
    Backend { device: Device::flex(), info: BackendInfo { kind: BackendKind::Cpu, reason: reason.into() } }
}

/// The outcome of the one WebGPU initialisation of this process/page: burn registers one
/// runtime server per device, so a second `init_async` fails ("a server is still registered").
#[cfg(feature = "webgpu")]
static WEBGPU: std::sync::Mutex<Option<Result<Device, String>>> = std::sync::Mutex::new(None);

/// The reason [`choose`] gives when the CPU was asked for (the page words it for the user).
pub const CPU_CHOSEN: &str = "CPU chosen";

/// Tries WebGPU (when compiled with the `webgpu` feature), else the CPU with the reason.
///
/// WebGPU is initialised at most once; later calls reuse the device (or the failure reason).
pub async fn choose(prefer_gpu: bool) -> Backend {
    if !prefer_gpu {
        return cpu(CPU_CHOSEN);
    }
    #[cfg(feature = "webgpu")]
    {
        let cached = WEBGPU.lock().ok().and_then(|slot| slot.clone());
        let outcome = match cached {
            Some(outcome) => outcome,
            None => {
                let outcome = Device::wgpu_options().init_async().await.map_err(|err| err.to_string());
                if let Ok(mut slot) = WEBGPU.lock() {
                    slot.get_or_insert_with(|| outcome.clone()).clone()
                } else {
                    outcome
                }
            }
        };
        match outcome {
            Ok(device) => Backend {
                device,
                info: BackendInfo { kind: BackendKind::WebGpu, reason: "WebGPU adapter found".to_string() },
            },
            Err(err) if err.contains("No adapter") => cpu(format!("no WebGPU adapter in this browser ({err})")),
            Err(err) => cpu(format!("no WebGPU: {err}")),
        }
    }
    #[cfg(not(feature = "webgpu"))]
    {
        cpu("built without WebGPU")
    }
}
