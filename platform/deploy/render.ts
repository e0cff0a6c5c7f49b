/**
 * Renders what `leveler deploy` applies: the resources `knative/kustomization.yaml` lists (and,
 * through it, `rabbitmq-eventing/`), in the namespace asked for, with each function's image
 * replaced by the reference that was pushed. Pure apart from reading the files; no cluster, no
 * registry. `kubectl apply -k knative/` applies the same resources with the images as written.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseAllDocuments, stringify } from "yaml";

export class RenderError extends Error {
  override readonly name = "RenderError";
}

/** One Kubernetes object as parsed from YAML. */
export type KubeDoc = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
};

export interface SourcedDoc {
  doc: KubeDoc;
  /** The file it came from, relative to the project root. */
  file: string;
}

/** The prefix every function's image has in knative/: `leveler/<function>`. */
export const IMAGE_PREFIX = "leveler/";
export const DEFAULT_NAMESPACE = "leveler";

/**
 * Reads the resources a kustomization lists, depth first, in its order. Only what leveler's own
 * kustomizations use is supported (`resources` of files and of folders holding a
 * kustomization.yaml, and `namespace`); anything else is an error rather than silently ignored.
 */
export function loadKustomization(dir: string, root = process.cwd()): SourcedDoc[] {
  const file = join(dir, "kustomization.yaml");
  if (!existsSync(file)) throw new RenderError(`${relative(root, file)}: not found`);
  const k = (parseAllDocuments(readFileSync(file, "utf8"))[0]?.toJS() ?? {}) as Record<
    string,
    unknown
  >;
  const supported = new Set(["apiVersion", "kind", "resources", "namespace"]);
  const unsupported = Object.keys(k).filter((key) => !supported.has(key));
  if (unsupported.length)
    throw new RenderError(
      `${relative(root, file)}: leveler deploy does not support ${unsupported.join(", ")} (use kubectl apply -k)`,
    );
  const out: SourcedDoc[] = [];
  for (const entry of (k.resources ?? []) as unknown[]) {
    if (typeof entry !== "string")
      throw new RenderError(`${relative(root, file)}: resources must be paths`);
    const path = join(dir, entry);
    if (!existsSync(path))
      throw new RenderError(`${relative(root, file)}: resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) out.push(...loadKustomization(path, root));
    else out.push(...readDocs(path, root));
  }
  if (typeof k.namespace === "string")
    for (const d of out) if (isNamespaced(d.doc)) d.doc.metadata.namespace = k.namespace;
  return out;
}

function readDocs(path: string, root: string): SourcedDoc[] {
  const file = relative(root, path) || path;
  const out: SourcedDoc[] = [];
  for (const parsed of parseAllDocuments(readFileSync(path, "utf8"))) {
    if (parsed.errors.length) throw new RenderError(`${file}: ${parsed.errors[0]!.message}`);
    const doc = parsed.toJS() as unknown;
    if (!doc || typeof doc !== "object") continue;
    const d = doc as Partial<KubeDoc>;
    if (
      typeof d.apiVersion !== "string" ||
      typeof d.kind !== "string" ||
      typeof d.metadata?.name !== "string"
    ) {
      throw new RenderError(`${file}: every document needs apiVersion, kind and metadata.name`);
    }
    out.push({ doc: d as KubeDoc, file });
  }
  return out;
}

export interface RenderOptions {
  /** Target namespace; every object and every reference to the default one moves there. */
  namespace?: string;
  /** Function name → image reference to use instead of `leveler/<function>`. */
  images?: ReadonlyMap<string, string>;
}

/**
 * Returns copies of the documents in the target namespace with the pushed images. References
 * that name the namespace explicitly (RabbitmqBrokerConfig's cluster reference, Destination
 * refs, a SinkBinding's subject) and in-cluster addresses (moveAddresses) move with it, so the
 * rendered set stays self-consistent.
 *
 * @example renderDocs(loadKustomization("knative"), { namespace: "shop", images: new Map([["order", "r.io/order@sha256:…"]]) })
 */
export function renderDocs(docs: readonly SourcedDoc[], options: RenderOptions = {}): SourcedDoc[] {
  const target = options.namespace ?? DEFAULT_NAMESPACE;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(target) || target.length > 63) {
    throw new RenderError(
      `namespace "${target}" is not a valid Kubernetes namespace name (lower-case letters, digits and '-', at most 63)`,
    );
  }
  const from = new Set(
    docs.filter((d) => d.doc.kind === "Namespace").map((d) => d.doc.metadata.name),
  );
  from.add(DEFAULT_NAMESPACE);
  const moveNamespace = (value: unknown): unknown =>
    typeof value === "string" && from.has(value) ? target : value;
  return docs.map(({ doc, file }) => {
    const copy = structuredClone(doc);
    if (copy.kind === "Namespace") copy.metadata.name = target;
    else if (isNamespaced(copy)) copy.metadata.namespace = target;
    walk(copy, (node, key) => {
      // A namespace named inside a reference: `ref.namespace`, `rabbitmqClusterReference.namespace`, `subject.namespace`.
      if (key === "namespace" && node !== copy.metadata)
        node.namespace = moveNamespace(node.namespace);
      // An address names it too: a consumer's K_DEAD_LETTER_SINK, a sink's uri, KEDA's host.
      else node[key] = moveAddresses(node[key], from, target);
    });
    // Trigger queues are named `<namespace>.<trigger>.<uid>`: a policy anchored on the namespace moves too.
    if (copy.kind === "OperatorPolicy" || copy.kind === "Policy") {
      const spec = copy.spec as { pattern?: unknown } | undefined;
      for (const ns of from) {
        // Namespace names hold only [a-z0-9-], literal in a regular expression.
        const prefix = `^${ns}\\.`;
        if (spec && typeof spec.pattern === "string" && spec.pattern.startsWith(prefix)) {
          spec.pattern = `^${target}\\.${spec.pattern.slice(prefix.length)}`;
          break;
        }
      }
    }
    // A KEDA rabbitmq trigger names a Trigger queue by the same pattern.
    if (copy.kind === "ScaledObject") {
      const triggers = (copy.spec as { triggers?: { metadata?: Record<string, string> }[] })
        ?.triggers;
      for (const metadata of (triggers ?? []).map((t) => t.metadata ?? {})) {
        for (const ns of from) {
          if (metadata.queueName?.startsWith(`^${ns}\\.`))
            metadata.queueName = `^${target}${metadata.queueName.slice(ns.length + 1)}`;
        }
      }
    }
    if (copy.kind === "Service" && copy.apiVersion.startsWith("serving.knative.dev/")) {
      for (const container of containersOf(copy)) {
        const fn = functionOfImage(container.image);
        const pushed = fn === undefined ? undefined : options.images?.get(fn);
        if (pushed) container.image = pushed;
      }
    }
    return { doc: copy, file };
  });
}

/**
 * Moves every in-cluster DNS name in a string (or in the strings of an array) out of the `from`
 * namespaces: `<service>.<namespace>.svc` with or without `.cluster.local`, and a StatefulSet
 * pod's `<pod>.<service>.<namespace>.svc`, wherever they appear
 * (`http://dead-letters.leveler.svc.cluster.local`, `http://leveler-rabbitmq.leveler.svc:15672`,
 * `amqp://user@host.leveler.svc`). The shorter `<service>.<namespace>` is left alone: without
 * `.svc` it cannot be told from other dotted text.
 */
export function moveAddresses(value: unknown, from: ReadonlySet<string>, target: string): unknown {
  if (Array.isArray(value)) return value.map((v) => moveAddresses(v, from, target));
  if (typeof value !== "string") return value;
  let out = value;
  for (const ns of from) {
    // Namespace names hold only [a-z0-9-], literal in a regular expression. The namespace is a
    // whole label: a dot and a label before it, `.svc` ending a label after it.
    out = out.replace(new RegExp(`(?<=[a-z0-9-]\\.)${ns}(?=\\.svc(?![a-z0-9-]))`, "g"), target);
  }
  return out;
}

/** Kinds leveler uses that live outside any namespace. */
function isNamespaced(doc: KubeDoc): boolean {
  return (
    doc.kind !== "Namespace" &&
    doc.kind !== "ClusterRole" &&
    doc.kind !== "ClusterRoleBinding" &&
    doc.kind !== "CustomResourceDefinition"
  );
}

/** The function an image in knative/ names (`leveler/order` → `order`), if it is one of ours. */
export function functionOfImage(image: unknown): string | undefined {
  if (typeof image !== "string" || !image.startsWith(IMAGE_PREFIX)) return undefined;
  const rest = image.slice(IMAGE_PREFIX.length);
  return /^[a-z0-9][a-z0-9-]*$/.test(rest) ? rest : undefined;
}

export function containersOf(doc: KubeDoc): Record<string, unknown>[] {
  const spec = (doc.spec as { template?: { spec?: { containers?: unknown } } } | undefined)
    ?.template?.spec;
  return Array.isArray(spec?.containers) ? (spec.containers as Record<string, unknown>[]) : [];
}

function walk(node: unknown, visit: (node: Record<string, unknown>, key: string) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
  } else if (node && typeof node === "object") {
    const obj = node as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      visit(obj, key);
      walk(obj[key], visit);
    }
  }
}

/** Multi-document YAML, each document headed by the file it came from. */
export function toYaml(docs: readonly SourcedDoc[]): string {
  return docs
    .map(({ doc, file }) => `# Source: ${file}\n${stringify(doc, { lineWidth: 0 })}`)
    .join("---\n");
}

/** The project root, from this module's location in dist/platform or platform/deploy. */
export function projectRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "knative"))) {
    const up = dirname(dir);
    if (up === dir)
      throw new RenderError(`no leveler project (package.json and knative/) above ${start}`);
    dir = up;
  }
  return dir;
}
