/**
 * `leveler dlq --cluster` against a stand-in API server (plain HTTP) that answers the Secret, the
 * Knative Service and the activator pod list, and tunnels a pod port-forward (WebSocket, channel
 * protocol: each frame's first byte is the stream, each stream starts with the port) to a
 * stand-in activator that, as knative/serving's does (pkg/activator/handler/context_handler.go at
 * 98e5ef90aa7033797aa0a61ef97f3ff7e49a3944), finds the revision only from the
 * Knative-Serving-Revision/-Namespace headers (the Host is the tunnel's, not a cluster name).
 * Untested without a cluster: real RBAC, the real activator waking a revision from zero.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { dlq } from "./dlq.js";
import { kubeConfigFor } from "../deploy/stand-in-cluster.js";

const TOKEN = "s3cret";
const REVISION = "dead-letters-00002";
const LETTER = {
  queue: "leveler-dead-letters",
  id: "e-1",
  type: "com.example.order.created",
  source: "/s",
  time: null,
  errorDestination: "http://order-created.leveler.svc.cluster.local",
  errorCode: "400",
  errorData: "orderId missing",
  data: {},
};

/** The activator: routes by the revision headers, then the sink's API checks the bearer token. */
function standInActivator(): Server {
  return createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (
      req.headers["knative-serving-revision"] !== REVISION ||
      req.headers["knative-serving-namespace"] !== "leveler"
    ) {
      res.statusCode = 404;
      res.end(JSON.stringify({ detail: "no revision for this request" }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.statusCode = 401;
      res.end(JSON.stringify({ detail: "send Authorization: Bearer <token>" }));
      return;
    }
    const url = new URL(req.url!, "http://x");
    if (req.method === "GET" && url.pathname === "/dead-letters") {
      const shown =
        url.searchParams.get("id") && url.searchParams.get("id") !== "e-1" ? [] : [LETTER];
      res.end(JSON.stringify({ deadLetters: shown, scanned: 1, remaining: 0, undecodable: 0 }));
      return;
    }
    if (req.method === "POST" && url.pathname === "/dead-letters/replay") {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () =>
        res.end(JSON.stringify({ replayed: [(JSON.parse(body) as { id: string }).id] })),
      );
      return;
    }
    res.statusCode = 404;
    res.end("{}");
  });
}

/** One server-to-client WebSocket binary frame (unmasked). */
function frame(payload: Buffer): Buffer {
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([0x82, n])
      : n < 65536
        ? Buffer.from([0x82, 126, n >> 8, n & 0xff])
        : Buffer.concat([
            Buffer.from([0x82, 127]),
            (() => {
              const b = Buffer.alloc(8);
              b.writeBigUInt64BE(BigInt(n));
              return b;
            })(),
          ]);
  return Buffer.concat([head, payload]);
}

/** Reads masked client frames from `socket`, calling `onMessage(opcode, payload)` for each. */
function readFrames(socket: Socket, onMessage: (opcode: number, payload: Buffer) => void) {
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.length < 2) return;
      let length = pending[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (pending.length < 4) return;
        length = pending.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (pending.length < 10) return;
        length = Number(pending.readBigUInt64BE(2));
        offset = 10;
      }
      if (pending.length < offset + 4 + length) return;
      const mask = pending.subarray(offset, offset + 4);
      const payload = Buffer.from(pending.subarray(offset + 4, offset + 4 + length));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      onMessage(pending[0]! & 0x0f, payload);
      pending = pending.subarray(offset + 4 + length);
    }
  });
}

