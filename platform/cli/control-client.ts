/** How the CLI talks to the running platform: its status API on 127.0.0.1, with the control token for changes. */
import { readPlatformConfig } from "../config.js";
import { readControlToken, tokenPath } from "../control-token.js";

export class CliError extends Error {
  override readonly name = "CliError";
}

export async function callPlatform<T>(
  path: string,
  init: { method?: "GET" | "POST"; body?: unknown } = {},
): Promise<T> {
  const config = readPlatformConfig();
  const base = `http://${config.statusHost}:${config.statusPort}`;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.method === "POST") {
    const token = readControlToken(config.stateDir);
    if (!token)
      throw new CliError(
        `no control token at ${tokenPath(config.stateDir)}; start the platform (npm start) from this folder first`,
      );
    headers.authorization = `Bearer ${token}`;
  }
  let response: Response;
  try {
    response = await fetch(base + path, {
      method: init.method ?? "GET",
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    throw new CliError(`nothing answers at ${base}; is \`npm start\` running?`);
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = text;
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
    } catch {
      // plain text
    }
    throw new CliError(`${response.status}: ${detail}`);
  }
  return JSON.parse(text) as T;
}
