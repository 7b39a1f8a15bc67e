import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TransportEvents } from '@starling/transport';
import { RELIABLE_CHANNEL_ID, UNRELIABLE_CHANNEL_ID } from './config';
import { GOODBYE, WebRtcTransport, type WebRtcTuning } from './webrtc-transport';
import { FAKE_WRTC, fakeCreatePeer, type FakePeer } from './webrtc.fixture';

const TUNING: WebRtcTuning = { rtc: {}, reliableHighWaterBytes: 1 << 20, reliableQueueMaxBytes: 8 << 20, unreliableLowWaterBytes: 1 << 16, closeGraceMs: 2000 };

function openLink() {
  const made: FakePeer[] = [];
  const t = new WebRtcTransport(7, true, fakeCreatePeer(made), FAKE_WRTC, TUNING, () => undefined);
  const peer = made[0];
  const pc = peer.pc!;
  const events = { open: vi.fn(), close: vi.fn(), frame: vi.fn(), control: vi.fn(), drain: vi.fn() };
  t.listen(events as unknown as TransportEvents);
  const reliable = pc.channels.get(RELIABLE_CHANNEL_ID)!;
  const unreliable = pc.channels.get(UNRELIABLE_CHANNEL_ID)!;
  peer.emit('connect');
  reliable.onopen!();
  unreliable.onopen!();
  return { t, peer, reliable, unreliable, events };
}

describe('WebRtcTransport closing', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says goodbye and stops sending at once, but keeps the connection for the grace period', () => {
    const { t, peer, reliable, unreliable, events } = openLink();
    expect(t.isOpen).toBe(true);
    t.close('no longer a neighbour');
    expect(reliable.sent).toEqual([GOODBYE]);
    expect(events.close).toHaveBeenCalledWith('no longer a neighbour');
    expect(t.sendUnreliable(new Uint8Array(4))).toBe(false);
    t.sendReliable('{"t":"hb","sent":1}');
    expect(reliable.sent).toEqual([GOODBYE]);
    // Nothing torn down yet: the remote still has time to stop sending.
    expect(peer.destroyed || reliable.closed || unreliable.closed).toBe(false);
    vi.advanceTimersByTime(TUNING.closeGraceMs - 1);
    expect(peer.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(peer.destroyed && reliable.closed && unreliable.closed).toBe(true);
  });

  it("closes on the remote's goodbye without answering it, and ignores what arrives after", () => {
    const { t, peer, reliable, unreliable, events } = openLink();
    reliable.onmessage!({ data: GOODBYE });
    expect(t.isOpen).toBe(false);
    expect(events.close).toHaveBeenCalledWith('the remote closed the link');
    expect(reliable.sent).toEqual([]);
    unreliable.onmessage!({ data: new ArrayBuffer(8) });
    reliable.onmessage!({ data: '{"t":"hb","sent":2}' });
    expect(events.frame).not.toHaveBeenCalled();
    expect(events.control).not.toHaveBeenCalled();
    vi.advanceTimersByTime(TUNING.closeGraceMs);
    expect(peer.destroyed).toBe(true);
  });

  it('holds every send while ICE has lost the path, and delivers the reliable ones when it is back', () => {
    const { t, peer, reliable, unreliable, events } = openLink();
    peer.emit('iceStateChange', 'disconnected');
    expect(t.isOpen).toBe(false);
    expect(t.sendUnreliable(new Uint8Array(4))).toBe(false);
    t.sendReliable('{"t":"model-req","id":1}');
    expect(reliable.sent).toEqual([]);
    expect(unreliable.sent).toEqual([]);
    peer.emit('iceStateChange', 'connected');
    expect(t.isOpen).toBe(true);
    expect(reliable.sent).toEqual(['{"t":"model-req","id":1}']);
    expect(events.close).not.toHaveBeenCalled();
  });

  it('a link closed while ICE is down does not try a goodbye it cannot deliver', () => {
    const { t, peer, reliable } = openLink();
    peer.emit('iceStateChange', 'failed');
    t.close('no heartbeat');
    expect(reliable.sent).toEqual([]);
    vi.advanceTimersByTime(TUNING.closeGraceMs);
    expect(peer.destroyed).toBe(true);
  });
});
