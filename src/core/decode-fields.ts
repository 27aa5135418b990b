/**
 * Text of files whose fields are bytes from elsewhere: OpenVPN's status file and the hook
 * spool carry common names from certificates and usernames from clients, which need not be
 * UTF-8. Each field (the bytes between TABs, commas and line ends) is read as UTF-8 when it
 * is valid UTF-8, else as Latin-1 (ISO-8859-1), which maps every byte to a character of its
 * own: `J\xfcrgen` and `J\xf6rgen` stay two names (as U+FFFD they were one), and a field
 * reads the same whatever the rest of the file holds, so a name never changes between
 * runs. The one overlap: a Latin-1 field reads like the UTF-8 spelling of the same text.
 */
import { Buffer, isUtf8 } from 'node:buffer';

export interface DecodedFields {
  text: string;
  /** Lines (from 1) with a field that is not valid UTF-8 and was read as Latin-1. */
  latin1Lines: number[];
  /** Those fields' text, each once. */
  latin1Fields: string[];
}

const LF = 0x0a;
const TAB = 0x09;
const COMMA = 0x2c;

export function decodeFields(bytes: Uint8Array): DecodedFields {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Nearly every file: one check, one decode.
  if (isUtf8(buf)) return { text: buf.toString('utf8'), latin1Lines: [], latin1Fields: [] };
  const parts: string[] = [];
  const lines: number[] = [];
  const fields = new Set<string>();
  let line = 1;
  let from = 0;
  for (let i = 0; i <= buf.length; i++) {
    const b = i < buf.length ? (buf[i] as number) : -1;
    if (b !== LF && b !== TAB && b !== COMMA && b !== -1) continue;
    const field = buf.subarray(from, i);
    if (isUtf8(field)) parts.push(field.toString('utf8'));
    else {
      const text = field.toString('latin1');
      parts.push(text);
      fields.add(text);
      if (lines[lines.length - 1] !== line) lines.push(line);
    }
    if (b < 0) break;
    parts.push(String.fromCharCode(b));
    if (b === LF) line++;
    from = i + 1;
  }
  return { text: parts.join(''), latin1Lines: lines, latin1Fields: [...fields] };
}

/** The warning for a file with such fields: names the file and its first lines. */
export function latin1Warning(file: string, lines: readonly number[]): string {
  const shown = `${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ` and ${lines.length - 5} more` : ''}`;
  return `${file}: not valid UTF-8 on line${lines.length > 1 ? 's' : ''} ${shown}; those fields were read as Latin-1 (ISO-8859-1), so names that differ in their bytes stay distinct`;
}
