import type { CloudEvent } from "cloudevents";

interface ReportRequested {
  reportId: string;
  period: "daily" | "weekly" | "monthly";
}

const DAYS = { daily: 1, weekly: 7, monthly: 30 } as const;

/** Generates the report's summary over its period. */
export function processReport(event: CloudEvent<unknown>): Record<string, unknown> {
  const report = event.data as ReportRequested;
  return {
    reportId: report.reportId,
    period: report.period,
    days: DAYS[report.period],
    status: "generated",
  };
}
