import { connect, type Socket } from 'node:net';
import { Command, Reassembler, packetize, type HidMessage } from '../../transport/index.js';
import {
  OpCode,
  UsbDirection,
  decodeOpReply,
  decodeUrbReply,
  encodeCmdSubmit,
  encodeCmdUnlink,
  encodeOpRequest,
  type OpReply,
  type RetSubmit,
  type RetUnlink,
  type SetupPacket,
  type UsbipDeviceInfo,
} from '../../transport/usbip-codec.js';

/**
 * A small USB/IP client for tests: the part of vhci-hcd and usbip(8) a test needs, over a real TCP socket.
 * Operation requests are answered in order; URBs are matched by seqnum like the kernel does.
 */
export class UsbipTestClient {
  private buffered = new Uint8Array(0);
  private readonly opWaiters: { code: 0x8005 | 0x8003; resolve: (reply: OpReply) => void }[] = [];
  private readonly urbs = new Map<number, { isIn: boolean; resolve: (ret: RetSubmit | RetUnlink) => void }>();
  private seq = 1;
  private devid = 0;
  private urbPhase = false;
  readonly closed: Promise<void>;
  /** Every RET_SUBMIT / RET_UNLINK seqnum in arrival order. */
  readonly arrivals: number[] = [];
  error?: Error;

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', (error) => (this.error = error));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  static connect(port: number): Promise<UsbipTestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new UsbipTestClient(socket));
      });
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  async devlist(): Promise<UsbipDeviceInfo[]> {
    const reply = await this.op(OpCode.REQ_DEVLIST, encodeOpRequest({ code: OpCode.REQ_DEVLIST }));
    if (reply.code !== OpCode.REP_DEVLIST) throw new Error('expected OP_REP_DEVLIST');
    return reply.devices;
  }

  /** OP_REQ_IMPORT; on status 0 the connection carries URBs from now on. */
  async import(busId: string): Promise<Extract<OpReply, { code: 0x0003 }>> {
    const reply = await this.op(OpCode.REQ_IMPORT, encodeOpRequest({ code: OpCode.REQ_IMPORT, busId }));
    if (reply.code !== OpCode.REP_IMPORT) throw new Error('expected OP_REP_IMPORT');
    return reply;
  }

  /** Back to the operation phase on the same stream, as a relay's next client would speak. */
  forgetImport(): void {
    this.urbPhase = false;
  }

  private op(code: 0x8005 | 0x8003, bytes: Uint8Array): Promise<OpReply> {
    return new Promise((resolve) => {
      this.opWaiters.push({ code, resolve });
      this.socket.write(bytes);
    });
  }

  /** Submits a URB; `seqnum` is known at once (for UNLINK), `done` resolves with its RET_SUBMIT. */
  submit(urb: { endpoint: number; direction: number; setup?: SetupPacket; data?: Uint8Array; length?: number }): {
    seqnum: number;
    done: Promise<RetSubmit>;
  } {
    const seqnum = this.seq++;
    const isIn = urb.direction === UsbDirection.IN;
    const done = new Promise<RetSubmit>((resolve) =>
      this.urbs.set(seqnum, { isIn, resolve: (ret) => resolve(ret as RetSubmit) }),
    );
    this.socket.write(
      encodeCmdSubmit({
        seqnum,
        devid: this.devid,
        direction: urb.direction,
        endpoint: urb.endpoint,
        transferFlags: 0,
        transferBufferLength: isIn ? (urb.length ?? 64) : (urb.data?.length ?? 0),
        startFrame: 0,
        numberOfPackets: 0xffffffff,
        interval: urb.endpoint === 0 ? 0 : 5,
        setup: urb.setup ?? { requestType: 0, request: 0, value: 0, index: 0, length: 0 },
        data: urb.data ?? new Uint8Array(0),
      }),
    );
    return { seqnum, done };
  }

  control(setup: SetupPacket, data?: Uint8Array): Promise<RetSubmit> {
    const direction = setup.requestType & 0x80 ? UsbDirection.IN : UsbDirection.OUT;
    return this.submit({ endpoint: 0, direction, setup, data, length: setup.length }).done;
  }

  /**
   * One CTAPHID message through the interrupt endpoints, the way usbhid does it: an IN URB is pending before
   * the request goes out on the OUT endpoint, and another follows each report. KEEPALIVEs go to `onKeepalive`.
   */
  async ctaphid(
    cid: number,
    command: number,
    payload: Uint8Array,
    onKeepalive: (status: number) => void = () => undefined,
  ): Promise<HidMessage> {
    const reassembler = new Reassembler();
    let pending = this.submit({ endpoint: 1, direction: UsbDirection.IN, length: 64 });
    for (const report of packetize(cid, command, payload)) {
      const out = await this.submit({ endpoint: 1, direction: UsbDirection.OUT, data: report }).done;
      if (out.status !== 0 || out.actualLength !== 64) throw new Error(`OUT report failed: ${JSON.stringify(out)}`);
    }
    for (;;) {
      const ret = await pending.done;
      if (ret.status !== 0) throw new Error(`IN URB failed with status ${ret.status}`);
      const [message] = reassembler.push(ret.data);
      if (message && 'hidError' in message) throw message;
      if (message?.command === Command.KEEPALIVE) onKeepalive(message.payload[0]);
      else if (message) return message;
      pending = this.submit({ endpoint: 1, direction: UsbDirection.IN, length: 64 });
    }
  }

  unlink(target: number): Promise<RetUnlink> {
    const seqnum = this.seq++;
    const done = new Promise<RetUnlink>((resolve) =>
      this.urbs.set(seqnum, { isIn: false, resolve: (ret) => resolve(ret as RetUnlink) }),
    );
    this.socket.write(encodeCmdUnlink({ seqnum, devid: this.devid, direction: 0, endpoint: 0, unlinkSeqnum: target }));
    return done;
  }

  private receive(chunk: Buffer): void {
    const joined = new Uint8Array(this.buffered.length + chunk.length);
    joined.set(this.buffered);
    joined.set(chunk, this.buffered.length);
    this.buffered = joined;
    for (;;) {
      if (!this.urbPhase || this.opWaiters.length) {
        const waiter = this.opWaiters[0];
        if (!waiter) return;
        const decoded = decodeOpReply(this.buffered, waiter.code);
        if (!decoded) return;
        this.buffered = this.buffered.subarray(decoded.length);
        this.opWaiters.shift();
        const reply = decoded.message;
        if (reply.code === OpCode.REP_IMPORT && reply.status === 0 && reply.device) {
          // From here on the server speaks URBs (usbip_protocol.rst).
          this.urbPhase = true;
          this.devid = (reply.device.busNum << 16) | reply.device.devNum;
        }
        waiter.resolve(reply);
        continue;
      }
      const decoded = decodeUrbReply(this.buffered, (seqnum) => this.urbs.get(seqnum)?.isIn ?? false);
      if (!decoded) return;
      this.buffered = this.buffered.subarray(decoded.length);
      const ret = decoded.message;
      this.arrivals.push(ret.seqnum);
      const waiter = this.urbs.get(ret.seqnum);
      this.urbs.delete(ret.seqnum);
      waiter?.resolve(ret);
    }
  }
}
