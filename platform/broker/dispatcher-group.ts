/**
 * Several dispatchers in one process, on one AMQP connection. Each keeps what makes it a
 * Trigger's dispatcher (its channel, prefetch, parallelism, consumers, retries, reply and
 * dead-letter channels); what they share is the process and the connection, so the frames of
 * every Trigger that one event-loop turn produces leave in one write (socket-coalesce.ts) and
 * RabbitMQ reads them in one go. Locally this replaces a process per Trigger (eventing.ts says
 * when); on a cluster each Trigger has its own eventing-rabbitmq dispatcher Deployment.
 */
import { ReconnectingConnection } from "../../lib/amqp-connection.js";
import { Dispatcher, type DispatcherOptions } from "./dispatcher.js";

export interface DispatcherGroupOptions {
  amqpUrl: string;
  /** The connection's name in RabbitMQ's management UI. */
  name: string;
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
      name: options.name,
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
