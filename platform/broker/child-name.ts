/**
 * Kubernetes' 63-character name limit, as knative.dev/pkg `kmeta.ChildName` keeps to it: a
 * parent and suffix that fit are joined as they are; a longer parent is cut and followed by the
 * md5 of the whole parent, then the suffix; a suffix too long to leave room for a hash makes the
 * hash cover both and the result is cut to 63 characters. eventing-rabbitmq names its exchanges
 * and dead-letter queues this way, so a long namespace or Broker name gives the same RabbitMQ
 * names locally as on a cluster.
 */
import { createHash } from "node:crypto";

const LONGEST = 63;
const MD5_HEX_LENGTH = 32;
const HEAD = LONGEST - MD5_HEX_LENGTH;

export function childName(parent: string, suffix: string): string {
  if (parent.length <= LONGEST - suffix.length) return parent + suffix;
  if (HEAD - suffix.length <= 0) {
    const hash = md5(parent + suffix);
    let name = parent.slice(0, HEAD) + hash;
    // A short parent leaves room: pad with the start of the suffix.
    if (name.length < LONGEST) name += suffix.slice(0, LONGEST - name.length);
    // The cut may leave a name ending in `.` or `-`, which Kubernetes refuses.
    return name.replace(/[^a-zA-Z0-9]+$/, "");
  }
  return parent.slice(0, HEAD - suffix.length) + md5(parent) + suffix;
}

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}
