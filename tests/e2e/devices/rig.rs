//! The test rig: a private PulseAudio daemon and a scratch directory with its ALSA config.

use super::*;

/// A private PulseAudio daemon in the scratch directory (its script is written by
/// [`Scratch::write_config`]): a null sink, `hearth`, the default sink, and a second null sink,
/// `hearth_tone`, into which the daemon plays a 440 Hz sine, so that its monitor
/// `hearth_tone.monitor`, the default source, captures the tone; all paced in real time by
/// the daemon's clock. (PulseAudio's own sine source delivers in 2-second blocks.)
pub(super) struct Pulse {
    scratch: PathBuf,
    daemon: Option<Child>,
}

impl Pulse {
    pub(super) fn start(scratch: &Path) -> anyhow::Result<Self> {
        let mut pulse = Self {
            scratch: scratch.to_owned(),
            daemon: None,
        };
        pulse.restart()?;
        Ok(pulse)
    }

    pub(super) fn socket(&self) -> PathBuf {
        self.scratch.join("run/pulse/native")
    }

    pub(super) fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        let socket = self.socket();
        let _ = std::fs::remove_file(&socket);
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(self.scratch.join("pulse.log"))?;
        let daemon = Command::new("pulseaudio")
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
            ])
            .args([
                "--disable-shm=yes",
                "--log-target=stderr",
                "--log-level=notice",
            ])
            .arg("-F")
            .arg(self.scratch.join("default.pa"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting pulseaudio")?;
        self.daemon = Some(daemon);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !socket.exists() {
            if Instant::now() > deadline {
                let log =
                    std::fs::read_to_string(self.scratch.join("pulse.log")).unwrap_or_default();
                bail!(
                    "pulseaudio did not open {} within 5 s; its log:\n{log}",
                    socket.display()
                );
            }
            if let Some(daemon) = &mut self.daemon
                && let Some(status) = daemon.try_wait()?
            {
                let log =
                    std::fs::read_to_string(self.scratch.join("pulse.log")).unwrap_or_default();
                bail!("pulseaudio exited ({status}); its log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Kills the daemon (by its pid), as a device vanishing would.
    pub(super) fn kill(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A scratch directory holding the private ALSA/PulseAudio configuration; removed on drop.
pub(super) struct Scratch {
    pub(super) path: PathBuf,
}

impl Scratch {
    pub(super) fn new(scenario: &str) -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "hearth-dev-{scenario}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(path.join("run/pulse"))
            .with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { path })
    }

    pub(super) fn socket(&self) -> PathBuf {
        self.path.join("run/pulse/native")
    }

    /// Writes `.asoundrc`, the PulseAudio client config and the daemon's script.
    pub(super) fn write_config(&self) -> anyhow::Result<()> {
        std::fs::write(self.path.join("client.conf"), "autospawn = no\n")?;
        let socket = self.socket();
        let script = format!(
            "# Hearth device tests: a private PulseAudio daemon.
load-module module-native-protocol-unix socket={} auth-anonymous=1
load-module module-null-sink sink_name=hearth rate=48000 channels=2
load-module module-null-sink sink_name=hearth_tone rate=48000 channels=2
load-module module-sine sink=hearth_tone frequency={TONE_HZ}
set-default-sink hearth
set-default-source hearth_tone.monitor
",
            socket.display()
        );
        std::fs::write(self.path.join("default.pa"), script)?;
        let asoundrc = r#"# Hearth device tests: a private ALSA configuration (HOME points here).
pcm.!default { type hw card 63 }
ctl.!default { type hw card 63 }
"#;
        std::fs::write(self.path.join(".asoundrc"), asoundrc)?;
        Ok(())
    }
}

/// Records what reaches the null sink (its monitor) with `parec`, PulseAudio's own client, as
/// f32 stereo at [`DEVICE_RATE`]; stopped (by its pid) on drop.
pub(super) struct Recorder {
    child: Option<Child>,
    path: PathBuf,
}

impl Recorder {
    pub(super) fn start(scratch: &Path) -> anyhow::Result<Self> {
        let path = scratch.join("played.raw");
        let child = Command::new("parec")
            .args(["-d", "hearth.monitor", "--raw", "--format=float32le"])
            .arg(format!("--rate={DEVICE_RATE}"))
            .args(["--channels=2", "--latency-msec=20"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&path)?)
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting parec")?;
        Ok(Self {
            child: Some(child),
            path,
        })
    }

    /// Stops recording and returns the frames recorded.
    pub(super) fn finish(mut self) -> anyhow::Result<Vec<[f32; 2]>> {
        self.stop();
        let bytes = std::fs::read(&self.path).context("reading what parec recorded")?;
        Ok(bytes
            .chunks_exact(8)
            .map(|b| {
                let l = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                let r = f32::from_le_bytes([b[4], b[5], b[6], b[7]]);
                [l, r]
            })
            .collect())
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
