//! Mixing remote voices into one playout frame, and the gains applied to each voice.
//!
//! [`Mixer`] sums mono i16 frames into a float accumulator sized once at construction, so a mix
//! never allocates and can run on the playout path. A voice's gain is its [`UserGain`]: the
//! listener's volume and local mute for that user, times its proximity gain from a
//! [`ProximityCurve`].

use super::analysis;

/// Sums several mono i16 frames, each with its own gain, into one saturated i16 frame.
///
/// Use per frame: [`Mixer::clear`], [`Mixer::add`] each voice, then [`Mixer::output`]. The mix is
/// `samples` long; shorter inputs contribute only where they reach, longer ones are cut.
#[derive(Debug, Clone)]
pub struct Mixer {
    /// Running sum in sample units (full scale is 32768), not yet clipped.
    acc: Vec<f32>,
}

impl Mixer {
    /// A mixer for frames of `samples` samples, starting silent.
    pub fn new(samples: usize) -> Self {
        Self {
            acc: vec![0.0; samples],
        }
    }

    /// Length of the mix in samples.
    pub fn samples(&self) -> usize {
        self.acc.len()
    }

    /// Back to silence, ready for the next frame.
    pub fn clear(&mut self) {
        self.acc.fill(0.0);
    }

    /// Adds `pcm` scaled by `gain` (1.0 = unchanged). A non-finite or non-positive gain adds
    /// nothing, so a bad volume setting mutes a voice rather than corrupting the mix.
    pub fn add(&mut self, pcm: &[i16], gain: f32) {
        if !gain.is_finite() || gain <= 0.0 {
            return;
        }
        for (acc, &sample) in self.acc.iter_mut().zip(pcm) {
            *acc += f32::from(sample) * gain;
        }
    }

    /// Writes the mix to `out`, saturating at the i16 range. Samples of `out` past the mix length
    /// are set to silence. The mix itself is kept until [`Mixer::clear`].
    pub fn output(&self, out: &mut [i16]) {
        let (mixed, rest) = out.split_at_mut(out.len().min(self.acc.len()));
        for (dst, &acc) in mixed.iter_mut().zip(&self.acc) {
            // `as` saturates float-to-int casts (and maps NaN to 0).
            *dst = acc.round() as i16;
        }
        rest.fill(0);
    }
}

/// How loud the listener hears one remote user.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserGain {
    /// The listener's volume for this user, `0.0..=2.0`; 1.0 leaves the voice unchanged.
    pub volume: f32,
    /// Muted for this listener only (the user still talks to everyone else).
    pub locally_muted: bool,
    /// Proximity gain, `0.0..=1.0`, usually from a [`ProximityCurve`].
    pub proximity: f32,
}

impl Default for UserGain {
    /// Unchanged: volume 1.0, not muted, full proximity.
    fn default() -> Self {
        Self {
            volume: 1.0,
            locally_muted: false,
            proximity: 1.0,
        }
    }
}

impl UserGain {
    /// The gain to mix this user with: 0 when locally muted, else volume times proximity, each
    /// clamped to its range (NaN counts as 0).
    pub fn effective(&self) -> f32 {
        if self.locally_muted {
            return 0.0;
        }
        clamp_or_zero(self.volume, 2.0) * clamp_or_zero(self.proximity, 1.0)
    }
}

/// Proximity gain over distance in world tiles: full volume near, silent far, linear between.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProximityCurve {
    /// Within this distance (inclusive) a voice is at full volume.
    pub full_within: f64,
    /// At or beyond this distance a voice is silent. When it is not beyond `full_within` the
    /// curve is a step: full up to `full_within`, silent past it.
    pub silent_beyond: f64,
}

impl Default for ProximityCurve {
    /// Full within 5 tiles, silent from 6.
    fn default() -> Self {
        Self {
            full_within: 5.0,
            silent_beyond: 6.0,
        }
    }
}

impl ProximityCurve {
    /// Gain `0.0..=1.0` for a voice `distance_tiles` away. Negative distances count as 0; NaN
    /// (an unknown position) is silent.
    pub fn gain(&self, distance_tiles: f64) -> f32 {
        if distance_tiles.is_nan() {
            return 0.0;
        }
        if distance_tiles <= self.full_within {
            return 1.0;
        }
        if distance_tiles >= self.silent_beyond || self.silent_beyond <= self.full_within {
            return 0.0;
        }
        let fade = (self.silent_beyond - distance_tiles) / (self.silent_beyond - self.full_within);
        fade.clamp(0.0, 1.0) as f32
    }
}

/// RMS level of `pcm` as a fraction of full scale, `0.0..=1.0` (0 for no samples), for meters.
pub fn level(pcm: &[i16]) -> f32 {
    analysis::rms(pcm).min(1.0) as f32
}

