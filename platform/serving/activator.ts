/**
 * The local activator for a Service: an HTTP proxy on the Service's stable address. With ready
 * replicas it forwards to the one with the fewest requests in flight, never past
 * `containerConcurrency`; with none (scaled to zero) it holds the request, asks the autoscaler for
 * a replica, and forwards once one passes its readiness probe. The hold is bounded in size and
 * time; past either bound the answer is 503, which a dispatcher retries. It also counts requests
 * in flight, which is the concurrency the autoscaler scales on (the queue-proxy's job in Knative).
 */
import {
  Agent,
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { ConcurrencyMeter } from "./concurrency.js";
import type { Endpoint, Front } from "./endpoints.js";

export interface ActivatorOptions {
  service: string;
  containerConcurrency: number;
  maxWaiting: number;
  holdTimeoutMs: number;
  /** Called when a request must wait: no ready replica, or all at their limit. */
  onDemand: () => void;
  log?: (line: string) => void;
}

interface Waiting {
  req: IncomingMessage;
  res: ServerResponse;
  timer: NodeJS.Timeout;
}

export class Activator implements Front {
  private endpoints: Endpoint[] = [];
  private readonly queue: Waiting[] = [];
  private readonly meter = new ConcurrencyMeter();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  private server: Server | undefined;
  private boundPort = 0;

  constructor(private readonly options: ActivatorOptions) {}

  async listen(port = 0): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get inFlight(): number {
    return this.meter.current;
  }

  get waiting(): number {
    return this.queue.length;
  }

  takeConcurrency(): number {
    // Held requests count as demand too: that is how a Service at zero asks for a replica.
    return this.meter.takeAverage() + this.queue.length;
  }

  setEndpoints(list: readonly { id: string; host: string; port: number }[]): void {
    const known = new Map(this.endpoints.map((e) => [e.id, e]));
    this.endpoints = list.map((e) => known.get(e.id) ?? { ...e, inFlight: 0 });
    this.flush();
  }

  async close(): Promise<void> {
    for (const w of this.queue.splice(0)) {
      clearTimeout(w.timer);
      this.reject(w.res, "the platform is shutting down");
    }
    this.agent.destroy();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const endpoint = this.pick();
    if (endpoint) {
      this.forward(endpoint, req, res);
      return;
    }
    if (this.queue.length >= this.options.maxWaiting) {
      this.reject(
        res,
        `${this.options.maxWaiting} requests already wait for ${this.options.service}`,
      );
      return;
    }
    const waiting: Waiting = {
      req,
      res,
      timer: setTimeout(() => {
        const i = this.queue.indexOf(waiting);
        if (i >= 0) this.queue.splice(i, 1);
        this.reject(
          res,
          `no replica of ${this.options.service} became ready within ${this.options.holdTimeoutMs} ms`,
        );
      }, this.options.holdTimeoutMs),
    };
    req.pause();
    this.queue.push(waiting);
    res.once("close", () => {
      const i = this.queue.indexOf(waiting);
      if (i >= 0) {
        this.queue.splice(i, 1);
        clearTimeout(waiting.timer);
      }
    });
    this.options.onDemand();
  }

  private pick(): Endpoint | undefined {
    const limit = this.options.containerConcurrency;
    let best: Endpoint | undefined;
    for (const e of this.endpoints) {
      if (limit > 0 && e.inFlight >= limit) continue;
      if (!best || e.inFlight < best.inFlight) best = e;
    }
    return best;
  }

  private flush(): void {
    while (this.queue.length) {
      const endpoint = this.pick();
      if (!endpoint) return;
      const waiting = this.queue.shift()!;
      clearTimeout(waiting.timer);
      waiting.req.resume();
      this.forward(endpoint, waiting.req, waiting.res);
    }
  }

  private forward(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): void {
    endpoint.inFlight++;
    this.meter.change(+1);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      endpoint.inFlight--;
      this.meter.change(-1);
      this.flush();
    };
    const upstream = request(
      {
        host: endpoint.host,
        port: endpoint.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: this.agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once("end", finish);
        answer.once("error", finish);
      },
    );
    upstream.once("error", (err) => {
      finish();
      // The replica went away under the request: 502 is retried by the dispatcher.
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`${this.options.service}: replica unreachable (${err.message})`);
      } else res.destroy();
    });
    res.once("close", finish);
    req.pipe(upstream);
  }

  private reject(res: ServerResponse, why: string): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(503, { "content-type": "text/plain", "retry-after": "1" });
    res.end(`${why}\n`);
  }
}
