/**
 * Checks on what esbuild put into a bundle (build.mjs runs them on the metafile of each function's
 * bundle and of the platform's, whose dispatchers are processes of their own too).
 *
 * A package bundled from two folders is loaded twice at every start. npm nests a second copy when
 * a dependency pins another patch of a package we also depend on: @opentelemetry/exporter-
 * prometheus 0.223.0 pins sdk-metrics and resources 2.12.0 beside our 2.12.1, which put two copies
 * of each (and of core) into every bundle: 100 KB more per function, ~14 ms more CPU to start an
 * order replica, 3 MB more resident (measured, interleaved starts). package.json's `overrides`
 * keep one copy; this makes a new duplicate fail the build instead of slowing starts unseen.
 */

export interface BundledTwice {
  pkg: string;
  /** The folders it came from, e.g. `node_modules/x` and `node_modules/y/node_modules/x`. */
  dirs: string[];
}

/**
 * The package a bundled file belongs to, named by the innermost node_modules folder of its path,
 * and that folder (`node_modules/x/node_modules/` for a nested copy); undefined for our sources.
 */
function packageOf(file: string): { pkg: string; root: string } | undefined {
  const match = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(file);
  return match ? { root: match[1]!, pkg: match[2]! } : undefined;
}

/** Packages whose files come from more than one folder, given the bundle's input paths. */
export function packagesBundledTwice(inputs: Iterable<string>): BundledTwice[] {
  const dirsByPackage = new Map<string, Set<string>>();
  for (const file of inputs) {
    const found = packageOf(file);
    if (!found) continue;
    const { root, pkg } = found;
    const dirs = dirsByPackage.get(pkg) ?? new Set<string>();
    dirsByPackage.set(pkg, dirs.add(root + pkg));
  }
  return [...dirsByPackage]
    .filter(([, dirs]) => dirs.size > 1)
    .map(([pkg, dirs]) => ({ pkg, dirs: [...dirs].sort() }));
}

/** What esbuild's metafile says one input imports, and how. */
export interface BundleInput {
  imports: readonly { path: string; kind: string; external?: boolean }[];
}

/**
 * The packages a bundle evaluates as it starts: those reachable from `entry` through static
 * imports and require() calls, not through `import()`, which runs only when called.
 *
 * A function loads the OpenTelemetry SDKs with `import()` when it needs them (telemetry.ts,
 * run.ts), so a replica at ratio 0 starts without them. In one bundle that holds only while
 * nothing evaluated at start imports them statically: the SDK packages are CommonJS, so one
 * static import of a class or an enum from sdk-trace evaluated the whole package, its
 * TracerProvider and resource detectors included, and cost a consumer ~7 ms of its cold start
 * (measured; sampler-ratio.ts). build.mjs fails a function whose start reaches one.
 */
export function packagesAtStart(
  inputs: Readonly<Record<string, BundleInput>>,
  entry: string,
): Set<string> {
  const seen = new Set([entry]);
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop())
    for (const { path, kind, external } of inputs[file]?.imports ?? [])
      if (kind !== "dynamic-import" && !external && !seen.has(path)) {
        seen.add(path);
        queue.push(path);
      }
  const packages = new Set<string>();
  for (const file of seen) {
    const pkg = packageOf(file)?.pkg;
    if (pkg) packages.add(pkg);
  }
  return packages;
}
