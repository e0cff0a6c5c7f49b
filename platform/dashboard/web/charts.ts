/**
 * One live chart: a uPlot time series sized to its box, and beside it the list of current
 * numbers (or, while the pointer is over the chart, the numbers at that time).
 */
import uPlot from "uplot";
import {
  formatAgo,
  formatRate,
  lastValues,
  stacked,
  tickStep,
  valuesAt,
  type SeriesSet,
} from "./series.js";

export interface ChartSpec {
  /**
   * `rate`: lines with a light fill; `count`: lines; `stack`: counts that change in steps, stacked
   * (replicas: the top edge is the total, and one function's band never hides another's line).
   */
  kind: "rate" | "count" | "stack";
  color: (name: string) => string;
  format?: (value: number | null) => string;
  /** The y axis shows at least 0..minMax, so an idle chart is not a magnified zero. */
  minMax: number;
}

// Okabe-Ito, told apart with any common colour-vision deficiency; its green and vermillion are
// kept for accepted and refused, so no function is mistaken for either.
export const ACCEPTED = "#009E73";
export const REFUSED = "#D55E00";
const PALETTE = ["#0072B2", "#E69F00", "#CC79A7", "#56B4E9", "#8C6D1F", "#7B61FF", "#4D4D4D"];

/** The same name gets the same colour on every chart (an order consumer, its queue, its replicas). */
export function createColors(fixed: Record<string, string> = {}): (name: string) => string {
  const assigned = new Map<string, string>(Object.entries(fixed));
  return (name) => {
    let color = assigned.get(name);
    if (!color) {
      color = PALETTE[(assigned.size - Object.keys(fixed).length) % PALETTE.length]!;
      assigned.set(name, color);
    }
    return color;
  };
}

export class LiveChart {
  private plot: uPlot | undefined;
  private names: string[] = [];
  private set: SeriesSet = { names: [], data: [[]] };
  private range: [number, number] = [0, 1];
  private hoverIndex: number | null = null;
  private readonly format: (value: number | null) => string;

  constructor(
    private readonly box: HTMLElement,
    private readonly legend: HTMLElement,
    private readonly spec: ChartSpec,
  ) {
    this.format = spec.format ?? formatRate;
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(box);
  }

  update(set: SeriesSet, range: [number, number]): void {
    this.set = set;
    this.range = range;
    if (!this.plot || set.names.join("\n") !== this.names.join("\n")) this.create(set);
    else this.plot.setData(this.plotted(set));
    this.renderLegend();
  }

  /** What uPlot draws: for a stack, the running sums, largest first, so each band is filled over the one below. */
  private plotted(set: SeriesSet): uPlot.AlignedData {
    if (this.spec.kind !== "stack") return set.data;
    const [xs, ...sums] = stacked(set).data;
    return [xs, ...sums.reverse()] as uPlot.AlignedData;
  }

  private size(): { width: number; height: number } {
    return {
      width: Math.max(120, this.box.clientWidth),
      height: Math.max(120, this.box.clientHeight),
    };
  }

  private create(set: SeriesSet): void {
    this.plot?.destroy();
    this.names = set.names;
    const css = getComputedStyle(document.documentElement);
    const axis = css.getPropertyValue("--axis").trim() || "#555";
    const grid = css.getPropertyValue("--grid").trim() || "#ddd";
    const font = `12px ${css.getPropertyValue("--font").trim() || "system-ui, sans-serif"}`;
    const stack = this.spec.kind === "stack";
    const step = stack ? uPlot.paths.stepped!({ align: 1 }) : undefined;
    const order = stack ? [...set.names].reverse() : set.names;
    const options: uPlot.Options = {
      ...this.size(),
      legend: { show: false },
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
      scales: {
        // Seconds, labelled by how long ago (the window slides; clock times would crawl along).
        x: { time: false, range: () => this.range },
        y: {
          range: (_u, _min, max) => [0, Math.max(this.spec.minMax, niceCeil((max ?? 0) * 1.1))],
        },
      },
      axes: [
        {
          stroke: axis,
          font,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          splits: (u) => {
            const [min, max] = this.range;
            const step = tickStep(max - min, u.bbox.width / devicePixelRatio);
            const ticks: number[] = [];
            for (let ago = 0; max - ago >= min - 1e-6; ago += step) ticks.unshift(max - ago);
            return ticks;
          },
          values: (_u, splits) => splits.map((x) => formatAgo(this.range[1] - x)),
        },
        {
          stroke: axis,
          font,
          size: 52,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          ...(this.spec.kind === "rate"
            ? {}
            : {
                incrs: [
                  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000,
                  100_000,
                ],
              }),
          values: (_u, splits) => splits.map((v) => this.format(v)),
        },
      ],
      series: [
        {},
        ...order.map((name) => ({
          label: name,
          stroke: this.spec.color(name),
          width: stack ? 1.5 : 2,
          ...(this.spec.kind === "rate"
            ? { fill: `${this.spec.color(name)}1f` }
            : stack
              ? { fill: this.spec.color(name) }
              : {}),
          ...(step ? { paths: step } : {}),
          points: { show: false },
          spanGaps: false,
        })),
      ],
      hooks: {
        setCursor: [
          (u) => {
            this.hoverIndex = u.cursor.idx ?? null;
            this.renderLegend();
          },
        ],
      },
    };
    this.box.replaceChildren();
    this.plot = new uPlot(options, this.plotted(set), this.box);
  }

  private renderLegend(): void {
    const hovering = this.hoverIndex !== null && this.hoverIndex < this.set.data[0].length;
    const values = hovering ? valuesAt(this.set, this.hoverIndex!) : lastValues(this.set);
    const when = hovering
      ? new Date(this.set.data[0][this.hoverIndex!]! * 1000).toLocaleTimeString()
      : "now";
    const items: HTMLElement[] = [];
    const caption = document.createElement("li");
    caption.className = "when";
    caption.textContent = when;
    items.push(caption);
    if (!this.set.names.length) {
      const none = document.createElement("li");
      none.className = "none";
      none.textContent = "no data yet";
      items.push(none);
    }
    for (const name of this.set.names) {
      const li = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.backgroundColor = this.spec.color(name);
      const label = document.createElement("span");
      label.className = "name";
      label.textContent = name;
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = this.format(values[name] ?? null);
      li.append(swatch, label, value);
      items.push(li);
    }
    this.legend.replaceChildren(...items);
  }
}

/** A round number at least `value` (1, 1.5, 2, 3, 4, 5, 6, 8 × a power of ten), so the y axis has headroom but not much. */
function niceCeil(value: number): number {
  if (value <= 0) return 0;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 1.5, 2, 3, 4, 5, 6, 8, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}
