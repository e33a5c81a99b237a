import { errors } from '../../core/errors.js';
import { serverPartOf } from '../../core/ids.js';

/** user id -> device id (or `*`) -> content, as in PUT /sendToDevice. */
type Messages = Record<string, Record<string, Record<string, unknown>>>;

/**
 * The most bytes of one EDU: other servers drop a transaction holding a larger one (Synapse's
 * MAX_EDU_SIZE, after the 64 KiB limit the spec sets on events).
 */
export const MAX_EDU_BYTES = 65_536;

/** A message id is at most 32 code points (m.direct_to_device); counted at its longest. */
const MESSAGE_ID_ROOM = 32 * 4;

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

/**
 * Splits the to-device messages of one request for users of other servers into groups that
 * each fit in one m.direct_to_device EDU: every group holds users of one server only, and a
 * user's devices may be spread over several groups (each goes as its own EDU with its own
 * message id, as Synapse splits them). Sizes are counted generously (a comma for every
 * entry, the longest message id).
 * @throws MatrixError 413 M_TOO_LARGE when the message to one device cannot fit in an EDU
 *   alone; the caller then delivers nothing.
 */
export function splitToDeviceForEdus(sender: string, type: string, messages: Messages): Messages[] {
  const envelope =
    bytes({
      edu_type: 'm.direct_to_device',
      content: { sender, type, message_id: '', messages: {} },
    }) + MESSAGE_ID_ROOM;
  const groups: Messages[] = [];
  const open = new Map<string, { messages: Messages; size: number }>(); // server -> its group
  for (const [userId, byDevice] of Object.entries(messages)) {
    const server = serverPartOf(userId);
    const userBlock = bytes(userId) + 4; // "user":{} and a comma
    for (const [deviceId, content] of Object.entries(byDevice)) {
      const entry = bytes(deviceId) + bytes(content) + 2; // "device":{...} and a comma
      if (envelope + userBlock + entry > MAX_EDU_BYTES) {
        throw errors.tooLarge(
          `The message to ${userId}'s device ${deviceId} is too large to send to its server`,
        );
      }
      let group = open.get(server);
      const grows = entry + (group?.messages[userId] ? 0 : userBlock);
      if (!group || group.size + grows > MAX_EDU_BYTES) {
        group = { messages: {}, size: envelope };
        open.set(server, group);
        groups.push(group.messages);
      }
      if (!group.messages[userId]) group.size += userBlock;
      (group.messages[userId] ??= {})[deviceId] = content;
      group.size += entry;
    }
  }
  return groups;
}
