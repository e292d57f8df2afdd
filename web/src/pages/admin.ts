// The admin dashboard (`/admin`, admin accounts only): an event's sales per zone (sold, held,
// free, revenue, from Redis where sales are decided) and the pipeline behind them (ticket
// events waiting in the outbox, messages queued and dead-lettered per store), refreshed
// every two seconds; "Redrive" per store, and "Reset sales" behind a confirmation.

import { ApiError, get, request } from '../api';
import { announce, h, replace } from '../dom';
import type { PageContext } from '../router';
import { session } from '../session';
import type { EventView, Page, Pipeline, Sales } from '../types';
import { every } from '../live';
import { aborted, alertBox, pageHeading, statusBox } from '../ui';
import { signInFirst } from './tickets';

const REFRESH_MS = 2000;
const STORES = { mysql: 'MySQL', dynamodb: 'DynamoDB' } as const;

function refusal(): HTMLElement {
  return h('p', { class: 'message error', role: 'alert' }, 'This page is for administrators. Your account may not open it.');
}

function salesTable(sales: Sales): HTMLElement {
  const row = (label: string, z: { sold: number; held: number; free: number }, revenue: string, header = false): HTMLElement =>
    h(
      'tr',
      { class: header ? 'total' : '' },
      h('th', { scope: 'row' }, label),
      h('td', { class: 'num' }, String(z.sold)),
      h('td', { class: 'num' }, String(z.held)),
      h('td', { class: 'num' }, String(z.free)),
      h('td', { class: 'num' }, revenue),
    );
  const totals: [string, string][] = [
    ['Sold', sales.sold.toLocaleString()],
    ['Held', sales.held.toLocaleString()],
    ['Free', sales.free.toLocaleString()],
    ['Revenue', sales.revenue],
  ];
  return h(
    'div',
    {},
    h('ul', { class: 'totals', 'aria-label': 'Totals' }, ...totals.map(([label, value]) => h('li', {}, `${label} `, h('strong', {}, value)))),
    h(
      'div',
      { class: 'table-scroll sales-scroll' },
      h(
        'table',
        { class: 'sales-table' },
      h('caption', {}, `Sales of ${sales.eventId}`),
      h('thead', {}, h('tr', {}, ...['Zone', 'Sold', 'Held', 'Free', 'Revenue'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...sales.zones.map((z) => row(`Zone ${z.zoneId}`, z, z.revenue))),
        h('tfoot', {}, row('All zones', sales, sales.revenue, true)),
      ),
    ),
  );
}

function pipelineView(pipeline: Pipeline, redrive: (store: keyof typeof STORES) => void): HTMLElement {
  const stores = pipeline.queues
    ? h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'pipeline-table' },
          h('caption', {}, 'Queues'),
          h('thead', {}, h('tr', {}, ...['Store', 'Queued', 'Consumers', 'Dead-lettered', ''].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            {},
            ...pipeline.queues.map((q) => {
              const button = h('button', { type: 'button', 'aria-label': `Redrive ${STORES[q.store]}`, disabled: q.deadLettered === 0 }, 'Redrive');
              button.addEventListener('click', () => redrive(q.store));
              return h(
                'tr',
                {},
                h('th', { scope: 'row' }, STORES[q.store]),
                h('td', { class: 'num' }, String(q.messages)),
                h('td', { class: 'num' }, String(q.consumers)),
                h('td', { class: `num ${q.deadLettered > 0 ? 'bad' : ''}` }, String(q.deadLettered)),
                h('td', {}, button),
              );
            }),
          ),
        ),
      )
    : alertBox(new ApiError(503, 'unavailable', `The broker did not answer: ${pipeline.brokerError ?? 'unknown error'}`));
  return h(
    'div',
    {},
    h('p', { class: 'outbox' }, `Outbox: ${pipeline.outbox.waiting} ticket events waiting, ${pipeline.outbox.pending} being delivered.`),
    stores,
  );
}

