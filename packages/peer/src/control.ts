import { z } from 'zod';

/**
 * Control messages on the reliable channel, JSON-encoded. Tensor frames travel as binary on the
 * same channel (baselines that need reliable delivery), so a string is always control.
 */
const heartbeat = z.object({
  t: z.literal('hb'),
  epoch: z.number().int().nonnegative(),
  /** Unreliable frames this sender has tried to send to the receiver so far (injected drops included). */
  sent: z.number().int().nonnegative(),
});

/** A joiner asks for the sender's current model (answered with ModelHandoff frames). */
const modelRequest = z.object({
  t: z.literal('model-req'),
  id: z.number().int().nonnegative().max(2 ** 32 - 1),
});

export const controlSchema = z.discriminatedUnion('t', [heartbeat, modelRequest]);
export type ControlMessage = z.infer<typeof controlSchema>;

/** Parse a control string; returns null (never throws) so a bad peer is only counted. */
export function parseControl(text: string, maxChars: number): ControlMessage | null {
  if (text.length > maxChars) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const r = controlSchema.safeParse(raw);
  return r.success ? r.data : null;
}
