/**
 * `leveler send <type> [<json> | @file] [--count N] [--rate R] [--wait] [--cluster]`: posts events
 * to the local ingress (`POST /events/<type>`) and prints each id; `--wait` also waits for each
 * event's `<type>.processed` reply, caught on a temporary exclusive queue bound to the Broker's
 * exchange (as a Trigger's queue is), and prints it with the time it took. `--cluster` posts to
 * the Broker's address through the Kubernetes API server's service proxy (send-cluster.ts).
 */
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { readPlatformConfig } from "../config.js";
import { ReplyWatch } from "./reply-watch.js";

export const SEND_USAGE = `  send <type> [<json> | @file] [--count N] [--rate R] [--wait] [--timeout S] [--cluster]
                            post events to the ingress (--cluster: the Broker), print ids;
                            --wait prints each .processed reply and how long it took`;

export class SendError extends Error {
  override readonly name = "SendError";
}

/** The data to send: JSON text, or `@path` to a file of it; a clear line if it is not JSON. */
export function readData(arg: string | undefined, read = (p: string) => readFileSync(p, "utf8")) {
  if (arg === undefined) return undefined;
  let text = arg;
  if (arg.startsWith("@")) {
    try {
      text = read(arg.slice(1));
    } catch (err) {
      throw new SendError(`cannot read ${arg.slice(1)}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SendError(`the data is not JSON: ${(err as Error).message}`);
  }
}

/** An RFC 9457 problem document as lines a person reads. */
export function formatProblem(status: number, body: string): string {
  let problem: { title?: string; detail?: string; errors?: unknown };
  try {
    problem = JSON.parse(body) as typeof problem;
  } catch {
    return `${status}: ${body.trim().slice(0, 500)}`;
  }
  const lines = [`${status} ${problem.title ?? ""}: ${problem.detail ?? ""}`];
  if (Array.isArray(problem.errors))
    for (const e of problem.errors as { field?: string; message?: string }[])
      lines.push(`  ${e.field}: ${e.message}`);
  return lines.join("\n");
}

export async function send(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      count: { type: "string", default: "1" },
      rate: { type: "string" },
      wait: { type: "boolean" },
      timeout: { type: "string", default: "30" },
      cluster: { type: "boolean" },
      namespace: { type: "string", default: "leveler" },
      broker: { type: "string", default: "default" },
    },
  });
  const [type, dataArg, ...extra] = positionals;
  if (!type || extra.length) throw new SendError("usage: leveler send <type> [<json> | @file]");
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1)
    throw new SendError("--count must be a whole number ≥ 1");
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0)) throw new SendError("--rate must be a number > 0");
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new SendError("--timeout must be seconds > 0");
  const data = readData(dataArg) ?? {};

  if (values.cluster) {
    if (values.wait)
      throw new SendError(
        "--wait is local only: on a cluster, watch the reply with leveler observe",
      );
    const { sendToBroker } = await import("./send-cluster.js");
    for (let i = 0; i < count; i++) {
      const { id, status } = await sendToBroker(values.namespace, values.broker, type, data);
      console.log(`${id} ${status}`);
      if (rate && i + 1 < count) await sleep(1000 / rate);
    }
    return 0;
  }

  const config = readPlatformConfig();
  const url = `http://127.0.0.1:${config.ingressPort}/events/${encodeURIComponent(type)}`;
  const watch = values.wait ? await ReplyWatch.open(config, type) : undefined;
  let failed = 0;
  const waits: Promise<void>[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(data),
          signal: AbortSignal.timeout(10_000),
        });
      } catch {
        throw new SendError(`nothing answers at ${url}; is \`npm start\` running?`);
      }
      const body = await response.text();
      if (response.status !== 202) {
        console.error(formatProblem(response.status, body));
        failed++;
      } else {
        const id = (JSON.parse(body) as { id: string }).id;
        console.log(`${id} 202 accepted`);
        if (watch)
          waits.push(
            watch.reply(id, timeoutMs).then(
              (reply) =>
                console.log(
                  `${id} ${type}.processed in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(reply)}`,
                ),
              () => {
                console.error(`${id}: no reply within ${timeoutMs / 1000} s`);
                failed++;
              },
            ),
          );
      }
      if (rate && i + 1 < count) await sleep(1000 / rate);
    }
    await Promise.all(waits);
  } finally {
    await watch?.close();
  }
  return failed ? 1 : 0;
}