export async function adminPage(ctx: PageContext): Promise<void> {
  ctx.main.append(pageHeading('Admin', ctx.title));
  const claims = session.claims();
  if (!claims) {
    ctx.main.append(signInFirst(ctx, 'open the admin dashboard'));
    return;
  }
  if (claims.role !== 'admin') {
    ctx.main.append(refusal());
    return;
  }
  let events: EventView[];
  try {
    events = (await get<Page<EventView>>('/api/v1/events?limit=1000', ctx.signal)).items;
  } catch (error) {
    if (!aborted(error)) ctx.main.append(alertBox(error));
    return;
  }
  const select = h('select', { id: 'admin-event' }, ...events.map((e) => h('option', { value: e.eventId }, `${e.name} (${e.eventId})`)));
  const sales = h('section', { class: 'panel', 'aria-labelledby': 'sales-heading' }, h('h2', { id: 'sales-heading' }, 'Sales'));
  const salesBody = h('div', { 'aria-live': 'off' });
  sales.append(h('div', { class: 'field' }, h('label', { for: select.id }, 'Event'), select), salesBody);
  const pipeline = h('section', { class: 'panel', 'aria-labelledby': 'pipeline-heading' }, h('h2', { id: 'pipeline-heading' }, 'Pipeline'));
  const pipelineBody = h('div', {});
  const notice = h('div', { class: 'form-message', 'aria-live': 'polite' });
  pipeline.append(pipelineBody);

  const resetButton = h('button', { type: 'button', class: 'danger' }, 'Reset sales');
  const confirm = h('button', { type: 'button', class: 'danger' }, 'Reset all sales');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'reset-heading', 'aria-describedby': 'reset-text' },
    h('h2', { id: 'reset-heading' }, 'Reset all sales?'),
    h('p', { id: 'reset-text' }, 'This wipes every sold seat, hold and ticket of every event, in Redis, MySQL and DynamoDB. It cannot be undone.'),
    h('div', { class: 'actions' }, cancel, confirm),
  );
  resetButton.addEventListener('click', () => dialog.showModal());
  cancel.addEventListener('click', () => dialog.close());
  confirm.addEventListener('click', async () => {
    dialog.close();
    try {
      await request('POST', '/api/v1/admin/reset');
      replace(notice, statusBox('Sales reset. The stores empty themselves as their consumers reach the reset.'));
      void refresh();
    } catch (error) {
      replace(notice, alertBox(error));
    }
  });
  const danger = h('section', { class: 'panel', 'aria-labelledby': 'danger-heading' }, h('h2', { id: 'danger-heading' }, 'Reset'), resetButton, dialog);
  ctx.main.append(notice, h('div', { class: 'admin-grid' }, sales, pipeline, danger));

  const redrive = async (store: keyof typeof STORES): Promise<void> => {
    try {
      const moved = await request<{ moved: number }>('POST', `/api/v1/admin/dlq/${store}/redrive`);
      replace(notice, statusBox(`${moved.moved} dead-lettered ${STORES[store]} messages moved back to their queue.`));
      announce(`${moved.moved} messages redriven.`);
      void refresh();
    } catch (error) {
      replace(notice, alertBox(error));
    }
  };

  const refresh = async (): Promise<void> => {
    const eventId = select.value;
    const [salesResult, pipelineResult] = await Promise.allSettled([
      get<Sales>(`/api/v1/admin/sales/${encodeURIComponent(eventId)}`, ctx.signal),
      get<Pipeline>('/api/v1/admin/pipeline', ctx.signal),
    ]);
    if (ctx.signal.aborted) return;
    for (const r of [salesResult, pipelineResult]) {
      if (r.status === 'rejected' && r.reason instanceof ApiError && r.reason.status === 403) {
        replace(ctx.main, pageHeading('Admin', ctx.title), refusal());
        return;
      }
    }
    if (select.value === eventId) {
      replace(salesBody, salesResult.status === 'fulfilled' ? salesTable(salesResult.value) : alertBox(salesResult.reason));
    }
    replace(pipelineBody, pipelineResult.status === 'fulfilled' ? pipelineView(pipelineResult.value, (s) => void redrive(s)) : alertBox(pipelineResult.reason));
  };
  select.addEventListener('change', () => void refresh());
  await refresh();
  every(REFRESH_MS, ctx.signal, refresh);
}
