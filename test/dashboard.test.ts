/**
 * The dashboard in a real browser: Debian's Chromium (/usr/bin/chromium, `apt-get install
 * chromium`; .ci/run installs it), driven headless by playwright-core, against a real platform
 * (real RabbitMQ, real processes), then against a scripted timeline for the outage banners.
 * Screenshots go to test/output/dashboard/ (git-ignored).
 */
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardRoutes } from "../platform/dashboard/routes.js";
import type { WireSample } from "../platform/dashboard/wire.js";
import { launchChromium } from "./chromium.js";
import { startTestPlatform, type TestPlatform } from "./harness.js";

const ROOT = join(import.meta.dirname, "..");
const OUTPUT = join(import.meta.dirname, "output", "dashboard");

async function launch(): Promise<Browser> {
  mkdirSync(OUTPUT, { recursive: true });
  return launchChromium();
}

/** A number shown on the page ("1,234" → 1234; "–" → NaN). */
async function shown(page: Page, selector: string): Promise<number> {
  const text = (await page.locator(selector).first().textContent()) ?? "";
  return Number(text.replace(/,/g, "").trim() || NaN);
}

/** The value beside `name` in a chart's legend. */
const legendValue = (page: Page, chart: string, name: string) =>
  shown(page, `#legend-${chart} li:has(.name:text-is("${name}")) .value`);

