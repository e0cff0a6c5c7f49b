import {
  readFunctionConfig,
  readNumber,
  readString,
  type FunctionConfig,
} from "../../lib/runtime/config.js";
import { MAX_ATTRIBUTE_BYTES } from "./attributes.js";

export interface IngressConfig extends FunctionConfig {
  /** Knative's SinkBinding sets K_SINK; an http(s) URL means "send there over HTTP". */
  sinkUrl: string | undefined;
  /** Otherwise events go straight into the Broker's exchange over AMQP. */
  amqpUrl: string;
  exchange: string | undefined;
  maxEventBytes: number;
  maxBatchBytes: number;
  maxAttributeBytes: number;
  source: string;
}

export function readIngressConfig(
  env: Record<string, string | undefined> = process.env,
): IngressConfig {
  const sink = env.K_SINK || undefined;
  return {
    ...readFunctionConfig(env, "ingress"),
    sinkUrl: sink && /^https?:\/\//.test(sink) ? sink : undefined,
    amqpUrl: readString(env, "AMQP_URL", "amqp://guest:guest@127.0.0.1:5672"),
    exchange: env.BROKER_EXCHANGE || undefined,
    maxEventBytes: readNumber(env, "MAX_EVENT_BYTES", 256 * 1024, { min: 1, integer: true }),
    maxBatchBytes: readNumber(env, "MAX_BATCH_BYTES", 4 * 1024 * 1024, { min: 1, integer: true }),
    maxAttributeBytes: readNumber(env, "MAX_ATTRIBUTE_BYTES", MAX_ATTRIBUTE_BYTES, {
      min: 1,
      integer: true,
    }),
    source: readString(env, "EVENT_SOURCE", "/leveler/ingress"),
  };
}