describe("leveler dlq --cluster", () => {
  let api: Server;
  let activator: Server;
  let kc: KubeConfig;
  let secretPresent = true;
  let servedToken = TOKEN;
  const forwards: string[] = [];

  beforeAll(async () => {
    activator = standInActivator();
    await new Promise<void>((r) => activator.listen(0, "127.0.0.1", r));
    const activatorPort = (activator.address() as AddressInfo).port;
    api = createServer((req, res) => {
      const url = new URL(req.url!, "http://x");
      res.setHeader("content-type", "application/json");
      const send = (status: number, body: unknown) => {
        res.statusCode = status;
        res.end(JSON.stringify(body));
      };
      if (url.pathname === "/api/v1/namespaces/leveler/secrets/dead-letters-token") {
        if (!secretPresent)
          return send(404, { kind: "Status", code: 404, reason: "NotFound", message: "not found" });
        return send(200, {
          kind: "Secret",
          apiVersion: "v1",
          metadata: { name: "dead-letters-token" },
          data: { token: Buffer.from(servedToken).toString("base64") },
        });
      }
      if (url.pathname === "/apis/serving.knative.dev/v1/namespaces/leveler/services/dead-letters")
        return send(200, { status: { latestReadyRevisionName: REVISION } });
      if (
        url.pathname === "/api/v1/namespaces/knative-serving/pods" &&
        url.searchParams.get("labelSelector") === "app=activator"
      )
        return send(200, {
          kind: "PodList",
          apiVersion: "v1",
          items: [
            { metadata: { name: "activator-old" }, status: { phase: "Succeeded" } },
            {
              metadata: { name: "activator-abc" },
              status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
            },
          ],
        });
      send(404, { kind: "Status", code: 404, message: `no ${url.pathname}` });
    });
    api.on("upgrade", (req: IncomingMessage, socket: Socket) => {
      forwards.push(req.url!);
      const accept = createHash("sha1")
        .update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest("base64");
      const protocol = String(req.headers["sec-websocket-protocol"]).split(",")[0]!.trim();
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
      );
      // Each stream (0 data, 1 error) opens with the forwarded port, little-endian.
      const port = Buffer.from([8012 & 0xff, 8012 >> 8]);
      socket.write(frame(Buffer.concat([Buffer.from([0]), port])));
      socket.write(frame(Buffer.concat([Buffer.from([1]), port])));
      const upstream = connect(activatorPort, "127.0.0.1");
      upstream.on("data", (d: Buffer) => socket.write(frame(Buffer.concat([Buffer.from([0]), d]))));
      upstream.on("close", () => socket.destroy());
      socket.on("close", () => upstream.destroy());
      readFrames(socket, (opcode, payload) => {
        if (opcode === 0x8) socket.destroy();
        else if (payload[0] === 0) upstream.write(payload.subarray(1));
      });
    });
    kc = await kubeConfigFor(api);
  });
  afterAll(async () => {
    await new Promise<void>((r) => api.close(() => r()));
    await new Promise<void>((r) => activator.close(() => r()));
  });

  async function output(args: string[]): Promise<string[]> {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
    try {
      await dlq(args, kc);
    } finally {
      spy.mockRestore();
    }
    return lines;
  }

  it("lists the sink's dead letters through a port-forward to a ready activator pod", async () => {
    forwards.length = 0;
    expect(await output(["list", "--cluster"])).toEqual([
      "e-1  com.example.order.created  code 400  → http://order-created.leveler.svc.cluster.local  orderId missing",
      "1 dead letter(s)",
    ]);
    expect(forwards).toEqual([
      "/api/v1/namespaces/knative-serving/pods/activator-abc/portforward?ports=8012",
    ]);
  });

  it("replays through the sink's API", async () => {
    expect(await output(["replay", "--id", "e-1", "--cluster"])).toEqual([
      "replayed 1 event(s) through the broker: e-1",
    ]);
  });

  it("a missing Secret is one line", async () => {
    secretPresent = false;
    try {
      await expect(dlq(["list", "--cluster"], kc)).rejects.toThrow(
        /^no Secret leveler\/dead-letters-token: is leveler deployed there\?$/,
      );
    } finally {
      secretPresent = true;
    }
  });

  it("the sink refusing the token is one line with its reason", async () => {
    servedToken = "stale";
    try {
      await expect(dlq(["list", "--cluster"], kc)).rejects.toThrow(
        /^the dead-letter sink: send Authorization: Bearer <token>$/,
      );
    } finally {
      servedToken = TOKEN;
    }
  });
});
