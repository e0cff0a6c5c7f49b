/**
 * An L4 splice, shared by the TCP front and the activator out of the path: bytes both ways
 * between a client connection and a replica, untouched, with backpressure. Half-closes pass
 * through (end → end) so an answer already written is flushed, never cut; only an error tears both
 * sides down.
 *
 * Requests are seen without parsing HTTP: HTTP/1.1 clients (no pipelining) send a request only
 * once the previous answer has come, so the client's first bytes after an answer start a request
 * and the replica's first answer bytes end it. That is the concurrency the autoscaler needs, and
 * what a `gate` admits: a request's bytes wait (the client socket paused) until the gate lets it
 * reach the replica, as Knative's queue-proxy holds a request in its breaker until the container
 * has a free containerConcurrency slot. An idle connection therefore holds no slot.
 */
import { connect, type Socket } from "node:net";

/** Admission of one request at a time per connection (a replica's containerConcurrency). */
export interface SpliceGate {
  /**
   * A request waits to reach the replica: call `go` (at once, or later) when it may. Returns
   * what withdraws it if the connection closes before `go` was called.
   */
  acquire(go: () => void): () => void;
  /** An admitted request is over (its answer started, or its connection closed). */
  release(): void;
}

export interface SpliceEvents {
  /** The connection starts (true) or stops (false) carrying a request, waiting or admitted. */
  busy?(value: boolean): void;
  /** Once, when either side has closed: the connection holds nothing of the replica any more. */
  closed?(): void;
  /** Without one, every request goes on at once. */
  gate?: SpliceGate;
}

/** Connects to the replica and splices `client` to it; returns the replica-side socket. */
export function splice(
  client: Socket,
  replica: { host: string; port: number },
  events: SpliceEvents,
): Socket {
  const upstream = connect({ host: replica.host, port: replica.port, noDelay: true });
  // idle → waiting (gate not yet passed; bytes held here) → admitted → idle at the answer.
  let state: "idle" | "waiting" | "admitted" = "idle";
  let held: Buffer[] = [];
  let withdraw: (() => void) | undefined;
  let closed = false;
  let endAfterAdmission = false;
  /** Paused by the gate (not by backpressure): admission resumes it. */
  let heldBack = false;

  const toUpstream = (chunk: Buffer) => {
    if (!upstream.write(chunk)) client.pause();
  };
  const admitted = () => {
    if (closed) return;
    state = "admitted";
    withdraw = undefined;
    const chunks = held;
    held = [];
    if (heldBack) {
      heldBack = false;
      client.resume();
    }
    for (const chunk of chunks) toUpstream(chunk);
    if (endAfterAdmission) upstream.end();
  };
  /** The request, if any, is over: its slot (or its place in line) goes back. */
  const settle = () => {
    if (state === "idle") return;
    if (state === "waiting") withdraw?.();
    else events.gate?.release();
    state = "idle";
    withdraw = undefined;
    heldBack = false;
    held = [];
    events.busy?.(false);
  };
  const close = () => {
    settle();
    if (closed) return;
    closed = true;
    events.closed?.();
  };

  client.on("data", (chunk: Buffer) => {
    if (state === "admitted") return toUpstream(chunk);
    if (state === "waiting") {
      held.push(chunk);
      return;
    }
    events.busy?.(true);
    const gate = events.gate;
    if (!gate) {
      state = "admitted";
      return toUpstream(chunk);
    }
    state = "waiting";
    held.push(chunk);
    const cancel = gate.acquire(admitted);
    // Admitted at once (inside acquire) is the common case: the socket was never paused.
    if (state !== "waiting") return;
    withdraw = cancel;
    heldBack = true;
    client.pause();
  });
  upstream.on("data", (chunk: Buffer) => {
    // An answer ends the admitted request; bytes with none (a 408 before closing) just pass.
    if (state === "admitted") settle();
    if (!client.write(chunk)) upstream.pause();
  });
  upstream.on("drain", () => {
    if (!heldBack) client.resume();
  });
  client.on("drain", () => upstream.resume());
  client.once("end", () => {
    // A half-close behind a waiting request: the end follows the request's bytes, not overtakes them.
    if (state === "waiting") endAfterAdmission = true;
    else upstream.end();
  });
  upstream.once("end", () => {
    settle();
    client.end();
  });
  const abort = () => {
    settle();
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
