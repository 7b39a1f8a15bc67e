/**
 * Test doubles for the WebRTC layer: a data channel and an RTCPeerConnection that record what they
 * were asked, and simple-peer's surface with events fired by hand. For unit tests only.
 */
import { RELIABLE_CHANNEL_ID, UNRELIABLE_CHANNEL_ID } from './config';
import type { CreatePeer, RtcPeer, WrtcImpl } from './webrtc-transport';

/** A data channel that records what it was asked to do. */
export class FakeChannel {
  sent: unknown[] = [];
  closed = false;
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType = 'blob';
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;
  constructor(readonly id: number) {}
  send(d: unknown): void {
    if (this.closed) throw new Error('send on a closed channel');
    this.sent.push(d);
  }
  close(): void {
    this.closed = true;
  }
}

export class FakePc {
  channels = new Map<number, FakeChannel>();
  createDataChannel(_label: string, init: { id: number }): FakeChannel {
    const ch = new FakeChannel(init.id);
    this.channels.set(init.id, ch);
    return ch;
  }
}

/** simple-peer's surface: events we can fire by hand, and whether it was destroyed. */
export class FakePeer implements RtcPeer {
  destroyed = false;
  /** The connection simple-peer made through the wrtc option (set by `fakeCreatePeer`). */
  pc: FakePc | null = null;
  private handlers = new Map<string, ((...a: unknown[]) => void)[]>();
  signal(): void {}
  destroy(): void {
    this.destroyed = true;
  }
  on(event: string, cb: (...a: never[]) => void): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), cb as (...a: unknown[]) => void]);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const cb of this.handlers.get(event) ?? []) cb(...args);
  }
  /** The connection and both data channels come up. */
  open(): void {
    this.emit('connect');
    this.pc!.channels.get(RELIABLE_CHANNEL_ID)!.onopen!();
    this.pc!.channels.get(UNRELIABLE_CHANNEL_ID)!.onopen!();
  }
}

export const FAKE_WRTC: WrtcImpl = { RTCPeerConnection: FakePc, RTCSessionDescription: null, RTCIceCandidate: null };

/** A CreatePeer that builds fake peers (each with its connection from the wrtc option) into `made`. */
export function fakeCreatePeer(made: FakePeer[]): CreatePeer {
  return (opts) => {
    const p = new FakePeer();
    p.pc = new (opts.wrtc.RTCPeerConnection as new () => FakePc)();
    made.push(p);
    return p;
  };
}
