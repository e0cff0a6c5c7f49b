/**
 * The `leveler` command. Later issues add subcommands (observe, sampling, traces, deploy, dlq).
 */
import { readPlatformConfig } from "./config.js";

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
  start     run the platform (same as npm start)
  status    print GET /api/status of the running platform`;

switch (command) {
  case "status":
    await status();
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
