/**
 * Text from outside (event ids and types, error text a subscriber answered) made safe to print on
 * a terminal or as one line of a log: control characters (C0, DEL, C1), line and paragraph
 * separators and bidirectional overrides become visible escapes, so no string can forge a log
 * line, move the cursor, recolour the terminal or reorder what is shown.
 *
 * ```ts
 * printable("ok\u001b[2Jevil\nforged") // → "ok\\x1b[2Jevil\\nforged"
 * ```
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
