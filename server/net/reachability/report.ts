/**
 * The reachability self-test's answer: a list of checks, each green, red or not applicable,
 * with what to do about a red one, and one line summing it up ("Reachable from the
 * internet" / "Not reachable: port 8448 closed"). Shown by the wizard's network step and
 * the admin view; GET /_hearth/admin/v1/reachability.
 */
export type CheckId =
  | 'server_name'
  | 'dns'
  | 'well_known'
  | 'port'
  | 'tls'
  | 'key'
  | 'client_well_known'
  | 'nat'
  | 'outside';

export interface CheckItem {
  id: CheckId;
  label: string;
  /** true: green; false: red; null: not applicable or not checked (explained in detail). */
  ok: boolean | null;
  detail: string;
  /** What to do, for a red item. */
  fix?: string;
  /** Short words for the summary line when this item is the first red one. */
  short?: string;
}

export interface ReachabilityReport {
  server_name: string;
  /** True only when every check needed for federation is green (and the outside agrees). */
  reachable: boolean;
  summary: string;
  items: CheckItem[];
  checked_ts: number;
}

/** Items that must be green for other servers to reach this one. */
const REQUIRED: CheckId[] = ['dns', 'port', 'tls', 'key', 'outside'];

export function summarize(items: CheckItem[]): { reachable: boolean; summary: string } {
  const nameItem = items.find((i) => i.id === 'server_name');
  if (nameItem?.ok === false)
    return { reachable: false, summary: nameItem.short ?? nameItem.detail };
  const red = items.find((i) => REQUIRED.includes(i.id) && i.ok === false);
  if (red) {
    const inside = items.filter((i) => i.id !== 'outside' && REQUIRED.includes(i.id));
    if (red.id === 'outside' && inside.every((i) => i.ok !== false)) {
      return {
        reachable: false,
        summary:
          'Not reachable from the internet: it works from inside your network only ' +
          '(the outside check failed)',
      };
    }
    return { reachable: false, summary: `Not reachable: ${red.short ?? red.label}` };
  }
  const outside = items.find((i) => i.id === 'outside');
  return {
    reachable: true,
    summary:
      outside?.ok === true
        ? 'Reachable from the internet'
        : 'Reachable from the internet (checked from this network; allow the outside check to be sure)',
  };
}
