import { createHmac, randomBytes } from 'node:crypto';
import { MAX_ICE_SERVERS, type IceServer, type IceServersPayload } from '@starling/protocol';

/**
 * The ICE servers each peer gets: the run's own entries, the server's STUN list, and TURN with
 * time-limited credentials in the TURN REST API scheme that coturn implements with
 * `use-auth-secret` / `static-auth-secret`: username = "<expiry unix time>:<who>", credential =
 * base64(HMAC-SHA1(secret, username)). The TURN server checks both with the shared secret alone, so
 * no account is created per peer, and a leaked credential stops working at its expiry.
 */

export interface TurnOptions {
  /** `turn:` / `turns:` URLs of the TURN server(s) sharing `secret`. */
  urls: string[];
  /** coturn's `static-auth-secret`. Never sent to a client. */
  secret: string;
  /** How long a credential is valid (coturn refuses it after that). */
  ttlSeconds: number;
}

export interface IceOptions {
  /** `stun:` URLs every peer gets (empty: none). */
  stun: string[];
  turn?: TurnOptions;
}

/** username and credential of the TURN REST API scheme. */
export function turnCredentials(secret: string, who: string, expiresAtSeconds: number): { username: string; credential: string } {
  const username = `${Math.floor(expiresAtSeconds)}:${who}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

export class IceIssuer {
  constructor(
    private readonly opts: IceOptions,
    private readonly clock: () => number,
  ) {}

  /** Whether any credential expires (then peers need fresh lists before `refreshEveryMs`). */
  get expires(): boolean {
    return this.opts.turn !== undefined;
  }

  /**
   * How often a peer gets a fresh list: half the credential lifetime, so a link opened just before
   * a refresh still has half a lifetime to allocate and refresh its relay. Null without TURN.
   */
  get refreshEveryMs(): number | null {
    return this.opts.turn === undefined ? null : (this.opts.turn.ttlSeconds * 1000) / 2;
  }

  /** The list for one peer; `who` (its peer id, or random) names it in the TURN server's logs. */
  issue(runServers: readonly IceServer[], who: string = randomBytes(6).toString('hex')): IceServersPayload {
    const servers: IceServer[] = [...runServers];
    if (this.opts.stun.length > 0) servers.push({ urls: [...this.opts.stun] });
    let expiresAt: number | null = null;
    const turn = this.opts.turn;
    if (turn !== undefined) {
      const expirySeconds = Math.floor(this.clock() / 1000) + turn.ttlSeconds;
      servers.push({ urls: [...turn.urls], ...turnCredentials(turn.secret, who, expirySeconds) });
      expiresAt = expirySeconds * 1000;
    }
    // The protocol caps the list: past the cap, the run's first entries give way to the server's own.
    return { iceServers: servers.slice(-MAX_ICE_SERVERS), expiresAt };
  }
}
