//! `hearth-bot latency --mix-cost N`: what the playout side of the engine costs per remote
//! speaker. N speakers' worth of real Opus packets (20 ms, a tone each) go through the same
//! jitter buffers, decoders and mixer the engine uses, as fast as the CPU allows; the CPU time
//! per second of audio per speaker is the figure.

use std::time::{Duration, Instant};

use hearth_engine::audio::{
    AudioSource, EncoderConfig, JitterBuffer, JitterConfig, Mixer, OpusDecoder, OpusEncoder,
    Playout, SineSource,
};

/// Seconds of audio simulated.
const SECONDS: usize = 20;
const FRAME: usize = 960;

pub fn run(speakers: usize) -> anyhow::Result<()> {
    let speakers = speakers.max(1);
    // Encode each speaker's audio up front: only the receive side is measured.
    let frames = SECONDS * 50;
    let mut streams: Vec<Vec<Vec<u8>>> = Vec::with_capacity(speakers);
    for s in 0..speakers {
        let mut source = SineSource::new(300.0 + 50.0 * s as f32, 0.1);
        let mut encoder = OpusEncoder::new(EncoderConfig::default())?;
        let mut pcm = vec![0i16; FRAME];
        let mut out = vec![0u8; 1275];
        let mut packets = Vec::with_capacity(frames);
        for _ in 0..frames {
            source.read(&mut pcm);
            let n = encoder.encode(&pcm, &mut out)?;
            packets.push(out[..n].to_vec());
        }
        streams.push(packets);
    }
    let mut buffers: Vec<(JitterBuffer, OpusDecoder)> = (0..speakers)
        .map(|_| {
            Ok((
                JitterBuffer::new(JitterConfig::default()),
                OpusDecoder::new()?,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut mixer = Mixer::new(FRAME);
    let mut pcm = vec![0i16; 5760];
    let mut out = vec![0i16; FRAME];
    let t0 = Instant::now();
    let cpu0 = thread_cpu();
    for f in 0..frames {
        // Simulated time: packets arrive every 20 ms, playout pulls every 20 ms.
        let now = t0 + Duration::from_millis(20 * f as u64);
        mixer.clear();
        for ((jitter, decoder), packets) in buffers.iter_mut().zip(&streams) {
            let Some(packet) = packets.get(f) else {
                continue;
            };
            jitter.push(now, f as u16, (f * FRAME) as u32, packet);
            let n = match jitter.pop(now) {
                Playout::Packet { payload, .. } => decoder.decode(&payload, &mut pcm)?,
                Playout::Fec { next, samples } => decoder.decode_fec(&next, &mut pcm[..samples])?,
                Playout::Conceal { samples } => decoder.conceal(&mut pcm[..samples])?,
                Playout::Silence { samples } => {
                    pcm[..samples].fill(0);
                    samples
                }
            };
            mixer.add(&pcm[..n.min(FRAME)], 1.0);
        }
        mixer.output(&mut out);
    }
    let cpu = thread_cpu().saturating_sub(cpu0);
    let per_speaker_us = cpu.as_secs_f64() * 1e6 / (SECONDS * speakers) as f64;
    let report = serde_json::json!({
        "speakers": speakers,
        "audio_seconds": SECONDS,
        "cpu_ms": (cpu.as_secs_f64() * 1e3 * 10.0).round() / 10.0,
        "us_per_speaker_per_audio_second": per_speaker_us.round(),
        "core_pct_per_speaker": (per_speaker_us / 1e4 * 1000.0).round() / 1000.0,
    });
    println!("{report}");
    Ok(())
}

/// CPU time of this thread so far (`/proc/thread-self/stat`, user + system).
pub fn thread_cpu() -> Duration {
    let ticks = std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|stat| {
            let rest = stat.rsplit_once(')')?.1.to_owned();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some(utime + stime)
        })
        .unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / crate::target::clock_ticks_per_second())
}
