/** A ready replica as the request path sees it. */
export interface Endpoint {
  id: string;
  host: string;
  port: number;
  inFlight: number;
}

/** A ready replica as serving publishes it: its traffic port and its metrics port. */
export interface FrontEndpoint {
  id: string;
  host: string;
  port: number;
  metricsPort?: number;
}

/** What a Service's front (activator or TCP front) needs from serving. */
export interface Front {
  readonly url: string;
  readonly port: number;
  setEndpoints(endpoints: readonly FrontEndpoint[]): void;
  /** The autoscaler's verdict each tick: Knative's SKS proxy (true) or serve (false) mode. */
  setActivatorInPath(inPath: boolean): void;
  /** Average in-flight requests since the last call. */
  takeConcurrency(): number;
  readonly inFlight: number;
  readonly waiting: number;
  close(): Promise<void>;
}

/** The URL the platform itself uses for a front listening on `host`: loopback for a wildcard. */
export function frontUrl(host: string, port: number): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return `http://127.0.0.1:${port}`;
  return host.includes(":") ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
