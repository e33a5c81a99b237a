/**
 * The spec versions Hearth claims in /versions. A version goes in only when the endpoints a
 * client will use because of it are served: clients switch behaviour on these (v1.11, for
 * instance, makes them use authenticated media). Raise this as modules land.
 */
export const SUPPORTED_SPEC_VERSIONS = [
  'v1.1',
  'v1.2',
  'v1.3',
  'v1.4',
  'v1.5',
  'v1.6',
  'v1.7',
  'v1.8',
  'v1.9',
  'v1.10',
];

/** Unstable features (MSC flags) clients may look for. */
export const UNSTABLE_FEATURES: Record<string, boolean> = {};
