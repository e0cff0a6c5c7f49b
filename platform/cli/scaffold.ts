/**
 * `leveler new <name> --type <type>`: everything a new consumer needs, planned in memory, checked
 * as a whole (names, type, and the manifests through the same checks as `leveler deploy` and the
 * local platform's loader, on a staged copy), and only then written. The Service and Trigger are
 * derived from an existing consumer of the same work shape, so they keep its probes, resources,
 * security context and environment as those evolve.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseAllDocuments, parseDocument, type Document } from "yaml";
import { checkManifests } from "../deploy/checks.js";
import { listFunctions } from "../deploy/deploy.js";
import { loadKustomization } from "../deploy/render.js";
import { loadManifests } from "../manifests.js";
import * as templates from "./scaffold-templates.js";

export class ScaffoldError extends Error {
  override readonly name = "ScaffoldError";
}

export interface ScaffoldRequest {
  name: string;
  type: string;
  shape: "cpu" | "io";
}

/** A file to create, or an existing one with its new content. */
export interface PlannedFile {
  path: string;
  content: string;
  edit: boolean;
}

/** Folders under functions/ that are not consumers but may not be taken as names either. */
const RESERVED = new Set(["events", "consumer-runtime", "ingress", "dead-letters"]);

/** A DNS-1035 label: what Kubernetes requires of a Service name (and Knative of a Service). */
export function nameProblem(name: string): string | undefined {
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name))
    return `name "${name}" is not a DNS-1035 label (lower-case letters, digits and "-", starting with a letter, ending with a letter or digit)`;
  if (name.length > 63) return `name "${name}" is longer than 63 characters`;
  if (RESERVED.has(name)) return `name "${name}" is reserved`;
  return undefined;
}

/**
 * A CloudEvents `type`: the spec asks for a non-empty string and recommends a reverse-DNS prefix.
 * leveler asks for that prefix (at least a domain of two labels and an event name), because the
 * type is also a file name, a URL path segment and an AMQP header value; and a type may not end in
 * `.processed`, the suffix of every consumer's reply.
 */
export function typeProblem(type: string): string | undefined {
  if (type === "") return "type must be a non-empty string";
  const label = "[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?";
  if (!new RegExp(`^${label}(\\.${label}){2,}$`).test(type) || type.length > 253)
    return `type "${type}" is not a reverse-DNS CloudEvents type such as com.example.shipment.requested`;
  if (type.endsWith(".processed"))
    return `type "${type}" ends in .processed, the suffix of consumers' replies`;
  return undefined;
}

/** `shipment` → `shipmentId`, `parcel-label` → `parcelLabelId`. */
export function idField(name: string): string {
  return `${camel(name)}Id`;
}

