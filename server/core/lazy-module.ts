/**
 * A module loaded on its first use, through import(). The build puts such a module (and
 * whatever only it uses) in a chunk of its own, so code that most servers never run (the
 * HTML parser of URL previews, the network self-test, the UPnP client) is neither parsed
 * nor kept in memory until it is needed. Only worth it for code that shares little with
 * the rest: esbuild moves shared code into chunks that load at start anyway, and each
 * extra module costs a little of its own.
 * The same promise answers every later call, so the module is loaded once.
 */
export function lazyModule<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
}
