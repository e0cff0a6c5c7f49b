/** The JSON file's shape: every figure per cell and scenario, the machine and the commit. */
import type { CellResult } from "./cells.js";
import type { SpikeResult } from "./spike.js";
import type { CellSummary, MonitoringVerdict, Target } from "./summary.js";

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: {
    cores: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    rabbitmq: string;
    os: string;
  };
  git: { commit: string; dirty: boolean };
  settings: {
    connections: number;
    reps: number;
    sizes: number[];
    ratios: number[];
    matrixWork: string;
    mode: string;
  };
  cells: CellResult[];
  summary: CellSummary[];
  verdicts: MonitoringVerdict[];
  spike: SpikeResult | null;
  targets: Target[];
  benchPeakRssMb: number;
  wallSeconds: number;
}
