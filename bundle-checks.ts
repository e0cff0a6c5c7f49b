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

/** Packages whose files come from more than one folder, given the bundle's input paths. */
export function packagesBundledTwice(inputs: Iterable<string>): BundledTwice[] {
  const dirsByPackage = new Map<string, Set<string>>();
  for (const file of inputs) {
    // The innermost node_modules folder names the package the file belongs to.
    const match = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (!match) continue;
    const [, root, pkg] = match as unknown as [string, string, string];
    const dirs = dirsByPackage.get(pkg) ?? new Set<string>();
    dirsByPackage.set(pkg, dirs.add(root + pkg));
  }
  return [...dirsByPackage]
    .filter(([, dirs]) => dirs.size > 1)
    .map(([pkg, dirs]) => ({ pkg, dirs: [...dirs].sort() }));
}
