/**
 * The dashboard page: one EventSource on `/api/dashboard/stream`, four live charts, the numbers
 * now, the broker and connection banners, and the two controls.
 */
import "uplot/dist/uPlot.min.css";
import "./app.css";
import type { BurstStatus, HelloMessage, SamplesMessage, WireSample } from "../wire.js";
import { ACCEPTED, createColors, LiveChart, REFUSED } from "./charts.js";
import { describeBurst, setupBurst, setupSampling } from "./controls.js";
import {
  formatCount,
  formatRate,
  formatRatio,
  ingressSeries,
  lastValues,
  SampleWindow,
  seriesOf,
  total,
} from "./series.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
};

const window5m = new SampleWindow(300_000, 250);
let burst: BurstStatus | null = null;
let configuredRatio: number | null = null;

const colors = createColors({ accepted: ACCEPTED, refused: REFUSED });
const charts = {
  ingress: new LiveChart($("chart-ingress"), $("legend-ingress"), {
    kind: "rate",
    color: colors,
    minMax: 10,
  }),
  consumers: new LiveChart($("chart-consumers"), $("legend-consumers"), {
    kind: "rate",
    color: colors,
    minMax: 10,
  }),
  queues: new LiveChart($("chart-queues"), $("legend-queues"), {
    kind: "count",
    color: colors,
    format: formatCount,
    minMax: 10,
  }),
  replicas: new LiveChart($("chart-replicas"), $("legend-replicas"), {
    kind: "stack",
    color: colors,
    format: formatCount,
    minMax: 2,
  }),
  delivering: new LiveChart($("chart-delivering"), $("legend-delivering"), {
    kind: "count",
    color: colors,
    format: formatCount,
    minMax: 10,
  }),
};

const WINDOW_KEY = "leveler.dashboard.window";
const windowSelect = $<HTMLSelectElement>("window");
const remembered = localStorage.getItem(WINDOW_KEY);
if (remembered && [...windowSelect.options].some((o) => o.value === remembered))
  windowSelect.value = remembered;
windowSelect.addEventListener("change", () => {
  localStorage.setItem(WINDOW_KEY, windowSelect.value);
  render();
});

function render(): void {
  const viewMs = Number(windowSelect.value);
  const samples = window5m.visible(viewMs);
  const range = window5m.xRange(viewMs);
  // Colours by function name, in name order, whichever chart meets a name first.
  const latest = window5m.latest;
  for (const name of Object.keys(latest?.replicas ?? {}).sort()) colors(name);
  const smooth = window5m.perSecond;
  const ingress = ingressSeries(samples, smooth);
  const consumers = seriesOf(samples, (s) => s.consumers, smooth);
  const queues = seriesOf(samples, (s) => s.queues);
  const replicas = seriesOf(samples, (s) => s.replicas);
  charts.ingress.update(ingress, range);
  charts.consumers.update(consumers, range);
  charts.queues.update(queues, range);
  charts.replicas.update(replicas, range);
  charts.delivering.update(
    seriesOf(samples, (s) => {
      const out: Record<string, number> = {};
      for (const [name, d] of Object.entries(s.delivering ?? {})) {
        out[name] = d.inFlight;
        out[`${name} bound`] = d.bound;
      }
      return out;
    }),
    range,
  );

  const now = {
    ingress: lastValues(ingress),
    processed: total(lastValues(consumers)),
    queued: latest ? total(latest.queues) : null,
    replicas: latest ? total(latest.replicas) : null,
  };
  text("now-accepted", formatRate(now.ingress.accepted));
  text("now-refused", formatRate(now.ingress.refused));
  text("now-processed", formatRate(now.processed));
  text("now-queued", formatCount(now.queued));
  text("now-replicas", formatCount(now.replicas));
  text("now-dead", formatCount(latest?.deadLetters));
  text("now-ratio", formatRatio(latest?.samplerRatio));
  if (latest) {
    text("total-accepted", `${formatCount(latest.totals.accepted)} in all`);
    text("total-refused", `${formatCount(latest.totals.refused)} in all`);
    text("total-processed", `${formatCount(latest.totals.processed)} in all`);
    text("total-dead", `${formatCount(latest.totals.deadLettered)} dead-lettered in all`);
    text("sub-queued", busiest(latest.queues, "deepest"));
    text(
      "sub-replicas",
      `${Object.values(latest.replicas).filter((r) => r > 0).length} of ${Object.keys(latest.replicas).length} functions up`,
    );
    text(
      "sub-ratio",
      latest.samplerRatio === null
        ? "changing, or no process answers"
        : configuredRatio !== null && configuredRatio !== latest.samplerRatio
          ? `configured ${configuredRatio}`
          : "by every process",
    );
  }
  $("now-refused").classList.toggle("alarm", (now.ingress.refused ?? 0) > 0);
  $("now-dead").classList.toggle("alarm", (latest?.deadLetters ?? 0) > 0);
  showBroker(latest);
  text("burst-status", describeBurst(burst));
  // The progress line changes every second: screen readers hear only how the burst ended.
  if (burst?.finishedAt && announcedBurst !== undefined && burst.id !== announcedBurst) {
    text("summary", describeBurst(burst));
    announcedBurst = burst.id;
  }
  if (latest)
    summarize(
      now.ingress.accepted ?? null,
      now.ingress.refused ?? null,
      now.processed,
      now.queued,
      now.replicas,
      latest?.deadLetters ?? null,
    );
}

