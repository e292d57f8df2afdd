// Idempotency keys: random, from the browser's CSPRNG, which (unlike crypto.randomUUID) is
// there on plain-http origins too.

/** 128 random bits in hex. */
export function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
