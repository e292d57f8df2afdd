import { defineConfig } from '@playwright/test';

// The browser tests, run by scripts/check-web.sh against a private api and consumers
// (WEB_BASE_URL). The browser is Debian's Chromium: Playwright's own downloads are not used.
const output = process.env.WEB_OUTPUT ?? 'test-results';

export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  // The stories share one stack and some build on others (the admin sees the sale made
  // before); two cores would gain nothing from workers anyway.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  outputDir: `${output}/playwright`,
  reporter: [['list']],
  use: {
    baseURL: process.env.WEB_BASE_URL ?? 'http://127.0.0.1:8080',
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      // Without the background-networking flags Chromium's own connections to the outside
      // are refused on a closed network, many at a time.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
