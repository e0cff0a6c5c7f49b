/**
 * Requests in flight as the replicas report them, for a front no longer in the request path (a
 * shared port: tcp-front.ts). Each replica counts the seconds its requests spend in it
 * (lib/runtime/busy-time.ts, the `leveler.http.server.busy_time_seconds` counter on its metrics port); two
 * readings of that counter a stretch apart give the stretch's average in flight, as Knative's
 * autoscaler gets it from each pod's queue-proxy. Pure: the scraping is the front's.
 */

/** The counter's name in the Prometheus text (the exporter adds the unit and `_total`). */
export const BUSY_TIME_METRIC = "leveler_http_server_busy_time_seconds_total";

/** The counter's value in a Prometheus text exposition (its series summed), or null without it. */
export function busySecondsIn(text: string): number | null {
  let total: number | null = null;
  for (const line of text.split("\n")) {
    if (!line.startsWith(BUSY_TIME_METRIC)) continue;
    const rest = line.slice(BUSY_TIME_METRIC.length);
    if (rest[0] !== " " && rest[0] !== "{") continue; // a longer name that starts the same
    const value = Number(rest.slice(rest.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

interface Reading {
  seconds: number;
  atMs: number;
}

/** Each replica's last two readings, and the average in flight between them. */
export class ReplicaBusy {
  private readonly last = new Map<string, Reading>();
  private readonly averages = new Map<string, number>();

  /** A replica's counter read at `atMs`. A lower value than before is a new process: it starts over. */
  record(replica: string, seconds: number, atMs: number): void {
    const before = this.last.get(replica);
    this.last.set(replica, { seconds, atMs });
    if (!before || atMs <= before.atMs || seconds < before.seconds) {
      this.averages.delete(replica);
      return;
    }
    this.averages.set(replica, (seconds - before.seconds) / ((atMs - before.atMs) / 1000));
  }

  /** Only these replicas are ready now: the others' readings go. */
  keep(replicas: ReadonlySet<string>): void {
    for (const id of this.last.keys())
      if (!replicas.has(id)) {
        this.last.delete(id);
        this.averages.delete(id);
      }
  }

  /**
   * Whether any of `replicas` has reported a stretch. One just started reports after its metrics
   * are up and two reads have passed (a second or two); until then it adds nothing, which is
   * closer to its share than the front's own count, which sees none of the port's requests.
   */
  reports(replicas: readonly { id: string }[]): boolean {
    return replicas.some((r) => this.averages.has(r.id));
  }

  /** Average requests in flight over the replicas' last stretches, all replicas together. */
  get inFlight(): number {
    let sum = 0;
    for (const average of this.averages.values()) sum += average;
    return sum;
  }
}
