use super::*;
use crate::audio::analysis::goertzel_power;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!(
            "hearth-audio-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_wav(path: &Path, spec: WavSpec, frames: impl Fn(&mut WavWriter<BufWriter<File>>)) {
    let mut writer = WavWriter::create(path, spec).expect("create test WAV");
    frames(&mut writer);
    writer.finalize().expect("finalise test WAV");
}

fn sine(freq: f64, i: usize, rate: u32) -> f64 {
    (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin()
}

#[test]
fn wav_round_trip_is_exact() {
    let dir = TempDir::new();
    let path = dir.file("round.wav");
    let written: Vec<i16> = (0..5_000)
        .map(|i| ((i * 37) % 65_536 - 32_768) as i16)
        .collect();
    let mut sink = WavSink::create(&path).expect("create sink");
    assert_eq!(sink.path(), path.as_path());
    sink.write(&written[..1_000]);
    sink.write(&written[1_000..]);
    sink.finish().expect("finish sink");

    let mut src = WavSource::open(&path, false).expect("open written file");
    assert_eq!(
        src.samples(),
        written.as_slice(),
        "48 kHz mono 16-bit must round-trip exactly"
    );

    let mut frame = vec![0i16; 960];
    let mut read = Vec::new();
    while src.read(&mut frame) {
        read.extend_from_slice(&frame);
    }
    assert_eq!(
        read.len(),
        960 * 6,
        "5000 samples fill six frames, the last padded"
    );
    assert_eq!(&read[..5_000], written.as_slice());
    assert!(read[5_000..].iter().all(|s| *s == 0), "padding is silence");
    assert!(
        frame.iter().all(|s| *s == 0),
        "an ended source fills silence"
    );
}

#[test]
fn wav_sink_finalises_on_drop() {
    let dir = TempDir::new();
    let path = dir.file("dropped.wav");
    {
        let mut sink = WavSink::create(&path).expect("create sink");
        sink.write(&[100; 480]);
    }
    let src = WavSource::open(&path, false).expect("header finalised on drop");
    assert_eq!(src.samples(), &[100; 480][..]);
}

#[test]
fn looped_source_wraps_around() {
    let dir = TempDir::new();
    let path = dir.file("loop.wav");
    let mut sink = WavSink::create(&path).expect("create sink");
    sink.write(&[1, 2, 3]);
    sink.finish().expect("finish sink");
    let mut src = WavSource::open(&path, true).expect("open");
    let mut frame = [0i16; 7];
    assert!(src.read(&mut frame), "a looped source never ends");
    assert_eq!(frame, [1, 2, 3, 1, 2, 3, 1]);
    assert!(src.read(&mut frame));
    assert_eq!(
        frame,
        [2, 3, 1, 2, 3, 1, 2],
        "looping continues where it left off"
    );
}

#[test]
fn stereo_is_averaged_to_mono() {
    let dir = TempDir::new();
    let path = dir.file("stereo.wav");
    let spec = WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: SampleFormat::Int,
    };
    write_wav(&path, spec, |w| {
        for _ in 0..960 {
            w.write_sample(1_000i16).expect("left");
            w.write_sample(3_000i16).expect("right");
        }
    });
    let src = WavSource::open(&path, false).expect("open stereo");
    assert_eq!(src.samples().len(), 960, "one mono sample per stereo frame");
    assert!(
        src.samples().iter().all(|s| *s == 2_000),
        "left and right are averaged"
    );
}

#[test]
fn wav_at_44k1_is_resampled_to_48k() {
    let dir = TempDir::new();
    let path = dir.file("44k1.wav");
    let spec = WavSpec {
        channels: 1,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: SampleFormat::Int,
    };
    write_wav(&path, spec, |w| {
        for i in 0..44_100 {
            w.write_sample((16_384.0 * sine(1_000.0, i, 44_100)) as i16)
                .expect("sample");
        }
    });
    let src = WavSource::open(&path, false).expect("open 44.1 kHz");
    assert_eq!(src.samples().len(), 48_000, "one second stays one second");
    let tone = goertzel_power(src.samples(), 1_000.0);
    let wrong = goertzel_power(src.samples(), 918.75);
    assert!(
        (tone - 0.25).abs() < 0.02,
        "1 kHz stays 1 kHz at half scale, got {tone}"
    );
    assert!(
        wrong < 0.001,
        "no energy at the unconverted pitch, got {wrong}"
    );
}

#[test]
fn float_stereo_at_22k05_is_converted() {
    let dir = TempDir::new();
    let path = dir.file("float.wav");
    let spec = WavSpec {
        channels: 2,
        sample_rate: 22_050,
        bits_per_sample: 32,
        sample_format: SampleFormat::Float,
    };
    write_wav(&path, spec, |w| {
        for i in 0..11_025 {
            let s = (0.5 * sine(440.0, i, 22_050)) as f32;
            w.write_sample(s).expect("left");
            w.write_sample(s).expect("right");
        }
    });
    let src = WavSource::open(&path, false).expect("open float WAV");
    assert_eq!(src.samples().len(), 24_000, "half a second at 48 kHz");
    let tone = goertzel_power(src.samples(), 440.0);
    assert!(
        (tone - 0.25).abs() < 0.02,
        "440 Hz at half scale, got {tone}"
    );
}

#[test]
fn missing_file_error_names_the_file() {
    let dir = TempDir::new();
    let path = dir.file("does-not-exist.wav");
    let err = WavSource::open(&path, false).expect_err("missing file must fail");
    assert!(matches!(err, AudioFileError::Read { .. }), "got {err:?}");
    assert!(
        err.to_string().contains("does-not-exist.wav"),
        "error must name the file: {err}"
    );
}

#[test]
fn non_wav_file_error_names_the_file() {
    let dir = TempDir::new();
    let path = dir.file("notes.txt");
    std::fs::write(&path, "this is not a RIFF file, just some text").expect("write text file");
    let err = WavSource::open(&path, false).expect_err("text file must fail");
    let msg = err.to_string();
    assert!(msg.contains("notes.txt"), "error must name the file: {msg}");
}

#[test]
fn unwritable_sink_error_names_the_file() {
    let dir = TempDir::new();
    let path = dir.file("no-such-dir").join("out.wav");
    let err = WavSink::create(&path).expect_err("missing directory must fail");
    assert!(
        err.to_string().contains("out.wav"),
        "error must name the file: {err}"
    );
}
