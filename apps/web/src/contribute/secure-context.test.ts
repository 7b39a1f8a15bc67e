import { describe, expect, it } from 'vitest';
import { insecureContextWarning } from './secure-context';

describe('secure-context warning', () => {
  it('says nothing on a secure page', () => {
    expect(insecureContextWarning(true, { protocol: 'https:', host: 'run.example' })).toBeNull();
  });

  it('on plain http it names the cost (no WebGPU) and the fix (the https address)', () => {
    const w = insecureContextWarning(false, { protocol: 'http:', host: '192.168.1.20:8080' })!;
    expect(w).toMatch(/over http,/);
    expect(w).toMatch(/WebGPU/);
    expect(w).toContain('https://192.168.1.20:8080');
  });
});
