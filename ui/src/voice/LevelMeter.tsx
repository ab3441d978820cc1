// A horizontal level bar, 0..1, with a threshold colour change.
export function LevelMeter({ level, label }: { level: number; label: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, level)) * 100);
  return (
    <div class="level-meter" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div class={`level-fill ${pct > 15 ? "hot" : ""}`} style={{ transform: `scaleX(${pct / 100})` }} />
    </div>
  );
}
