import { useCallback, useState } from 'react';
import type { MatrixClient, Room } from 'matrix-js-sdk';
import { sendAttachment } from './upload';

export interface UploadItem {
  id: number;
  name: string;
  loaded: number;
  total: number;
  error: string | null;
}

export interface UploadsState {
  items: UploadItem[];
  send: (files: File[]) => void;
  dismiss: (id: number) => void;
}

let nextId = 1;

/** Files being sent to the room, with their progress and any failure. */
export function useUploads(
  client: MatrixClient,
  room: Room | null,
  encrypted: boolean,
): UploadsState {
  const [items, setItems] = useState<UploadItem[]>([]);
  const patch = (id: number, p: Partial<UploadItem>) =>
    setItems((all) => all.map((u) => (u.id === id ? { ...u, ...p } : u)));
  const send = useCallback(
    (files: File[]) => {
      if (!room) return;
      for (const file of files) {
        const id = nextId++;
        setItems((all) => [
          ...all,
          { id, name: file.name || 'file', loaded: 0, total: file.size, error: null },
        ]);
        sendAttachment(client, room.roomId, file, encrypted, (p) =>
          patch(id, { loaded: p.loaded, total: p.total }),
        ).then(
          () => setItems((all) => all.filter((u) => u.id !== id)),
          (e: unknown) =>
            patch(id, { error: `not sent (${e instanceof Error ? e.message : String(e)})` }),
        );
      }
    },
    [client, room, encrypted],
  );
  const dismiss = useCallback(
    (id: number) => setItems((all) => all.filter((u) => u.id !== id)),
    [],
  );
  return { items, send, dismiss };
}