function camel(text: string): string {
  return text.replace(/[-_.]+([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function pascal(text: string): string {
  const c = camel(text);
  return c.charAt(0).toUpperCase() + c.slice(1);
}

interface Template {
  name: string;
  type: string;
  service: string;
  trigger: string;
}

/** The first consumer (by Trigger file) whose function has `shape`; else the first consumer. */
function templateConsumer(root: string, shape: string): Template {
  const dir = join(root, "knative", "triggers");
  const found: Template[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".yaml")) continue;
    const trigger = readFileSync(join(dir, file), "utf8");
    // A Trigger's file may also hold its dispatcher's ScaledObject (backlog-driven delivery).
    const doc = parseAllDocuments(trigger)
      .map((d) => d.toJS() as { kind?: string })
      .find((d) => d.kind === "Trigger") as {
      spec?: {
        filter?: { attributes?: { type?: string } };
        subscriber?: { ref?: { name?: string } };
      };
    };
    const name = doc.spec?.subscriber?.ref?.name;
    const type = doc.spec?.filter?.attributes?.type;
    const servicePath = join(root, "knative", "services", `${name}.yaml`);
    const main = join(root, "functions", String(name), "main.ts");
    if (!name || !type || !existsSync(servicePath) || !existsSync(main)) continue;
    const t = { name, type, trigger, service: readFileSync(servicePath, "utf8") };
    if (readFileSync(main, "utf8").includes(`shape: "${shape}"`)) return t;
    found.push(t);
  }
  if (!found[0]) throw new ScaffoldError("no consumer in knative/triggers/ to derive from");
  return found[0];
}

function derive(text: string, from: Template, to: ScaffoldRequest, kind: "service" | "trigger") {
  if (kind === "service") return renamed(parseDocument(text), from, to).toString({ lineWidth: 0 });
  // The Trigger, and its dispatcher's ScaledObject when the template delivers backlog-driven.
  return parseAllDocuments(text)
    .map((doc) => renamed(doc as Document, from, to).toString({ lineWidth: 0 }))
    .join("---\n");
}

function renamed(doc: Document, from: Template, to: ScaffoldRequest): Document {
  switch (doc.get("kind")) {
    case "Service":
      doc.setIn(["metadata", "name"], to.name);
      doc.setIn(["spec", "template", "spec", "containers", 0, "name"], to.name);
      doc.setIn(["spec", "template", "spec", "containers", 0, "image"], `leveler/${to.name}`);
      break;
    case "Trigger":
      doc.setIn(["metadata", "name"], to.name);
      doc.setIn(["spec", "filter", "attributes", "type"], to.type);
      doc.setIn(["spec", "subscriber", "ref", "name"], to.name);
      break;
    case "ScaledObject": {
      // eventing-rabbitmq names a Trigger's dispatcher Deployment <trigger>-dispatcher.
      doc.setIn(["metadata", "name"], `${to.name}-dispatcher`);
      doc.setIn(["spec", "scaleTargetRef", "name"], `${to.name}-dispatcher`);
      const queue = doc.getIn(["spec", "triggers", 0, "metadata", "queueName"]);
      if (typeof queue === "string")
        doc.setIn(
          ["spec", "triggers", 0, "metadata", "queueName"],
          queue.replace(new RegExp(`\\b${from.name}\\b`, "g"), to.name),
        );
      break;
    }
  }
  if (doc.commentBefore)
    doc.commentBefore = wrap(
      doc.commentBefore
        .replaceAll(from.type, to.type)
        .replace(new RegExp(`\\b${from.name}\\b`, "g"), to.name),
    );
  return doc;
}

/** A YAML comment's text as one paragraph, rewrapped to fit 100 columns with its `# `. */
function wrap(comment: string): string {
  const lines: string[] = [];
  for (const word of comment.split(/\s+/).filter(Boolean)) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + word.length + 1 <= 96)
      lines[lines.length - 1] += ` ${word}`;
    else lines.push(` ${word}`);
  }
  return lines.join("\n");
}

/** A line inserted after the last line matching `after` (or before the line matching `before`). */
function insertLine(text: string, line: string, where: { after: RegExp } | { before: RegExp }) {
  const lines = text.split("\n");
  let at: number;
  if ("after" in where) {
    at = lines.findLastIndex((l) => where.after.test(l));
    if (at < 0) return undefined;
    at += 1;
  } else {
    at = lines.findIndex((l) => where.before.test(l));
    if (at < 0) return undefined;
  }
  lines.splice(at, 0, line);
  return lines.join("\n");
}

