/**
 * One `writev` per event-loop turn for an AMQP connection's socket, instead of one `write(2)` per
 * frame.
 *
 * amqplib's muxer hands each channel's frames to the socket one `write()` at a time (lib/mux.js,
 * `roundrobin`), and an uncorked `net.Socket` makes a system call for each: a dispatcher that
 * publishes a reply and acks the delivery it answers, for every delivery of a turn, made two or
 * more calls per event, and RabbitMQ read as many small segments. Corking the socket at the first
 * write of a turn and uncorking it on the next tick sends everything that turn wrote in one
 * `writev`, which is what Node's own HTTP client does with a request's head and body. Nothing is
 * held past the turn that wrote it, so latency does not change, and with Nagle's algorithm off
 * (`noDelay`) the batch leaves at once.
 *
 * Back-pressure is unchanged: `write()` still returns false once the socket's buffer passes its
 * high-water mark, and amqplib's muxer then waits for `drain` as before.
 */
import type { Writable } from "node:stream";

const COALESCED = Symbol("leveler.coalescedWrites");

/** Patches `stream.write` in place (once; a second call does nothing) and returns the stream. */
export function coalesceWrites<T extends Writable>(stream: T): T {
  const marked = stream as T & { [COALESCED]?: true };
  if (marked[COALESCED]) return stream;
  marked[COALESCED] = true;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  stream.write = ((...args: unknown[]) => {
    if (!corked && !stream.writableCorked) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as T["write"];
  return stream;
}
