import { describe, expect, it } from 'vitest';
import {
  CLIENT_EVENTS,
  isClientEvent,
  validateClientPayload,
  validateHello,
  validateLeave,
  validateSignal,
  validateTelemetry,
} from './events';
import { runStateUpdateSchema, type TelemetryPayload } from './client-payloads';
import { validateWith, type Validation } from './issues';
import { PROTOCOL_LIMITS } from './limits';
import { MAX_ICE_SERVERS, validateIceServers } from './ice';

/** Paths of the issues, failing the test if the input was accepted. */
function rejectedPaths<T>(v: Validation<T>): string[] {
  if (v.ok) throw new Error(`expected rejection, got ${JSON.stringify(v.value)}`);
  for (const i of v.issues) expect(i.message.length).toBeGreaterThan(0);
  return v.issues.map((i) => i.path).sort();
}

const telemetry: TelemetryPayload = {
  steps: 120,
  samples: 3840,
  loss: 0.42,
  stepsPerSec: 35.5,
  backend: 'wasm',
  bytesSent: 1_000_000,
  bytesReceived: 990_000,
  framesSent: 300,
  framesReceived: 297,
  framesLost: 3,
  framesRejected: 0,
  computeMs: 800,
  commMs: 120,
  epoch: 2,
  neighbours: 2,
};

const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
const candidate = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 } };

describe('hello', () => {
  it('accepts peers and observers', () => {
    expect(validateHello({ role: 'peer', backend: 'webgpu', device: 'Apple M2', userAgent: 'Mozilla/5.0' }).ok).toBe(true);
    expect(validateHello({ role: 'observer', backend: 'none' }).ok).toBe(true);
  });
  it('rejects bad roles, missing and overlong fields, extra keys, non-objects', () => {
    expect(rejectedPaths(validateHello({ role: 'admin', backend: 'wasm' }))).toEqual(['role']);
    expect(rejectedPaths(validateHello({ role: 'peer' }))).toEqual(['backend']);
    expect(rejectedPaths(validateHello({ role: 'peer', backend: 'x'.repeat(PROTOCOL_LIMITS.maxNameChars + 1) }))).toEqual(['backend']);
    expect(rejectedPaths(validateHello({ role: 'peer', backend: 'wasm', userAgent: 'u'.repeat(10_000) }))).toEqual(['userAgent']);
    expect(rejectedPaths(validateHello({ role: 'peer', backend: 'wasm', admin: true }))).toEqual(['']);
    expect(rejectedPaths(validateHello('hello'))).toEqual(['']);
    expect(rejectedPaths(validateHello(undefined))).toEqual(['']);
  });
});

describe('signal', () => {
  it('accepts simple-peer offer, answer, candidate and renegotiate shapes', () => {
    expect(validateSignal({ to: 3, data: offer }).ok).toBe(true);
    expect(validateSignal({ to: 3, data: { type: 'answer', sdp: 'v=0' } }).ok).toBe(true);
    expect(validateSignal({ to: 0, data: candidate }).ok).toBe(true);
    expect(validateSignal({ to: 0, data: { type: 'renegotiate', renegotiate: true } }).ok).toBe(true);
    expect(validateSignal({ to: 0, data: { type: 'transceiverRequest', transceiverRequest: { kind: 'audio' } } }).ok).toBe(true);
  });
  it('rejects bad recipients and unknown shapes with paths', () => {
    expect(rejectedPaths(validateSignal({ to: -1, data: offer }))).toEqual(['to']);
    expect(rejectedPaths(validateSignal({ to: 1.5, data: offer }))).toEqual(['to']);
    expect(rejectedPaths(validateSignal({ to: '1', data: offer }))).toEqual(['to']);
    expect(rejectedPaths(validateSignal({ to: 1, data: { type: 'model', weights: [1, 2] } }))).toEqual(['data.type']);
    expect(rejectedPaths(validateSignal({ to: 1, data: { type: 'candidate', candidate: { candidate: 5 } } }))).toEqual([
      'data.candidate.candidate',
    ]);
    expect(rejectedPaths(validateSignal({ to: 1 }))).toEqual(['data']);
  });
  it('rejects oversized data, also when the bulk hides in extra fields', () => {
    const big = 'a'.repeat(PROTOCOL_LIMITS.maxSignalChars);
    expect(rejectedPaths(validateSignal({ to: 1, data: { type: 'offer', sdp: big } }))).toContain('data.sdp');
    const hidden = validateSignal({ to: 1, data: { ...offer, padding: big } });
    expect(rejectedPaths(hidden)).toEqual(['data']);
    if (!hidden.ok) expect(hidden.issues[0].message).toContain(String(PROTOCOL_LIMITS.maxSignalChars));
  });
});

