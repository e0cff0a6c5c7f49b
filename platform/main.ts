/** `npm start`: the whole pipeline on one machine, until Ctrl-C. */
import { ConfigError } from "../lib/runtime/config.js";
import { exitWithParent } from "../lib/runtime/parent-watch.js";
import { QueueArgumentsChanged } from "./broker/topology.js";
import { readPlatformConfig } from "./config.js";
import { ensureControlToken } from "./control-token.js";
import { ManifestError } from "./manifests.js";
import { Platform } from "./platform.js";
import { BrokerSetupError } from "./rabbitmq.js";
import { frontUrl } from "./serving/endpoints.js";
import { startStatusServer } from "./status-server.js";

const log = (line: string) => console.log(`[leveler] ${line}`);
let platform: Platform | undefined;

try {
  const config = readPlatformConfig();
  platform = new Platform({ config, log });
  await platform.start();
  const token = ensureControlToken(config.stateDir);
  const status = await startStatusServer(platform, config.statusPort, config.statusHost, { token });
  log(`ingress   ${frontUrl(config.ingressHost, config.ingressPort)}/events`);
  log(`status    http://${config.statusHost}:${status.port}/api/status`);
  // As Jupyter does: the link logs the browser in once (a session cookie), then drops the token.
  log(`dashboard http://${config.statusHost}:${status.port}/?token=${token}`);
  log(`logs      ${config.stateDir}/logs   (Ctrl-C stops everything)`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    void status
      .close()
      .then(() => platform!.stop())
      .then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => stop("SIGHUP"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // Started by a tool with an IPC channel (the benchmark): stop with it, even if it is killed.
  exitWithParent();
} catch (err) {
  // Errors a user can fix are one line, no stack trace.
  const known =
    err instanceof ConfigError ||
    err instanceof ManifestError ||
    err instanceof BrokerSetupError ||
    err instanceof QueueArgumentsChanged;
  console.error(`leveler: ${known ? (err as Error).message : String((err as Error).stack ?? err)}`);
  await platform?.stop().catch(() => undefined);
  process.exit(known ? 2 : 1);
}
