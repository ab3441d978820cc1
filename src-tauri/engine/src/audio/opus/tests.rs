use super::*;
use crate::audio::analysis::{goertzel_power, tone_report};
use crate::audio::{AudioSource, SilenceSource, SineSource};

/// Encodes `frames` frames pulled from `source`, one packet per frame.
fn encode_frames(
    config: EncoderConfig,
    source: &mut dyn AudioSource,
    frames: usize,
) -> Vec<Vec<u8>> {
    let mut encoder = OpusEncoder::new(config).expect("valid config");
    let mut pcm = vec![0i16; config.frame.samples()];
    let mut out = [0u8; MAX_PACKET_BYTES];
    (0..frames)
        .map(|_| {
            source.read(&mut pcm);
            let n = encoder.encode(&pcm, &mut out).expect("encode frame");
            out[..n].to_vec()
        })
        .collect()
}

/// Decodes every packet in order, checking each gives `frame_samples` samples.
fn decode_packets(
    decoder: &mut OpusDecoder,
    packets: &[Vec<u8>],
    frame_samples: usize,
) -> Vec<i16> {
    let mut out = vec![0i16; 5_760];
    let mut pcm = Vec::new();
    for (i, packet) in packets.iter().enumerate() {
        let n = decoder.decode(packet, &mut out).expect("decode packet");
        assert_eq!(n, frame_samples, "packet {i} must decode to one frame");
        pcm.extend_from_slice(&out[..n]);
    }
    pcm
}

fn assert_sine_survives(frame: FrameDuration) {
    let config = EncoderConfig {
        frame,
        ..EncoderConfig::default()
    };
    let frames = 1_000 / frame.millis() as usize;
    let packets = encode_frames(config, &mut SineSource::new(440.0, 0.5), frames);
    let mut decoder = OpusDecoder::new().expect("decoder");
    let pcm = decode_packets(&mut decoder, &packets, frame.samples());
    // Skip the first 100 ms while the encoder settles.
    let report = tone_report(&pcm[4_800..], &[440.0, 660.0, 880.0]);
    let sent = report[0].1;
    assert!(
        sent > 0.1,
        "{frame:?}: 440 Hz must come through near half scale (0.25), got {sent}"
    );
    for &(f, p) in &report[1..] {
        assert!(
            p < sent / 100.0,
            "{frame:?}: {f} Hz ({p}) must be far below 440 Hz ({sent})"
        );
    }
}

#[test]
fn sine_keeps_its_frequency_with_20ms_frames() {
    assert_sine_survives(FrameDuration::Ms20);
}

#[test]
fn sine_keeps_its_frequency_with_10ms_frames() {
    assert_sine_survives(FrameDuration::Ms10);
}

#[test]
fn conceal_produces_a_frame_of_the_requested_length() {
    let packets = encode_frames(
        EncoderConfig::default(),
        &mut SineSource::new(440.0, 0.5),
        10,
    );
    let mut decoder = OpusDecoder::new().expect("decoder");
    decode_packets(&mut decoder, &packets, 960);
    for len in [960, 480, 120] {
        let mut out = vec![0i16; len];
        assert_eq!(
            decoder.conceal(&mut out).expect("conceal"),
            len,
            "PLC fills {len} samples"
        );
    }
    let mut out = vec![0i16; 960];
    let first = decoder
        .conceal(&mut out)
        .map(|_| goertzel_power(&out, 440.0));
    assert!(
        first.expect("conceal") > 0.0,
        "PLC continues the tone rather than going silent"
    );
    for bad in [0, 100, 5_880] {
        let mut out = vec![0i16; bad];
        assert!(
            matches!(decoder.conceal(&mut out), Err(CodecError::ConcealLength(n)) if n == bad),
            "conceal must reject {bad} samples"
        );
    }
}

#[test]
fn fec_recovers_a_lost_frame_that_plc_cannot() {
    // 440 Hz for 10 frames, then 880 Hz: the frame where the pitch changes is lost. PLC can only
    // extrapolate 440 Hz; FEC carries a copy of the lost frame, so it has 880 Hz.
    const LOST: usize = 10;
    let config = EncoderConfig {
        expected_loss_pct: 20,
        ..EncoderConfig::default()
    };
    let mut low = SineSource::new(440.0, 0.5);
    let mut high = SineSource::new(880.0, 0.5);
    let mut encoder = OpusEncoder::new(config).expect("encoder");
    let mut pcm = vec![0i16; 960];
    let mut out = [0u8; MAX_PACKET_BYTES];
    let packets: Vec<Vec<u8>> = (0..LOST + 5)
        .map(|i| {
            if i < LOST {
                low.read(&mut pcm)
            } else {
                high.read(&mut pcm)
            };
            let n = encoder.encode(&pcm, &mut out).expect("encode");
            out[..n].to_vec()
        })
        .collect();

    let mut with_fec = OpusDecoder::new().expect("decoder");
    let mut with_plc = OpusDecoder::new().expect("decoder");
    decode_packets(&mut with_fec, &packets[..LOST], 960);
    decode_packets(&mut with_plc, &packets[..LOST], 960);

    let mut recovered = vec![0i16; 960];
    let n = with_fec
        .decode_fec(&packets[LOST + 1], &mut recovered)
        .expect("FEC decode");
    assert_eq!(n, 960, "FEC rebuilds one whole 20 ms frame");
    let mut concealed = vec![0i16; 960];
    with_plc.conceal(&mut concealed).expect("PLC");

    // Skip the codec delay, which still holds the end of the 440 Hz part.
    let tail = 400;
    let fec = tone_report(&recovered[tail..], &[440.0, 880.0]);
    let plc = tone_report(&concealed[tail..], &[440.0, 880.0]);
    assert!(
        fec[1].1 > 10.0 * fec[0].1,
        "FEC frame must hold the new 880 Hz tone: {fec:?}"
    );
    assert!(
        plc[0].1 > 10.0 * plc[1].1,
        "PLC frame should still be 440 Hz: {plc:?}"
    );

    // The next packet then decodes normally.
    let mut next = vec![0i16; 960];
    assert_eq!(
        with_fec
            .decode(&packets[LOST + 1], &mut next)
            .expect("decode after FEC"),
        960
    );
}

