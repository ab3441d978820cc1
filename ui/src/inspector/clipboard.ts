// Copying text: the async clipboard API where allowed, else the old selection trick. The last
// copied text is kept for the debug hook so browser tests can check what was copied.
let lastCopied: string | null = null;

export function lastCopiedText(): string | null {
  return lastCopied;
}

export async function copyText(text: string): Promise<boolean> {
  lastCopied = text;
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
