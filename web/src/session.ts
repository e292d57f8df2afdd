// The signed-in buyer: the API's access token, kept in localStorage so every tab shares it,
// and the claims the pages need (who, which role, until when). The token's signature is the
// API's business: the pages read the claims only to decide what to show, and the API checks
// the token on every request that needs one.

const KEY = 'ticketing.token';

/** The claims of an access token. */
export interface Claims {
  /** The user id. */
  sub: string;
  role: 'buyer' | 'admin';
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** The claims of `token`, or null when it is not a JWT with the claims we need. */
export function decodeClaims(token: string): Claims | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    const claims: unknown = JSON.parse(json);
    if (!claims || typeof claims !== 'object') return null;
    const { sub, role, exp } = claims as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof exp !== 'number' || (role !== 'buyer' && role !== 'admin')) return null;
    return { sub, role, exp };
  } catch {
    return null;
  }
}

type Listener = () => void;

class Session {
  private listeners = new Set<Listener>();

  constructor() {
    // Signing in or out in another tab.
    window.addEventListener('storage', (e) => {
      if (e.key === KEY) this.notify();
    });
  }

  /** The token, if there is one that has not expired. */
  token(): string | null {
    const token = localStorage.getItem(KEY);
    if (!token) return null;
    const claims = decodeClaims(token);
    if (!claims || claims.exp * 1000 <= Date.now()) {
      localStorage.removeItem(KEY);
      return null;
    }
    return token;
  }

  claims(): Claims | null {
    const token = this.token();
    return token ? decodeClaims(token) : null;
  }

  start(token: string): void {
    localStorage.setItem(KEY, token);
    this.notify();
  }

  end(): void {
    if (localStorage.getItem(KEY) === null) return;
    localStorage.removeItem(KEY);
    this.notify();
  }

  /** Calls `listener` whenever the buyer signs in or out; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

export const session = new Session();
