/**
 * A channel's acks, sent together: the acks a dispatcher makes in one turn of the event loop
 * (the reply confirms RabbitMQ sends in one batch settle as many messages) go out at the end of
 * that turn, and the longest run of them below every delivery still unsettled goes as one
 * `basic.ack` with `multiple` (AMQP 0-9-1 §1.8.3.13: acknowledges every outstanding delivery up
 * to its tag). One frame instead of several: less for the dispatcher to encode and write, and for
 * RabbitMQ one settlement for a quorum queue's log instead of several.
 *
 * Nothing is acked earlier than before: `ack` is called after the reply (or the dead letter) is
 * confirmed, as before; the frame leaves a moment later, in the same turn of the loop. A multiple
 * ack never covers a delivery still held: every delivery taken is tracked until it is acked or
 * nacked, including those left unacked on purpose (stopping), and the run stops below the lowest.
 */
import type { Message } from "amqplib";

/** The part of an amqplib Channel this needs. */
export interface AckChannel {
  ack(message: Message, allUpTo?: boolean): void;
  nack(message: Message, allUpTo?: boolean, requeue?: boolean): void;
}

export class DeliveryAcks {
  /** Delivery tags taken and neither acked nor nacked yet. */
  private readonly held = new Set<number>();
  private pending: Message[] = [];
  private scheduled = false;

  /** `gone`: the channel closed, so RabbitMQ requeued what it had delivered; nothing to send. */
  constructor(
    private readonly channel: AckChannel,
    private readonly gone: () => boolean,
  ) {}

  /** A delivery taken from the channel. */
  taken(message: Message): void {
    this.held.add(message.fields.deliveryTag);
  }

  /** Acks the delivery at the end of this turn of the event loop. */
  ack(message: Message): void {
    this.held.delete(message.fields.deliveryTag);
    this.pending.push(message);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Nacks now (a nack is rare; it does not wait for the acks). */
  nack(message: Message, requeue: boolean): void {
    this.held.delete(message.fields.deliveryTag);
    this.channel.nack(message, false, requeue);
  }

  /** Sends the pending acks now. */
  flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    if (this.gone()) return;
    let lowestHeld = Infinity;
    for (const tag of this.held) if (tag < lowestHeld) lowestHeld = tag;
    pending.sort((a, b) => a.fields.deliveryTag - b.fields.deliveryTag);
    // Every tag below the lowest one held is settled (acked now, or acked or nacked before), so one
    // multiple ack up to the last of them touches only these.
    let run = 0;
    while (run < pending.length && pending[run]!.fields.deliveryTag < lowestHeld) run++;
    try {
      if (run > 0) this.channel.ack(pending[run - 1]!, run > 1);
      for (let i = run; i < pending.length; i++) this.channel.ack(pending[i]!);
    } catch {
      // The channel closed meanwhile: RabbitMQ redelivers what was not acked.
    }
  }
}
