/**
 * The owner's admin token. The server prints `…/dashboard#token=T`; the fragment never reaches the
 * server or its logs. On load the token moves into sessionStorage (this tab only) and leaves the
 * address bar, so a screenshot or a shared link does not leak it.
 */

const STORAGE_KEY = 'starling.adminToken';

export interface TokenEnv {
  location: { hash: string; pathname: string; search: string };
  sessionStorage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  history: Pick<History, 'replaceState'>;
}

/** The token in a fragment like `#token=abc` or `#x=1&token=abc`, and the fragment without it. */
export function splitTokenFragment(hash: string): { token: string | null; rest: string } {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  params.delete('token');
  const rest = params.toString();
  return { token: token && token.length > 0 ? token : null, rest: rest ? `#${rest}` : '' };
}

/** Take the token from the fragment (stored and stripped) or from this tab's storage. */
export function loadAdminToken(env: TokenEnv): string | null {
  const { token, rest } = splitTokenFragment(env.location.hash);
  if (token !== null) {
    env.sessionStorage.setItem(STORAGE_KEY, token);
    env.history.replaceState(null, '', `${env.location.pathname}${env.location.search}${rest}`);
    return token;
  }
  return env.sessionStorage.getItem(STORAGE_KEY);
}

export function forgetAdminToken(env: Pick<TokenEnv, 'sessionStorage'>): void {
  env.sessionStorage.removeItem(STORAGE_KEY);
}
