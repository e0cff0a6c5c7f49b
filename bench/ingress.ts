/**
 * `npm run bench:ingress`: how many events per second the ingress makes durable, against a bare
 * Hono endpoint that parses the same JSON and publishes nothing, in one run on one machine.
 *
 * The ingress publishes into the real topology from the manifests (quorum queues, publisher
 * confirms) under a bench-only instance id; the queues absorb the load with no consumers, which
 * is the pattern's point: the accept rate does not depend on the consumers. After each run the
 * queues' depth is checked against the number of 202s, so "durable" is counted, not assumed.
 *
 * Flags: --duration <s> (default 15), --connections <n> (default 50), --batch <n> (default 100).
 */
import { join } from "node:path";
import { readPlatformConfig } from "../platform/config.js";
import { benchTopology, startBenchIngress } from "./lib/topology.js";
import { freePort } from "../platform/ports.js";
import { TcpFront } from "../platform/serving/tcp-front.js";
import {
  fmt,
  load,
  machine,
  sampleRss,
  startProcess,
  stopProcess,
  waitHttp,
  type LoadResult,
} from "./lib/process.js";
import { readFlags } from "./lib/flags.js";

const values = readFlags("npm run bench:ingress", {
  duration: { type: "string", default: "15" },
  connections: { type: "string", default: "50" },
  batch: { type: "string", default: "100" },
});
const durationS = Number(values.duration);
const connections = Number(values.connections);
const batchSize = Number(values.batch);

const config = readPlatformConfig();
const topology = await benchTopology(config);
const { queueDepth, purge } = topology;

const [ingressPort, barePort, metricsPort] = await Promise.all([
  freePort(),
  freePort(),
  freePort(),
]);
const ingress = startBenchIngress(config, topology, { port: ingressPort, metricsPort });
const bare = startProcess(join(config.distDir, "bench", "bare-server.js"), {
  PORT: String(barePort),
});

const order = JSON.stringify({
  orderId: "o-1",
  currency: "EUR",
  items: [{ sku: "A", quantity: 2, unitPrice: 9.5 }],
});
const batch = JSON.stringify(
  Array.from({ length: batchSize }, (_, i) => ({
    specversion: "1.0",
    id: `bench-${i}`,
    source: "/bench",
    type: "com.example.order.created",
    datacontenttype: "application/json",
    data: JSON.parse(order) as unknown,
  })),
);
const single = {
  body: order,
  contentType: "application/json",
  path: "/events/com.example.order.created",
};
const batched = { body: batch, contentType: "application/cloudevents-batch+json", path: "/events" };

// The platform's front door for the public Service, in front of the same replica: the
// before/after of putting local serving in the request path.
const front = new TcpFront({
  service: "ingress",
  maxWaiting: 1000,
  holdTimeoutMs: 10_000,
  onDemand: () => undefined,
});
await front.listen(0, "127.0.0.1");
front.setEndpoints([{ id: "0", host: "127.0.0.1", port: ingressPort }]);

try {
  await waitHttp(`http://127.0.0.1:${ingressPort}/health/readiness`);
  await waitHttp(`http://127.0.0.1:${barePort}/events/x`).catch(() => undefined); // POST-only; any answer means up
  console.log(
    `machine: ${machine()}; ${connections} connections, ${durationS} s per run, load generator on the same machine\n`,
  );

  const run = async (name: string, port: number, shape: typeof single, seconds = durationS) => {
    const r = await load({
      url: `http://127.0.0.1:${port}${shape.path}`,
      body: shape.body,
      contentType: shape.contentType,
      connections,
      durationS: seconds,
    });
    if (seconds === durationS)
      console.log(
        `${name.padEnd(28)} ${fmt(r.rps).padStart(8)} req/s  p50 ${fmt(r.p50, 1)} ms  p95 ${fmt(r.p95, 1)} ms  p99 ${fmt(r.p99, 1)} ms  non-2xx ${r.non2xx}  errors ${r.errors}`,
      );
    return r;
  };

  // Warm both up (JIT, connection pools), then drop what the warm-up published.
  await run("warm-up", barePort, single, 3);
  await run("warm-up", ingressPort, single, 3);
  await purge();

  const bareSingle = await run("bare Hono, single", barePort, single);
  const rss = sampleRss(ingress.pid!);
  const ingressSingle = await run("ingress, single event", ingressPort, single);
  const singleDurable = await queueDepth();
  await purge();
  const frontSingle = await run("ingress via TCP front, single", front.port, single);
  await purge();
  const bareBatch = await run(`bare Hono, batch of ${batchSize}`, barePort, batched);
  const ingressBatch = await run(`ingress, batch of ${batchSize}`, ingressPort, batched);
  const batchDurable = await queueDepth();
  const peakRss = rss.stop();

  const accepted = (r: LoadResult) => r.requests - r.non2xx - r.errors;
  const eventsPerS = (r: LoadResult, perRequest: number) =>
    (accepted(r) * perRequest) / r.durationS;
  const singleRate = eventsPerS(ingressSingle, 1);
  const batchRate = eventsPerS(ingressBatch, batchSize);
  const ratio = ingressSingle.rps / bareSingle.rps;

  // Requests still in flight when a run's clock stops were published but not counted as answered,
  // so the queues may hold a few more than the 202s; fewer would be loss.
  console.log(
    `\ndurable check: ${fmt(singleDurable)} messages queued for ${fmt(accepted(ingressSingle))} single-event 202s; ${fmt(batchDurable)} for ${fmt(accepted(ingressBatch) * batchSize)} batched events`,
  );
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  console.log(`\n| figure | measured | target | |`);
  console.log(`|---|---|---|---|`);
  console.log(
    `| single-event durable events/s | ${fmt(singleRate)} | ≥ 4,000 | ${verdict(singleRate >= 4000)} |`,
  );
  console.log(
    `| single-event p50 / p95 / p99 | ${fmt(ingressSingle.p50, 1)} / ${fmt(ingressSingle.p95, 1)} / ${fmt(ingressSingle.p99, 1)} ms | p95 < 400 ms (old system) | ${verdict(ingressSingle.p95 < 400)} |`,
  );
  console.log(
    `| ratio ingress / bare Hono | ${fmt(ratio, 2)} | ≥ 0.5 | ${verdict(ratio >= 0.5)} |`,
  );
  console.log(
    `| batch durable events/s | ${fmt(batchRate)} | ≥ 15,000 | ${verdict(batchRate >= 15000)} |`,
  );
  console.log(
    `| through the platform's TCP front / direct | ${fmt(frontSingle.rps / ingressSingle.rps, 2)} (${fmt(frontSingle.rps)} vs ${fmt(ingressSingle.rps)} req/s) | small loss | |`,
  );
  console.log(
    `| batch ratio ingress / bare (events/s) | ${fmt(batchRate / eventsPerS(bareBatch, batchSize), 2)} | | |`,
  );
  console.log(
    `| ingress peak RSS under load | ${fmt(peakRss)} MB | ≤ 150 MB | ${verdict(peakRss <= 150)} |`,
  );
  if (
    singleDurable < accepted(ingressSingle) ||
    batchDurable < accepted(ingressBatch) * batchSize
  ) {
    console.log("\nLOSS: fewer messages queued than events accepted");
    process.exitCode = 1;
  }
} finally {
  await front.close();
  await stopProcess(ingress);
  await stopProcess(bare);
  await topology.remove();
}
