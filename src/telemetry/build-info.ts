import { readFileSync } from 'node:fs';

/** The package's version, from the package.json shipped beside dist/ (the image copies it too). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The labels of `build_info`: what runs, so a dashboard can tell replicas apart during a rollout.
 * The `*_build_info` gauge with the value 1 is the convention of Prometheus' own exporters
 * (prometheus/common `version.NewCollector`); `nodejs_version` is the runtime, since the image
 * pins it and the tests run on it.
 */
export function buildInfoLabels(): { version: string; nodejs_version: string } {
  return { version: packageVersion(), nodejs_version: process.versions.node };
}
