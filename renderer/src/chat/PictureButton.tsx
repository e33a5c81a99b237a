import { useRef } from 'react';

/**
 * "Change picture": a button that opens the file picker for one image, for the room's
 * and the person's avatar. The file input stays hidden but labelled for screen readers.
 */
export function PictureButton(props: {
  label: string;
  busy: boolean;
  onFile: (file: File) => void;
  id?: string;
}) {
  const fileRef = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={fileRef}
        type="file"
        accept="image/*"
        className="visually-hidden"
        {...(props.id ? { id: props.id } : {})}
        aria-label={props.label}
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) props.onFile(f);
          e.target.value = '';
        }}
      />
      <button type="button" disabled={props.busy} onClick={() => fileRef.current?.click()}>
        Change picture
      </button>
    </>
  );
}
