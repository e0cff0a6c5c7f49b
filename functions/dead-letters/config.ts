/** Everything the dead-letter sink reads from its environment, in one place. */
import {
  ConfigError,
  readFunctionConfig,
  readNumber,
  readString,
  type FunctionConfig,
} from "../../lib/runtime/config.js";

/** Where the Knative Service mounts the optional Secret `dead-letters-token` (key `token`). */
export const DEFAULT_TOKEN_FILE = "/etc/leveler/dead-letters/token";

export interface DeadLettersConfig extends FunctionConfig {
  amqpUrl: string;
  /** `DEAD_LETTER_QUEUE`: the parked queue, declared by rabbitmq-eventing/dead-letters-queue.yaml. */
  queue: string;
  /** `DEAD_LETTERS_TOKEN`: the API's bearer token; otherwise read from `tokenFile`. */
  token: string | undefined;
  /** `DEAD_LETTERS_TOKEN_FILE`: a mounted Secret's file, read on every API request (rotation). */
  tokenFile: string;
  /** `K_SINK` (SinkBinding on Knative): replays go to the Broker over HTTP. */
  sinkUrl: string | undefined;
  /** Otherwise (locally) replays go straight into the Broker's exchange over AMQP. */
  exchange: string | undefined;
  /** Largest dead letter taken, in bytes; RabbitMQ 4's own default message limit is 16 MiB. */
  maxEventBytes: number;
  /** Most dead letters one list or replay returns (`?limit` is capped here). */
  maxLimit: number;
  /** Most parked messages one list or replay looks at (held unacked meanwhile). */
  maxScan: number;
}

export function readDeadLettersConfig(
  env: Record<string, string | undefined> = process.env,
): DeadLettersConfig {
  const queue = env.DEAD_LETTER_QUEUE;
  if (!queue)
    throw new ConfigError(
      "DEAD_LETTER_QUEUE is required: the name of the parked quorum queue (spec.name of the Queue in rabbitmq-eventing/dead-letters-queue.yaml)",
    );
  const sink = env.K_SINK || undefined;
  if (sink !== undefined && !/^https?:\/\//.test(sink))
    throw new ConfigError(`K_SINK=${JSON.stringify(sink)} is not an http(s) URL`);
  const maxLimit = readNumber(env, "DEAD_LETTERS_MAX_LIMIT", 500, { min: 1, integer: true });
  return {
    ...readFunctionConfig(env, "dead-letters"),
    amqpUrl: readString(env, "AMQP_URL", "amqp://guest:guest@127.0.0.1:5672"),
    queue,
    token: env.DEAD_LETTERS_TOKEN || undefined,
    tokenFile: readString(env, "DEAD_LETTERS_TOKEN_FILE", DEFAULT_TOKEN_FILE),
    sinkUrl: sink,
    exchange: env.BROKER_EXCHANGE || undefined,
    maxEventBytes: readNumber(env, "MAX_EVENT_BYTES", 16 * 1024 * 1024, { min: 1, integer: true }),
    maxLimit,
    maxScan: readNumber(env, "DEAD_LETTERS_MAX_SCAN", 10_000, { min: maxLimit, integer: true }),
  };
}
