/**
 * The report's charts: Vega-Lite specifications rendered to SVG by Vega's headless renderer
 * (no browser, no canvas), so they can be diffed, embedded in Markdown and opened anywhere.
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface SeriesPoint {
  /** Seconds since the scenario started. */
  t: number;
  series: string;
  value: number;
}

/** One time series chart, with the burst shaded. */
export function timeSeriesChart(options: {
  title: string;
  yTitle: string;
  points: SeriesPoint[];
  burst: { start: number; end: number };
  step?: boolean;
}): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title,
    width: 720,
    height: 200,
    layer: [
      {
        data: { values: [options.burst] },
        mark: { type: "rect", color: "#f2b134", opacity: 0.15 },
        encoding: { x: { field: "start", type: "quantitative" }, x2: { field: "end" } },
      },
      {
        data: { values: options.points },
        mark: {
          type: "line",
          strokeWidth: 1.5,
          interpolate: options.step ? "step-after" : "linear",
        },
        encoding: {
          x: { field: "t", type: "quantitative", title: "seconds (shaded: the burst)" },
          y: { field: "value", type: "quantitative", title: options.yTitle },
          color: { field: "series", type: "nominal", title: null },
        },
      },
    ],
  };
}

export interface ThroughputPoint {
  requests: number;
  label: string;
  value: number;
}

/** Accepted requests/s per size: every trial as a dot, medians as a line, the old system beside. */
export function throughputChart(
  trials: ThroughputPoint[],
  medians: ThroughputPoint[],
): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Accepted requests per second (dots: trials; lines: medians)",
    width: 560,
    height: 260,
    layer: [
      {
        data: { values: medians },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "requests", type: "ordinal", title: "requests per run" },
          y: { field: "value", type: "quantitative", title: "accepted requests/s" },
          color: { field: "label", type: "nominal", title: null },
        },
      },
      {
        data: { values: trials },
        mark: { type: "circle", opacity: 0.5, size: 30 },
        encoding: {
          x: { field: "requests", type: "ordinal" },
          y: { field: "value", type: "quantitative" },
          color: { field: "label", type: "nominal" },
        },
      },
    ],
  };
}
