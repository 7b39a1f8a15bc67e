import { initialStatus, PeerError, type PeerErrorCode } from '@starling/peer';
import { describe, expect, it } from 'vitest';
import { TERMINAL_ADVICE } from './advice';
import { statusText } from './status-line';

function failed(code: PeerErrorCode, detail: string) {
  const err = new PeerError(code, detail);
  return { ...initialStatus(), peerId: 3, phase: 'error' as const, error: { code, message: err.message, detail: err.detail, advice: err.advice } };
}

describe('statusText for a failed headless peer', () => {
  it('gives the detail once and terminal advice, never the browser hint', () => {
    const line = statusText(failed('server-unreachable', 'no answer from http://127.0.0.1:9 within 10000 ms'));
    expect(line).toBe(`peer 3 error: no answer from http://127.0.0.1:9 within 10000 ms — ${TERMINAL_ADVICE['server-unreachable']}`);
    expect(line).not.toMatch(/reload|page|browser/i);
  });

  it('has terminal advice for every error code, none of it about pages or reloading', () => {
    for (const [code, advice] of Object.entries(TERMINAL_ADVICE)) {
      expect(advice.length, code).toBeGreaterThan(10);
      expect(advice, code).not.toMatch(/reload|page/i);
    }
  });
});
