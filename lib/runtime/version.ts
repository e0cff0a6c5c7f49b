/** The build's version (`service.version` of every span and metric): package.json's, set by build.mjs. */
declare const __LEVELER_VERSION__: string | undefined;
export const VERSION = typeof __LEVELER_VERSION__ === "string" ? __LEVELER_VERSION__ : "dev";