/** Every file to write, or a ScaffoldError saying why nothing will be. */
export function planScaffold(root: string, request: ScaffoldRequest): PlannedFile[] {
  const { name, type, shape } = request;
  const problem = nameProblem(name) ?? typeProblem(type);
  if (problem) throw new ScaffoldError(problem);

  const schemaFile = join("functions", "events", "schemas", `${type}.json`);
  const knownTypes = readdirSync(join(root, "functions", "events", "schemas"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5));
  if (knownTypes.includes(type)) throw new ScaffoldError(`type "${type}" exists (${schemaFile})`);
  const docs = loadKustomization(join(root, "knative"), root);
  for (const { doc, file } of docs) {
    const filterType = (doc.spec as { filter?: { attributes?: { type?: unknown } } } | undefined)
      ?.filter?.attributes?.type;
    if (doc.kind === "Trigger" && filterType === type)
      throw new ScaffoldError(`type "${type}" already has a Trigger (${file})`);
    if (doc.metadata.name === name && (doc.kind === "Service" || doc.kind === "Trigger"))
      throw new ScaffoldError(`name "${name}" is taken by ${doc.kind} ${name} (${file})`);
  }
  const targets = [
    schemaFile,
    join("functions", name),
    join("knative", "services", `${name}.yaml`),
    join("knative", "triggers", `${name}.yaml`),
  ];
  for (const path of targets)
    if (existsSync(join(root, path))) throw new ScaffoldError(`${path} exists`);

  const from = templateConsumer(root, shape);
  const vars = {
    name,
    type,
    shape,
    idField: idField(name),
    dataType: `${pascal(name)}Data`,
  };
  const edited = (path: string, content: string | undefined): PlannedFile => {
    if (content === undefined)
      throw new ScaffoldError(`${path}: cannot find where to add ${name}; add it by hand`);
    return { path, content, edit: true };
  };
  const read = (path: string) => readFileSync(join(root, path), "utf8");

  const schemasTs = join("functions", "events", "schemas.ts");
  const ident = uniqueIdent(read(schemasTs), camel(type.split(".").slice(-2).join("-")));
  const withImport = insertLine(read(schemasTs), templates.schemaImport(ident, type), {
    after: /from "\.\/schemas\/.*\.json"/,
  });
  const samplesTs = join("functions", "events", "samples.ts");
  const kustomization = join("knative", "kustomization.yaml");
  const withService = insertLine(read(kustomization), `  - services/${name}.yaml`, {
    after: /^\s*- services\//,
  });

  return [
    { path: schemaFile, content: templates.schema(vars), edit: false },
    edited(schemasTs, withImport && insertLine(withImport, `  ${ident},`, { before: /^\];/ })),
    edited(samplesTs, insertLine(read(samplesTs), templates.sampleLine(vars), { before: /^\};/ })),
    { path: join("functions", name, "main.ts"), content: templates.main(vars), edit: false },
    { path: join("functions", name, "handle.ts"), content: templates.handler(vars), edit: false },
    {
      path: join("functions", name, "handle.test.ts"),
      content: templates.handlerTest(vars),
      edit: false,
    },
    {
      path: join("knative", "services", `${name}.yaml`),
      content: derive(from.service, from, request, "service"),
      edit: false,
    },
    {
      path: join("knative", "triggers", `${name}.yaml`),
      content: derive(from.trigger, from, request, "trigger"),
      edit: false,
    },
    edited(
      kustomization,
      withService &&
        insertLine(withService, `  - triggers/${name}.yaml`, { after: /^\s*- triggers\// }),
    ),
  ];
}

function uniqueIdent(source: string, wanted: string): string {
  let ident = /^[A-Za-z_$]/.test(wanted) ? wanted : `type${pascal(wanted)}`;
  while (new RegExp(`\\b${ident}\\b`).test(source)) ident += "Event";
  return ident;
}

/**
 * Applies the plan to a staged copy of knative/ and rabbitmq-eventing/ and runs the checks
 * `leveler deploy` runs and the local platform's manifest loader: the problems the new files
 * bring (problems the project already had are not the scaffold's to report).
 */
export function dryRun(root: string, plan: readonly PlannedFile[], request: ScaffoldRequest) {
  const stage = mkdtempSync(join(tmpdir(), "leveler-new-"));
  try {
    for (const dir of ["knative", "rabbitmq-eventing"])
      cpSync(join(root, dir), join(stage, dir), { recursive: true });
    const eventTypes = readdirSync(join(root, "functions", "events", "schemas"))
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5));
    const functions = listFunctions(root);
    const check = (types: string[], fns: string[]) =>
      checkManifests({
        docs: loadKustomization(join(stage, "knative"), stage),
        eventTypes: types,
        functions: fns,
      });
    const before = new Set(check(eventTypes, functions));
    for (const file of plan)
      if (file.path.startsWith("knative")) writeFileSync(join(stage, file.path), file.content);
    const schema = plan.find((f) => f.path.endsWith(`${request.type}.json`));
    JSON.parse(schema?.content ?? "");
    const problems = check([...eventTypes, request.type], [...functions, request.name]).filter(
      (p) => !before.has(p),
    );
    loadManifests([join(stage, "knative"), join(stage, "rabbitmq-eventing")], stage);
    return problems;
  } catch (err) {
    return [(err as Error).message];
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export function writePlan(root: string, plan: readonly PlannedFile[]): void {
  for (const file of plan) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.content, { flag: file.edit ? "w" : "wx" });
  }
}
