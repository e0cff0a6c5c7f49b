/**
 * The `leveler` command: `start`, `status`, `observe`, `sampling`, `traces`, `dlq` and `deploy`,
 * each in its own module (platform/cli/, platform/observe/, platform/deploy/).
 */
import { parseArgs } from "node:util";
import { readPlatformConfig } from "./config.js";
import { CliError } from "./cli/control-client.js";
import { dlq } from "./cli/dlq.js";
import { KubeConfigError } from "./kube-config.js";
import { observeCluster } from "./observe/cluster.js";
import { observeLocal } from "./observe/local.js";
import { DEPLOY_USAGE, deployCommand } from "./deploy/deploy.js";
import { NEW_USAGE, newCommand } from "./cli/new.js";
import { SEND_USAGE } from "./cli/send.js";
import { LOGS_USAGE } from "./cli/logs.js";

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
${NEW_USAGE}
${SEND_USAGE}
${LOGS_USAGE}
  start                     run the platform (same as npm start)
  status                    print GET /api/status of the running platform
  observe [--cluster] [--namespace NS] [--once]
                            live view of replicas, in-flight requests, queue depths and scale
                            events; --cluster reads a Knative cluster through your kubeconfig
  dlq list [--type T] [--id ID] [--json] [--cluster [--namespace NS]]
                            dead-lettered events with their error destination and code
  dlq replay [--type T] [--id ID] [--cluster [--namespace NS]]
                            republish dead letters through the broker (needs the control token;
                            --cluster: the sink's token from the Secret dead-letters-token)
  sampling [<ratio>] [--cluster [--namespace NS] [--context C]]
                            show or set the trace sampler ratio (0 = off, 1 = every trace)
  traces [--limit N] [--trace ID]
                            the most recent local traces as indented trees with durations
${DEPLOY_USAGE}`;

async function observe(): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      cluster: { type: "boolean" },
      namespace: { type: "string", default: "leveler" },
      once: { type: "boolean" },
      interval: { type: "string", default: "1000" },
    },
  });
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
  case "dlq":
    await dlq(args).catch((err: Error) => {
      console.error(`leveler dlq: ${err.message}`);
      process.exit(err instanceof CliError || err instanceof KubeConfigError ? 2 : 1);
    });
    break;
  case "new":
    process.exitCode = newCommand(args);
    break;
  case "send":
    process.exitCode = await (await import("./cli/send.js")).send(args).catch((err: Error) => {
      console.error(`leveler send: ${err.message}`);
      return 1;
    });
    break;
  case "logs":
    process.exitCode = await (await import("./cli/logs.js")).logs(args);
    break;
  case "start":
    await import("./main.js");
    break;
  case "sampling":
    process.exitCode = await (await import("./cli/sampling.js")).sampling(args);
    break;
  case "traces":
    process.exitCode = (await import("./cli/traces.js")).traces(args);
    break;
  case "deploy":
    await deployCommand(args, import.meta.dirname);
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
