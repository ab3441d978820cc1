//! Opus encoder and decoder for the engine's mono 48 kHz i16 audio.
//!
//! Thin wrappers over `opusic-c` (system libopus). They fix the format, validate buffer lengths
//! up front with errors that say what was wrong, and convert between `i16` and the `u16` bit
//! patterns the bindings take, using buffers allocated once at construction so encoding and
//! decoding never allocate.

use opusic_c::{
    Application, Bitrate, Channels, Decoder, Encoder, ErrorCode, InbandFec, SampleRate,
};

use super::FrameDuration;

/// Largest Opus packet a single frame can produce (RFC 6716 section 3.4); an `out` buffer of this
/// size is always big enough for [`OpusEncoder::encode`].
pub const MAX_PACKET_BYTES: usize = 1_275;

/// Longest audio one Opus packet can carry: 120 ms at 48 kHz.
const MAX_FRAME_SAMPLES: usize = 5_760;

/// Opus works in steps of 2.5 ms: 120 samples at 48 kHz.
const FRAME_STEP_SAMPLES: usize = 120;

/// Why an Opus operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// libopus refused to create the encoder or decoder.
    #[error("cannot create opus {what}: {}", .code.message())]
    Create {
        /// `"encoder"` or `"decoder"`.
        what: &'static str,
        /// The libopus error.
        code: ErrorCode,
    },
    /// The encoder configuration is out of range (checked before libopus sees it).
    #[error("invalid opus encoder config: {0}")]
    InvalidConfig(String),
    /// libopus rejected an encoder setting.
    #[error("cannot set opus encoder {setting}: {}", .code.message())]
    Configure {
        /// Which setting (`"bitrate"`, `"inband fec"`, ...).
        setting: &'static str,
        /// The libopus error.
        code: ErrorCode,
    },
    /// The PCM frame given to the encoder is not exactly one configured frame.
    #[error("opus encoder takes {expected} samples per frame, got {got}")]
    FrameLength {
        /// Samples in one configured frame.
        expected: usize,
        /// Samples given.
        got: usize,
    },
    /// An output buffer for concealment or FEC is not a whole number of 2.5 ms steps up to 120 ms.
    #[error("opus can only conceal 120..=5760 samples in steps of 120, got {0}")]
    ConcealLength(usize),
    /// `decode` was given an empty packet; use `conceal` for a lost packet.
    #[error("empty opus packet: use conceal() for a lost packet")]
    EmptyPacket,
    /// libopus failed to encode (for example the output buffer is too small).
    #[error("opus encode failed: {}", .0.message())]
    Encode(ErrorCode),
    /// libopus failed to decode (a corrupt packet, or an output buffer shorter than the packet).
    #[error("opus decode failed: {}", .0.message())]
    Decode(ErrorCode),
}

/// Settings for an [`OpusEncoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderConfig {
    /// Audio per packet.
    pub frame: FrameDuration,
    /// Target bitrate in bits per second, 500..=512000.
    pub bitrate_bps: i32,
    /// Put in-band forward error correction (a low-rate copy of the previous frame) in each
    /// packet, so one lost packet can be rebuilt from the next with [`OpusDecoder::decode_fec`].
    pub fec: bool,
    /// Discontinuous transmission: send tiny packets (and fewer of them) during silence.
    pub dtx: bool,
    /// Expected packet loss in percent, 0..=100; tunes how much the encoder spends on FEC.
    pub expected_loss_pct: u8,
}

impl Default for EncoderConfig {
    /// 20 ms frames, 32 kbps, FEC on, DTX off, 10 % expected loss: a voice-call default.
    fn default() -> Self {
        Self {
            frame: FrameDuration::Ms20,
            bitrate_bps: 32_000,
            fec: true,
            dtx: false,
            expected_loss_pct: 10,
        }
    }
}

/// A mono 48 kHz Opus encoder in VoIP mode.
pub struct OpusEncoder {
    inner: Encoder,
    config: EncoderConfig,
    /// The frame as `u16` bit patterns, for the bindings; always one frame long.
    pcm: Vec<u16>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// Creates an encoder with `config`.
    ///
    /// # Errors
    /// [`CodecError::InvalidConfig`] for a bitrate or loss percentage out of range,
    /// [`CodecError::Create`] or [`CodecError::Configure`] if libopus refuses.
    pub fn new(config: EncoderConfig) -> Result<Self, CodecError> {
        let bitrate = u32::try_from(config.bitrate_bps)
            .ok()
            .filter(|b| (500..=512_000).contains(b))
            .ok_or_else(|| {
                CodecError::InvalidConfig(format!(
                    "bitrate {} bps is outside 500..=512000",
                    config.bitrate_bps
                ))
            })?;
        if config.expected_loss_pct > 100 {
            return Err(CodecError::InvalidConfig(format!(
                "expected loss {}% is over 100%",
                config.expected_loss_pct
            )));
        }

        let mut inner = Encoder::new(Channels::Mono, SampleRate::Hz48000, Application::Voip)
            .map_err(|code| CodecError::Create {
                what: "encoder",
                code,
            })?;
        let set = |setting| move |code| CodecError::Configure { setting, code };
        inner
            .set_bitrate(Bitrate::Value(bitrate))
            .map_err(set("bitrate"))?;
        let fec = if config.fec {
            InbandFec::Mode1
        } else {
            InbandFec::Off
        };
        inner.set_inband_fec(fec).map_err(set("inband fec"))?;
        inner.set_dtx(config.dtx).map_err(set("dtx"))?;
        inner
            .set_packet_loss(config.expected_loss_pct)
            .map_err(set("packet loss"))?;
        tracing::debug!(?config, "created opus encoder");
        Ok(Self {
            inner,
            config,
            pcm: vec![0; config.frame.samples()],
        })
    }

