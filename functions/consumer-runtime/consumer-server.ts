/**
 * For tests: a consumer served over real HTTP, as a replica serves it (the core behind
 * consumerListener on node:http, on a port of its own), with `request(path, init)` answering as
 * `fetch` does. `close()` stops it; servedPerTest() closes them after each test.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { createConsumer, type ConsumerOptions } from "./consumer.js";
import { consumerListener, type ConsumerHttpOptions } from "./consumer-http.js";

export interface ServedConsumer {
  url: string;
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function serveConsumer(
  options: ConsumerOptions & ConsumerHttpOptions,
): Promise<ServedConsumer> {
  const server = createServer(consumerListener(createConsumer(options), options));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    request: (path, init) => fetch(url + path, init),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** serveConsumer for a test file: every consumer it serves is closed after each test. */
export function servedPerTest(): (
  options: ConsumerOptions & ConsumerHttpOptions,
) => Promise<ServedConsumer> {
  const served: ServedConsumer[] = [];
  afterEach(() => Promise.all(served.splice(0).map((s) => s.close())));
  return async (options) => {
    const s = await serveConsumer(options);
    served.push(s);
    return s;
  };
}
