import type { MatrixClient } from 'matrix-js-sdk';
import { useMediaUrl } from './media';

// Dark enough for white initials to pass contrast checks in light and dark themes.
const COLOURS = [
  '#9a3412',
  '#1d4ed8',
  '#047857',
  '#7e22ce',
  '#b91c1c',
  '#0f766e',
  '#a16207',
  '#be185d',
];

function colourFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return COLOURS[h % COLOURS.length]!;
}

export function initialsOf(name: string): string {
  const clean = name.replace(/^[@#!+]/, '').trim();
  const first = Array.from(clean)[0] ?? '?';
  return first.toUpperCase();
}

/**
 * A round picture for a person or a room: their avatar (fetched with the token) or their
 * initial on a colour picked from their id. Decorative: the name is always next to it.
 */
export function Avatar(props: {
  client: MatrixClient;
  id: string;
  name: string;
  mxc?: string | null;
  size: number;
  className?: string;
}) {
  const px = Math.ceil(props.size * (window.devicePixelRatio || 1));
  const media = useMediaUrl(
    props.client,
    props.mxc ? { mxc: props.mxc } : null,
    px <= 32
      ? { width: 32, height: 32 }
      : px <= 96
        ? { width: 96, height: 96 }
        : { width: 320, height: 240 },
  );
  const style = { width: props.size, height: props.size, fontSize: props.size * 0.45 };
  const cls = `tl-avatar ${props.className ?? ''}`;
  if (props.mxc && media.status === 'ready') {
    return <img className={cls} style={style} src={media.url} alt="" aria-hidden="true" />;
  }
  return (
    <span className={cls} style={{ ...style, background: colourFor(props.id) }} aria-hidden="true">
      {initialsOf(props.name)}
    </span>
  );
}