fn clamp_or_zero(value: f32, max: f32) -> f32 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{AudioSource, SineSource};

    #[test]
    fn mixes_with_gain() {
        let mut mixer = Mixer::new(4);
        mixer.add(&[100, -200, 300, 0], 1.0);
        mixer.add(&[10, 10, 10, 10], 0.5);
        let mut out = [0i16; 4];
        mixer.output(&mut out);
        assert_eq!(out, [105, -195, 305, 5], "sum of inputs times their gains");
    }

    #[test]
    fn clear_starts_a_new_frame() {
        let mut mixer = Mixer::new(3);
        mixer.add(&[1_000; 3], 1.0);
        mixer.clear();
        mixer.add(&[7; 3], 1.0);
        let mut out = [0i16; 3];
        mixer.output(&mut out);
        assert_eq!(out, [7; 3], "nothing of the previous frame is left");
    }

    #[test]
    fn saturates_instead_of_wrapping() {
        let mut mixer = Mixer::new(2);
        for _ in 0..3 {
            mixer.add(&[30_000, -30_000], 1.0);
        }
        let mut out = [0i16; 2];
        mixer.output(&mut out);
        assert_eq!(out, [i16::MAX, i16::MIN], "loud sums clip at full scale");
    }

    #[test]
    fn silent_mixer_outputs_silence() {
        let mixer = Mixer::new(960);
        let mut out = [5i16; 960];
        mixer.output(&mut out);
        assert!(out.iter().all(|&s| s == 0), "nothing added is silence");
    }

    #[test]
    fn mismatched_lengths_are_tolerated() {
        let mut mixer = Mixer::new(4);
        mixer.add(&[1, 2], 1.0);
        mixer.add(&[10, 10, 10, 10, 10, 10], 1.0);
        let mut out = [9i16; 6];
        mixer.output(&mut out);
        assert_eq!(
            out,
            [11, 12, 10, 10, 0, 0],
            "short input adds where it reaches, long is cut"
        );
        let mut short = [0i16; 2];
        mixer.output(&mut short);
        assert_eq!(short, [11, 12]);
    }

    #[test]
    fn bad_gains_add_nothing() {
        let mut mixer = Mixer::new(2);
        mixer.add(&[100, 100], f32::NAN);
        mixer.add(&[100, 100], f32::INFINITY);
        mixer.add(&[100, 100], -1.0);
        mixer.add(&[100, 100], 0.0);
        let mut out = [1i16; 2];
        mixer.output(&mut out);
        assert_eq!(out, [0, 0], "NaN, infinite, negative and zero gains mute");
    }

    #[test]
    fn user_gain_combines_volume_mute_and_proximity() {
        assert_eq!(
            UserGain::default().effective(),
            1.0,
            "default leaves the voice unchanged"
        );
        let gain = UserGain {
            volume: 1.5,
            locally_muted: false,
            proximity: 0.5,
        };
        assert_eq!(gain.effective(), 0.75);
        let muted = UserGain {
            locally_muted: true,
            ..gain
        };
        assert_eq!(muted.effective(), 0.0, "local mute wins");
        let wild = UserGain {
            volume: 9.0,
            locally_muted: false,
            proximity: 3.0,
        };
        assert_eq!(wild.effective(), 2.0, "volume clamps to 2, proximity to 1");
        let nan = UserGain {
            volume: f32::NAN,
            ..UserGain::default()
        };
        assert_eq!(nan.effective(), 0.0, "NaN volume is silent");
    }

    #[test]
    fn proximity_curve_fades_linearly() {
        let curve = ProximityCurve::default();
        assert_eq!((curve.full_within, curve.silent_beyond), (5.0, 6.0));
        assert_eq!(curve.gain(0.0), 1.0);
        assert_eq!(curve.gain(-3.0), 1.0, "negative distance is near");
        assert_eq!(curve.gain(5.0), 1.0, "full volume up to full_within");
        assert!(
            (curve.gain(5.25) - 0.75).abs() < 1e-6,
            "a quarter of the way out"
        );
        assert!((curve.gain(5.5) - 0.5).abs() < 1e-6, "half way");
        assert_eq!(curve.gain(6.0), 0.0, "silent at silent_beyond");
        assert_eq!(curve.gain(100.0), 0.0);
        assert_eq!(curve.gain(f64::INFINITY), 0.0);
        assert_eq!(curve.gain(f64::NAN), 0.0, "unknown distance is silent");
    }

    #[test]
    fn inverted_proximity_curve_is_a_step() {
        for curve in [
            ProximityCurve {
                full_within: 4.0,
                silent_beyond: 4.0,
            },
            ProximityCurve {
                full_within: 4.0,
                silent_beyond: 2.0,
            },
        ] {
            assert_eq!(curve.gain(3.0), 1.0, "{curve:?}: near is full");
            assert_eq!(curve.gain(4.0), 1.0, "{curve:?}: full_within is inclusive");
            assert_eq!(
                curve.gain(4.1),
                0.0,
                "{curve:?}: past full_within is silent"
            );
        }
    }

    #[test]
    fn level_is_rms_of_full_scale() {
        assert_eq!(level(&[]), 0.0);
        assert_eq!(level(&[0; 960]), 0.0);
        let mut tone = vec![0i16; 4_800];
        SineSource::new(1_000.0, 0.1).read(&mut tone);
        let got = level(&tone);
        assert!(
            (got - 0.0707).abs() < 0.002,
            "-20 dBFS peak sine has RMS ~0.0707, got {got}"
        );
        assert!(level(&[i16::MIN; 10]) <= 1.0, "never above full scale");
    }
}
