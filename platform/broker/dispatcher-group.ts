/**
 * The dispatchers of one process on the process's one AMQP connection: one Trigger's (or one
 * dead-letter queue's), or several Triggers'. Each keeps what makes it a Trigger's dispatcher (its
 * channel, prefetch, parallelism, consumers, retries, reply and dead-letter channels); what
 * several share is the process and the connection, so the frames of every Trigger that one
 * event-loop turn produces leave in one write (socket-coalesce.ts) and RabbitMQ reads them in one
 * go. Locally the Triggers of one cpu-request share a process (eventing.ts); on a cluster each
 * Trigger has its own eventing-rabbitmq dispatcher Deployment.
 */
import { ReconnectingConnection } from "../../lib/amqp-connection.js";
import { Dispatcher, type DispatcherOptions } from "./dispatcher.js";

export interface DispatcherGroupOptions {
  amqpUrl: string;
  log: (line: string) => void;
}

export class DispatcherGroup {
  readonly dispatchers: Dispatcher[] = [];
  private readonly connection: ReconnectingConnection;

  constructor(
    members: readonly Omit<DispatcherOptions, "connection">[],
    options: DispatcherGroupOptions,
  ) {
    this.connection = new ReconnectingConnection({
      url: options.amqpUrl,
      // As RabbitMQ's management UI shows it.
      name: `${members.map((m) => m.name).join(", ")} dispatcher${members.length > 1 ? "s" : ""}`,
      log: options.log,
      // Every member consumes again on each new connection; one failing fails the connection,
      // which closes and retries, as a lone dispatcher's does.
      setup: async (connection) => {
        await Promise.all(this.dispatchers.map((d) => d.setup(connection)));
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

  /** Every member finishes its deliveries in flight; then the connection closes. */
  async stop(): Promise<void> {
    await Promise.all(this.dispatchers.map((d) => d.stop()));
    await this.connection.stop();
  }
}
