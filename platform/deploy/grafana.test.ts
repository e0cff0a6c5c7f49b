/**
 * knative/grafana/leveler-dashboard.json, the cluster's counterpart of the local dashboard: it
 * parses, has the four panels, and its PromQL names only metrics the functions export (read from
 * their source, as the Prometheus exporter names them) or metrics knative/README.md documents as
 * coming from Knative Serving or RabbitMQ. Kept out of what kustomize and `leveler deploy` apply.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadKustomization } from "./render.js";

const ROOT = join(import.meta.dirname, "..", "..");
const FILE = join(ROOT, "knative", "grafana", "leveler-dashboard.json");

/** Metrics from outside leveler's code, each documented in knative/README.md. */
const EXTERNAL = [
  "autoscaler_actual_pods",
  "rabbitmq_detailed_queue_messages_ready",
  "rabbitmq_detailed_queue_messages",
  "rabbitmq_detailed_queue_messages_unacked",
  "kube_deployment_status_replicas",
];

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

const PROMQL_FUNCTIONS = new Set([
  "sum",
  "max",
  "min",
  "avg",
  "count",
  "rate",
  "irate",
  "increase",
  "label_replace",
  "histogram_quantile",
  "clamp_min",
  "topk",
  "abs",
  "round",
]);
const PROMQL_WORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
]);

/** Metric names in an expression: what is left once strings, ranges, matchers and grouping labels are taken out. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  for (const m of bare.matchAll(/([A-Za-z_:][\w:]*)\s*(\()?/g)) {
    const [, word, call] = m;
    if (call) {
      expect(PROMQL_FUNCTIONS.has(word!), `${word}( in ${expr}`).toBe(true);
      continue;
    }
    if (!PROMQL_WORDS.has(word!)) names.add(word!);
  }
  return [...names];
}

/** What the functions export, as @opentelemetry/exporter-prometheus names it (dots → `_`, `_total` on counters). */
function exportedByFunctions(): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((e) =>
      statSync(join(dir, e)).isDirectory()
        ? walk(join(dir, e))
        : e.endsWith(".ts") && !e.endsWith(".test.ts")
          ? [join(dir, e)]
          : [],
    );
  // The functions and the process runtime they share (lib/runtime) both create metrics. The
  // deferred meter only passes on instruments others name (run.ts, deferred-meter.ts).
  const forwardsOnly = join(ROOT, "lib", "runtime", "deferred-meter.ts");
  for (const file of [...walk(join(ROOT, "functions")), ...walk(join(ROOT, "lib"))]) {
    if (file === forwardsOnly) continue;
    const text = readFileSync(file, "utf8");
    const constants = new Map(
      [...text.matchAll(/const (\w+) = "([^"]+)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    for (const m of text.matchAll(
      /\.create(Counter|Histogram|ObservableGauge|Gauge|UpDownCounter)\(\s*(?:"([^"]+)"|(\w+))/g,
    )) {
      const name = (m[2] ?? constants.get(m[3]!))?.replace(/[^\w]/g, "_");
      if (!name) throw new Error(`${file}: cannot resolve the metric name ${m[3]}`);
      if (m[1] === "Counter") out.add(`${name}_total`);
      else if (m[1] === "Histogram")
        for (const suffix of ["_bucket", "_sum", "_count"]) out.add(name + suffix);
      else out.add(name);
    }
  }
  return out;
}

describe("the Grafana dashboard (knative/grafana)", () => {
  const dashboard = JSON.parse(readFileSync(FILE, "utf8")) as {
    uid: string;
    title: string;
    panels: Panel[];
    templating: { list: { name: string }[] };
  };

  it("parses, and has the four panels of the local dashboard", () => {
    expect(dashboard.uid).toBeTruthy();
    const series = dashboard.panels.filter((p) => p.type === "timeseries").map((p) => p.title);
    // The local dashboard's four, and the dispatchers KEDA scales (backlog-driven delivery).
    expect(series).toEqual(["Ingress", "Processing", "Queue depth", "Replicas", "Dispatchers"]);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(["datasource", "namespace"]);
  });

  it("names only metrics the functions export, or documented ones from Knative Serving and RabbitMQ", () => {
    const ours = exportedByFunctions();
    expect(ours).toContain("leveler_ingress_events_accepted_total");
    const readme = readFileSync(join(ROOT, "knative", "README.md"), "utf8");
    for (const name of EXTERNAL)
      expect(readme, `${name} is documented in knative/README.md`).toContain(name);
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets!)
        for (const name of metricNames(target.expr)) used.add(name);
    }
    for (const name of used)
      expect(
        ours.has(name) || EXTERNAL.includes(name),
        `${name} is neither exported by functions/ or lib/ nor documented`,
      ).toBe(true);
    // Each documented outside metric is really used, so the list does not go stale.
    for (const name of EXTERNAL) expect(used).toContain(name);
  });

  it("reads metric names out of PromQL", () => {
    expect(
      metricNames(
        'sum by (trigger) (label_replace(rabbitmq_detailed_queue_messages_ready{queue=~"a\\\\..+"}, "trigger", "$1", "queue", "x"))',
      ),
    ).toEqual(["rabbitmq_detailed_queue_messages_ready"]);
    expect(metricNames('sum(rate(a_total{x="y"}[5m])) / sum(b)')).toEqual(["a_total", "b"]);
  });

  it("is not a manifest: kustomize and `leveler deploy` leave it out", () => {
    const listed = loadKustomization(join(ROOT, "knative"), ROOT).map((d) => d.file);
    expect(listed.length).toBeGreaterThan(5);
    expect(listed.some((f) => f.includes("grafana"))).toBe(false);
  });
});
