/**
 * ADB server addresses (`host:port`; remote servers let one fleet span several machines) and the shared adbkit
 * client per server.
 */
import { FleetAdbClient, DEFAULT_ADB_HOST, DEFAULT_ADB_PORT, type AdbServerAddress } from '../../bot/adb/adbClient';
import { FleetError } from '../../shared/errors';

export type { AdbServerAddress };

/** A malformed server or device address in the configuration. */
export class AddressError extends FleetError<'invalid-address'> {
  constructor(
    readonly text: string,
    reason: string,
  ) {
    super('invalid-address', `'${text}' is not a valid address: ${reason}`);
    this.name = 'AddressError';
  }
}

/**
 * Parses `host:port`, `[ipv6]:port`, a bare `port` or a bare `host` (defaults 127.0.0.1 and 5037).
 * @throws AddressError
 */
export function parseServerAddress(text: string, defaultPort = DEFAULT_ADB_PORT): AdbServerAddress {
  const s = text.trim();
  if (s === '') {
    throw new AddressError(text, 'empty');
  }
  if (/^\d+$/.test(s)) {
    return { host: DEFAULT_ADB_HOST, port: checkPort(s, text) };
  }
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    return { host: v6[1], port: v6[2] !== undefined ? checkPort(v6[2], text) : defaultPort };
  }
  const m = /^([A-Za-z0-9._-]+)(?::(\d*))?$/.exec(s);
  if (!m) {
    throw new AddressError(text, 'expected host:port');
  }
  if (m[2] === '') {
    throw new AddressError(text, 'missing port after ":"');
  }
  return { host: m[1], port: m[2] !== undefined ? checkPort(m[2], text) : defaultPort };
}

function checkPort(p: string, text: string): number {
  const port = Number(p);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AddressError(text, `port ${p} is outside 1-65535`);
  }
  return port;
}

/** `host:port` (IPv6 hosts in brackets). */
export function formatServerAddress(a: AdbServerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** One adbkit client per server, created on first use and shared by the tracker and every device on that server. */
export class AdbClientPool {
  private readonly clients = new Map<string, FleetAdbClient>();

  constructor(private readonly onError: (server: string, err: Error) => void = () => undefined) {}

  get(address: AdbServerAddress): FleetAdbClient {
    const key = formatServerAddress(address);
    let c = this.clients.get(key);
    if (!c) {
      c = new FleetAdbClient(address, (err) => this.onError(key, err));
      this.clients.set(key, c);
    }
    return c;
  }

  dispose(): void {
    this.clients.clear();
  }
}
