import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { checkManifests } from "../deploy/checks.js";
import { listFunctions } from "../deploy/deploy.js";
import { loadKustomization } from "../deploy/render.js";
import { loadManifests } from "../manifests.js";
import { dryRun, nameProblem, planScaffold, typeProblem, writePlan } from "./scaffold.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** A copy of the project's sources (what git tracks or would), sharing node_modules. */
function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "leveler-scaffold-"));
  const files = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { cwd: ROOT, encoding: "utf8" },
  )
    .split("\0")
    .filter(Boolean);
  for (const f of files) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

function snapshot(dir: string): string {
  return execFileSync("sh", ["-c", "find functions knative -type f -exec md5sum {} + | sort"], {
    cwd: dir,
    encoding: "utf8",
  });
}

describe("leveler new: names and types", () => {
  it("takes DNS-1035 labels only", () => {
    for (const ok of ["shipment", "parcel-label", "a1"]) expect(nameProblem(ok)).toBeUndefined();
    for (const bad of ["Shipment", "1st", "a_b", "a-", "", "x".repeat(64), "events"])
      expect(nameProblem(bad), bad).toBeDefined();
  });

  it("takes reverse-DNS CloudEvents types, never a reply type", () => {
    for (const ok of ["com.example.shipment.requested", "dev.knative.sample_event"])
      expect(typeProblem(ok)).toBeUndefined();
    for (const bad of [
      "",
      "shipment",
      "com.example",
      "com.example.a b",
      "com..x.y",
      "a.b.c.processed",
    ])
      expect(typeProblem(bad), bad).toBeDefined();
  });
});

describe("leveler new: a scaffold in a copy of the project", () => {
  let dir: string;
  beforeAll(() => {
    dir = copyProject();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses clashes with nothing written", () => {
    const before = snapshot(dir);
    const refusals: [string, string, RegExp][] = [
      ["order", "com.example.order.shipped", /name "order" is taken/],
      ["parcel-x", "com.example.order.created", /type "com.example.order.created" exists/],
      ["Ship", "com.example.shipment.requested", /DNS-1035/],
      ["shipment", "shipment", /reverse-DNS/],
    ];
    for (const [name, type, message] of refusals)
      expect(() => planScaffold(dir, { name, type, shape: "io" })).toThrow(message);
    expect(snapshot(dir)).toBe(before);
  });

  it("writes a consumer that typechecks, passes its unit test and the manifest checks", () => {
    // The README's example, unless the project already holds it (after its own `leveler new shipment`).
    const name = ["shipment", "shipment2", "shipment3"].find(
      (n) => !existsSync(join(dir, "functions", n)),
    )!;
    const request = { name, type: `com.example.${name}.requested`, shape: "cpu" } as const;
    const plan = planScaffold(dir, request);
    expect(dryRun(dir, plan, request)).toEqual([]);
    writePlan(dir, plan);

    const service = readFileSync(join(dir, `knative/services/${name}.yaml`), "utf8");
    expect(service).toContain(`image: leveler/${name}`);
    expect(service).toContain("K_DEAD_LETTER_SINK");
    const manifests = loadManifests([join(dir, "knative"), join(dir, "rabbitmq-eventing")], dir);
    expect(manifests.services.some((s) => s.name === name)).toBe(true);
    const trigger = manifests.triggers.find((t) => t.name === name);
    expect(trigger?.filter).toEqual({ type: request.type });
    // Its dispatcher's ScaledObject came along, renamed: it delivers backlog-driven as the template.
    expect(trigger?.backlog).toBeDefined();
    expect(readFileSync(join(dir, `knative/triggers/${name}.yaml`), "utf8")).toContain(
      `name: ${name}-dispatcher`,
    );
    const problems = checkManifests({
      docs: loadKustomization(join(dir, "knative"), dir),
      eventTypes: readdirSync(join(dir, "functions/events/schemas")).map((f) => f.slice(0, -5)),
      functions: listFunctions(dir),
    });
    expect(problems.filter((p) => p.includes(name))).toEqual([]);
    expect(listFunctions(dir)).toContain(name);

    // The project's own gates on the scaffolded code: the compiler, and the tests that hold every
    // schema to a Trigger, a sample and the registry.
    execFileSync("npx", ["tsc", "--noEmit"], { cwd: dir, stdio: "pipe" });
    execFileSync(
      "npx",
      [
        "vitest",
        "run",
        `functions/${name}`,
        "functions/events/registry.test.ts",
        "platform/dashboard/burst.test.ts",
      ],
      { cwd: dir, stdio: "pipe" },
    );
    // `npx leveler deploy --dry-run` as a user runs it there: the bin builds the copy's CLI, whose
    // bundled schema list now holds the new type, and renders the new Service and Trigger.
    const rendered = parseAllDocuments(
      execFileSync(process.execPath, ["bin/leveler.mjs", "deploy", "--dry-run"], {
        cwd: dir,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }),
    ).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: unknown });
    const shipment = (kind: string) =>
      rendered.find((d) => d.kind === kind && d.metadata.name === name);
    expect(JSON.stringify(shipment("Service")?.spec)).toContain(`leveler/${name}`);
    expect(shipment("Trigger")?.spec).toMatchObject({
      filter: { attributes: { type: request.type } },
      subscriber: { ref: { kind: "Service", name } },
    });
    // A second run refuses: everything exists now.
    expect(() => planScaffold(dir, request)).toThrow(/exists|taken/);
  }, 240_000);
});
