/**
 * For tests: a consumer served over real HTTP, as a replica serves it (the core behind
 * consumerListener on node:http, on a port of its own), with `request(path, init)` answering as
 * `fetch` does. `close()` stops it.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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
