// Small line icons (system fonts lack reliable emoji on Linux).
import type { ComponentChildren } from "preact";
const svg = (children: ComponentChildren) => (
  <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">{children}</svg>
);

export const SpeakerIcon = () => svg(<><path d="M4 9v6h4l5 4V5L8 9z" /><path d="M16.5 8.5a5 5 0 0 1 0 7" /></>);
export const SpeakerOffIcon = () => svg(<><path d="M4 9v6h4l5 4V5L8 9z" /><path d="M17 9l5 6M22 9l-5 6" /></>);
export const GearIcon = () => svg(<><circle cx="12" cy="12" r="3" /><path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1" /></>);
export const ShieldIcon = () => svg(<path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z" />);
