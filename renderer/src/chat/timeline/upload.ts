import type { MatrixClient } from 'matrix-js-sdk';
import type { RoomMessageEventContent } from 'matrix-js-sdk/lib/@types/events';
import { encryptAttachment, type EncryptedFile } from './attachment-crypto';

/** Progress of one upload, for the composer's progress bar. */
export interface UploadProgress {
  name: string;
  loaded: number;
  total: number;
}

const THUMB_MAX_W = 800;
const THUMB_MAX_H = 600;

interface ImageFacts {
  w: number;
  h: number;
  thumb: Blob | null;
  thumbW: number;
  thumbH: number;
}

/** Width, height and a thumbnail (when the image is larger than one) of an image file. */
async function readImage(file: Blob): Promise<ImageFacts | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null; // not an image the browser can decode: sent as a file
  }
  const w = bitmap.width;
  const h = bitmap.height;
  const scale = Math.min(1, THUMB_MAX_W / w, THUMB_MAX_H / h);
  const thumbW = Math.max(1, Math.round(w * scale));
  const thumbH = Math.max(1, Math.round(h * scale));
  let thumb: Blob | null = null;
  try {
    const canvas = document.createElement('canvas');
    canvas.width = thumbW;
    canvas.height = thumbH;
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, thumbW, thumbH);
    // PNG keeps transparency of small images; large photos as JPEG stay small.
    const type = file.type === 'image/png' && w * h < 1_000_000 ? 'image/png' : 'image/jpeg';
    thumb = await new Promise<Blob | null>((r) => canvas.toBlob(r, type, 0.8));
  } finally {
    bitmap.close();
  }
  return { w, h, thumb, thumbW, thumbH };
}

/**
 * Uploads a blob (encrypted first when `encrypt`) and returns where it is: `url` for plain
 * media, `file` (the spec's EncryptedFile) for an encrypted room.
 */
async function put(
  client: MatrixClient,
  data: Blob,
  name: string,
  encrypt: boolean,
  onProgress?: (loaded: number, total: number) => void,
): Promise<{ url: string } | { file: EncryptedFile }> {
  const progressHandler = onProgress
    ? (p: { loaded: number; total: number }) => onProgress(p.loaded, p.total)
    : undefined;
  if (!encrypt) {
    const res = await client.uploadContent(data, {
      name,
      type: data.type || 'application/octet-stream',
      progressHandler,
    });
    return { url: res.content_uri };
  }
  const { ciphertext, info } = await encryptAttachment(await data.arrayBuffer());
  // The server sees only opaque bytes: no name or type that would say what was sent.
  const res = await client.uploadContent(new Blob([ciphertext]), {
    type: 'application/octet-stream',
    includeFilename: false,
    progressHandler,
  });
  return { file: { ...info, url: res.content_uri } };
}

/**
 * Sends a file to a room: images as m.image with w/h/mimetype/size and a thumbnail, other
 * files as m.file. In an encrypted room every part is encrypted (spec: "Sending encrypted
 * attachments"). `onProgress` follows the main upload.
 */
export async function sendAttachment(
  client: MatrixClient,
  roomId: string,
  file: File,
  encrypt: boolean,
  onProgress: (p: UploadProgress) => void,
): Promise<void> {
  const name = file.name || 'file';
  const mimetype = file.type || 'application/octet-stream';
  const image = mimetype.startsWith('image/') ? await readImage(file) : null;
  const main = await put(client, file, name, encrypt, (loaded, total) =>
    onProgress({ name, loaded, total }),
  );
  const info: Record<string, unknown> = { mimetype, size: file.size };
  if (image) {
    info.w = image.w;
    info.h = image.h;
    if (image.thumb) {
      const t = await put(client, image.thumb, `thumbnail-${name}`, encrypt);
      if ('url' in t) info.thumbnail_url = t.url;
      else info.thumbnail_file = t.file;
      info.thumbnail_info = {
        w: image.thumbW,
        h: image.thumbH,
        mimetype: image.thumb.type,
        size: image.thumb.size,
      };
    }
  }
  const content: Record<string, unknown> = {
    msgtype: image ? 'm.image' : 'm.file',
    body: name,
    filename: name,
    info,
    ...main,
  };
  // The SDK's content types are per msgtype unions; this one is built to the spec above.
  await client.sendMessage(roomId, content as unknown as RoomMessageEventContent);
}
