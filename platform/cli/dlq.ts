/** `leveler dlq list` and `leveler dlq replay [--type T] [--id ID]`. */
import { parseArgs } from "node:util";
import type { DeadLetter } from "../dead-letters/dead-letter.js";
import { printable } from "../../lib/printable.js";
import { callPlatform, CliError } from "./control-client.js";

export async function dlq(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: { type: { type: "string" }, id: { type: "string" }, json: { type: "boolean" } },
  });
  if (sub === "list") {
    const { deadLetters } = await callPlatform<{ deadLetters: DeadLetter[] }>("/api/dlq");
    const shown = deadLetters.filter(
      (d) => (!values.type || d.type === values.type) && (!values.id || d.id === values.id),
    );
    if (values.json) {
      console.log(JSON.stringify(shown, null, 2));
      return;
    }
    if (!shown.length) {
      console.log("no dead letters");
      return;
    }
    for (const d of shown) console.log(deadLetterLine(d));
    console.log(`${shown.length} dead letter(s)`);
    return;
  }
  if (sub === "replay") {
    const { replayed } = await callPlatform<{ replayed: string[] }>("/api/dlq/replay", {
      method: "POST",
      body: { type: values.type, id: values.id },
    });
    console.log(
      `replayed ${replayed.length} event(s) through the broker${replayed.length ? `: ${replayed.slice(0, 10).map(printable).join(", ")}${replayed.length > 10 ? ", ..." : ""}` : ""}`,
    );
    return;
  }
  throw new CliError(
    "usage: leveler dlq list [--type T] [--id ID] [--json] | leveler dlq replay [--type T] [--id ID]",
  );
}

/**
 * One dead letter as `dlq list` prints it. Everything in it but the code came from a client or a
 * subscriber: control characters are escaped, so none can forge a line or drive the terminal.
 */
export function deadLetterLine(d: DeadLetter): string {
  const error = d.errorData ? `  ${d.errorData.replace(/\s+/g, " ").slice(0, 120)}` : "";
  return printable(
    `${d.id}  ${d.type}  code ${d.errorCode ?? "-"}  → ${d.errorDestination ?? "-"}${error}`,
  );
}
