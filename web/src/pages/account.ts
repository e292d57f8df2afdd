// Sign in (`/signin`) and Create account (`/register`). Both return the buyer to `?next=`
// (a path of this site only), where a pending hold carries on.

import { request } from '../api';
import { h } from '../dom';
import type { PageContext } from '../router';
import { navigate } from '../router';
import { session } from '../session';
import type { Token } from '../types';
import { type Field, clearErrors, field, pageHeading, showError } from '../ui';

/** Where to go after signing in: `next` if it is a path of this site, else the search. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}

async function signIn(email: string, password: string): Promise<void> {
  const token = await request<Token>('POST', '/api/v1/auth/login', { body: { email, password } });
  session.start(token.accessToken);
}

interface FormSpec {
  heading: string;
  fields: Field[];
  submit: string;
  footer: HTMLElement;
  send: (values: Record<string, string>) => Promise<void>;
}

function accountForm(ctx: PageContext, spec: FormSpec): void {
  const next = safeNext(ctx.url.searchParams.get('next'));
  const general = h('div', { class: 'form-message' });
  const button = h('button', { type: 'submit', class: 'primary' }, spec.submit);
  const form = h('form', { class: 'account-form', novalidate: true }, general, ...spec.fields.map((f) => f.wrapper), button);
  const byName = Object.fromEntries(spec.fields.map((f) => [f.input.name, f]));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(byName, general);
    button.disabled = true;
    try {
      const values = Object.fromEntries(spec.fields.map((f) => [f.input.name, f.input.value]));
      await spec.send(values);
      navigate(next, { replace: true });
    } catch (error) {
      showError(error, byName, general);
    } finally {
      button.disabled = false;
    }
  });
  ctx.main.append(h('section', { class: 'narrow' }, pageHeading(spec.heading, ctx.title), form, spec.footer));
  spec.fields[0]?.input.focus();
}

function withNext(path: string, ctx: PageContext): string {
  const next = ctx.url.searchParams.get('next');
  return next ? `${path}?next=${encodeURIComponent(safeNext(next))}` : path;
}

const email = (): Field => field('email', 'Email', { type: 'email', autocomplete: 'email', required: true, maxlength: '254' });

export function signInPage(ctx: PageContext): void {
  accountForm(ctx, {
    heading: 'Sign in',
    fields: [email(), field('password', 'Password', { type: 'password', autocomplete: 'current-password', required: true })],
    submit: 'Sign in',
    footer: h('p', {}, 'New here? ', h('a', { href: withNext('/register', ctx) }, 'Create account')),
    send: (v) => signIn(v.email ?? '', v.password ?? ''),
  });
}

export function registerPage(ctx: PageContext): void {
  accountForm(ctx, {
    heading: 'Create account',
    fields: [
      email(),
      field('password', 'Password', { type: 'password', autocomplete: 'new-password', required: true, minlength: '10' }),
      field('name', 'Name', { type: 'text', autocomplete: 'name', required: true, maxlength: '100' }),
    ],
    submit: 'Create account',
    footer: h('p', {}, 'Have an account? ', h('a', { href: withNext('/signin', ctx) }, 'Sign in')),
    send: async (v) => {
      await request('POST', '/api/v1/auth/register', { body: { email: v.email, password: v.password, name: v.name } });
      await signIn(v.email ?? '', v.password ?? '');
    },
  });
}
