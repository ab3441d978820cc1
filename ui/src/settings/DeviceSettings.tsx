// Devices, talk mode and the push-to-talk key, saved through the backend.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Devices, NoiseSuppression, TalkMode } from "../backend/types";
import { useStore } from "../state/context";
import { errorMessage } from "../state/store";
import { keyLabel } from "../voice/SelfControls";

export function DeviceSettings({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const { settings, selfVoice } = store.state.value;
  const dialog = useRef<HTMLDialogElement>(null);
  const [devices, setDevices] = useState<Devices | null>(null);
  const [input, setInput] = useState(settings.inputDevice ?? "");
  const [output, setOutput] = useState(settings.outputDevice ?? "");
  const [mode, setMode] = useState<TalkMode>(selfVoice.talkMode);
  const [pttKey, setPttKey] = useState(settings.pttKey);
  const [echoCancel, setEchoCancel] = useState(settings.echoCancel);
  const [noise, setNoise] = useState<NoiseSuppression>(settings.noiseSuppression);
  const [autoGain, setAutoGain] = useState(settings.autoGain);
  const [relayOnly, setRelayOnly] = useState(settings.relayOnly);
  const [capturing, setCapturing] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    dialog.current?.showModal();
    store.backend.listDevices().then(setDevices, (e) => setError(errorMessage(e)));
  }, []);

  const capture = (e: KeyboardEvent) => {
    if (!capturing) return;
    e.preventDefault();
    e.stopPropagation();
    if (e.code !== "Escape") setPttKey(e.code);
    setCapturing(false);
  };

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const next = {
        ...settings, inputDevice: input || null, outputDevice: output || null, talkMode: mode, pttKey,
        echoCancel, noiseSuppression: noise, autoGain, relayOnly,
      };
      await store.backend.setDevices(next.inputDevice, next.outputDevice);
      if (mode !== selfVoice.talkMode) await store.backend.setTalkMode(mode);
      await store.backend.saveSettings(next);
      store.dispatch({ kind: "settings_saved", settings: next });
      onClose();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const deviceSelect = (label: string, value: string, set: (v: string) => void, list: Devices["inputs"] | undefined) => (
    <label>
      {label}
      <select value={value} onChange={(e) => set(e.currentTarget.value)} disabled={!list}>
        <option value="">System default</option>
        {list?.map((d) => <option key={d.name} value={d.name}>{d.name}{d.isDefault ? " (default)" : ""}</option>)}
      </select>
    </label>
  );

  return (
    <dialog ref={dialog} class="settings-dialog" onClose={onClose} onKeyDown={capture} aria-labelledby="settings-title" data-testid="settings">
      <form method="dialog" onSubmit={save}>
        <h2 id="settings-title">Voice settings</h2>
        {deviceSelect("Microphone", input, setInput, devices?.inputs)}
        {deviceSelect("Speakers or headphones", output, setOutput, devices?.outputs)}
        <label>
          Talk mode
          <select value={mode} onChange={(e) => setMode(e.currentTarget.value as TalkMode)}>
            <option value="voice_activity">Voice activity</option>
            <option value="push_to_talk">Push to talk</option>
            <option value="open">Open mic</option>
          </select>
        </label>
        <fieldset class="processing">
          <legend>Microphone processing</legend>
          <label class="check">
            <input type="checkbox" checked={echoCancel} onChange={(e) => setEchoCancel(e.currentTarget.checked)} data-testid="echo-cancel" />
            Echo cancellation
          </label>
          <label>
            Noise suppression
            <select value={noise} onChange={(e) => setNoise(e.currentTarget.value as NoiseSuppression)} data-testid="noise-suppression">
              <option value="off">Off</option>
              <option value="standard">Standard</option>
              <option value="strong">Strong</option>
            </select>
          </label>
          <label class="check">
            <input type="checkbox" checked={autoGain} onChange={(e) => setAutoGain(e.currentTarget.checked)} data-testid="auto-gain" />
            Automatic gain
          </label>
        </fieldset>
        <fieldset>
          <legend>Privacy</legend>
          <label title="Voice to other people goes through the room's relay (TURN) server, so they never see your address. Used from the next join.">
            <input type="checkbox" checked={relayOnly} onChange={(e) => setRelayOnly(e.currentTarget.checked)} data-testid="relay-only" />
            Hide my address (relay only)
          </label>
        </fieldset>
        <div class="field">
          <span>Push-to-talk key</span>
          <button type="button" class={capturing ? "capturing" : ""} onClick={() => setCapturing(true)} data-testid="ptt-key">
            {capturing ? "Press a key… (Esc cancels)" : keyLabel(pttKey)}
          </button>
        </div>
        {error && <p class="error" role="alert">{error}</p>}
        <div class="button-row end">
          <button type="button" onClick={() => dialog.current?.close()}>Cancel</button>
          <button type="submit" class="primary">Save</button>
        </div>
      </form>
    </dialog>
  );
}
