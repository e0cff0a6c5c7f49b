/**
 * A request's headers as a plain record (lower-case names), what the cloudevents SDK and
 * fromBinaryHttp read, made from Node's `rawHeaders` as fetch's `Headers` would hold them: names
 * lower-cased, values trimmed of HTTP whitespace, repeated headers joined with ", " ("; " for
 * cookie), as `Headers` does (undici, `HeadersList.append`), and of several `set-cookie` the
 * last, as iterating `Headers` with `forEach`, which lists each of them, leaves it. Node's parser
 * has already refused what `Headers` would refuse (invalid names, NUL, CR, LF). Building a fetch
 * `Headers` for this instead (an `append`, with its checks, per header, then a sort) cost a
 * consumer about a twentieth of its CPU per event.
 */

/** Node's `rawHeaders` (name, value, name, value, ...) as `Headers` would hold them. */
export function fromRawHeaders(raw: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // HTTP/2 pseudo-headers (`:path`) are not headers; @hono/node-server skips them too.
    if (name.charCodeAt(0) === 58) continue;
    const value = trimHttpWhitespace(raw[i + 1]!);
    const before = headers[name];
    headers[name] =
      before === undefined || name === "set-cookie"
        ? value
        : `${before}${name === "cookie" ? "; " : ", "}${value}`;
  }
  return headers;
}

const isHttpWhitespace = (code: number) => code === 9 || code === 10 || code === 13 || code === 32;

/** The Fetch standard's "normalize" of a header value: no leading or trailing HTTP whitespace. */
function trimHttpWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isHttpWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isHttpWhitespace(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}
