/** A dead letter as `leveler dlq list` and the dashboard show it: the sink's own listing shape. */
import type { DeadLetterView } from "../../lib/dead-letter-view.js";

export type DeadLetter = DeadLetterView;

export interface ReplayFilter {
  type?: string;
  id?: string;
}
