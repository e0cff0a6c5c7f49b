/** The JSON file's shape: every figure per cell and scenario, the machine and the commit. */
import type { BudgetSummary, BudgetTrialResult } from "./budget.js";
import type { ColdStartResult } from "./coldstart-summary.js";
import type { CellResult } from "./cells.js";
import type { BudgetStage } from "./plan.js";
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
  /** Cold starts of every consumer from zero (lib/coldstart.ts); null when not run. */
  coldStarts?: ColdStartResult | null;
  /** Issue 15's measurement: CPU per processed event for every process, per tree. */
  budget: {
    plan: BudgetStage;
    /** False off Linux: no /proc to read. */
    cpuMeasured: boolean;
    /** The RabbitMQ node whose CPU was read; null when it is not on this machine. */
    /** `schedulers`: its Erlang scheduler threads (null: unreadable, or from before they were counted). */
    rabbitmq: { pid: number; private: boolean; schedulers?: number | null } | null;
    trials: BudgetTrialResult[];
    summary: BudgetSummary[];
  } | null;
  targets: Target[];
  benchPeakRssMb: number;
  wallSeconds: number;
}
