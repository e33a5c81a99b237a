import { EventType, type Room } from 'matrix-js-sdk';
import type { PowerLevels, RoomAuth } from './power';

/** The parts of a room's state that decide who may do what (see power.ts). */
export function roomAuth(room: Room): RoomAuth {
  const create = room.currentState.getStateEvents(EventType.RoomCreate, '');
  const content = create?.getContent() ?? {};
  const pl = room.currentState.getStateEvents(EventType.RoomPowerLevels, '');
  const extra = content.additional_creators;
  return {
    roomVersion: typeof content.room_version === 'string' ? content.room_version : '1',
    creator: create?.getSender() ?? '',
    additionalCreators: Array.isArray(extra)
      ? extra.filter((u): u is string => typeof u === 'string')
      : [],
    powerLevels: pl ? (pl.getContent() as PowerLevels) : null,
  };
}
