/**
 * For the serving tests (tcp-front, activator): stand-in replicas over real sockets, and a
 * request that tells whether it reached a replica directly or through a front.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A replica that answers with the port its client connected from, as it sees it. */
export function echoPortServer(): Server {
  return createServer((req, res) => res.end(String(req.socket.remotePort)));
}

/** Listens on loopback (`reusePort`: beside the other listeners of a shared port); its port. */
export function listenOn(server: Server, port: number, reusePort = false): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host: "127.0.0.1", reusePort }, () =>
      resolve((server.address() as AddressInfo).port),
    );
  });
}

/**
 * One request to an echoPortServer on a connection of its own: true when the replica saw this
 * client's own port (the kernel handed it the connection), false when a front's socket came
 * between them (a splice, or a proxy).
 */
export function reachesDirectly(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve(body === String(req.socket?.localPort)));
    });
    req.on("error", reject);
    req.end();
  });
}
