/**
 * Messages in flight. The simulator must copy every payload at send time (an algorithm's message
 * is a view into its state, overwritten by its next call), and a large run delivers tens of
 * millions of messages, so delivery events are recycled together with their payload buffers:
 * once `receive` returns, the contract says the algorithm no longer holds the message.
 */
import { copyInto, MsgKind, type Message, type Payload, type PeerId } from '@starling/core';

/**
 * The event is the message itself (with the simulator's bookkeeping alongside), so a delivery
 * touches one object instead of two: at millions of deliveries to peers in random order, each
 * object is a cache miss.
 */
export interface DeliverEvent extends Message {
  type: 0;
  /** The sending peer (the runtime's view; `from` is what the message header claims). */
  sender: PeerId;
  to: PeerId;
  /** Life counters (PeerTable.life) of both ends at send time. */
  fromLife: number;
  toLife: number;
  bytes: number;
  /** The payload buffer that travels with the recycled event (`data` points to it). */
  buf: Payload;
  /** Which pool `buf` belongs to (PayloadType); kept here so recycling need not touch the buffer. */
  pool: number;
}

/** Payload array types, each with its own free list and slab. */
const F32 = 0;
const F64 = 1;
const U16 = 2;
const I8 = 3;
const U8 = 4;

function poolOf(data: Payload): number {
  if (data instanceof Float32Array) return F32;
  if (data instanceof Float64Array) return F64;
  if (data instanceof Uint16Array) return U16;
  if (data instanceof Uint8Array) return U8;
  return I8;
}

/** Small payload buffers are carved out of shared slabs, so in-flight data sits close together. */
const SLAB_ELEMENTS = 8192;
const SLAB_MAX_PAYLOAD = 256;

/** Hands out typed-array views of one element type, carved from slabs. */
class Slab<T extends Payload> {
  private slab: T;
  private used = 0;

  constructor(private readonly make: (n: number) => T) {
    this.slab = make(SLAB_ELEMENTS);
  }

  alloc(n: number): T {
    if (n > SLAB_MAX_PAYLOAD) return this.make(n);
    if (this.used + n > SLAB_ELEMENTS) {
      this.slab = this.make(SLAB_ELEMENTS);
      this.used = 0;
    }
    const view = this.slab.subarray(this.used, this.used + n) as T;
    this.used += n;
    return view;
  }
}

/**
 * Recycles delivery events, one free list per payload type so that a reused event's buffer
 * usually fits the next message as is.
 */
export class DeliveryPool {
  private readonly free: DeliverEvent[][] = [[], [], [], [], []];
  private readonly slabs: Slab<Payload>[] = [
    new Slab((n) => new Float32Array(n)),
    new Slab((n) => new Float64Array(n)),
    new Slab((n) => new Uint16Array(n)),
    new Slab((n) => new Int8Array(n)),
    new Slab((n) => new Uint8Array(n)),
  ];

  /** A delivery event holding a copy of `src`. */
  take(from: PeerId, fromLife: number, to: PeerId, toLife: number, bytes: number, src: Message): DeliverEvent {
    const data = src.data;
    const n = data.length;
    const pool = poolOf(data);
    let ev = this.free[pool].pop();
    if (ev === undefined) ev = newDelivery(this.slabs[pool].alloc(n), pool);
    else if (ev.buf.length !== n) ev.buf = this.slabs[pool].alloc(n);
    const buf = ev.buf;
    if (pool <= F64) copyInto(buf as Float32Array | Float64Array, 0, data as Float32Array | Float64Array);
    else if (n > 64) buf.set(data as ArrayLike<number>);
    else for (let t = 0; t < n; t++) buf[t] = data[t];
    ev.sender = from;
    ev.to = to;
    ev.fromLife = fromLife;
    ev.toLife = toLife;
    ev.bytes = bytes;
    ev.kind = src.kind;
    ev.from = src.from;
    ev.epoch = src.epoch;
    ev.seq = src.seq;
    ev.block = src.block;
    ev.offset = src.offset;
    ev.aux = src.aux;
    ev.dtype = src.dtype;
    ev.scale = src.scale;
    ev.base = src.base;
    ev.keep = src.keep;
    ev.data = buf;
    return ev;
  }

  /** Returns an event whose message has been handled (or discarded). */
  give(ev: DeliverEvent): void {
    this.free[ev.pool].push(ev);
  }
}

function newDelivery(buf: Payload, pool: number): DeliverEvent {
  return {
    type: 0,
    sender: 0,
    to: 0,
    fromLife: 0,
    toLife: 0,
    bytes: 0,
    kind: MsgKind.RfastV,
    from: 0,
    epoch: 0,
    seq: 0,
    block: 0,
    offset: 0,
    aux: 0,
    dtype: undefined,
    scale: undefined,
    base: undefined,
    keep: undefined,
    data: buf,
    buf,
    pool,
  };
}
