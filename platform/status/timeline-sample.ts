/**
 * One sample of the platform's timeline, as `GET /api/timeline` and the dashboard's stream carry
 * it. Pure types, no Node: the dashboard's browser code imports this file too.
 */
export interface TimelineSample {
  /** Epoch ms of the sample. */
  t: number;
  /** Per second, over the interval before `t`. */
  ingress: { accepted: number; refused: number };
  /** Function name → events processed per second. */
  consumers: Record<string, number>;
  /** Trigger name → messages ready in its queue (null: unknown, the broker is down). */
  queues: Record<string, number | null>;
  replicas: Record<string, number>;
  /** Trigger name → its dispatcher's deliveries in flight and their bound (replicas × parallelism). */
  delivering?: Record<string, { inFlight: number; bound: number }>;
  deadLetters: number | null;
  samplerRatio: number | null;
  brokerConnected: boolean;
  totals: { accepted: number; refused: number; processed: number; deadLettered: number };
}
