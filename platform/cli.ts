/**
 * The `leveler` command. Later issues add subcommands (observe, sampling, traces, deploy, dlq).
 */
import { parseArgs } from "node:util";
import { readPlatformConfig } from "./config.js";
import { observeCluster } from "./observe/cluster.js";
import { observeLocal } from "./observe/local.js";

const [command, ...args] = process.argv.slice(2);

async function status(): Promise<void> {
  const config = readPlatformConfig();
  const url = `http://${config.statusHost}:${config.statusPort}/api/status`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch {
    console.error(`leveler: nothing answers at ${url}; is \`npm start\` running?`);
    process.exit(1);
  }
  console.log(JSON.stringify(await response.json(), null, args.includes("--compact") ? 0 : 2));
}

const usage = `usage: leveler <command>

commands:
  start                     run the platform (same as npm start)
  status                    print GET /api/status of the running platform
  observe [--cluster] [--namespace NS] [--once]
                            live view of replicas, in-flight requests, queue depths and scale
                            events; --cluster reads a Knative cluster through your kubeconfig`;

async function observe(): Promise<void> {
  const { values } = parseArgs({ args, options: { cluster: { type: "boolean" }, namespace: { type: "string", default: "leveler" }, once: { type: "boolean" }, interval: { type: "string", default: "1000" } } });
  const options = { once: values.once ?? false, intervalMs: Number(values.interval) };
  try {
    if (values.cluster) await observeCluster(values.namespace, options);
    else {
      const config = readPlatformConfig();
      await observeLocal(`http://${config.statusHost}:${config.statusPort}`, options);
    }
  } catch (err) {
    console.error(`leveler observe: ${(err as Error).message}`);
    process.exit(1);
  }
}

switch (command) {
  case "status":
    await status();
    break;
  case "observe":
    await observe();
    break;
  case "start":
    await import("./main.js");
    break;
  case undefined:
  case "help":
  case "--help":
  case "-h":
    console.log(usage);
    break;
  default:
    console.error(`leveler: unknown command "${command}"\n\n${usage}`);
    process.exit(2);
}
