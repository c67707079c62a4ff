/**
 * An embedded ADB *server* endpoint: speaks the adb server's smart-socket protocol (4-hex-digit length-prefixed
 * requests, OKAY/FAIL replies) so that adbkit's `Adb.createClient({ port })` works against virtual devices with no
 * adb binary. Device services after a transport switch run in-process on the VirtualDevice (no ADB framing).
 */
import * as net from 'node:net';
import type { Logger } from '../shared/ports';
import { Emitter, type Disposable, type Event } from '../shared/lifecycle';
import type { Faults } from './faults';
import { ServiceStreamBase, toParts, type ServiceStream } from './serviceStream';
import { FleetError } from '../shared/errors';

/** The adb server protocol version we report (`host:version`): 41, like adb 1.0.41. */
export const HOST_PROTOCOL_VERSION = 41;
/** Features of the (virtual) server itself, for `host:host-features`. */
export const HOST_FEATURES = ['shell_v2', 'cmd', 'stat_v2', 'ls_v2', 'fixed_push_mkdir', 'apex', 'abb', 'fixed_push_symlink_timestamp', 'abb_exec', 'remount_shell', 'track_app', 'sendrecv_v2', 'sendrecv_v2_brotli', 'sendrecv_v2_lz4', 'sendrecv_v2_zstd', 'sendrecv_v2_dry_run_send'];

/** What the endpoint needs from a device (VirtualDevice satisfies it). */
export interface HostedDevice {
  readonly serial: string;
  readonly faults: Faults;
  readonly closed: boolean;
  readonly onDidClose: (listener: () => void) => Disposable;
  banner(): string;
  handleService(service: string, stream: ServiceStream): boolean;
}

export type HostRequestError = 'bad-length' | 'too-long';

export class HostProtocolError extends FleetError<HostRequestError> {
  constructor(code: HostRequestError, message: string) {
    super(code, message);
    this.name = 'HostProtocolError';
  }
}

/** Largest request accepted (the 4-hex-digit length allows 0xffff). */
const MAX_REQUEST = 0xffff;
/** Pause writing to a client socket once this much is queued in userland. */
const HIGH_WATER = 4 * 1024 * 1024;

/** Reads `XXXX<request>` requests one at a time; what follows the last request can be taken raw. */
export class HostRequestReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next complete request, or undefined when more bytes are needed. Throws HostProtocolError on garbage. */
  next(): string | undefined {
    if (this.buf.length < 4) {
      return undefined;
    }
    const hex = this.buf.toString('latin1', 0, 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
      throw new HostProtocolError('bad-length', `bad request length ${JSON.stringify(hex)}`);
    }
    const len = parseInt(hex, 16);
    if (len > MAX_REQUEST) {
      throw new HostProtocolError('too-long', `request of ${len} bytes is too long`);
    }
    if (this.buf.length < 4 + len) {
      return undefined;
    }
    const req = this.buf.toString('utf8', 4, 4 + len);
    this.buf = this.buf.subarray(4 + len);
    return req;
  }

  /** Removes and returns the bytes after the requests read so far. */
  takeRest(): Buffer {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }
}

/** `4-hex-digit length + payload`, as host replies carry values. */
export function encodeHostValue(value: string | Buffer): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([Buffer.from(data.length.toString(16).padStart(4, '0'), 'latin1'), data]);
}

/** A request as a client sends it. */
export function encodeHostRequest(request: string): Buffer {
  return encodeHostValue(request);
}

interface Registered {
  device: HostedDevice;
  transportId: number;
  sessions: Set<HostSession>;
  subs: Disposable[];
  refuseTimer?: ReturnType<typeof setTimeout>;
}

type DeviceState = 'device' | 'offline';

const PER_DEVICE_COMMANDS = ['get-state', 'get-serialno', 'get-devpath', 'features', 'wait-for-device', 'wait-for-any-device', 'wait-for-any-any', 'wait-for-local-device', 'wait-for-usb-device'];

const SILENT: Logger = { log: () => undefined, child: () => SILENT };