describe('telemetry', () => {
  it('accepts a full report, a null loss and an optional accuracy', () => {
    expect(validateTelemetry(telemetry).ok).toBe(true);
    expect(validateTelemetry({ ...telemetry, loss: null }).ok).toBe(true);
    expect(validateTelemetry({ ...telemetry, accuracy: 0.91 }).ok).toBe(true);
    expect(validateTelemetry({ ...telemetry, staleness: 4 }).ok).toBe(true);
    expect(validateTelemetry({ ...telemetry, staleness: null }).ok).toBe(true);
  });
  it('rejects non-finite, negative and fractional counters', () => {
    expect(rejectedPaths(validateTelemetry({ ...telemetry, loss: NaN }))).toEqual(['loss']);
    expect(rejectedPaths(validateTelemetry({ ...telemetry, loss: Infinity }))).toEqual(['loss']);
    expect(rejectedPaths(validateTelemetry({ ...telemetry, steps: -1, framesLost: 0.5 }))).toEqual(['framesLost', 'steps']);
    expect(rejectedPaths(validateTelemetry({ ...telemetry, accuracy: 1.5 }))).toEqual(['accuracy']);
    expect(rejectedPaths(validateTelemetry({ ...telemetry, stepsPerSec: '9' }))).toEqual(['stepsPerSec']);
    expect(rejectedPaths(validateTelemetry({ ...telemetry, staleness: -1 }))).toEqual(['staleness']);
    expect(rejectedPaths(validateTelemetry({ ...telemetry, staleness: NaN }))).toEqual(['staleness']);
  });
  it('names every missing field', () => {
    const { bytesSent: _a, epoch: _b, ...partial } = telemetry;
    expect(rejectedPaths(validateTelemetry(partial))).toEqual(['bytesSent', 'epoch']);
  });
});

describe('leave and the event table', () => {
  it('leave takes an empty object only', () => {
    expect(validateLeave({}).ok).toBe(true);
    expect(rejectedPaths(validateLeave({ reason: 'x' }))).toEqual(['']);
    expect(rejectedPaths(validateLeave(null))).toEqual(['']);
  });
  it('validateClientPayload dispatches to the schema of each event', () => {
    expect(CLIENT_EVENTS.sort()).toEqual(['hello', 'leave', 'signal', 'telemetry']);
    expect(validateClientPayload('telemetry', telemetry).ok).toBe(true);
    expect(validateClientPayload('hello', telemetry).ok).toBe(false);
    expect(isClientEvent('signal')).toBe(true);
    expect(isClientEvent('toString')).toBe(false);
    expect(isClientEvent(42)).toBe(false);
  });
  it('run state updates need at least one known field', () => {
    expect(validateWith(runStateUpdateSchema, { paused: true }).ok).toBe(true);
    expect(validateWith(runStateUpdateSchema, { lossRate: 0.2 }).ok).toBe(true);
    expect(validateWith(runStateUpdateSchema, {}).ok).toBe(false);
    expect(rejectedPaths(validateWith(runStateUpdateSchema, { lossRate: 3 }))).toEqual(['lossRate']);
  });
});

describe('link reports and ICE servers', () => {
  it('telemetry may describe each open link: a known route and a bounded round-trip time', () => {
    const links = [{ peer: 3, route: 'relay', rttMs: 12.5 }, { peer: 4, route: 'host', rttMs: null }];
    expect(validateTelemetry({ ...telemetry, links }).ok).toBe(true);
    expect(rejectedPaths(validateTelemetry({ ...telemetry, links: [{ peer: 3, route: 'tunnel', rttMs: 1 }] }))).toEqual(['links[0].route']);
    expect(rejectedPaths(validateTelemetry({ ...telemetry, links: [{ peer: -1, route: 'host', rttMs: -5 }] }))).toEqual(['links[0].peer', 'links[0].rttMs']);
    const many = Array.from({ length: PROTOCOL_LIMITS.maxLinksReported + 1 }, (_, i) => ({ peer: i, route: 'host', rttMs: 1 }));
    expect(rejectedPaths(validateTelemetry({ ...telemetry, links: many }))).toEqual(['links']);
  });

  it('an ICE server list is bounded and typed before a peer hands it to RTCPeerConnection', () => {
    const ok = { iceServers: [{ urls: ['turn:t:3478'], username: '1:2', credential: 'c' }], expiresAt: 1000 };
    expect(validateIceServers(ok)).toEqual({ ok: true, value: ok });
    expect(rejectedPaths(validateIceServers({ iceServers: [{ urls: [] }], expiresAt: null }))).toEqual(['iceServers[0].urls']);
    expect(rejectedPaths(validateIceServers({ iceServers: Array(MAX_ICE_SERVERS + 1).fill({ urls: 'stun:s' }), expiresAt: 1.5 }))).toEqual(['expiresAt', 'iceServers']);
    expect(validateIceServers('nope').ok).toBe(false);
  });
});
