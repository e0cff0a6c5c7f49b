/**
 * The dispatchers of one process on the process's one AMQP connection: one Trigger's (or one
 * dead-letter queue's), or several Triggers'. Each keeps what makes it a Trigger's dispatcher (its
 * channel, prefetch, parallelism, consumers, retries, reply and dead-letter channels); what
 * several share is the process and the connection, so the frames of every Trigger that one
 * event-loop turn produces leave in one write (socket-coalesce.ts) and RabbitMQ reads them in one
 * go. Locally the Triggers of one cpu-request share a process (eventing.ts); on a cluster each
 * Trigger has its own eventing-rabbitmq dispatcher Deployment.
 */
import type { ChannelModel } from "amqplib";
import { ReconnectingConnection } from "../../lib/amqp-connection.js";
import { Dispatcher, type DispatcherOptions } from "./dispatcher.js";

/** How long a member that could not consume waits before it tries again on the same connection. */
const MEMBER_RETRY_MS = 1000;

export interface DispatcherGroupOptions {
  amqpUrl: string;
  log: (line: string) => void;
}

export class DispatcherGroup {
  readonly dispatchers: Dispatcher[] = [];
  private readonly connection: ReconnectingConnection;
  private stopped = false;

  constructor(
    members: readonly Omit<DispatcherOptions, "connection">[],
    options: DispatcherGroupOptions,
  ) {
    this.connection = new ReconnectingConnection({
      url: options.amqpUrl,
      // As RabbitMQ's management UI shows it.
      name: `${members.map((m) => m.name).join(", ")} dispatcher${members.length > 1 ? "s" : ""}`,
      log: options.log,
      // Every member consumes again on each new connection. One that cannot (its queue is gone, a
      // channel-level error) must not hold up the others, as on a cluster, where each Trigger's
      // dispatcher has a connection of its own: it tries again on this connection while the
      // others deliver. Only when every member failed, or the connection itself went, does the
      // connection close and retry, as a lone dispatcher's does.
      setup: async (connection) => {
        let closed = false;
        connection.once("close", () => (closed = true));
        const results = await Promise.allSettled(this.dispatchers.map((d) => d.setup(connection)));
        const failures = results.flatMap((r, i) =>
          r.status === "rejected"
            ? [
                {
                  dispatcher: this.dispatchers[i]!,
                  name: members[i]!.name,
                  reason: r.reason as Error,
                },
              ]
            : [],
        );
        if (failures.length === 0) return;
        if (closed || failures.length === this.dispatchers.length) throw failures[0]!.reason;
        for (const { dispatcher, name, reason } of failures) {
          options.log(
            `dispatcher ${name}: cannot consume (${reason.message}); trying again in ${MEMBER_RETRY_MS} ms, the other dispatchers of this process deliver meanwhile`,
          );
          this.retryLater(dispatcher, name, connection, options.log);
        }
      },
    });
    // Each member and each of its two sinks listens for "disconnected".
    this.connection.setMaxListeners(0);
    for (const member of members)
      this.dispatchers.push(new Dispatcher({ ...member, connection: this.connection }));
  }

  start(): Promise<void> {
    return this.connection.start();
  }

  /**
   * Once the connection is live, the member consumes again; a later failure on the same
   * connection is the member's own to retry (a closed channel re-consumes: dispatcher.ts).
   */
  private retryLater(
    dispatcher: Dispatcher,
    name: string,
    connection: ChannelModel,
    log: (line: string) => void,
  ): void {
    setTimeout(() => {
      if (this.stopped || this.connection.current !== connection) return;
      dispatcher
        .setup(connection)
        .catch((err: Error) => log(`dispatcher ${name}: cannot consume again: ${err.message}`));
    }, MEMBER_RETRY_MS).unref();
  }

  /** Every member finishes its deliveries in flight; then the connection closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.dispatchers.map((d) => d.stop()));
    await this.connection.stop();
  }
}