export class AdbHostEndpoint {
  private readonly devices = new Map<string, Registered>();
  /** Devices removed with `host:disconnect`, which `host:connect` can bring back. */
  private readonly disconnected = new Map<string, HostedDevice>();
  private readonly sessions = new Set<HostSession>();
  private readonly trackers = new Map<net.Socket, { long: boolean; last: string }>();
  private nextTransportId = 1;
  private closedFlag = false;
  private readonly _onDidChangeDevices = new Emitter<void>();
  /** The device list or a device's state may have changed (added, removed, dropped, refusing, closed). */
  readonly onDidChangeDevices: Event<void> = this._onDidChangeDevices.event;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly logger: Logger,
  ) {}

  /** Starts the endpoint on 127.0.0.1 (`port` 0 or absent = a free port). */
  static async start(opts: { port?: number; host?: string; logger?: Logger } = {}): Promise<AdbHostEndpoint> {
    const server = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
    const ep = new AdbHostEndpoint(server, port, opts.logger ?? SILENT);
    server.on('connection', (socket) => ep.accept(socket));
    server.on('error', (e) => ep.logger.log('warn', `host endpoint error: ${e.message}`));
    return ep;
  }

  /** Registers a device: it appears in `host:devices` and trackers hear about it. */
  addDevice(device: HostedDevice): void {
    if (this.closedFlag) {
      return;
    }
    this.disconnected.delete(device.serial);
    const old = this.devices.get(device.serial);
    if (old?.device === device) {
      return;
    }
    if (old) {
      this.unregister(device.serial);
    }
    const reg: Registered = { device, transportId: this.nextTransportId++, sessions: new Set(), subs: [] };
    reg.subs.push(
      device.faults.onDidDropConnections(({ refuseMs }) => {
        for (const s of [...reg.sessions]) {
          s.destroy();
        }
        if (reg.refuseTimer) {
          clearTimeout(reg.refuseTimer);
          reg.refuseTimer = undefined;
        }
        if (refuseMs > 0) {
          reg.refuseTimer = setTimeout(() => {
            reg.refuseTimer = undefined;
            this.notifyTrackers();
          }, refuseMs + 5);
        }
        this.notifyTrackers();
      }),
      device.faults.onDidChangeStall(({ stalled }) => {
        if (!stalled) {
          for (const s of [...reg.sessions]) {
            s.resume();
          }
        }
      }),
      device.onDidClose(() => {
        for (const s of [...reg.sessions]) {
          s.destroy();
        }
        this.notifyTrackers();
      }),
    );
    this.devices.set(device.serial, reg);
    this.notifyTrackers();
  }

  /** Unregisters a device; its open sessions are closed. False when it was not registered. */
  removeDevice(serial: string): boolean {
    const had = this.unregister(serial);
    this.disconnected.delete(serial);
    if (had) {
      this.notifyTrackers();
    }
    return had;
  }

  /** Serials and states, as `host:devices` lists them. */
  listDevices(): { serial: string; state: DeviceState; transportId: number }[] {
    return [...this.devices.values()].map((r) => ({ serial: r.device.serial, state: this.stateOf(r), transportId: r.transportId }));
  }

  /** Open client connections (for tests: nothing leaks). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Stops listening and closes every client connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closedFlag) {
      return;
    }
    this.closedFlag = true;
    for (const serial of [...this.devices.keys()]) {
      this.unregister(serial);
    }
    for (const s of [...this.sessions]) {
      s.destroy();
    }
    for (const sock of this.trackers.keys()) {
      sock.destroy();
    }
    this.trackers.clear();
    this._onDidChangeDevices.dispose();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- internals used by sessions ----

  stateOf(reg: Registered): DeviceState {
    return reg.device.closed || reg.device.faults.isRefusing() ? 'offline' : 'device';
  }

  devicesText(long: boolean): string {
    let out = '';
    for (const r of this.devices.values()) {
      const state = this.stateOf(r);
      if (!long) {
        out += `${r.device.serial}\t${state}\n`;
        continue;
      }
      const props = bannerProps(r.device.banner());
      let line = `${r.device.serial.padEnd(22)} ${state}`;
      if (state === 'device') {
        for (const [label, key] of [
          ['product', 'ro.product.name'],
          ['model', 'ro.product.model'],
          ['device', 'ro.product.device'],
        ] as const) {
          const v = props[key];
          if (v) {
            line += ` ${label}:${label === 'model' ? v.replace(/[^A-Za-z0-9_.-]/g, '_') : v}`;
          }
        }
      }
      out += `${line} transport_id:${r.transportId}\n`;
    }
    return out;
  }

  /** Resolves a device for a transport or per-device query; a string is the FAIL message. */
  resolve(selector: { serial?: string; transportId?: number; any?: boolean; kind?: 'local' | 'usb' }): Registered | string {
    if (selector.serial !== undefined) {
      return this.devices.get(selector.serial) ?? `device '${selector.serial}' not found`;
    }
    if (selector.transportId !== undefined) {
      for (const r of this.devices.values()) {
        if (r.transportId === selector.transportId) {
          return r;
        }
      }
      return `no device with transport id '${selector.transportId}'`;
    }
    // Virtual devices are TCP ("local") devices; there is never a USB one.
    const candidates = selector.kind === 'usb' ? [] : [...this.devices.values()];
    if (candidates.length === 0) {
      return 'no devices/emulators found';
    }
    if (candidates.length > 1) {
      return 'more than one device/emulator';
    }
    return candidates[0];
  }

  /** Registered device whose serial prefixes `rest` (`<serial>:<command>`), for `host-serial:` requests. */
  splitSerial(rest: string): { serial: string; command: string } | undefined {
    for (const serial of this.devices.keys()) {
      if (rest.startsWith(`${serial}:`)) {
        return { serial, command: rest.slice(serial.length + 1) };
      }
    }
    for (const cmd of PER_DEVICE_COMMANDS) {
      if (rest.endsWith(`:${cmd}`)) {
        return { serial: rest.slice(0, -(cmd.length + 1)), command: cmd };
      }
    }
    const i = rest.lastIndexOf(':');
    return i > 0 ? { serial: rest.slice(0, i), command: rest.slice(i + 1) } : undefined;
  }

  connect(target: string): string {
    const serial = target.includes(':') ? target : `${target}:5555`;
    if (this.devices.has(serial)) {
      return `already connected to ${serial}`;
    }
    const back = this.disconnected.get(serial);
    if (back && !back.closed) {
      this.addDevice(back);
      return `connected to ${serial}`;
    }
    return `failed to connect to '${serial}': Connection refused`;
  }

  disconnect(target: string | undefined): string {
    if (target === undefined || target === '') {
      for (const [serial, r] of [...this.devices]) {
        this.disconnected.set(serial, r.device);
        this.unregister(serial);
      }
      this.notifyTrackers();
      return 'disconnected everything';
    }
    const serial = target.includes(':') ? target : `${target}:5555`;
    const r = this.devices.get(serial);
    if (!r) {
      return `no such device '${serial}'`;
    }
    this.disconnected.set(serial, r.device);
    this.unregister(serial);
    this.notifyTrackers();
    return `disconnected ${serial}`;
  }

  track(socket: net.Socket, long: boolean): void {
    const entry = { long, last: this.devicesText(long) };
    this.trackers.set(socket, entry);
    socket.write(encodeHostValue(entry.last));
    socket.on('close', () => this.trackers.delete(socket));
  }

  bind(session: HostSession, reg: Registered): void {
    reg.sessions.add(session);
  }

  addSession(s: HostSession): void {
    this.sessions.add(s);
  }

  dropSession(s: HostSession): void {
    this.sessions.delete(s);
    for (const r of this.devices.values()) {
      r.sessions.delete(s);
    }
  }

  private notifyTrackers(): void {
    this._onDidChangeDevices.fire();
    for (const [socket, t] of this.trackers) {
      const text = this.devicesText(t.long);
      if (text !== t.last && !socket.destroyed) {
        t.last = text;
        socket.write(encodeHostValue(text));
      }
    }
  }

  private unregister(serial: string): boolean {
    const r = this.devices.get(serial);
    if (!r) {
      return false;
    }
    this.devices.delete(serial);
    for (const d of r.subs) {
      d.dispose();
    }
    if (r.refuseTimer) {
      clearTimeout(r.refuseTimer);
    }
    for (const s of [...r.sessions]) {
      s.destroy();
    }
    return true;
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => undefined);
    if (this.closedFlag) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const session = new HostSession(socket, this, this.logger);
    this.addSession(session);
  }
}

