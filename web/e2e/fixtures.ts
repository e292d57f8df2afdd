// What the browser tests share: a page that fails the test on any console error (a refused
// script or style under the Content-Security-Policy shows there), accounts made through the
// pages, and looks into the stores behind the api.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Page, expect, test as base } from '@playwright/test';

export { expect };

export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (message) => {
      // A 4xx the page asked for and handles (a taken seat, a declined card) is logged by
      // Chromium as a failed resource: that is the API answering, not a fault of the page.
      if (message.type() === 'error' && !/the server responded with a status of 4\d\d/.test(message.text())) {
        errors.push(message.text());
      }
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await use(page);
    expect(errors, 'console errors (CSP refusals show here)').toEqual([]);
  },
});

const here = dirname(fileURLToPath(import.meta.url));

/** Where a screenshot of the README goes: docs/screenshots/NAME.png. */
export function screenshotPath(name: string): string {
  const dir = join(here, '../../docs/screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}

/** Writes a measurement of the browser run to WEB_OUTPUT/metrics.json (merged) and prints it. */
const metrics: Record<string, unknown> = {};
export function record(name: string, value: unknown): void {
  metrics[name] = value;
  const out = process.env.WEB_OUTPUT ?? 'test-results';
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  console.log(`metric ${name}: ${JSON.stringify(value)}`);
}

export const PASSWORD = 'correct horse battery staple';

export function newEmail(who: string): string {
  return `${who}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Creates an account through the page (which signs it in) and returns its email. */
export async function createAccount(page: Page, who: string, next = '/'): Promise<string> {
  const email = newEmail(who);
  await page.goto(`/register?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Name').fill(who);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  return email;
}

export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

/** The signed-in user's id, from the API, with the page's own token. */
export async function userId(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const token = localStorage.getItem('ticketing.token');
    const response = await fetch('/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
    return ((await response.json()) as { userId: string }).userId;
  });
}

/** The seat button named `name`, e.g. "Zone 1 row A seat 3". */
export function seat(page: Page, name: string) {
  return page.getByRole('button', { name, exact: true });
}

/** Tickets of `buyer` in the MySQL read model: `ticketId buyerId orderId` per line. */
export function mysqlTickets(buyer: string): string[][] {
  const database = process.env.WEB_MYSQL_DATABASE;
  if (!database) throw new Error('WEB_MYSQL_DATABASE is not set (run scripts/check-web.sh)');
  const out = execFileSync('mariadb', [
    '-h127.0.0.1',
    '-P3306',
    '-uroot',
    '-N',
    '-B',
    database,
    '-e',
    `SELECT ticket_id, buyer_id, order_id FROM ticket WHERE buyer_id = '${buyer.replace(/[^0-9a-f-]/g, '')}' ORDER BY ticket_id`,
  ]).toString();
  return out
    .trim()
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

/** The ticket `ticketId` in the DynamoDB write model: its buyer and order, or null. */
export async function dynamoTicket(ticketId: string): Promise<{ buyerId?: string; orderId?: string } | null> {
  const table = process.env.WEB_DYNAMODB_TABLE;
  if (!table) throw new Error('WEB_DYNAMODB_TABLE is not set (run scripts/check-web.sh)');
  // DynamoDB Local checks that a signature is there, not that it is right.
  const response = await fetch('http://127.0.0.1:8000', {
    method: 'POST',
    headers: {
      'X-Amz-Target': 'DynamoDB_20120810.GetItem',
      'Content-Type': 'application/x-amz-json-1.0',
      Authorization: 'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
    },
    body: JSON.stringify({ TableName: table, Key: { ticketId: { S: ticketId } }, ConsistentRead: true }),
  });
  const body = (await response.json()) as { Item?: Record<string, { S?: string }> };
  if (!body.Item) return null;
  return { buyerId: body.Item.buyerId?.S, orderId: body.Item.orderId?.S };
}
