// Browser tests: the built UI (dist/) served by a tiny static server, Debian's Chromium driven
// headless by puppeteer-core, against the mock backend. `npm run e2e` builds first.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import puppeteer from "puppeteer-core";
import { serveDist } from "./serve.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.resolve(here, "../../target/test-artifacts");
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser) {
  const msg = `Chromium not found at ${CHROMIUM}: browser tests skipped (apt-get install chromium, or set CHROMIUM).`;
  if (process.env.HEARTH_REQUIRE_BROWSER === "1") throw new Error(`${msg} HEARTH_REQUIRE_BROWSER=1 makes this a failure.`);
  console.warn(msg);
}

/** Polls `fn` in the page until it returns a truthy value, or fails with `what`. */
async function waitFor(page, what, fn, arg, timeout = 8000) {
  try {
    return await page.waitForFunction(fn, { timeout, polling: 50 }, arg);
  } catch {
    throw new Error(`timed out after ${timeout} ms waiting for: ${what}`);
  }
}
const state = (page) => page.evaluate(() => window.__hearth.state);
const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `ui-${name}.png`) });

describe("Hearth UI in a browser", { skip: !haveBrowser }, () => {
  let server;
  let browser;
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await serveDist(path.resolve(here, "../dist"));
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(query = "") {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800, deviceScaleFactor: 2 });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.url}/index.html${query}`);
    await waitFor(page, "the join screen", () => document.querySelector("[data-testid=join]"));
    // Where the map draws me, in page coordinates: the camera centres me, clamped to the map.
    await page.evaluate(() => {
      window.__hearthTest = {
        meOnScreen() {
          const TILE = 32;
          const c = document.querySelector("[data-testid=map]");
          const r = c.getBoundingClientRect();
          const { me, world } = window.__hearth.state;
          const follow = (center, view, size) => (size <= view ? (size - view) / 2 : Math.max(0, Math.min(size - view, center - view / 2)));
          return {
            x: r.x + me.x * TILE - follow(me.x * TILE, r.width, world.map.width * TILE),
            y: r.y + me.y * TILE - follow(me.y * TILE, r.height, world.map.height * TILE),
          };
        },
      };
    });
    page.errors = errors;
    return page;
  }

  async function join(page, name = "Tess") {
    const server = await page.$("input[name=server]");
    await server.click({ clickCount: 3 });
    await server.type("demo.example:7800");
    const display = await page.$("input[name=displayName]");
    await display.click({ clickCount: 3 });
    await display.type(name);
    await page.click("[data-testid=join]");
    await waitFor(page, "connected with a world", () => window.__hearth.state.session.status === "connected" && !!document.querySelector("[data-testid=map]"));
    await waitFor(page, "peers listed", () => document.querySelectorAll("[data-testid=peer]").length > 0);
  }

  it("joins, draws the map with my avatar, and walks with keys and clicks", async () => {
    const page = await open();
    await shot(page, "join");
    await join(page);
    const s = await state(page);
    assert.equal(s.me.displayName, "Tess");
    assert.deepEqual(s.settings.recentServers[0], "demo.example:7800", "the server is remembered first in the recent list");
    // The canvas is HiDPI-sized and my avatar (white-ringed, at the centre of the camera) is drawn.
    await waitFor(page, "the first frame to size the canvas", () => {
      const c = document.querySelector("[data-testid=map]");
      return c.width === Math.round(c.clientWidth * devicePixelRatio);
    });
    const canvas = await page.$eval("[data-testid=map]", (c) => ({ w: c.width, cw: c.clientWidth }));
    assert.equal(canvas.w, canvas.cw * 2, "canvas backing store follows devicePixelRatio");
    await new Promise((r) => setTimeout(r, 600));
    // My avatar has a white ring (radius 0.42 tile); find it where the camera puts me.
    const ring = await page.evaluate(() => {
      const c = document.querySelector("[data-testid=map]");
      const dpr = c.width / c.clientWidth;
      const r = c.getBoundingClientRect();
      const ctx = c.getContext("2d");
      const { x, y } = window.__hearthTest.meOnScreen();
      const px = (dx, dy) => [...ctx.getImageData(Math.round((x - r.x + dx) * dpr), Math.round((y - r.y + dy) * dpr), 1, 1).data];
      return { edge: [px(32 * 0.42, 0), px(-32 * 0.42, 0), px(0, -32 * 0.42)] };
    });
    for (const [r, g, b] of ring.edge) assert.ok(r > 230 && g > 230 && b > 230, `my avatar's white ring should be drawn, got rgb(${r},${g},${b})`);
    await shot(page, "world");

    const start = (await state(page)).me;
    await page.focus("[data-testid=map]");
    await page.keyboard.down("ArrowRight");
    await new Promise((r) => setTimeout(r, 500));
    await page.keyboard.up("ArrowRight");
    const afterKeys = (await state(page)).me;
    assert.ok(afterKeys.x > start.x + 1, `arrow right should walk right: ${start.x} -> ${afterKeys.x}`);
    assert.ok(Math.abs(afterKeys.y - start.y) < 0.01, "walking right keeps y");
    await new Promise((r) => setTimeout(r, 300));
    const stopped = (await state(page)).me.x;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await state(page)).me.x, stopped, "releasing the key stops walking");

    // Click a point three tiles below me: the map turns the click into walkTo.
    const before = (await state(page)).me;
    const at = await page.evaluate(() => window.__hearthTest.meOnScreen());
    await page.mouse.click(at.x, at.y + 96);
    await waitFor(page, "walked down after the click", (y0) => window.__hearth.state.me.y > y0 + 1.5, before.y);
    const kinds = (await state(page)).protocol.map((m) => m.kind);
    assert.ok(kinds.includes("MOVE_INTENT"), "walking sends MOVE_INTENT");
    assert.deepEqual(page.errors, [], "no page errors");
    await page.close();
  });

  it("mutes myself, sets a peer's volume and mutes a peer for me", async () => {
    const page = await open();
    await join(page);
    await page.click("[data-testid=self-mute]");
    await waitFor(page, "mute pressed", () => document.querySelector("[data-testid=self-mute]").getAttribute("aria-pressed") === "true");
    assert.equal((await page.evaluate(() => window.__hearth.backendState())).voice.selfMuted, true, "the backend is muted");
    assert.equal((await state(page)).selfVoice.selfMuted, true, "the store knows");

    const peer = await page.$("[data-testid=peer]");
    const userId = await peer.evaluate((el) => el.dataset.user);
    await peer.$eval("[data-testid=volume]", (el) => {
      el.value = "150";
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await waitFor(page, "volume 1.5 in the store", (id) => window.__hearth.state.peers.find((p) => p.userId === id)?.volume === 1.5, userId);
    const backendPeer = (await page.evaluate(() => window.__hearth.backendState())).peers.find((p) => p.userId === userId);
    assert.equal(backendPeer.volume, 1.5, "the backend got the volume");

    await page.click(`[data-user="${userId}"] [data-testid=local-mute]`);
    await waitFor(page, "peer locally muted", (id) => window.__hearth.state.peers.find((p) => p.userId === id)?.locallyMuted === true, userId);
    await waitFor(page, "local mute button pressed", (id) =>
      document.querySelector(`[data-user="${id}"] [data-testid=local-mute]`)?.getAttribute("aria-pressed") === "true", userId);
    assert.equal((await page.evaluate(() => window.__hearth.backendState())).peers.find((p) => p.userId === userId).locallyMuted, true);
    await shot(page, "voice");
    await page.close();
  });

  it("switches the microphone processing in the settings and remembers it", async () => {
    const page = await open();
    await join(page);
    const before = (await state(page)).settings;
    assert.deepEqual([before.echoCancel, before.noiseSuppression, before.autoGain], [true, "standard", true], "all on by default");
    await page.click("[data-testid=open-settings]");
    await waitFor(page, "the settings dialog", () => document.querySelector("[data-testid=settings]")?.open);
    await page.click("[data-testid=echo-cancel]");
    await page.select("[data-testid=noise-suppression]", "strong");
    await shot(page, "settings-processing");
    await page.click("[data-testid=settings] button[type=submit]");
    await waitFor(page, "the settings saved", () => window.__hearth.state.settings.noiseSuppression === "strong");
    const after = (await state(page)).settings;
    assert.deepEqual([after.echoCancel, after.noiseSuppression, after.autoGain], [false, "strong", true]);
    await page.click("[data-testid=open-settings]");
    await waitFor(page, "the settings dialog again", () => document.querySelector("[data-testid=settings]")?.open);
    const shown = await page.evaluate(() => [
      document.querySelector("[data-testid=echo-cancel]").checked,
      document.querySelector("[data-testid=noise-suppression]").value,
      document.querySelector("[data-testid=auto-gain]").checked,
    ]);
    assert.deepEqual(shown, [false, "strong", true], "the dialog shows what was saved");
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  it("inspects protocol messages: filter, open one, copy as JSON", async () => {
    const page = await open();
    await join(page);
    await page.click("[data-testid=toggle-inspector]");
    await waitFor(page, "inspector rows", () => document.querySelectorAll("[data-testid=msg-row]").length > 3);
    await page.type("[data-testid=filter-text]", "CONNECTED");
    await waitFor(page, "only CONNECTED rows", () =>
      [...document.querySelectorAll("[data-testid=msg-row] .msg-kind")].every((k) => k.textContent === "CONNECTED") &&
      document.querySelectorAll("[data-testid=msg-row]").length === 1);
    await page.click("[data-testid=msg-row]");
    const detail = await page.$eval("[data-testid=message-detail] pre", (p) => p.textContent);
    assert.match(detail, /"kind": "CONNECTED"/);
    await page.click("[data-testid=copy-one]");
    const copied = JSON.parse(await page.evaluate(() => window.__hearth.lastCopied));
    assert.equal(copied.kind, "CONNECTED");
    assert.equal(copied.direction, "in");

    await page.$eval("[data-testid=filter-text]", (el) => { el.value = ""; el.dispatchEvent(new Event("input", { bubbles: true })); });
    await page.select("[data-testid=filter-direction]", "out");
    await page.click("[data-testid=copy-filtered]");
    const list = JSON.parse(await page.evaluate(() => window.__hearth.lastCopied));
    assert.ok(list.length > 0 && list.every((m) => m.direction === "out"), "copied list holds only the filtered (sent) messages");
    assert.ok(list.some((m) => m.kind === "CONNECT" && m.payload.token === "[redacted]"), "the token stays redacted");
    await shot(page, "inspector");
    await page.close();
  });

  it("hosts a LAN room: the switch shows the invite and joins it", async () => {
    const page = await open();
    await page.type("input[name=displayName]", "Hostess");
    await page.click("[data-testid=host-switch]");
    await waitFor(page, "invite shown", () => document.querySelector("[data-testid=invite-link]")?.textContent.startsWith("hearth://"), undefined);
    await waitFor(page, "joined own room", () => window.__hearth.state.session.status === "connected");
    const s = await state(page);
    assert.equal(s.host.running, true);
    assert.equal(s.session.server, s.host.info.lanAddress);
    await page.click("[data-testid=host-switch]").catch(() => {});
    await shot(page, "host");
    await page.close();
  });

  it("shows moderation to an Admin and hides it from a Member", async () => {
    const admin = await open("?role=Admin");
    await join(admin);
    const first = await admin.$("[data-testid=peer]");
    const userId = await first.evaluate((el) => el.dataset.user);
    await admin.click(`[data-user="${userId}"] [data-testid=moderate-toggle]`);
    const buttons = await admin.$$eval(`[data-user="${userId}"] [data-testid=moderation] button`, (bs) => bs.map((b) => b.textContent));
    assert.deepEqual(buttons, ["Server mute", "Remove from zone", "Kick…"]);
    await admin.click(`[data-user="${userId}"] [data-testid=moderation] .mod-mute button`);
    await waitFor(admin, "peer server-muted", (id) => window.__hearth.state.peers.find((p) => p.userId === id)?.serverMuted === true, userId);
    await shot(admin, "moderation-admin");
    await admin.close();

    const member = await open("?role=Member");
    await join(member);
    assert.equal(await member.$("[data-testid=moderate-toggle]"), null, "a Member sees no moderation");
    assert.equal(await member.$("[data-testid=moderation]"), null);
    await member.close();
  });

  it("shows reconnecting, then failed, with retry and leave", async () => {
    const page = await open();
    await page.$eval("input[name=server]", (el) => { el.value = ""; });
    await page.type("input[name=server]", "unreachable.example:7800");
    await page.type("input[name=displayName]", "Tess");
    await page.click("[data-testid=join]");
    await waitFor(page, "reconnecting banner", () => /Reconnecting \(attempt 1\), next try in/.test(document.querySelector("[data-testid=status]")?.textContent ?? ""));
    await shot(page, "reconnecting");
    await waitFor(page, "failed error", () => /connection refused/.test(document.querySelector("[data-testid=join-error]")?.textContent ?? ""));
    await page.close();
  });
});