    /// The configuration this encoder was created with.
    pub fn config(&self) -> EncoderConfig {
        self.config
    }

    /// Encodes one frame of `pcm` into `out`, returning the packet length in bytes.
    ///
    /// `pcm` must be exactly one configured frame. An `out` of [`MAX_PACKET_BYTES`] always
    /// suffices. With DTX on, silent frames give packets of 1-2 bytes; they must still be sent
    /// (or dropped) as the DTX scheme of the transport says, but they are valid packets.
    ///
    /// # Errors
    /// [`CodecError::FrameLength`] for a wrong `pcm` length, [`CodecError::Encode`] if libopus
    /// fails (for example `out` is too small).
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        if pcm.len() != self.pcm.len() {
            return Err(CodecError::FrameLength {
                expected: self.pcm.len(),
                got: pcm.len(),
            });
        }
        for (dst, &src) in self.pcm.iter_mut().zip(pcm) {
            // The bindings take i16 samples as their u16 bit pattern.
            *dst = src as u16;
        }
        self.inner
            .encode_to_slice(&self.pcm, out)
            .map_err(CodecError::Encode)
    }
}

/// A mono 48 kHz Opus decoder.
///
/// Accepts packets of any Opus mode, frame size (up to 120 ms) and channel count; stereo packets
/// are mixed down to mono by libopus.
pub struct OpusDecoder {
    inner: Decoder,
    /// Decoder output as `u16` bit patterns; [`MAX_FRAME_SAMPLES`] long.
    pcm: Vec<u16>,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder").finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// Creates a decoder.
    ///
    /// # Errors
    /// [`CodecError::Create`] if libopus refuses (out of memory).
    pub fn new() -> Result<Self, CodecError> {
        let inner = Decoder::new(Channels::Mono, SampleRate::Hz48000).map_err(|code| {
            CodecError::Create {
                what: "decoder",
                code,
            }
        })?;
        Ok(Self {
            inner,
            pcm: vec![0; MAX_FRAME_SAMPLES],
        })
    }

    /// Decodes `packet` into the start of `out`, returning the number of samples written (the
    /// packet's duration, e.g. 960 for a 20 ms packet).
    ///
    /// `out` must be at least as long as the packet's audio; 5760 samples always suffice.
    ///
    /// # Errors
    /// [`CodecError::EmptyPacket`] for an empty packet (a loss: use [`Self::conceal`]),
    /// [`CodecError::Decode`] for a corrupt packet or a too-short `out`.
    pub fn decode(&mut self, packet: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        if packet.is_empty() {
            return Err(CodecError::EmptyPacket);
        }
        let len = out.len().min(MAX_FRAME_SAMPLES);
        self.run(packet, &mut out[..len], false)
    }

    /// Rebuilds the frame *before* `next_packet` (which was lost) from the forward error
    /// correction data carried in `next_packet`, writing `out.len()` samples.
    ///
    /// `out.len()` must be the lost frame's duration (e.g. 960 for 20 ms). If `next_packet` has
    /// no FEC data (the encoder had FEC off, or was not in a SILK mode), libopus conceals the
    /// frame as [`Self::conceal`] would. Afterwards decode `next_packet` itself as usual.
    ///
    /// # Errors
    /// [`CodecError::ConcealLength`] for an unusable `out` length, [`CodecError::EmptyPacket`],
    /// or [`CodecError::Decode`] for a corrupt packet.
    pub fn decode_fec(&mut self, next_packet: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        check_conceal_len(out.len())?;
        if next_packet.is_empty() {
            return Err(CodecError::EmptyPacket);
        }
        self.run(next_packet, out, true)
    }

    /// Packet loss concealment: synthesises `out.len()` samples to stand in for a lost packet,
    /// continuing from what was last decoded (fading towards silence over repeated losses).
    ///
    /// # Errors
    /// [`CodecError::ConcealLength`] unless `out.len()` is a multiple of 120 samples (2.5 ms) up
    /// to 5760 (120 ms); [`CodecError::Decode`] if libopus fails.
    pub fn conceal(&mut self, out: &mut [i16]) -> Result<usize, CodecError> {
        check_conceal_len(out.len())?;
        // An empty packet tells libopus the packet was lost.
        self.run(&[], out, false)
    }

    /// Runs libopus into the scratch buffer and copies the result into `out`.
    /// `out.len() <= MAX_FRAME_SAMPLES` is an invariant of every caller.
    fn run(&mut self, packet: &[u8], out: &mut [i16], fec: bool) -> Result<usize, CodecError> {
        let scratch = &mut self.pcm[..out.len()];
        let n = self
            .inner
            .decode_to_slice(packet, scratch, fec)
            .map_err(CodecError::Decode)?;
        for (dst, &src) in out.iter_mut().zip(&scratch[..n]) {
            // The bindings give i16 samples as their u16 bit pattern.
            *dst = src as i16;
        }
        Ok(n)
    }
}

fn check_conceal_len(len: usize) -> Result<(), CodecError> {
    if len == 0 || len > MAX_FRAME_SAMPLES || !len.is_multiple_of(FRAME_STEP_SAMPLES) {
        return Err(CodecError::ConcealLength(len));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
