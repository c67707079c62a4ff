/**
 * The shell v2 protocol (`shell,v2,raw:<cmd>`): the reply is a sequence of packets `[id:u8][length:u32le][data]`
 * with id 1 = stdout, 2 = stderr, 3 = exit (one byte, the exit code). Older devices only have shell v1, whose
 * reply is plain output with no exit code.
 */
import { DeviceError } from '../device';

export const SHELL_V2_STDOUT = 1;
export const SHELL_V2_STDERR = 2;
export const SHELL_V2_EXIT = 3;

export interface ShellV2Output {
  stdout: Buffer;
  stderr: Buffer;
  /** Undefined when the stream ended without an exit packet (the connection was cut). */
  exitCode?: number;
}

/** Decodes a whole shell v2 reply. @throws DeviceError('protocol') for a truncated or malformed packet. */
export function decodeShellV2(buf: Buffer, serial?: string): ShellV2Output {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let exitCode: number | undefined;
  let i = 0;
  while (i < buf.length) {
    if (buf.length - i < 5) {
      throw new DeviceError('protocol', `shell v2 reply ends inside a packet header (${buf.length - i} bytes left)`, serial);
    }
    const id = buf[i];
    const len = buf.readUInt32LE(i + 1);
    const start = i + 5;
    const end = start + len;
    if (end > buf.length) {
      throw new DeviceError('protocol', `shell v2 packet of ${len} bytes is truncated (${buf.length - start} bytes present)`, serial);
    }
    const data = buf.subarray(start, end);
    if (id === SHELL_V2_STDOUT) {
      out.push(data);
    } else if (id === SHELL_V2_STDERR) {
      err.push(data);
    } else if (id === SHELL_V2_EXIT) {
      if (len < 1) {
        throw new DeviceError('protocol', 'shell v2 exit packet without a code', serial);
      }
      exitCode = data[0];
    }
    // Other ids (stdin, close-stdin, window size) are never sent by the device; ignore them.
    i = end;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode };
}

/** Encodes one packet (tests). */
export function encodeShellV2Packet(id: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const head = Buffer.alloc(5);
  head[0] = id;
  head.writeUInt32LE(body.length, 1);
  return Buffer.concat([head, body]);
}
