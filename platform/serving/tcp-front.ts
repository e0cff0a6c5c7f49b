/**
 * The public Service's front door: a TCP (L4) balancer on the public port, for a Service with no
 * containerConcurrency. It stands for Knative with the activator out of the request path (the
 * ingress's `target-burst-capacity: "0"`): without a concurrency limit there is nothing to hold
 * while a replica is ready, so HTTP is not parsed at all. With no ready replica, connections wait
 * (bounded), as Knative then routes through the activator.
 *
 * Where the port can be shared (shared-port.ts) the front listens only while no replica is ready:
 * the replicas listen on the port themselves and the kernel hands them the connections. Where it
 * cannot, each connection is spliced to a ready replica (round robin) and bytes flow both ways
 * untouched. A connection it splices counts as a request in flight from the first bytes the client
 * sends until the replica's first answer bytes (HTTP/1.1 without pipelining); while the replicas
 * hold the port, their own reports are the concurrency the autoscaler needs.
 */
import type { Socket } from "node:net";
import { ConcurrencyMeter } from "./concurrency.js";
import { frontUrl, type Front, type FrontEndpoint } from "./endpoints.js";
import { SharedPort, type SharingOptions } from "./shared-port.js";
import { splice } from "./splice.js";

/** `share`: step aside for the replicas (SO_REUSEPORT) while one is ready. */
export interface TcpFrontOptions extends SharingOptions {
  maxWaiting: number;
  holdTimeoutMs: number;
  onDemand: () => void;
}

export class TcpFront implements Front {
  private endpoints: FrontEndpoint[] = [];
  private next = 0;
  private readonly waitingSockets: { socket: Socket; timer: NodeJS.Timeout }[] = [];
  private readonly meter = new ConcurrencyMeter();
  private readonly sockets = new Set<Socket>();
  private readonly address: SharedPort;

  constructor(private readonly options: TcpFrontOptions) {
    this.address = new SharedPort(options, (socket) => this.accept(socket));
  }

  listen(port: number, host = "127.0.0.1"): Promise<void> {
    return this.address.listen(port, host);
  }

  get port(): number {
    return this.address.port;
  }

  get url(): string {
    return frontUrl(this.address.host, this.address.port);
  }

  /** The port replicas listen on too (SHARED_PORT), when the front shares it. */
  get sharedPort(): number | undefined {
    return this.address.sharedPort;
  }

  /** Whether the front is listening, so in the request path of new connections. */
  get listening(): boolean {
    return this.address.listening;
  }

  get inFlight(): number {
    return this.address.reported ?? this.meter.current;
  }

  get waiting(): number {
    return this.waitingSockets.length;
  }

  takeConcurrency(): number {
    const spliced = this.meter.takeAverage();
    return this.waitingSockets.length + (this.address.reported ?? spliced);
  }

  /** Nothing to change: with no concurrency limit both modes forward at once or wait for a replica. */
  setActivatorInPath(): void {}

  setEndpoints(list: readonly FrontEndpoint[]): void {
    this.endpoints = [...list];
    while (this.endpoints.length && this.waitingSockets.length) {
      const w = this.waitingSockets.shift()!;
      clearTimeout(w.timer);
      this.splice(w.socket);
    }
    this.address.follow(this.endpoints, false);
  }

  async close(): Promise<void> {
    for (const w of this.waitingSockets.splice(0)) {
      clearTimeout(w.timer);
      w.socket.destroy();
    }
    for (const s of this.sockets) s.destroy();
    await this.address.close();
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
