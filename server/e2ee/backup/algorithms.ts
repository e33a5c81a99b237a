import { errors } from '../../core/errors.js';

/**
 * What the server checks of a backup's algorithm-dependent data. The server never decrypts
 * anything; it refuses only data that no client could use. Algorithms it does not know
 * (MSC3270's symmetric backups, say) are stored as sent, as Synapse does.
 */

/** The one algorithm the spec defines (client-server API, "Server-side key backups"). */
export const MEGOLM_BACKUP_V1 = 'm.megolm_backup.v1.curve25519-aes-sha2';

/**
 * Checks a backup's `auth_data` for its algorithm: for m.megolm_backup.v1 the curve25519
 * `public_key` the keys are encrypted to is required (spec: AuthData).
 * @throws MatrixError 400 M_BAD_JSON when it is missing or not a string.
 */
export function checkAuthData(algorithm: string, authData: Record<string, unknown>): void {
  if (algorithm !== MEGOLM_BACKUP_V1) return;
  if (typeof authData.public_key !== 'string' || authData.public_key === '') {
    throw errors.badJson(`auth_data.public_key is required for ${MEGOLM_BACKUP_V1}`);
  }
}

const MEGOLM_V1_SESSION_FIELDS = ['ephemeral', 'ciphertext', 'mac'] as const;

/**
 * Checks one session's `session_data` for the backup's algorithm: for m.megolm_backup.v1,
 * the `ephemeral`, `ciphertext` and `mac` strings the spec's construction produces.
 * `where` names the session in the error ("!room:x / sessionid").
 * @throws MatrixError 400 M_BAD_JSON for a malformed one.
 */
export function checkSessionData(
  algorithm: string,
  sessionData: Record<string, unknown>,
  where: string,
): void {
  if (algorithm !== MEGOLM_BACKUP_V1) return;
  for (const field of MEGOLM_V1_SESSION_FIELDS) {
    if (typeof sessionData[field] !== 'string' || sessionData[field] === '') {
      throw errors.badJson(`session_data.${field} must be a non-empty string (${where})`);
    }
  }
}