#[test]
fn mono_decoder_accepts_stereo_packets() {
    let mut stereo = Encoder::new(Channels::Stereo, SampleRate::Hz48000, Application::Voip)
        .expect("stereo encoder");
    let mut tone = SineSource::new(440.0, 0.5);
    let mut mono = vec![0i16; 960];
    let mut interleaved = vec![0u16; 1_920];
    let mut out = [0u8; MAX_PACKET_BYTES];
    let mut decoder = OpusDecoder::new().expect("decoder");
    let mut decoded = vec![0i16; 960];
    let mut pcm = Vec::new();
    for _ in 0..25 {
        tone.read(&mut mono);
        for (pair, &s) in interleaved.chunks_exact_mut(2).zip(&mono) {
            pair.fill(s as u16);
        }
        let n = stereo
            .encode_to_slice(&interleaved, &mut out)
            .expect("stereo encode");
        let got = decoder
            .decode(&out[..n], &mut decoded)
            .expect("mono decode of stereo packet");
        assert_eq!(got, 960, "one mono sample per stereo frame");
        pcm.extend_from_slice(&decoded);
    }
    let report = tone_report(&pcm[4_800..], &[440.0, 880.0]);
    assert!(
        report[0].1 > 100.0 * report[1].1,
        "downmixed tone is still 440 Hz: {report:?}"
    );
}

#[test]
fn dtx_shrinks_silent_packets() {
    let config = EncoderConfig {
        dtx: true,
        ..EncoderConfig::default()
    };
    let packets = encode_frames(config, &mut SilenceSource::new(), 50);
    let last = packets.last().map_or(0, Vec::len);
    assert!(
        last <= 3,
        "DTX packets for silence are tiny, got {last} bytes"
    );
}

#[test]
fn bad_inputs_are_rejected() {
    let mut encoder = OpusEncoder::new(EncoderConfig::default()).expect("encoder");
    let mut out = [0u8; MAX_PACKET_BYTES];
    assert!(
        matches!(
            encoder.encode(&[0; 480], &mut out),
            Err(CodecError::FrameLength {
                expected: 960,
                got: 480
            })
        ),
        "a 20 ms encoder must refuse a 10 ms frame"
    );
    for (bitrate, loss) in [(0, 10), (-1, 10), (600_000, 10), (32_000, 101)] {
        let config = EncoderConfig {
            bitrate_bps: bitrate,
            expected_loss_pct: loss,
            ..EncoderConfig::default()
        };
        assert!(
            matches!(OpusEncoder::new(config), Err(CodecError::InvalidConfig(_))),
            "bitrate {bitrate} / loss {loss}% must be refused"
        );
    }

    let mut decoder = OpusDecoder::new().expect("decoder");
    let mut pcm = vec![0i16; 960];
    assert!(matches!(
        decoder.decode(&[], &mut pcm),
        Err(CodecError::EmptyPacket)
    ));
    // Code 3 packet (TOC 0xFF) whose frame count byte says zero frames: invalid per RFC 6716 3.2.5.
    let err = decoder
        .decode(&[0xFF, 0x00], &mut pcm)
        .expect_err("corrupt packet");
    assert!(matches!(err, CodecError::Decode(_)), "got {err:?}");
    // A 20 ms packet does not fit in 10 ms of output.
    let packet = encode_frames(EncoderConfig::default(), &mut SilenceSource::new(), 1);
    let mut short = vec![0i16; 480];
    assert!(matches!(
        decoder.decode(&packet[0], &mut short),
        Err(CodecError::Decode(_))
    ));
}

/// Prints the cost of encoding and decoding one 20 ms frame.
/// Run with `cargo test -p hearth-client --lib opus_cost -- --ignored --nocapture`; a debug build
/// is representative because the time is spent in the system libopus, which is optimised.
#[test]
#[ignore = "timing report, not a check"]
fn opus_cost() {
    let frames = 2_000;
    let mut src = SineSource::new(440.0, 0.5);
    let mut encoder = OpusEncoder::new(EncoderConfig::default()).expect("encoder");
    let mut decoder = OpusDecoder::new().expect("decoder");
    let mut pcm = vec![0i16; 960];
    let mut out = [0u8; MAX_PACKET_BYTES];
    let (mut enc, mut dec) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    for _ in 0..frames {
        src.read(&mut pcm);
        let t = std::time::Instant::now();
        let n = encoder.encode(&pcm, &mut out).expect("encode");
        enc += t.elapsed();
        let t = std::time::Instant::now();
        decoder.decode(&out[..n], &mut pcm).expect("decode");
        dec += t.elapsed();
    }
    println!(
        "opus 20 ms mono 32 kbps: encode {:.1} us/frame, decode {:.1} us/frame",
        enc.as_secs_f64() * 1e6 / frames as f64,
        dec.as_secs_f64() * 1e6 / frames as f64
    );
}
