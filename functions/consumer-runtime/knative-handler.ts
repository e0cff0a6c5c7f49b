/**
 * Knative Functions' CloudEvent handler shape, `handle(context, event)` (faas-js-runtime; the
 * `func create -l typescript -t cloudevents` template), on leveler's consumer runtime, so a
 * handler moves between the two unchanged:
 *
 * - `context.log` logs (info, warn, error, debug) and `context.cloudevent` is the event;
 * - returning a CloudEvent: its data becomes the reply's data; returning plain data: that data;
 *   returning nothing: an empty reply. The reply is always `<type>.processed` from the consumer
 *   (the Trigger's reply goes back into the Broker), so a returned event's own type and source
 *   are not used;
 * - throwing: a transient failure, retried by the dispatcher (faas-js-runtime answers 500).
 *
 * The data is valid for the type's schema by the time `handle` runs: the ingress and the
 * consumer both check it.
 */
import { CloudEvent } from "cloudevents";
import { lineLogger } from "../../lib/runtime/log.js";

export interface HandlerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

/** The part of faas-js-runtime's `Context` a CloudEvent handler uses. */
export interface HandlerContext<T = unknown> {
  log: HandlerLogger;
  cloudevent: CloudEvent<T>;
}

export type HandlerResult = CloudEvent<unknown> | Record<string, unknown> | undefined | void;

export type CloudEventHandler<T = unknown> = (
  context: HandlerContext<T>,
  event: CloudEvent<T>,
) => HandlerResult | Promise<HandlerResult>;

/** The runtime's `process` for a `handle(context, event)` function. */
export function fromHandler<T>(
  name: string,
  handle: CloudEventHandler<T>,
  write: (line: string) => void = (line) => console.log(line),
): (event: CloudEvent<unknown>) => Promise<Record<string, unknown>> {
  const out = lineLogger(name, write);
  const log: HandlerLogger = {
    info: (m) => out(m),
    warn: (m) => out(`warn: ${m}`),
    error: (m) => out(`error: ${m}`),
    debug: (m) => out(`debug: ${m}`),
  };
  return async (event) => {
    const typed = event as CloudEvent<T>;
    return replyData(await handle({ log, cloudevent: typed }, typed));
  };
}

/** What a handler returned, as the reply's data. */
export function replyData(result: HandlerResult): Record<string, unknown> {
  const data = result instanceof CloudEvent ? result.data : result;
  if (data === undefined || data === null) return {};
  if (typeof data === "object" && !Array.isArray(data)) return data as Record<string, unknown>;
  return { result: data };
}
