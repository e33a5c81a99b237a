import type { Queryable } from '../../db/sql.js';

/** SQL for dehydrated devices (migration 0022): at most one per user. */

export interface DehydratedDeviceRow {
  device_id: string;
  device_data_json: string;
}

/** The user's dehydrated device, or undefined. */
export function getDehydratedDevice(
  q: Queryable,
  userId: string,
): Promise<DehydratedDeviceRow | undefined> {
  return q.get<DehydratedDeviceRow>(
    'SELECT device_id, device_data_json FROM dehydrated_devices WHERE user_id = ?',
    userId,
  );
}

/** Records the user's dehydrated device (its device row must exist), replacing any other. */
export async function setDehydratedDevice(
  q: Queryable,
  d: { userId: string; deviceId: string; deviceDataJson: string; createdTs: number },
): Promise<void> {
  await q.run(
    `INSERT OR REPLACE INTO dehydrated_devices (user_id, device_id, device_data_json, created_ts)
     VALUES (?, ?, ?, ?)`,
    d.userId,
    d.deviceId,
    d.deviceDataJson,
    d.createdTs,
  );
}
