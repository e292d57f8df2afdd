// Prices are decimal strings ("150.00"), as the API sends them: money is never a float.
// Sums are done in whole cents.

/** Cents of a decimal string such as "150.00" or "7.5"; NaN when it is not one. */
export function cents(price: string): number {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(price.trim());
  if (!match) return Number.NaN;
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(2, '0'));
  return whole * 100 + fraction;
}

/** "150.00" for 15000. */
export function formatCents(total: number): string {
  const whole = Math.floor(total / 100);
  const fraction = String(total % 100).padStart(2, '0');
  return `${whole}.${fraction}`;
}
