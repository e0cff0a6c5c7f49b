/**
 * `AMQP_URL` as a list of nodes: one URL (a cluster's Service, which spreads connections itself)
 * or several separated by commas (`amqp://u:p@a:5672,amqp://u:p@b:5672`), the way RabbitMQ
 * clients take a node list (the Java client's `Address[]`, Spring's `addresses`). amqplib's
 * `connect` takes one URL only (lib/connect.js), so the caller picks one and moves on to the next
 * when it fails. Commas cannot appear in an AMQP URL's host, and in credentials they are written
 * `%2C`, so splitting on them is safe.
 */

/** The URLs in `list`, in order; throws on an entry that is not an amqp(s) URL. */
export function amqpUrls(list: string): string[] {
  const urls = list
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u !== "");
  if (urls.length === 0) throw new Error("AMQP_URL is empty");
  for (const url of urls) {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new Error(`AMQP_URL entry ${JSON.stringify(redactOne(url))} is not a URL`);
    }
    if (protocol !== "amqp:" && protocol !== "amqps:")
      throw new Error(
        `AMQP_URL entry ${JSON.stringify(redactOne(url))} is not amqp:// or amqps://`,
      );
  }
  return urls;
}

/**
 * Which entry to try after `index` failed: the next one, round the list. With one URL, always
 * that one; with three, a lost node is followed by the two others before it is tried again.
 */
export function nextUrlIndex(index: number, count: number): number {
  return (index + 1) % count;
}

/** The URL (or each URL of a list) without its password, for messages. */
export function redact(url: string): string {
  return url
    .split(",")
    .map((u) => redactOne(u.trim()))
    .join(",");
}

function redactOne(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}
