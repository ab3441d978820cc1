//! What devices there are, finding one by name, and choosing the stream format to open it with.

use std::sync::{Arc, Mutex, PoisonError};

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::{BufferSize, SampleFormat, StreamConfig, SupportedStreamConfig};
use serde::Serialize;

use super::{DeviceError, StreamPreference};
use crate::audio::SAMPLE_RATE;

/// The capture and playback devices of the audio host.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DeviceList {
    /// Devices that can capture.
    pub inputs: Vec<DeviceInfo>,
    /// Devices that can play.
    pub outputs: Vec<DeviceInfo>,
}

/// One device as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    /// The name to open it by, such as `alsa:default` (host, colon, the host's device id).
    pub name: String,
    /// The host's human-readable description, when it has one.
    pub description: Option<String>,
    /// Whether this is the host's default device for its direction.
    pub is_default: bool,
    /// The format the device suggests; `None` when it cannot be asked (it may still open).
    pub default_config: Option<DeviceConfig>,
}

/// A device stream format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceConfig {
    /// Frames per second.
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: u16,
    /// Sample type, as cpal names it (`f32`, `i16`, ...).
    pub sample_format: String,
}

/// Capture or playback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Input,
    Output,
}

/// Hosts opened so far. Opening the PulseAudio host connects to the server and starts a thread
/// that a dropped host leaves behind until the server hangs up, so each host is opened once and
/// kept; a host that fails is forgotten and opened afresh the next time.
static HOSTS: Mutex<Vec<Arc<cpal::Host>>> = Mutex::new(Vec::new());

/// One available host and what it enumerated.
struct HostDevices {
    host: Arc<cpal::Host>,
    devices: Vec<cpal::Device>,
}

/// The available hosts with their devices, in cpal's order of preference (as
/// `cpal::default_host` chooses): on Linux PulseAudio, when a server answers, then ALSA. The
/// first one gives the default devices.
///
/// # Errors
/// [`DeviceError::Host`] when no host can enumerate its devices.
fn hosts() -> Result<Vec<HostDevices>, DeviceError> {
    let mut cache = HOSTS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut hosts = Vec::new();
    let mut last_error = None;
    for id in cpal::available_hosts() {
        let cached = cache.iter().position(|h| h.id() == id);
        // A cached host whose server went away fails to enumerate: open it once more.
        let attempts = if cached.is_some() { 2 } else { 1 };
        for _ in 0..attempts {
            let host = match cache.iter().position(|h| h.id() == id) {
                Some(i) => cache[i].clone(),
                None => match cpal::host_from_id(id) {
                    Ok(host) => {
                        let host = Arc::new(host);
                        cache.push(host.clone());
                        host
                    }
                    Err(e) => {
                        tracing::debug!(host = %id, error = %e, "audio host unavailable");
                        last_error = Some(e.to_string());
                        break;
                    }
                },
            };
            match host.devices() {
                Ok(devices) => {
                    hosts.push(HostDevices {
                        host,
                        devices: devices.collect(),
                    });
                    break;
                }
                Err(e) => {
                    tracing::debug!(host = %id, error = %e, "audio host failed to list devices");
                    last_error = Some(e.to_string());
                    cache.retain(|h| h.id() != id);
                }
            }
        }
    }
    if hosts.is_empty() {
        return Err(DeviceError::Host {
            reason: last_error.unwrap_or_else(|| "no audio host is available".to_owned()),
        });
    }
    Ok(hosts)
}

/// Lists the capture and playback devices of every available audio host (on Linux PulseAudio,
/// when a server answers, and ALSA), each named with its host, such as `pulseaudio:hearth` or
/// `alsa:default`.
///
/// The default devices are those of the preferred host (PulseAudio before ALSA), listed first
/// for each direction even when the host does not enumerate them, because they are what "no
/// choice" opens.
///
/// # Errors
/// [`DeviceError::Host`] when no host can enumerate its devices.
pub fn list_devices() -> Result<DeviceList, DeviceError> {
    let hosts = hosts()?;
    let mut list = DeviceList::default();
    for direction in [Direction::Input, Direction::Output] {
        let default = default_device(&hosts[0].host, direction);
        let default_name = default.as_ref().map(device_name);
        let mut infos = Vec::new();
        if let Some(device) = &default {
            infos.push(info(device, direction, true));
        }
        for device in hosts.iter().flat_map(|h| &h.devices) {
            let name = device_name(device);
            let supports = match direction {
                Direction::Input => device.supports_input(),
                Direction::Output => device.supports_output(),
            };
            if supports
                && Some(&name) != default_name.as_ref()
                && !infos.iter().any(|i: &DeviceInfo| i.name == name)
            {
                infos.push(info(device, direction, false));
            }
        }
        match direction {
            Direction::Input => list.inputs = infos,
            Direction::Output => list.outputs = infos,
        }
    }
    Ok(list)
}

fn info(device: &cpal::Device, direction: Direction, is_default: bool) -> DeviceInfo {
    let config = match direction {
        Direction::Input => device.default_input_config(),
        Direction::Output => device.default_output_config(),
    };
    DeviceInfo {
        name: device_name(device),
        description: device
            .description()
            .ok()
            .map(|d| d.to_string().lines().next().unwrap_or_default().to_owned()),
        is_default,
        default_config: config.ok().map(|c| DeviceConfig {
            sample_rate: c.sample_rate(),
            channels: c.channels(),
            sample_format: c.sample_format().to_string(),
        }),
    }
}

