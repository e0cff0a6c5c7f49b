/**
 * A Service's address as a front holds it (tcp-front.ts, activator.ts). Where the system allows
 * it (Linux: SO_REUSEPORT) and the Service's replicas listen at the same address, the front shares
 * the port with them: each replica joins it (SHARED_PORT, lib/runtime/serve.ts) before its
 * readiness probe passes, the front stops listening while it need not be in the path, and the
 * kernel spreads new connections over the replicas, as a Kubernetes Service's address spreads
 * them over its pods. No byte of their requests then passes through the platform: through a
 * front each request cost two reads and two writes here, and on this VM a write to a loopback
 * socket runs the receiving side of TCP too (bench, 2026-12-05). When the front must be in the
 * path again (no replica ready, or the activator brought back) it listens again.
 *
 * Out of the path it cannot see requests, so it reads what the replicas report: each one's busy
 * time, every `scrapeEveryMs`, from its metrics port (replica-busy.ts), as Knative's autoscaler
 * reads each pod's queue-proxy.
 */
import { Agent, get } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import type { FrontEndpoint } from "./endpoints.js";
import { busySecondsIn, ReplicaBusy } from "./replica-busy.js";

/** What a front says about sharing its address (its own options carry these). */
export interface SharingOptions {
  service: string;
  /** Share the port with the replicas; unset or false: always listen (every connection through the front). */
  share?: boolean;
  /** How often the replicas' busy time is read while they hold the port. */
  scrapeEveryMs?: number;
  log?: (line: string) => void;
}

/** Errors that say the port itself is taken or forbidden, not that it cannot be shared. */
const PORT_ERRORS = new Set(["EADDRINUSE", "EACCES", "EADDRNOTAVAIL"]);

export class SharedPort {
  /** Listening now; undefined while stepped aside. */
  private server: Server | undefined;
  private binding: Promise<void> | undefined;
  private shared = false;
  private closed = false;
  private endpoints: readonly FrontEndpoint[] = [];
  private inPath = true;
  private readonly busy = new ReplicaBusy();
  private scrapeTimer: NodeJS.Timeout | undefined;
  private readonly scrapeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  private boundPort = 0;
  private boundHost = "127.0.0.1";

  constructor(
    private readonly options: SharingOptions,
    private readonly accept: (socket: Socket) => void,
  ) {}

  async listen(port: number, host: string): Promise<void> {
    this.boundHost = host;
    if (this.options.share) {
      try {
        this.server = await this.bind(port, host, true);
        this.shared = true;
      } catch (err) {
        if (PORT_ERRORS.has((err as NodeJS.ErrnoException).code ?? "")) throw err;
        this.options.log?.(
          `${this.options.service}: its port cannot be shared here (${(err as Error).message}); every connection goes through the platform`,
        );
      }
    }
    this.server ??= await this.bind(port, host, false);
    const address = this.server.address();
    this.boundPort = typeof address === "object" && address ? address.port : port;
  }

  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.boundHost;
  }

  /** The port the replicas listen on too (SHARED_PORT), when it is shared. */
  get sharedPort(): number | undefined {
    return this.shared ? this.boundPort : undefined;
  }

  /** Whether the front listens, so new connections reach it. */
  get listening(): boolean {
    return this.server !== undefined;
  }

  /**
   * The ready replicas, and whether the front must be in the path besides: on a shared port it
   * listens only while it must be or none is ready.
   */
  follow(endpoints: readonly FrontEndpoint[], inPath: boolean): void {
    this.endpoints = endpoints;
    this.inPath = inPath;
    this.busy.keep(new Set(endpoints.map((e) => e.id)));
    if (!this.shared) return;
    if (endpoints.length) this.startScraping();
    else this.stopScraping();
    this.reconcile();
  }

  /** Whether the front must be in the path besides, for the replicas it already knows. */
  setInPath(inPath: boolean): void {
    this.follow(this.endpoints, inPath);
  }

  /**
   * The replicas' own count of requests in flight, once one has reported a stretch while they
   * share the port: it covers every request they serve, those a front passed on included.
   * Undefined otherwise: the front's own count stands.
   */
  get reported(): number | undefined {
    return this.scrapeTimer !== undefined && this.busy.reports(this.endpoints)
      ? this.busy.inFlight
      : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopScraping();
    this.scrapeAgent.destroy();
    await this.binding;
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private bind(port: number, host: string, reusePort: boolean): Promise<Server> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    return new Promise<Server>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host, ...(reusePort ? { reusePort } : {}) }, () => {
        server.off("error", reject);
        resolve(server);
      });
    });
  }

  private reconcile(): void {
    if (this.closed || this.binding) return;
    const wanted = this.inPath || this.endpoints.length === 0;
    if (!wanted && this.server) {
      // Closing the listener resets a connection the kernel queued on it in the moment between
      // its last accept and the close, unless net.ipv4.tcp_migrate_req is 1 (it then moves to a
      // replica): its client sees a reset before anything it sent was taken. Connections the
      // front accepted before keep going through it.
      this.server.close();
      this.server = undefined;
    } else if (wanted && !this.server) {
      this.binding = this.bind(this.boundPort, this.boundHost, true).then(
        (server) => {
          this.binding = undefined;
          if (this.closed) server.close();
          else {
            this.server = server;
            this.reconcile();
          }
        },
        (err: Error) => {
          this.binding = undefined;
          this.options.log?.(
            `${this.options.service}: cannot listen on its port again (${err.message}); retrying`,
          );
          setTimeout(() => this.reconcile(), 100).unref();
        },
      );
    }
  }

  private startScraping(): void {
    if (this.scrapeTimer) return;
    this.scrapeTimer = setInterval(() => this.scrape(), this.options.scrapeEveryMs ?? 1000);
    this.scrapeTimer.unref();
    this.scrape();
  }

  private stopScraping(): void {
    clearInterval(this.scrapeTimer);
    this.scrapeTimer = undefined;
  }

  /** Each ready replica's busy time; a replica whose metrics are not up yet is read next time. */
  private scrape(): void {
    for (const endpoint of this.endpoints) {
      if (!endpoint.metricsPort) continue;
      const req = get(
        {
          host: endpoint.host,
          port: endpoint.metricsPort,
          path: "/metrics",
          agent: this.scrapeAgent,
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => {
            const seconds = busySecondsIn(text);
            if (seconds !== null && this.endpoints.some((e) => e.id === endpoint.id))
              this.busy.record(endpoint.id, seconds, performance.now());
          });
        },
      );
      req.setTimeout(1000, () => req.destroy());
      req.on("error", () => undefined);
    }
  }
}
