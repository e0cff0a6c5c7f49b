/**
 * The public Service's front door: a TCP (L4) balancer on the public port, for a Service with no
 * containerConcurrency. It stands for Knative with the activator out of the request path (the
 * ingress's `target-burst-capacity: "0"`): without a concurrency limit there is nothing to hold
 * while a replica is ready, so HTTP is not parsed at all: each connection is spliced to a ready
 * replica (round robin) and bytes flow both ways untouched. With no ready replica, connections
 * wait, as Knative then routes through the activator. A connection counts as a request in flight from the first bytes the
 * client sends until the replica's first answer bytes (HTTP/1.1 without pipelining), which is
 * the concurrency the autoscaler needs. With no ready replica, connections wait (bounded).
 */
import { createServer, type Server, type Socket } from "node:net";
import { ConcurrencyMeter } from "./concurrency.js";
import { frontUrl, type Front } from "./endpoints.js";
import { splice } from "./splice.js";

export interface TcpFrontOptions {
  service: string;
  maxWaiting: number;
  holdTimeoutMs: number;
  onDemand: () => void;
}

export class TcpFront implements Front {
  private endpoints: { id: string; host: string; port: number }[] = [];
  private next = 0;
  private readonly waitingSockets: { socket: Socket; timer: NodeJS.Timeout }[] = [];
  private readonly meter = new ConcurrencyMeter();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private boundPort = 0;
  private boundHost = "127.0.0.1";

  constructor(private readonly options: TcpFrontOptions) {}

  async listen(port: number, host = "127.0.0.1"): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.boundHost = host;
    const address = server.address();
    this.boundPort = typeof address === "object" && address ? address.port : port;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return frontUrl(this.boundHost, this.boundPort);
  }

  get inFlight(): number {
    return this.meter.current;
  }

  get waiting(): number {
    return this.waitingSockets.length;
  }

  takeConcurrency(): number {
    return this.meter.takeAverage() + this.waitingSockets.length;
  }

  /** Nothing to change: with no concurrency limit both modes forward at once or wait for a replica. */
  setActivatorInPath(): void {}

  setEndpoints(list: readonly { id: string; host: string; port: number }[]): void {
    this.endpoints = [...list];
    while (this.endpoints.length && this.waitingSockets.length) {
      const w = this.waitingSockets.shift()!;
      clearTimeout(w.timer);
      this.splice(w.socket);
    }
  }

  async close(): Promise<void> {
    for (const w of this.waitingSockets.splice(0)) {
      clearTimeout(w.timer);
      w.socket.destroy();
    }
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    if (this.endpoints.length) {
      this.splice(socket);
      return;
    }
    if (this.waitingSockets.length >= this.options.maxWaiting) {
      socket.end(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
      );
      return;
    }
    socket.pause();
    const timer = setTimeout(() => {
      const i = this.waitingSockets.findIndex((w) => w.socket === socket);
      if (i >= 0) this.waitingSockets.splice(i, 1);
      socket.end(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
      );
    }, this.options.holdTimeoutMs);
    this.waitingSockets.push({ socket, timer });
    this.options.onDemand();
  }

  private splice(client: Socket): void {
    const endpoint = this.endpoints[this.next++ % this.endpoints.length]!;
    const upstream = splice(client, endpoint, {
      busy: (value) => this.meter.change(value ? +1 : -1),
    });
    this.sockets.add(upstream);
    upstream.once("close", () => this.sockets.delete(upstream));
  }
}
