import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * The kernel's ephemeral range (`net.ipv4.ip_local_port_range`): every outgoing connection takes its
 * local port from it, and so does `listen(0)`. A port found free there can be taken by an outgoing
 * connection before its listener binds it (seen in CI: EADDRINUSE on a port a test had just been
 * given, with many processes connecting to RabbitMQ and to each other at once).
 */
export function ephemeralRange(
  read: () => string = () => readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8"),
): [number, number] {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && high! >= low!)
      return [low!, high!];
  } catch {
    // Not Linux: fall through to the IANA range, which macOS and Windows use.
  }
  return [49152, 65535];
}

/** Where `freePort` looks: below the ephemeral range, above the ports services usually claim. */
const FLOOR = 10_000;
const TRIES = 32;

function bindable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A TCP port nothing listens on right now, picked at random below the ephemeral range so no outgoing
 * connection can take it before the caller binds it (another listener still could: callers that can
 * listen on port 0 themselves should). Falls back to the kernel's choice when that range is too small.
 */
export async function freePort(range: [number, number] = ephemeralRange()): Promise<number> {
  const [low] = range;
  if (low - FLOOR >= 1000) {
    for (let i = 0; i < TRIES; i++) {
      const port = FLOOR + Math.floor(Math.random() * (low - FLOOR));
      if ((await bindable(port)) !== undefined) return port;
    }
  }
  const port = await bindable(0);
  if (port === undefined) throw new Error("no free TCP port on 127.0.0.1");
  return port;
}
