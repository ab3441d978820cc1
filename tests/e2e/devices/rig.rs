//! The test rig: a private PulseAudio daemon and a scratch directory with its ALSA config.

use super::*;

/// A private PulseAudio daemon with one null sink, `hearth`, in the scratch directory.
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
            .arg(format!(
                "--load=module-native-protocol-unix socket={} auth-anonymous=1",
                socket.display()
            ))
            .arg("--load=module-null-sink sink_name=hearth rate=48000 channels=2")
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

    /// Writes `.asoundrc`, the PulseAudio client config and the tone file.
    pub(super) fn write_config(&self) -> anyhow::Result<()> {
        // The `file` PCM reads its file in the stream's own format, which is what the device
        // opens with: f32, stereo, 44.1 kHz (see DEVICE_FORMAT).
        let bytes: Vec<u8> = (0..DEVICE_RATE as usize * 20)
            .flat_map(|i| {
                let t = i as f32 / DEVICE_RATE as f32;
                let s = 0.3 * (std::f32::consts::TAU * TONE_HZ * t).sin();
                [s, s]
            })
            .flat_map(f32::to_le_bytes)
            .collect();
        std::fs::write(self.path.join("tone.raw"), bytes)?;
        std::fs::write(self.path.join("client.conf"), "autospawn = no\n")?;
        let dir = self.path.display();
        let asoundrc = format!(
            r#"# Hearth device tests: a private ALSA configuration (HOME points here).
pcm.!default {{ type hw card 63 }}
ctl.!default {{ type hw card 63 }}
pcm.hearth_out {{
    type pulse
    hint {{ show on description "Hearth test: PulseAudio null sink" }}
}}
pcm.hearth_in {{
    type pulse
    device "hearth.monitor"
    hint {{ show on description "Hearth test: null sink monitor" }}
}}
pcm.hearth_tone {{
    type file
    slave.pcm "hearth_in"
    file "/dev/null"
    infile "{dir}/tone.raw"
    format "raw"
    hint {{ show on description "Hearth test: capture of a 440 Hz tone file" }}
}}
pcm.hearth_record {{
    type file
    slave.pcm "hearth_out"
    file "{dir}/played.raw"
    format "raw"
    hint {{ show on description "Hearth test: null sink, recorded to a file" }}
}}
"#
        );
        std::fs::write(self.path.join(".asoundrc"), asoundrc)?;
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
