//! What devices there are, finding one by name, and choosing the stream format to open it with.

use cpal::traits::{DeviceTrait, HostTrait};
use cpal::{SampleFormat, StreamConfig, SupportedStreamConfig};
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

/// Lists the capture and playback devices of the default audio host.
///
/// The host's default device is always listed first for each direction, even when the host
/// does not enumerate it, because it is what "no choice" opens.
///
/// # Errors
/// [`DeviceError::Host`] when the host cannot enumerate its devices.
pub fn list_devices() -> Result<DeviceList, DeviceError> {
    let host = cpal::default_host();
    let devices: Vec<cpal::Device> = host
        .devices()
        .map_err(|e| DeviceError::Host {
            reason: e.to_string(),
        })?
        .collect();
    let mut list = DeviceList::default();
    for direction in [Direction::Input, Direction::Output] {
        let default = default_device(&host, direction);
        let default_name = default.as_ref().map(device_name);
        let mut infos = Vec::new();
        if let Some(device) = &default {
            infos.push(info(device, direction, true));
        }
        for device in &devices {
            let name = device_name(device);
            let supports = match direction {
                Direction::Input => device.supports_input(),
                Direction::Output => device.supports_output(),
            };
            if supports && Some(&name) != default_name.as_ref() {
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

/// The name a device is listed and opened by: its cpal id, such as `alsa:default`.
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

/// Finds the device called `name` (its full name, `alsa:default`, or the host's bare id,
/// `default`), or the default device for `direction` when `name` is `None`.
///
/// # Errors
/// [`DeviceError::NotFound`] when there is no such device (or no default device),
/// [`DeviceError::Host`] when the host cannot enumerate its devices.
pub(crate) fn find_device(
    name: Option<&str>,
    direction: Direction,
) -> Result<cpal::Device, DeviceError> {
    let host = cpal::default_host();
    let default = default_device(&host, direction);
    let Some(name) = name else {
        return default.ok_or_else(|| DeviceError::NotFound {
            device: "(default)".to_owned(),
        });
    };
    let matches = |device: &cpal::Device| {
        device_name(device) == name || device.id().is_ok_and(|id| id.id() == name)
    };
    if let Some(device) = default.filter(|d| matches(d)) {
        return Ok(device);
    }
    host.devices()
        .map_err(|e| DeviceError::Host {
            reason: e.to_string(),
        })?
        .find(|d| matches(d))
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
    Ok((chosen.config(), chosen.sample_format()))
}
