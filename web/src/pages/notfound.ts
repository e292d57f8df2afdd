import { h } from '../dom';
import type { PageContext } from '../router';
import { pageHeading } from '../ui';

/** Any address that is not a page. */
export function notFoundPage(ctx: PageContext): void {
  ctx.main.append(
    pageHeading('Page not found', ctx.title),
    h('p', {}, 'There is no page at this address. ', h('a', { href: '/' }, 'Find an event'), '.'),
  );
}