function bannerProps(banner: string): Record<string, string> {
  const props: Record<string, string> = {};
  const rest = banner.split(':').slice(2).join(':');
  for (const item of rest.split(';')) {
    const eq = item.indexOf('=');
    if (eq > 0) {
      props[item.slice(0, eq)] = item.slice(eq + 1);
    }
  }
  return props;
}

function bannerFeatures(banner: string): string {
  return bannerProps(banner).features ?? '';
}

/** One client connection to the endpoint. */
class HostSession {
  private readonly reader = new HostRequestReader();
  private mode: 'host' | 'transport' | 'service' | 'tracking' | 'closing' = 'host';
  private reg: Registered | undefined;
  private stream: BridgeStream | undefined;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly ep: AdbHostEndpoint,
    private readonly logger: Logger,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.stream?.hostClosed());
    socket.on('close', () => this.cleanup());
  }

  destroy(): void {
    this.socket.destroy();
    this.cleanup();
  }

  /** The device's stall ended. */
  resume(): void {
    this.stream?.resume();
    this.drain();
  }

  private cleanup(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.stream?.hostClosed();
    this.ep.dropSession(this);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) {
      return;
    }
    if (this.mode === 'service') {
      this.stream?.receive(chunk);
      return;
    }
    if (this.mode === 'tracking' || this.mode === 'closing') {
      return;
    }
    this.reader.push(chunk);
    this.drain();
  }

  private drain(): void {
    while (!this.closed && (this.mode === 'host' || this.mode === 'transport')) {
      if (this.mode === 'transport' && this.reg?.device.faults.isStalled()) {
        return; // resumes when the stall ends
      }
      let req: string | undefined;
      try {
        req = this.reader.next();
      } catch (e) {
        this.fail(e instanceof Error ? e.message : String(e));
        return;
      }
      if (req === undefined) {
        return;
      }
      if (this.mode === 'host') {
        this.handleHost(req);
      } else {
        this.handleDeviceService(req);
      }
    }
  }

  private okay(value?: string | Buffer): void {
    this.socket.write(value === undefined ? 'OKAY' : Buffer.concat([Buffer.from('OKAY'), encodeHostValue(value)]));
  }

  /** FAIL with a message, then close. */
  private fail(message: string): void {
    this.socket.write(Buffer.concat([Buffer.from('FAIL'), encodeHostValue(message)]));
    this.finish();
  }

  /** One-shot request answered: close our side. */
  private finish(): void {
    this.mode = 'closing';
    this.socket.end();
  }

  private handleHost(req: string): void {
    if (req === 'host:version') {
      this.okay(HOST_PROTOCOL_VERSION.toString(16).padStart(4, '0'));
      this.finish();
      return;
    }
    if (req === 'host:devices' || req === 'host:devices-l') {
      this.okay(this.ep.devicesText(req.endsWith('-l')));
      this.finish();
      return;
    }
    if (req === 'host:track-devices' || req === 'host:track-devices-l') {
      this.mode = 'tracking';
      this.socket.write('OKAY');
      this.ep.track(this.socket, req.endsWith('-l'));
      return;
    }
    if (req === 'host:kill') {
      // The embedded endpoint serves other clients too: acknowledge and hang up, but keep running.
      this.okay();
      this.finish();
      return;
    }
    if (req === 'host:host-features') {
      this.okay(HOST_FEATURES.join(','));
      this.finish();
      return;
    }
    if (req.startsWith('host:connect:')) {
      this.okay(this.ep.connect(req.slice('host:connect:'.length)));
      this.finish();
      return;
    }
    if (req === 'host:disconnect' || req === 'host:disconnect:' || req.startsWith('host:disconnect:')) {
      this.okay(this.ep.disconnect(req.slice('host:disconnect:'.length) || undefined));
      this.finish();
      return;
    }
    const transport = parseTransport(req);
    if (transport) {
      const r = this.ep.resolve(transport.selector);
      if (typeof r === 'string') {
        this.fail(r);
        return;
      }
      if (this.ep.stateOf(r) !== 'device') {
        this.fail('device offline');
        return;
      }
      this.reg = r;
      this.ep.bind(this, r);
      this.mode = 'transport';
      if (transport.tport) {
        const id = Buffer.alloc(8);
        id.writeBigUInt64LE(BigInt(r.transportId));
        this.socket.write(Buffer.concat([Buffer.from('OKAY'), id]));
      } else {
        this.socket.write('OKAY');
      }
      return;
    }
    const query = this.parseDeviceQuery(req);
    if (query) {
      const r = this.ep.resolve(query.selector);
      if (typeof r === 'string') {
        this.fail(r);
        return;
      }
      const state = this.ep.stateOf(r);
      switch (query.command) {
        case 'get-state':
          this.okay(state);
          break;
        case 'get-serialno':
          this.okay(r.device.serial);
          break;
        case 'get-devpath':
          this.okay('unknown');
          break;
        case 'features':
          this.okay(bannerFeatures(r.device.banner()));
          break;
        default:
          if (query.command.startsWith('wait-for-')) {
            if (state === 'device') {
              this.socket.write('OKAYOKAY');
              break;
            }
            this.fail('device offline');
            return;
          }
          this.fail(`'${query.command}' is not supported by the virtual adb server`);
          return;
      }
      this.finish();
      return;
    }
    this.fail(`unknown host service '${req}'`);
  }

  private parseDeviceQuery(req: string): { selector: Parameters<AdbHostEndpoint['resolve']>[0]; command: string } | undefined {
    if (req.startsWith('host-serial:')) {
      const split = this.ep.splitSerial(req.slice('host-serial:'.length));
      return split ? { selector: { serial: split.serial }, command: split.command } : undefined;
    }
    let m = /^host-transport-id:(\d+):(.+)$/.exec(req);
    if (m) {
      return { selector: { transportId: Number(m[1]) }, command: m[2] };
    }
    m = /^host-(local|usb):(.+)$/.exec(req);
    if (m) {
      return { selector: { any: true, kind: m[1] as 'local' | 'usb' }, command: m[2] };
    }
    m = /^host:(.+)$/.exec(req);
    if (m && (PER_DEVICE_COMMANDS.includes(m[1]) || m[1] === 'features')) {
      return { selector: { any: true }, command: m[1] };
    }
    return undefined;
  }

  private handleDeviceService(req: string): void {
    const reg = this.reg;
    if (!reg) {
      this.fail('no transport');
      return;
    }
    if (this.ep.stateOf(reg) !== 'device') {
      this.fail('device offline');
      return;
    }
    const stream = new BridgeStream(this.socket, reg.device.faults);
    let ok = false;
    try {
      ok = reg.device.handleService(req, stream);
    } catch (e) {
      this.logger.log('warn', `host endpoint: service '${req}' failed to start: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!ok) {
      this.fail('closed');
      return;
    }
    this.stream = stream;
    this.mode = 'service';
    this.socket.write('OKAY');
    stream.accept();
    const rest = this.reader.takeRest();
    if (rest.length > 0) {
      stream.receive(rest);
    }
  }
}

function parseTransport(req: string): { selector: Parameters<AdbHostEndpoint['resolve']>[0]; tport: boolean } | undefined {
  let m = /^host:(transport|tport:serial):(.+)$/.exec(req);
  if (m) {
    return { selector: { serial: m[2] }, tport: m[1] !== 'transport' };
  }
  m = /^host:(transport-id|tport:transport-id):(\d+)$/.exec(req);
  if (m) {
    return { selector: { transportId: Number(m[2]) }, tport: m[1] !== 'transport-id' };
  }
  m = /^host:(transport-|tport:)(any|local|usb)$/.exec(req);
  if (m) {
    return { selector: { any: true, kind: m[2] === 'any' ? undefined : (m[2] as 'local' | 'usb') }, tport: m[1] === 'tport:' };
  }
  return undefined;
}

/** A device service carried by a client socket directly (after `OKAY`), with the device's stall honoured. */
class BridgeStream extends ServiceStreamBase {
  private chain: Promise<void> = Promise.resolve();
  private accepted = false;
  private readonly acceptedPromise: Promise<void>;
  private markAccepted: () => void = () => undefined;
  private stalledInput: Buffer[] = [];
  private unstallWaiters: (() => void)[] = [];

  constructor(
    private readonly socket: net.Socket,
    private readonly faults: Faults,
  ) {
    super();
    this.acceptedPromise = new Promise((r) => {
      this.markAccepted = r;
    });
    this.signal.addEventListener('abort', () => this.wakeAll());
  }

  accept(): void {
    this.accepted = true;
    this.markAccepted();
  }

  write(data: Buffer | readonly Buffer[]): Promise<void> {
    const parts = toParts(data);
    if (this.closed || parts.length === 0) {
      return this.chain;
    }
    this.chain = this.chain.then(async () => {
      await this.ready();
      if (this.closed) {
        return;
      }
      this.socket.cork();
      for (const p of parts) {
        this.socket.write(p);
      }
      this.socket.uncork();
      if (this.socket.writableLength > HIGH_WATER) {
        await waitDrain(this.socket);
      }
    });
    return this.chain;
  }

  end(): Promise<void> {
    this.chain = this.chain.then(async () => {
      await this.ready();
      if (!this.closed) {
        this.socket.end();
        this.markClosed('ended by device');
      }
    });
    return this.chain;
  }

  receive(chunk: Buffer): void {
    if (this.closed) {
      return;
    }
    if (this.faults.isStalled() || this.stalledInput.length > 0) {
      this.stalledInput.push(chunk);
      return;
    }
    this._onDidReceiveData.fire(chunk);
  }

  resume(): void {
    const pending = this.stalledInput;
    this.stalledInput = [];
    for (const c of pending) {
      this.receive(c);
    }
    this.wakeAll();
  }

  hostClosed(): void {
    this.markClosed('closed by host');
  }

  private async ready(): Promise<void> {
    if (!this.accepted) {
      await this.acceptedPromise;
    }
    while (!this.closed && this.faults.isStalled()) {
      await new Promise<void>((r) => this.unstallWaiters.push(r));
    }
  }

  private wakeAll(): void {
    const w = this.unstallWaiters;
    this.unstallWaiters = [];
    for (const r of w) {
      r();
    }
  }
}

function waitDrain(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