/// The name a device is listed and opened by: its cpal id, host and the host's own id, such as
/// `alsa:default` or `pulseaudio:alsa_output.pci-0000_00_1f.3.analog-stereo`.
pub(crate) fn device_name(device: &cpal::Device) -> String {
    device
        .id()
        .map_or_else(|_| device.to_string(), |id| id.to_string())
}

fn default_device(host: &cpal::Host, direction: Direction) -> Option<cpal::Device> {
    match direction {
        Direction::Input => host.default_input_device(),
        Direction::Output => host.default_output_device(),
    }
}

/// Finds the device called `name`, or the default device for `direction` when `name` is
/// `None`. A full name (`pulseaudio:hearth`, `alsa:default`) is looked up in its own host, a
/// bare id (`default`) in every host, the preferred first.
///
/// # Errors
/// [`DeviceError::NotFound`] when there is no such device (or no default device),
/// [`DeviceError::Unavailable`] when the name's host is not available (its sound server is
/// down), [`DeviceError::Host`] when no host can enumerate its devices.
pub(crate) fn find_device(
    name: Option<&str>,
    direction: Direction,
) -> Result<cpal::Device, DeviceError> {
    let hosts = hosts()?;
    let Some(name) = name else {
        return default_device(&hosts[0].host, direction).ok_or_else(|| DeviceError::NotFound {
            device: "(default)".to_owned(),
        });
    };
    let host_id = name
        .split_once(':')
        .and_then(|(host, _)| host.parse::<cpal::HostId>().ok());
    let candidates: Vec<&HostDevices> = match host_id {
        Some(id) => {
            let Some(host) = hosts.iter().find(|h| h.host.id() == id) else {
                return Err(DeviceError::Unavailable {
                    device: name.to_owned(),
                    reason: format!("the {id} audio host is not available"),
                });
            };
            vec![host]
        }
        None => hosts.iter().collect(),
    };
    let matches = |device: &cpal::Device| {
        device_name(device) == name || device.id().is_ok_and(|id| id.id() == name)
    };
    candidates
        .into_iter()
        .find_map(|h| {
            default_device(&h.host, direction)
                .filter(|d| matches(d))
                .or_else(|| h.devices.iter().find(|d| matches(d)).cloned())
        })
        .ok_or_else(|| DeviceError::NotFound {
            device: name.to_owned(),
        })
}

/// The stream format to open `device` with, and its sample type: `i16` or `f32`, at the
/// preferred rate and channel count when the device has them.
///
/// # Errors
/// [`DeviceError::Unavailable`] when the device cannot be asked for its formats (typically: it
/// cannot be opened at all), [`DeviceError::Unsupported`] when it has no `i16`/`f32` format.
pub(crate) fn choose_config(
    device: &cpal::Device,
    direction: Direction,
    preference: StreamPreference,
) -> Result<(StreamConfig, SampleFormat), DeviceError> {
    let name = device_name(device);
    let unavailable = |e: cpal::Error| DeviceError::Unavailable {
        device: name.clone(),
        reason: e.to_string(),
    };
    let (default, ranges): (SupportedStreamConfig, Vec<_>) = match direction {
        Direction::Input => (
            device.default_input_config().map_err(unavailable)?,
            device
                .supported_input_configs()
                .map_err(unavailable)?
                .collect(),
        ),
        Direction::Output => (
            device.default_output_config().map_err(unavailable)?,
            device
                .supported_output_configs()
                .map_err(unavailable)?
                .collect(),
        ),
    };
    let usable = |f: SampleFormat| matches!(f, SampleFormat::I16 | SampleFormat::F32);
    let rate = preference.sample_rate.unwrap_or(SAMPLE_RATE);
    let channels = preference.channels.unwrap_or(default.channels());
    // The device's own sample type first, then f32, then i16.
    let rank = |f: SampleFormat| match f {
        f if f == default.sample_format() => 0,
        SampleFormat::F32 => 1,
        _ => 2,
    };
    let mut candidates: Vec<_> = ranges
        .iter()
        .filter(|r| usable(r.sample_format()) && r.channels() == channels)
        .collect();
    candidates.sort_by_key(|r| rank(r.sample_format()));
    let chosen = candidates
        .iter()
        .find_map(|r| (*r).try_with_sample_rate(rate))
        .or_else(|| {
            candidates
                .iter()
                .find_map(|r| (*r).try_with_sample_rate(default.sample_rate()))
        })
        .or_else(|| usable(default.sample_format()).then_some(default))
        .ok_or_else(|| DeviceError::Unsupported {
            device: name.clone(),
            reason: format!(
                "no i16 or f32 format with {channels} channels (default is {} {} ch {} Hz)",
                default.sample_format(),
                default.channels(),
                default.sample_rate()
            ),
        })?;
    let mut config = chosen.config();
    config.buffer_size = buffer_size(device, config.sample_rate);
    Ok((config, chosen.sample_format()))
}

/// The callback period to ask for. The host's default suits ALSA, but PulseAudio's default is
/// a two-second buffer (and two-second capture fragments): far too much latency for a voice
/// call. A period of [`PULSE_PERIOD_MS`] there gives a playback latency of two periods.
fn buffer_size(device: &cpal::Device, sample_rate: u32) -> BufferSize {
    #[cfg(any(
        target_os = "linux",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "netbsd"
    ))]
    if device
        .id()
        .is_ok_and(|id| id.host() == cpal::HostId::PulseAudio)
    {
        return BufferSize::Fixed(sample_rate * PULSE_PERIOD_MS / 1000);
    }
    let _ = (device, sample_rate);
    BufferSize::Default
}

/// Callback period of PulseAudio streams, in milliseconds.
const PULSE_PERIOD_MS: u32 = 10;
