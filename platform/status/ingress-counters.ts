/**
 * The ingress's accepted and refused counters, read from each replica's metrics endpoint and kept
 * per replica (service and pid), so what a replica counted still counts after it exits.
 */
import type { LocalService } from "../serving/local-service.js";
import { runningReplicas } from "../serving/local-serving.js";
import { sumCounts, total } from "./counts.js";
import { parseCounter, scrapeText } from "./metrics-scrape.js";

export class IngressCounters {
  private readonly acceptedByReplica = new Map<string, Record<string, number>>();
  private readonly refusedByReplica = new Map<string, number>();

  /** Reads every running replica of the given (public) Services; a replica that does not answer keeps its last reading. */
  async scrape(services: readonly LocalService[]): Promise<void> {
    await Promise.all(
      services.flatMap((service) =>
        runningReplicas(service).map(async (r) => {
          const text = await scrapeText(r.metricsUrl);
          if (text === undefined) return;
          const key = `${service.name}/${r.process.pid}`;
          this.acceptedByReplica.set(
            key,
            parseCounter(text, "leveler_ingress_events_accepted_total", "cloudevents_event_type"),
          );
          this.refusedByReplica.set(
            key,
            total(parseCounter(text, "leveler_ingress_events_rejected_total", "reason")),
          );
        }),
      ),
    );
  }

  /** Events accepted since the platform started, by event type. */
  accepted(): Record<string, number> {
    return sumCounts(this.acceptedByReplica.values());
  }

  /** Requests refused since the platform started, for any reason. */
  refused(): number {
    return total(this.refusedByReplica.values());
  }
}
