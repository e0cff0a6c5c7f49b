import { once } from "node:events";
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { coalesceWrites } from "./socket-coalesce.js";

/** A real TCP pair on loopback; the server side collects what arrives. */
async function pair(): Promise<{
  client: Socket;
  received: () => Promise<Buffer>;
  server: Server;
}> {
  const chunks: Buffer[] = [];
  let peer: Socket | undefined;
  const server = createServer((s) => {
    peer = s;
    s.on("data", (c: Buffer) => chunks.push(c));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  const client = connect({ port, host: "127.0.0.1", noDelay: true });
  await once(client, "connect");
  const received = async () => {
    client.end();
    if (peer && !peer.readableEnded) await once(peer, "end");
    return Buffer.concat(chunks);
  };
  return { client, received, server };
}

/** Counts the socket's calls into libuv: one `_write` per lone chunk, one `_writev` per batch. */
function countSyscalls(socket: Socket): { write: number; writev: number[] } {
  const counts = { write: 0, writev: [] as number[] };
  const s = socket as unknown as {
    _write: (...a: unknown[]) => void;
    _writev: (chunks: unknown[], cb: unknown) => void;
  };
  const write = s._write.bind(socket);
  const writev = s._writev.bind(socket);
  s._write = (...a) => {
    counts.write++;
    write(...a);
  };
  s._writev = (chunks, cb) => {
    counts.writev.push(chunks.length);
    writev(chunks, cb);
  };
  return counts;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe("coalesceWrites", () => {
  it("sends what one turn writes in a single writev, in order", async () => {
    const { client, received, server } = await pair();
    servers.push(server);
    const calls = countSyscalls(coalesceWrites(client));
    client.write(Buffer.from("method|"));
    client.write(Buffer.from("header|"));
    client.write(Buffer.from("body|"));
    await new Promise((r) => setImmediate(r));
    client.write(Buffer.from("ack"));
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual({ write: 1, writev: [3] });
    expect((await received()).toString()).toBe("method|header|body|ack");
  });

  it("without it, the same turn is one system call per write (the control)", async () => {
    const { client, received, server } = await pair();
    servers.push(server);
    const calls = countSyscalls(client);
    client.write(Buffer.from("a"));
    client.write(Buffer.from("b"));
    client.write(Buffer.from("c"));
    await new Promise((r) => setImmediate(r));
    expect(calls.writev).toEqual([]);
    expect(calls.write).toBe(3);
    expect((await received()).toString()).toBe("abc");
  });

  it("keeps back-pressure: write returns false past the high-water mark and drain follows", async () => {
    const { client, received, server } = await pair();
    servers.push(server);
    coalesceWrites(client);
    const big = Buffer.alloc(client.writableHighWaterMark, 1);
    expect(client.write(Buffer.from("x"))).toBe(true);
    expect(client.write(big)).toBe(false);
    await once(client, "drain");
    expect((await received()).length).toBe(big.length + 1);
  });

  it("patches a socket once", async () => {
    const { client, received, server } = await pair();
    servers.push(server);
    coalesceWrites(coalesceWrites(client));
    const calls = countSyscalls(client);
    client.write("a");
    client.write("b");
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual({ write: 0, writev: [2] });
    expect((await received()).toString()).toBe("ab");
  });
});
