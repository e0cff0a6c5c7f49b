/**
 * The broker in trouble, on a RabbitMQ node of the test's own (no one else's broker is hurt):
 * - a memory alarm blocks publishers, so no publisher confirm can come: the ingress must not
 *   answer 202 before the confirm, and answers it once the alarm clears;
 * - the node stops: the platform sees it (status, the timeline the dashboard draws, the page's
 *   banner in Chromium), the ingress answers 503, and all of it recovers when the node is back.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TimelineSample } from "../platform/status/timeline-sample.js";
import { launchChromium } from "./chromium.js";
import { post, startTestPlatform, type Tap, type TestPlatform } from "./harness.js";
import { startPrivateRabbit, type PrivateRabbit } from "./private-rabbit.js";

const REPORT = "com.example.report.requested";

describe("RabbitMQ in trouble (a private node)", () => {
  let rabbit: PrivateRabbit;
  let t: TestPlatform;
  let replies: Tap;
  let browser: Browser | undefined;

  beforeAll(async () => {
    rabbit = await startPrivateRabbit();
    t = await startTestPlatform({ env: { AMQP_URL: rabbit.url } });
    replies = await t.tap({ type: `${REPORT}.processed` });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await rabbit?.stop();
  });

  /** Whether a reply for event `id` has arrived. */
  const processed = (id: string) =>
    replies.messages.some(
      (m) => (JSON.parse(m.content.toString()) as { eventId: string }).eventId === id,
    );

  it("a memory alarm holds the publisher confirm: no 202 while blocked, 202 once it clears, then processed", async () => {
    await rabbit.ctl("set_vm_memory_high_watermark", "0");
    let clearing = false;
    const answers: { status: number; id?: string; beforeClear: boolean }[] = [];
    const send = () =>
      post(`${t.ingressUrl}/events/${REPORT}`, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reportId: "held", period: "daily" }),
      }).then((r) => {
        answers.push({ status: r.status, id: r.body.id, beforeClear: !clearing });
        return r;
      });
    const held = send();

    try {
      // The broker marks a connection "blocked" once it has published during the alarm: the
      // ingress's publish has reached RabbitMQ, which will not confirm it while the alarm lasts.
      for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
        if (/^blocked$/m.test(await rabbit.ctl("list_connections", "state"))) break;
        if (Date.now() > deadline) throw new Error("no connection was blocked by the alarm");
      }
      // The truth at this moment: no 202 (either no answer yet, or a refusal such as 503).
      expect(answers.filter((a) => a.status === 202)).toEqual([]);
    } finally {
      // Cleared whatever happened above, or the platform could not stop.
      clearing = true;
      await rabbit.ctl("set_vm_memory_high_watermark", "0.4");
    }
    let answer = await held;
    // A refusal while blocked is honest; the client sends the event again, as Retry-After says.
    while (answer.status !== 202) {
      expect(answer.status).toBe(503);
      await sleep(200);
      answer = await send();
    }
    expect(answers.filter((a) => a.status === 202 && a.beforeClear)).toEqual([]);
    const id = answer.body.id;
    for (const deadline = Date.now() + 30_000; !processed(id); await sleep(50))
      if (Date.now() > deadline) throw new Error(`event ${id} was accepted but not processed`);
  });

  it("the node stops: status, timeline and the dashboard's banner say RabbitMQ is down; all recover", async () => {
    const base = t.statusUrl.replace(/\/api\/status$/, "");
    const timeline = async () =>
      (
        (await (await fetch(`${base}/api/timeline`)).json()) as {
          samples: TimelineSample[];
        }
      ).samples;
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    await expect
      .poll(() => page.locator("#connection").textContent(), { timeout: 10_000 })
      .toBe("live");
    expect(await page.locator("#banner-broker").isHidden()).toBe(true);
    expect((await t.status()).broker.connected).toBe(true);

    const stoppedAt = Date.now();
    await rabbit.ctl("stop_app");
    await expect
      .poll(async () => (await t.status()).broker.connected, { timeout: 30_000 })
      .toBe(false);
    // The timeline the dashboard draws: a sample taken during the outage says so, and its queue
    // depths are unknown rather than a made-up 0.
    await expect
      .poll(async () => (await timeline()).some((s) => s.t > stoppedAt && !s.brokerConnected), {
        timeout: 30_000,
      })
      .toBe(true);
    const down = (await timeline()).filter((s) => s.t > stoppedAt && !s.brokerConnected).at(-1)!;
    expect(Object.values(down.queues).length).toBeGreaterThan(0);
    expect(Object.values(down.queues).every((depth) => depth === null)).toBe(true);
    await expect
      .poll(() => page.locator("#banner-broker").isVisible(), { timeout: 30_000 })
      .toBe(true);
    expect(await page.locator("#banner-broker").textContent()).toMatch(/RabbitMQ is unreachable/);
    const refused = await post(`${t.ingressUrl}/events/${REPORT}`, {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reportId: "down", period: "daily" }),
    });
    expect(refused.status).toBe(503);

    const startedAt = Date.now();
    await rabbit.ctl("start_app");
    await expect
      .poll(async () => (await t.status()).broker.connected, { timeout: 60_000 })
      .toBe(true);
    await expect
      .poll(
        async () =>
          (await timeline()).some(
            (s) =>
              s.t > startedAt &&
              s.brokerConnected &&
              Object.values(s.queues).every((depth) => typeof depth === "number"),
          ),
        { timeout: 30_000 },
      )
      .toBe(true);
    await expect
      .poll(() => page.locator("#banner-broker").isHidden(), { timeout: 30_000 })
      .toBe(true);
    // And events flow again: the ingress's own connection came back too.
    let accepted = await post(`${t.ingressUrl}/events/${REPORT}`, {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reportId: "back", period: "daily" }),
    });
    for (const deadline = Date.now() + 30_000; accepted.status !== 202; await sleep(200)) {
      if (Date.now() > deadline) throw new Error(`the ingress still answers ${accepted.status}`);
      accepted = await post(`${t.ingressUrl}/events/${REPORT}`, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reportId: "back", period: "daily" }),
      });
    }
    const id = accepted.body.id;
    for (const deadline = Date.now() + 30_000; !processed(id); await sleep(50))
      if (Date.now() > deadline) throw new Error(`event ${id} was accepted but not processed`);
  });
});
