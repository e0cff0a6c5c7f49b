/**
 * An L4 splice, shared by the TCP front and the activator out of the path: bytes both ways
 * between a client connection and a replica, untouched, with backpressure. Half-closes pass
 * through (end → end) so an answer already written is flushed, never cut; only an error tears both
 * sides down. The connection counts as a request in flight from the client's first bytes to the
 * replica's first answer bytes (HTTP/1.1, no pipelining), which is the concurrency the autoscaler
 * needs.
 */
import { connect, type Socket } from "node:net";

export interface SpliceEvents {
  /** The connection starts (true) or stops (false) carrying a request. */
  busy(value: boolean): void;
  /** Once, when either side has closed: the connection holds nothing of the replica any more. */
  closed?(): void;
}

/** Connects to the replica and splices `client` to it; returns the replica-side socket. */
export function splice(
  client: Socket,
  replica: { host: string; port: number },
  events: SpliceEvents,
): Socket {
  const upstream = connect({ host: replica.host, port: replica.port, noDelay: true });
  let busy = false;
  const setBusy = (value: boolean) => {
    if (busy === value) return;
    busy = value;
    events.busy(value);
  };
  let closed = false;
  const close = () => {
    setBusy(false);
    if (closed) return;
    closed = true;
    events.closed?.();
  };
  client.on("data", (chunk: Buffer) => {
    setBusy(true);
    if (!upstream.write(chunk)) client.pause();
  });
  upstream.on("data", (chunk: Buffer) => {
    setBusy(false);
    if (!client.write(chunk)) upstream.pause();
  });
  upstream.on("drain", () => client.resume());
  client.on("drain", () => upstream.resume());
  client.once("end", () => upstream.end());
  upstream.once("end", () => {
    setBusy(false);
    client.end();
  });
  const abort = () => {
    setBusy(false);
    client.destroy();
    upstream.destroy();
  };
  client.on("error", abort);
  upstream.on("error", abort);
  client.once("close", () => {
    if (!upstream.destroyed) upstream.end();
    close();
  });
  upstream.once("close", () => {
    if (!client.destroyed && !client.writableEnded) client.end();
    close();
  });
  client.resume();
  return upstream;
}