function text(id: string, value: string): void {
  const el = $(id);
  if (el.textContent !== value) el.textContent = value;
}

function busiest(values: Record<string, number | null>, word: string): string {
  const known = Object.entries(values).filter((e): e is [string, number] => e[1] !== null);
  if (!known.length) return Object.keys(values).length ? "broker unreachable" : "";
  const [name, depth] = known.reduce((a, b) => (b[1] > a[1] ? b : a));
  return depth > 0 ? `${word}: ${name} (${formatCount(depth)})` : "every queue empty";
}

let brokerDownSince: number | null = null;
function showBroker(latest: WireSample | undefined): void {
  const banner = $("banner-broker");
  if (!latest || latest.brokerConnected) {
    brokerDownSince = null;
    banner.hidden = true;
    return;
  }
  brokerDownSince ??= latest.t;
  const message = `RabbitMQ is unreachable (since ${new Date(brokerDownSince).toLocaleTimeString()}). The ingress answers 503 with Retry-After and nothing is lost; queue depths are unknown until it is back, and everything reconnects by itself.`;
  if (banner.textContent !== message) banner.textContent = message;
  banner.hidden = false;
}

/** The last finished burst told (null: none; undefined before the first message, so old news is not told). */
let announcedBurst: number | null | undefined;

// Screen readers hear a summary every 15 s at most, not every number every second.
let lastSummary = "";
let lastSummaryAt = 0;
function summarize(
  accepted: number | null,
  refused: number | null,
  processed: number | null,
  queued: number | null,
  replicas: number | null,
  dead: number | null,
): void {
  const now = Date.now();
  if (now - lastSummaryAt < 15_000) return;
  const summary = `Accepting ${formatRate(accepted)} and refusing ${formatRate(refused)} events per second; processing ${formatRate(processed)} per second; ${formatCount(queued)} queued; ${formatCount(replicas)} replicas; ${formatCount(dead)} dead letters.`;
  if (summary === lastSummary) return;
  lastSummary = summary;
  lastSummaryAt = now;
  text("summary", summary);
}

// --- the stream ---------------------------------------------------------------------------------

let lastMessageAt = 0;
function setConnection(state: "live" | "lost" | "connecting"): void {
  const pill = $("connection");
  pill.dataset.state = state;
  text(
    "connection",
    state === "live" ? "live" : state === "lost" ? "reconnecting…" : "connecting…",
  );
  const banner = $("banner-stream");
  if (state === "lost") {
    const message =
      "Lost contact with the platform; reconnecting by itself. The charts resume when it answers.";
    if (banner.textContent !== message) banner.textContent = message;
  }
  banner.hidden = state !== "lost";
}

let source: EventSource | undefined;
function connect(): void {
  source?.close();
  const es = new EventSource("/api/dashboard/stream");
  source = es;
  es.addEventListener("hello", (event) => {
    const message = JSON.parse((event as MessageEvent<string>).data) as HelloMessage;
    window5m.reset(message.windowMs, message.intervalMs, message.samples);
    burst = message.burst;
    announcedBurst ??= burst?.finishedAt ? burst.id : null;
    lastMessageAt = Date.now();
    setConnection("live");
    render();
  });
  es.addEventListener("samples", (event) => {
    const message = JSON.parse((event as MessageEvent<string>).data) as SamplesMessage;
    window5m.append(message.samples);
    burst = message.burst;
    lastMessageAt = Date.now();
    setConnection("live");
    render();
  });
  es.addEventListener("error", () => {
    setConnection("lost");
    // EventSource retries by itself after a network error, but gives up on an HTTP error answer.
    if (es.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  });
}

// A stream that stays open but silent (a hung server) is lost too: start over.
setInterval(() => {
  if (lastMessageAt && Date.now() - lastMessageAt > 5000) {
    setConnection("lost");
    lastMessageAt = Date.now();
    connect();
  }
}, 1000);

// --- controls -----------------------------------------------------------------------------------

const ratioInput = $<HTMLInputElement>("ratio");
configuredRatio = ratioInput.value === "" ? null : Number(ratioInput.value);
setupBurst($<HTMLFormElement>("burst"), $("burst-status"));
setupSampling($<HTMLFormElement>("sampling"), ratioInput, $("sampling-status"), (ratio) => {
  configuredRatio = ratio;
  render();
});

setConnection("connecting");
render();
connect();
