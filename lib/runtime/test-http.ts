/**
 * For tests that talk HTTP to a server over real sockets (serve's, and the serving fronts' in
 * platform/serving): a request over a given agent that shows the connection header the server
 * chose, and a wait for a condition the server's side reaches.
 */
import { request, type Agent } from "node:http";

export interface Answer {
  status: number;
  body: string;
  /** The answer's `Connection` header: "close" when the server ends the connection after it. */
  connection: string | undefined;
}

/** A GET of `url` over `agent` (keep-alive or not), read to its end. */
export function requestOn(
  url: string,
  agent: Agent,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () =>
        resolve({ status: res.statusCode!, body, connection: res.headers.connection }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** Resolves once `check()` holds, polling every 5 ms. */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}
