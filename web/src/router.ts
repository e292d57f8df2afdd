// Client-side navigation: the path picks a page, links within the site change the history
// instead of loading a new document, and the back button works. The api serves index.html
// for every page path, so a shared or reloaded address opens the same page.

/** What a page gets to draw itself. */
export interface PageContext {
  /** The element to draw into. */
  main: HTMLElement;
  /** The path's captured parts, decoded. */
  params: string[];
  /** The whole address, for the query string. */
  url: URL;
  /** Aborted when the buyer leaves the page: pass it to fetches and stop timers on it. */
  signal: AbortSignal;
  /** Sets the document's title. */
  title: (text: string) => void;
}

/** A page draws into `ctx.main`; what it starts it stops when `ctx.signal` aborts. */
export type Page = (ctx: PageContext) => void | Promise<void>;

interface Route {
  pattern: RegExp;
  page: Page;
}

const routes: Route[] = [];
let notFound: Page = () => {};
let current: AbortController | null = null;
let listeners: (() => void)[] = [];

/** Adds a page for paths matching `pattern` (anchored; groups become the params). */
export function route(pattern: RegExp, page: Page): void {
  routes.push({ pattern, page });
}

/** The page for paths no route matches. */
export function fallback(page: Page): void {
  notFound = page;
}

/** Calls `listener` after every navigation (the header marks the current page). */
export function onNavigate(listener: () => void): void {
  listeners.push(listener);
}

/** Goes to `path` (with its query), adding a history entry unless `replace`. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render(true);
}

/** Replaces the query string of the current entry without drawing the page again. */
export function replaceQuery(search: string): void {
  history.replaceState(null, '', `${location.pathname}${search}`);
}

async function render(moveFocus: boolean): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const main = document.getElementById('main');
  if (!main) return;
  const url = new URL(location.href);
  let page = notFound;
  let params: string[] = [];
  for (const r of routes) {
    const match = r.pattern.exec(url.pathname);
    if (match) {
      page = r.page;
      params = match.slice(1).map((p) => decodeURIComponent(p));
      break;
    }
  }
  main.replaceChildren();
  for (const listener of listeners) listener();
  const ctx: PageContext = {
    main,
    params,
    url,
    signal: controller.signal,
    title: (text) => {
      document.title = `${text} · Tickets`;
    },
  };
  // After a navigation the focus goes to the new page, so a screen reader reads it from the
  // top; on the first load it stays where the browser put it.
  if (moveFocus) main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  try {
    await page(ctx);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return;
    throw e;
  }
}

function isInternalLink(e: MouseEvent): HTMLAnchorElement | null {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return null;
  const target = e.target instanceof Element ? e.target.closest('a') : null;
  if (!target || target.target || target.hasAttribute('download')) return null;
  const url = new URL(target.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return null;
  return target;
}

/** Draws the current page and takes over navigation. */
export function start(): void {
  document.addEventListener('click', (e) => {
    const link = isInternalLink(e);
    if (!link) return;
    e.preventDefault();
    const url = new URL(link.href);
    navigate(`${url.pathname}${url.search}`);
  });
  window.addEventListener('popstate', () => void render(true));
  void render(false);
}

/** For tests: forget every route and listener. */
export function reset(): void {
  routes.length = 0;
  listeners = [];
  current?.abort();
  current = null;
}
