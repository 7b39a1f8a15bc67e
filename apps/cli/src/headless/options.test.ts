import { describe, expect, it } from 'vitest';
import { HEADLESS_DEFAULTS, HeadlessUsageError, parseHeadlessArgs } from './options';

describe('headless peer command line', () => {
  it('defaults to one peer that times webgpu, wasm and cpu on the local server', () => {
    const o = parseHeadlessArgs([]);
    expect(o).toMatchObject({ server: HEADLESS_DEFAULTS.server, slowdown: 1, backends: ['webgpu', 'wasm', 'cpu'], json: false, hangSeconds: 60, restarts: 5, help: false });
  });

  it('reads every option', () => {
    const o = parseHeadlessArgs(['--server', 'https://starling.example:9000/ignored/path', '--slowdown', '2.5', '--backends', 'cpu', '--status-every', '0', '--json', '--hang-seconds', '0', '--restarts', '0']);
    expect(o).toMatchObject({ server: 'https://starling.example:9000', slowdown: 2.5, backends: ['cpu'], statusEverySeconds: 0, json: true, hangSeconds: 0, restarts: 0 });
  });

  it.each([
    [['--server', 'localhost:8080'], /http or https/],
    [['--server', 'not a url'], /must be a URL/],
    [['--slowdown', '0.5'], /from 1 to 100/],
    [['--slowdown', 'fast'], /from 1 to 100/],
    [['--backends', 'wasm,webgl'], /'webgl' is not available in Node/],
    [['--backends', 'wasm,cpu,wasm'], /names a backend twice/],
    [['--status-every', '-1'], /from 0 to 3600/],
    [['--hang-seconds', 'never'], /--hang-seconds must be a number from 0/],
    [['--server'], /needs a value/],
    [['--server', '--json'], /needs a value/],
    [['--peers', '2'], /unknown option '--peers'/],
  ])('refuses %j with a message that names the problem', (argv, message) => {
    expect(() => parseHeadlessArgs(argv)).toThrow(HeadlessUsageError);
    expect(() => parseHeadlessArgs(argv)).toThrow(message);
  });
});
