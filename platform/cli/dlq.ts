/**
 * `leveler dlq list` and `leveler dlq replay [--type T] [--id ID]`: locally through the platform's
 * /api/dlq; with `--cluster [--namespace leveler]` straight to the dead-letter sink's API on the
 * cluster (dlq-cluster.ts).
 */
import { parseArgs } from "node:util";
import type { DeadLetter, ReplayFilter } from "../dead-letters/dead-letter.js";
import type { KubeConfig } from "@kubernetes/client-node";
import { printable } from "../../lib/printable.js";
import { clusterDeadLetterApi } from "./dlq-cluster.js";
import { callPlatform, CliError } from "./control-client.js";

/** What `dlq list --cluster` asks the sink for (the platform's own /api/dlq caps at 1000 too). */
const CLUSTER_LIST_LIMIT = 1000;

interface DlqBackend {
  list(filter: ReplayFilter): Promise<DeadLetter[]>;
  replay(filter: ReplayFilter): Promise<string[]>;
}

const localBackend: DlqBackend = {
  list: async () => (await callPlatform<{ deadLetters: DeadLetter[] }>("/api/dlq")).deadLetters,
  replay: async (filter) =>
    (
      await callPlatform<{ replayed: string[] }>("/api/dlq/replay", {
        method: "POST",
        body: filter,
      })
    ).replayed,
};

export async function dlq(args: string[], kc?: KubeConfig): Promise<void> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      type: { type: "string" },
      id: { type: "string" },
      json: { type: "boolean" },
      cluster: { type: "boolean" },
      namespace: { type: "string", default: "leveler" },
    },
  });
  if (sub !== "list" && sub !== "replay") throw new CliError(DLQ_USAGE);
  const filter: ReplayFilter = {
    ...(values.type ? { type: values.type } : {}),
    ...(values.id ? { id: values.id } : {}),
  };
  if (!values.cluster) return run(sub, values, filter, localBackend);
  const { api, close } = await clusterDeadLetterApi(values.namespace, kc);
  try {
    await run(sub, values, filter, {
      list: async (f) => (await api.list(CLUSTER_LIST_LIMIT, f)).deadLetters,
      replay: (f) => api.replay(f),
    });
  } finally {
    close();
  }
}

export const DLQ_USAGE =
  "usage: leveler dlq list [--type T] [--id ID] [--json] [--cluster [--namespace NS]] | leveler dlq replay [--type T] [--id ID] [--cluster [--namespace NS]]";

async function run(
  sub: "list" | "replay",
  values: { type?: string; id?: string; json?: boolean },
  filter: ReplayFilter,
  backend: DlqBackend,
): Promise<void> {
  if (sub === "list") {
    const deadLetters = await backend.list(filter);
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
  const replayed = await backend.replay(filter);
  console.log(
    `replayed ${replayed.length} event(s) through the broker${replayed.length ? `: ${replayed.slice(0, 10).map(printable).join(", ")}${replayed.length > 10 ? ", ..." : ""}` : ""}`,
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
