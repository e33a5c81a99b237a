/** Who made an authenticated request: resolved from the access token. */
export interface Requester {
  userId: string;
  deviceId: string;
  /** Row id of the access token used, so logout can delete exactly it. */
  tokenId: number;
  isAdmin: boolean;
  isGuest: boolean;
  /** Epoch ms after which the token is expired (soft logout), or null. */
  validUntilMs: number | null;
  /** The refresh token this access token was issued with, if any. */
  refreshTokenId: number | null;
  /** False until the first request with this token (then its predecessor refresh token dies). */
  used: boolean;
}
