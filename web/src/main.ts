// The application shell: the header with the navigation and who is signed in, and the page
// of the current address below it.

import './styles.css';
import { h, replace } from './dom';
import { fallback, navigate, onNavigate, route, start } from './router';
import { session } from './session';
import { searchPage } from './pages/search';
import { eventPage } from './pages/event';
import { registerPage, signInPage } from './pages/account';
import { myTicketsPage } from './pages/tickets';
import { adminPage } from './pages/admin';
import { notFoundPage } from './pages/notfound';

route(/^\/$/, searchPage);
route(/^\/events\/([A-Za-z0-9_-]{1,64})$/, eventPage);
route(/^\/signin$/, signInPage);
route(/^\/register$/, registerPage);
route(/^\/me\/tickets$/, myTicketsPage);
route(/^\/admin$/, adminPage);
fallback(notFoundPage);

function navLink(href: string, text: string): HTMLAnchorElement {
  const here = location.pathname === href;
  return h('a', { href, 'aria-current': here ? 'page' : false }, text);
}

function drawHeader(): void {
  const nav = document.getElementById('nav');
  if (!nav) return;
  const claims = session.claims();
  const signOut = h('button', { type: 'button', class: 'link' }, 'Sign out');
  signOut.addEventListener('click', () => {
    session.end();
    navigate('/');
  });
  const next = encodeURIComponent(`${location.pathname}${location.search}`);
  replace(
    nav,
    h(
      'ul',
      {},
      h('li', {}, navLink('/', 'Events')),
      h('li', {}, navLink('/me/tickets', 'My tickets')),
      claims?.role === 'admin' && h('li', {}, navLink('/admin', 'Admin')),
    ),
    h(
      'div',
      { class: 'account' },
      claims
        ? signOut
        : h('a', { href: `/signin?next=${next}`, 'aria-current': location.pathname === '/signin' ? 'page' : false }, 'Sign in'),
    ),
  );
}

session.subscribe(drawHeader);
onNavigate(drawHeader);
start();