describe("dashboard in Chromium, against a running platform", () => {
  let t: TestPlatform;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launch();
    t = await startTestPlatform({
      env: {
        // Idle consumers go to zero within about 7 s, so the burst is seen waking one from zero.
        AUTOSCALER_STABLE_WINDOW: "6s",
        AUTOSCALER_SCALE_TO_ZERO_GRACE_PERIOD: "1s",
        AUTOSCALER_TICK_MS: "250",
        // A slower order consumer, so the burst piles up in its queue for a while.
        LEVELER_ORDER_WORK_SHAPE: "io",
        LEVELER_ORDER_WORK_MS: "60",
      },
    });
    base = t.statusUrl.replace(/\/api\/status$/, "");
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning")
        problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("loads without console errors, live, read-only until logged in", async () => {
    await page.goto(`${base}/`);
    await expect
      .poll(() => page.locator("#connection").textContent(), { timeout: 10_000 })
      .toBe("live");
    // The replicas chart lists every function from the first samples.
    await expect
      .poll(() => page.locator("#legend-replicas li .name").allTextContents(), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(["ingress", "order", "payment"]));
    expect(await page.locator("#burst-count").isDisabled()).toBe(true);
    expect(await page.locator(".login").textContent()).toContain("control token");
    expect(await page.locator("canvas").count()).toBeGreaterThanOrEqual(4);
    for (const name of ["Ingress", "Processing", "Queue depth", "Replicas"])
      expect(await page.getByRole("heading", { name, exact: true }).count(), name).toBe(1);
    expect(await page.getByRole("img", { name: /processing rate/ }).count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it("logs in with the link npm start prints, and takes the token out of the address bar", async () => {
    await page.goto(`${base}/?token=${t.token}`);
    expect(page.url()).toBe(`${base}/`);
    const cookie = (await context.cookies()).find((c) => c.name.startsWith("leveler_session_"))!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(cookie.value).not.toContain(t.token);
    expect(await page.locator("#burst-count").isEnabled()).toBe(true);
    await expect
      .poll(() => page.locator("#connection").textContent(), { timeout: 10_000 })
      .toBe("live");
  });

  it("a burst from the page moves the charts' numbers and wakes the order consumer from zero", async () => {
    const order = async () => (await t.status()).functions.find((f) => f.name === "order")!;
    await expect.poll(async () => (await order()).replicas, { timeout: 30_000 }).toBe(0);
    await expect.poll(() => legendValue(page, "replicas", "order"), { timeout: 5_000 }).toBe(0);

    // Through the labels and roles a screen reader would use.
    await page.getByLabel("Events", { exact: true }).fill("3000");
    await page.getByLabel("Type", { exact: true }).selectOption("order");
    await page.getByRole("button", { name: "Send", exact: true }).click();

    await expect
      .poll(() => page.locator("#burst-status").textContent(), { timeout: 5_000 })
      .toMatch(/^(Sending|Sent) .* order events/);
    await expect.poll(() => shown(page, "#now-accepted"), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect
      .poll(() => legendValue(page, "ingress", "accepted"), { timeout: 5_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => legendValue(page, "replicas", "order"), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(1);
    await expect
      .poll(() => legendValue(page, "consumers", "order"), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => legendValue(page, "queues", "order"), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => shown(page, "#now-replicas"), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(2);
    // Let the lines grow a little for the picture.
    await page.waitForTimeout(4000);
    await page.screenshot({ path: join(OUTPUT, "burst-laptop.png"), fullPage: true });
    await expect
      .poll(async () => (await page.locator("#burst-status").textContent()) ?? "", {
        timeout: 60_000,
      })
      .toMatch(/^Sent 3,000 order events/);
    expect(await page.locator("#burst-status").textContent()).toMatch(
      /3,000 accepted, 0 refused\./,
    );
    expect(problems).toEqual([]);
  }, 120_000);

  it("the sampling control changes the ratio the processes apply (telemetry.samplerRatio)", async () => {
    await page.getByLabel(/^Ratio/).fill("0.25");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect
      .poll(() => page.locator("#sampling-status").textContent(), { timeout: 5_000 })
      .toMatch(/Ratio 0.25 written/);
    await expect
      .poll(async () => (await t.status()).telemetry.samplerRatio, { timeout: 15_000 })
      .toBe(0.25);
    await expect
      .poll(() => page.locator("#now-ratio").textContent(), { timeout: 10_000 })
      .toBe("0.25");
    // A preset, then a bad value: the server's message, naming the field, shows under the form.
    await page.click('#sampling button.preset[data-ratio="0"]');
    await expect
      .poll(async () => (await t.status()).telemetry.samplerRatio, { timeout: 15_000 })
      .toBe(0);
    // The browser's own check (max="1") would stop the form before it is sent: as text, the server judges.
    await page.evaluate(
      `Object.assign(document.getElementById("ratio"), { type: "text", value: "2" })`,
    );
    await page.click("#sampling button[type=submit]");
    await expect
      .poll(() => page.locator("#sampling-status").textContent(), { timeout: 5_000 })
      .toMatch(/^ratio: sampler ratio must be a number from 0 to 1/);
    expect(problems.filter((p) => !p.includes("400 (Bad Request)"))).toEqual([]);
  });

  it("reads well on a phone", async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const p = await phone.newPage();
    await p.goto(`${base}/`);
    await expect
      .poll(() => p.locator("#connection").textContent(), { timeout: 10_000 })
      .toBe("live");
    await p.waitForTimeout(1500);
    // Nothing wider than the screen.
    expect(await p.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await p.screenshot({ path: join(OUTPUT, "phone.png") });
    await p
      .locator(".charts .card")
      .nth(3)
      .screenshot({ path: join(OUTPUT, "phone-replicas.png") });
    await phone.close();
  });
});

describe("dashboard in Chromium, through outages (scripted timeline)", () => {
  let browser: Browser;
  let server: ServerType | undefined;
  let port = 0;
  const samples: WireSample[] = [];
  let brokerConnected = true;
  let ticker: NodeJS.Timeout;

  const app = createDashboardRoutes({
    token: "x".repeat(64),
    timeline: { intervalMs: 250, windowMs: 300_000, since: (t) => samples.filter((s) => s.t > t) },
    telemetryConfigFile: join(OUTPUT, "no-such-config.yaml"),
    distDir: join(ROOT, "dist"),
    ingressUrl: () => undefined,
  });
  const listen = () =>
    new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      const s = server!;
      s.close(() => resolve());
      (s as Server).closeAllConnections();
    });

  beforeAll(async () => {
    browser = await launch();
    ticker = setInterval(() => {
      const t = Date.now();
      const i = samples.length;
      samples.push({
        t,
        ingress: { accepted: 40 + 30 * Math.sin(i / 8), refused: 0 },
        consumers: { order: 35 },
        queues: { order: brokerConnected ? 5 : null },
        replicas: { ingress: 1, order: 1 },
        deadLetters: brokerConnected ? 0 : null,
        samplerRatio: 0,
        brokerConnected,
        totals: { accepted: i * 10, refused: 0, processed: i * 9, deadLettered: 0 },
      });
    }, 250);
    await listen();
  });

  afterAll(async () => {
    clearInterval(ticker);
    await browser?.close();
    if (server?.listening) await close();
  });

  it("shows the broker outage, and that it is over, without a reload", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await expect
      .poll(() => page.locator("#connection").textContent(), { timeout: 10_000 })
      .toBe("live");
    expect(await page.locator("#banner-broker").isHidden()).toBe(true);
    // Pointing at a chart shows the numbers at that time instead of now.
    await page.waitForTimeout(1500);
    const plot = page.locator("#chart-ingress .u-over");
    const box = (await plot.boundingBox())!;
    await page.mouse.move(box.x + box.width - 30, box.y + box.height / 2);
    await expect
      .poll(() => page.locator("#legend-ingress li.when").textContent(), { timeout: 3_000 })
      .toMatch(/\d:\d\d/);
    await page.mouse.move(0, 0);
    await expect
      .poll(() => page.locator("#legend-ingress li.when").textContent(), { timeout: 3_000 })
      .toBe("now");
    brokerConnected = false;
    await expect
      .poll(() => page.locator("#banner-broker").isVisible(), { timeout: 5_000 })
      .toBe(true);
    expect(await page.locator("#banner-broker").textContent()).toMatch(/RabbitMQ is unreachable/);
    expect(await page.locator("#now-queued").textContent()).toBe("–");
    await page.screenshot({ path: join(OUTPUT, "broker-down.png"), fullPage: true });
    brokerConnected = true;
    await expect
      .poll(() => page.locator("#banner-broker").isHidden(), { timeout: 5_000 })
      .toBe(true);
    await page.close();
  });

  it("says when the platform stops answering, and recovers by itself when it is back", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await expect
      .poll(() => page.locator("#connection").textContent(), { timeout: 10_000 })
      .toBe("live");
    await close();
    await expect
      .poll(() => page.locator("#banner-stream").isVisible(), { timeout: 10_000 })
      .toBe(true);
    expect(await page.locator("#connection").textContent()).toBe("reconnecting…");
    await listen();
    await expect
      .poll(() => page.locator("#connection").textContent(), { timeout: 15_000 })
      .toBe("live");
    expect(await page.locator("#banner-stream").isHidden()).toBe(true);
    await page.close();
  });
});
