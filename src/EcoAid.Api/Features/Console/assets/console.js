// The desk console (工作台): one page, hash routes, the service's own JSON API with the console's cookie session.
// No framework and no build step: plain DOM, text set with textContent (never markup from data), CSP-friendly.
'use strict';

(() => {
  const state = { me: null, csrf: null, poll: null, today: null };
  const main = document.getElementById('main');

  // ---- small helpers -------------------------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  let fieldSerial = 0;
  function field(labelText, control, wide) {
    const id = control.id || ('f' + (++fieldSerial));
    control.id = id;
    return h('div', { class: wide ? 'field wide' : 'field' }, h('label', { for: id }, labelText), control);
  }

  function toast(text) {
    const t = document.getElementById('toast');
    t.textContent = text;
    t.classList.add('show');
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => t.classList.remove('show'), 4000);
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super(problem && problem.detail ? problem.detail : '请求失败（' + status + '）。');
      this.status = status;
      this.code = problem && problem.code;
      this.errors = problem && problem.errors;
    }
  }

  async function api(path, options) {
    const o = options || {};
    const headers = Object.assign({ Accept: 'application/json' }, o.headers);
    const form = o.body instanceof FormData; // a file upload: the browser writes the multipart body and its boundary
    if (o.body !== undefined && !form) headers['Content-Type'] = 'application/json';
    if (o.method && o.method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
    const response = await fetch(path, { method: o.method || 'GET', headers, credentials: 'same-origin',
      body: o.body === undefined ? undefined : form ? o.body : JSON.stringify(o.body) });
    if (response.status === 204) return null;
    const type = response.headers.get('Content-Type') || '';
    const data = type.includes('json') ? await response.json() : null;
    if (!response.ok) {
      if (response.status === 401 && !o.anonymous) { showLogin('登录已失效，请重新扫码登录。'); }
      const err = new ApiError(response.status, data);
      if (data && data.errors) err.message += ' ' + Object.values(data.errors).flat().join(' ');
      throw err;
    }
    return data;
  }

  // Calendar arithmetic on yyyy-MM-dd strings (UTC noon, so no time zone shifts the day).
  const addDays = (day, n) => new Date(Date.parse(day + 'T12:00:00Z') + n * 86400000).toISOString().slice(0, 10);
  // Times as the branch reads them, in Asia/Shanghai, whatever the desk computer's time zone.
  const fmtTime = (s) => s ? new Date(s).toLocaleString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' }) : '';
  const items = (data) => Array.isArray(data) ? data : (data && data.items) || [];
  const has = (...roles) => state.me && state.me.roles.some((r) => roles.includes(r));

  const STATUS = { submitted: '待受理', accepted: '办理中', resolved: '已办结待确认', closed: '已关闭', returned: '已退回',
    withdrawn: '已撤回', pending_review: '待审核' };
  const CATEGORY = { pollution_control: '污染治理', eia_approval: '环评审批', credit_repair: '信用修复', project_approval: '项目审批',
    funding: '资金申报', honor: '荣誉评定', petition: '信访投诉', policy_inquiry: '政策咨询', other: '其他' };
  const EVENT = { submitted: '提交', accepted: '受理', transferred: '移交科室', progress: '进展', onsite: '现场服务', expert: '专家指导',
    note: '备注', urged: '督办', resolved: '办结', confirmed: '企业确认', reopened: '重新办理', returned: '退回', withdrawn: '撤回',
    extension_requested: '申请延期', extension_approved: '批准延期', extension_rejected: '驳回延期', due_date_set: '设定时限',
    reassigned: '调整责任人', escalated: '升级督办', closed: '关闭', claimed: '认领', review_accepted: '审核通过', review_returned: '审核退回',
    content_flagged: '内容待人工审核', meeting_note: '会商备注', reported_in: '吹哨报到', mee_closed_out: '交办销号',
    credit_repair_recorded: '信用修复登记', credit_repair_material: '信用修复材料', leniency_checked: '首违不罚认定', leniency_followed_up: '免罚整改回访' };

  // ---- session and login ---------------------------------------------------------------------------------------
  async function start() {
    document.getElementById('logout').addEventListener('click', logout);
    try {
      const session = await api('/api/console/session', { anonymous: true });
      enter(session);
    } catch (e) {
      showLogin();
    }
  }

  function enter(session) {
    state.me = session.user;
    state.csrf = session.csrfToken;
    state.today = session.today; // the service's date in Asia/Shanghai, not the desk computer's
    document.getElementById('who').textContent = session.user.displayName + '（' + session.user.roles.map(roleName).join('、') + '）';
    document.getElementById('logout').hidden = false;
    buildNav();
    window.addEventListener('hashchange', route);
    route();
  }

  function roleName(r) {
    return { staff: '企业联系人', member: '专班成员', commissioner: '服务专员', secretary: '支部书记', department_liaison: '科室联络人',
      admin: '管理员', city_viewer: '市局查看', city_admin: '市局管理员' }[r] || r;
  }

  async function logout() {
    try { await api('/api/console/logout', { method: 'POST' }); } catch (e) { /* the session may be gone already */ }
    state.me = null; state.csrf = null;
    location.hash = '';
    location.reload();
  }

  const PERSONAS = [['demo-secretary', '李红梅（支部书记）'], ['demo-commissioner', '张伟（服务专员）'], ['demo-member', '刘洋（专班成员）'],
    ['demo-liaison', '孙静（科室联络人）'], ['demo-admin', '支部管理员'], ['demo-city-viewer', '市局查看'], ['demo-city-admin', '市局管理员'],
    ['demo-staff', '王芳（企业联系人，将被拒绝）']];

  async function showLogin(message) {
    clearInterval(state.poll);
    document.getElementById('nav').hidden = true;
    document.getElementById('logout').hidden = true;
    document.getElementById('who').textContent = '';
    const status = h('p', { id: 'login-status', role: 'status', 'aria-live': 'polite' }, message || '正在生成登录二维码……');
    const img = h('img', { id: 'login-code', alt: '登录用的小程序码：请用微信扫码，在小程序中确认登录' });
    const refresh = h('button', { type: 'button', class: 'secondary', id: 'login-refresh', onclick: () => showLogin() }, '刷新二维码');
    const side = h('div', {}, h('h1', {}, '扫码登录工作台'),
      h('p', {}, '请用微信扫描左侧的小程序码，在小程序中点“确认登录”。二维码只能使用一次，两分钟内有效。'),
      h('p', { class: 'muted' }, '只有支部专班成员、服务专员、书记、科室联络人、管理员和市局人员可以登录；企业联系人请使用小程序。'),
      status, refresh);
    main.replaceChildren(h('section', { class: 'login', 'aria-labelledby': 'login-title' }, h('div', {}, img), side));
    side.querySelector('h1').id = 'login-title';
    let ticket;
    try {
      ticket = await api('/api/console-login', { method: 'POST', anonymous: true });
    } catch (e) {
      status.textContent = e.message; status.className = 'error';
      return;
    }
    img.src = ticket.qrCodeUrl;
    main.dataset.ticket = ticket.ticket;
    if (!message) status.textContent = '等待扫码确认……';
    if (ticket.demoScan) {
      const personas = h('div', { class: 'personas', role: 'group', 'aria-label': '演示身份' },
        PERSONAS.map(([openId, name]) => h('button', { type: 'button', class: 'secondary', 'data-openid': openId, onclick: async () => {
          try {
            await api('/api/console-login/' + ticket.ticket + '/demo-confirm', { method: 'POST', body: { openId }, anonymous: true });
            status.textContent = '已确认，正在登录……';
          } catch (e) { status.textContent = e.message; status.className = 'error'; }
        } }, name)));
      side.append(h('h2', {}, '开发环境：模拟扫码'), h('p', { class: 'muted' }, '由微信沙箱扮演扫码，选择一个演示身份：'), personas);
    }
    state.poll = setInterval(async () => {
      try {
        const t = await api('/api/console-login/' + ticket.ticket, { anonymous: true });
        if (t.status === 'confirmed') {
          clearInterval(state.poll);
          const session = await api('/api/console-login/' + ticket.ticket + '/session', { method: 'POST', anonymous: true });
          enter(session);
        } else if (t.status === 'expired' || t.status === 'used') {
          clearInterval(state.poll);
          status.textContent = t.status === 'expired' ? '二维码已过期，请点“刷新二维码”。' : '二维码已被使用，请点“刷新二维码”。';
          status.className = 'error';
          img.removeAttribute('src');
          img.alt = '二维码已失效';
        }
      } catch (e) {
        clearInterval(state.poll);
        status.textContent = e.message; status.className = 'error';
      }
    }, 1000);
  }

  // ---- navigation ----------------------------------------------------------------------------------------------
  // Each page: its path in the navigation (or none), who sees it, and the routes it answers. Pages in other files add
  // themselves with EcoConsole.addPage before the console starts.
  const MEETING_READERS = ['commissioner', 'secretary', 'city_viewer', 'city_admin']; // as GET /api/meetings serves them
  const PAGES = [
    { path: '/', name: '工作台', show: () => true },
    { path: '/demands', name: '诉求清单', show: () => has('member', 'commissioner', 'secretary', 'department_liaison', 'city_viewer', 'city_admin') },
    { path: '/meetings', name: '月度会商', show: () => has(...MEETING_READERS) },
  ];
  const ROUTES = [];

  function addPage(pageInfo, routes) {
    if (pageInfo) PAGES.push(pageInfo);
    for (const r of routes || []) ROUTES.push(r);
  }

  function buildNav() {
    const nav = document.getElementById('nav');
    nav.replaceChildren(...PAGES.filter((p) => p.show()).map((p) => h('a', { href: '#' + p.path }, p.name)));
    nav.hidden = false;
  }

  function route() {
    clearInterval(state.poll);
    document.body.classList.remove('projector', 'print-page');
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query] = hash.split('?');
    const params = new URLSearchParams(query || '');
    for (const a of document.querySelectorAll('#nav a')) {
      const target = a.getAttribute('href').slice(1);
      if (target === '/' ? path === '/' : path.startsWith(target)) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    let m;
    const run = path === '/' ? dashboard()
      : path === '/demands' ? demandList(params)
      : (m = path.match(/^\/demands\/(\d+)$/)) ? demandDetail(m[1])
      : path.startsWith('/meetings') && !has(...MEETING_READERS) ? routeAdded(path, params)
      : path === '/meetings' ? meetingList()
      : (m = path.match(/^\/meetings\/(\d+)$/)) ? meetingDetail(m[1])
      : (m = path.match(/^\/meetings\/(\d+)\/projector$/)) ? projector(m[1], params)
      : routeAdded(path, params);
    run.catch((e) => {
      if (e.status === 401) return; // the login page is already shown
      // A page the caller's role may not open (the API's 403) is, like another branch's demand, the 404 page.
      if (e.status === 404 || e.status === 403) notFound(e.message);
      else page('出错了', h('p', { class: 'error', role: 'alert' }, e.message));
    });
  }

  function routeAdded(path, params) {
    for (const r of ROUTES) {
      const m = path.match(r.match);
      if (m && (!r.show || r.show())) return r.run(m, params);
    }
    return Promise.reject(new ApiError(404, { detail: '没有这个页面。' }));
  }

  function page(title, ...content) {
    document.title = title + ' · 生态润百企工作台';
    main.replaceChildren(h('h1', {}, title), ...content);
    main.focus();
  }

  function notFound(detail) {
    page('未找到', h('p', { class: 'error', role: 'alert', id: 'not-found' }, detail), h('p', {}, h('a', { href: '#/' }, '回到工作台')));
  }

  // Previous/next for a numbered list page at hash route `route`: the same filters, another page.
  function pagerFor(route, params, pageNo, data) {
    const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
    const go = (n) => { const p = new URLSearchParams(params); p.set('page', String(n)); location.hash = '#' + route + '?' + p.toString(); };
    return h('nav', { class: 'pager', 'aria-label': '分页' },
      h('button', { type: 'button', class: 'secondary', disabled: pageNo <= 1, onclick: () => go(pageNo - 1) }, '上一页'),
      h('span', {}, '第 ' + pageNo + ' / ' + pages + ' 页'),
      h('button', { type: 'button', class: 'secondary', disabled: pageNo >= pages, onclick: () => go(pageNo + 1) }, '下一页'));
  }

  // Previous/next for a list paged by the API's cursor at hash route `route` (see the 诉求清单): the same filters, the
  // page after (`nextCursor`) or the one before (the last of `trail`). The total shows when the API counted it.
  const FIRST = '0'; // never a cursor (cursors are longer): stands for the first page in a trail
  function cursorPager(route, params, trail, cursor, data) {
    const go = (nextCursor, nextTrail) => {
      const p = new URLSearchParams(params);
      p.delete('page');
      if (nextCursor) p.set('cursor', nextCursor); else p.delete('cursor');
      if (nextTrail.length) p.set('trail', nextTrail.join('.')); else p.delete('trail');
      location.hash = '#' + route + '?' + p.toString();
    };
    const pageNo = trail.length + 1;
    const pages = data.total === null || data.total === undefined ? null : Math.max(1, Math.ceil(data.total / data.pageSize));
    return h('nav', { class: 'pager', 'aria-label': '分页' },
      h('button', { type: 'button', class: 'secondary', id: 'pager-prev', disabled: trail.length === 0, onclick: () => {
        const before = trail[trail.length - 1];
        go(before === FIRST ? '' : before, trail.slice(0, -1));
      } }, '上一页'),
      h('span', {}, pages === null ? '第 ' + pageNo + ' 页' : '第 ' + pageNo + ' / ' + pages + ' 页'),
      h('button', { type: 'button', class: 'secondary', id: 'pager-next', disabled: !data.nextCursor,
        onclick: () => go(data.nextCursor, trail.concat([cursor || FIRST])) }, '下一页'));
  }

  // ---- 工作台 ---------------------------------------------------------------------------------------------------
  async function dashboard() {
    const cards = h('div', { class: 'cards' });
    page('工作台', cards);
    const card = (title, href, load) => {
      const n = h('div', { class: 'n' }, '…');
      const list = h('ul', {});
      const el = h('section', { class: 'card', 'aria-label': title }, h('h2', {}, h('a', { href }, title)), n, list);
      cards.append(el);
      load().then(({ total, rows }) => {
        n.textContent = String(total);
        list.replaceChildren(...rows.slice(0, 5).map((r) => h('li', {}, r)));
      }).catch((e) => { n.textContent = '—'; list.replaceChildren(h('li', { class: 'error' }, e.message)); });
    };
    const demandRows = async (query) => {
      const data = await api('/api/demands?pageSize=20&' + query);
      return { total: data.total, rows: data.items.map((d) => h('a', { href: '#/demands/' + d.id }, d.number + ' ' + d.title)) };
    };
    if (has('member', 'commissioner', 'secretary', 'department_liaison')) card('我的待办', '#/demands?owner=me&status=accepted', () => demandRows('owner=me&status=accepted'));
    if (has('member', 'commissioner', 'secretary', 'department_liaison', 'city_viewer', 'city_admin')) {
      card('已逾期', '#/demands?overdue=true', () => demandRows('overdue=true'));
      // Due from today through seven days on: the server filters and counts (dueBy), however many there are.
      const soon = addDays(state.today, 7);
      card('即将到期（7 天内）', '#/demands?dueBy=' + soon, async () => {
        const data = await api('/api/demands?pageSize=20&dueBy=' + soon);
        return { total: data.total, rows: data.items.map((d) => h('a', { href: '#/demands/' + d.id }, d.number + ' ' + d.title + '（' + d.dueDate + '）')) };
      });
      card('待受理', '#/demands?status=submitted', () => demandRows('status=submitted'));
      card('待审核', '#/demands?status=pending_review', () => demandRows('status=pending_review').catch(() => ({ total: 0, rows: [] })));
    }
    card('未读消息', '#/', async () => {
      const data = await api('/api/me/notifications?pageSize=5');
      return { total: data.unread, rows: data.items.filter((n) => !n.read).map((n) => n.demandId
        ? h('a', { href: '#/demands/' + n.demandId }, n.title + '：' + n.summary) : n.title + '：' + n.summary) };
    });
  }

  // ---- 诉求清单 -------------------------------------------------------------------------------------------------
  async function demandList(params) {
    const q = h('input', { type: 'search', name: 'q', value: params.get('q') || '' });
    const status = h('select', { name: 'status' }, h('option', { value: '' }, '全部'),
      Object.entries(STATUS).map(([k, v]) => h('option', { value: k, selected: params.get('status') === k }, v)));
    const category = h('select', { name: 'category' }, h('option', { value: '' }, '全部'),
      Object.entries(CATEGORY).map(([k, v]) => h('option', { value: k, selected: params.get('category') === k }, v)));
    const overdue = h('input', { type: 'checkbox', name: 'overdue', checked: params.get('overdue') === 'true' });
    const mine = h('input', { type: 'checkbox', name: 'owner', checked: params.get('owner') === 'me' });
    const dueBy = h('input', { type: 'text', name: 'dueBy', value: params.get('dueBy') || '', placeholder: 'yyyy-mm-dd',
      pattern: '\\d{4}-\\d{2}-\\d{2}', inputmode: 'numeric', size: '10' });
    const counted = h('input', { type: 'checkbox', name: 'includeTotal', checked: params.get('includeTotal') === 'true' });
    const sort = h('select', { name: 'sort' }, [['', '提交时间（新→旧）'], ['due', '完成时限（近→远）'], ['number', '编号']]
      .map(([k, v]) => h('option', { value: k, selected: (params.get('sort') || '') === k }, v)));
    const form = h('form', { class: 'filters', role: 'search', onsubmit: (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      if (q.value.trim()) p.set('q', q.value.trim());
      if (status.value) p.set('status', status.value);
      if (category.value) p.set('category', category.value);
      if (overdue.checked) p.set('overdue', 'true');
      if (mine.checked) p.set('owner', 'me');
      if (dueBy.value.trim()) p.set('dueBy', dueBy.value.trim());
      if (counted.checked) p.set('includeTotal', 'true');
      if (sort.value) p.set('sort', sort.value);
      location.hash = '#/demands?' + p.toString();
    } }, field('搜索（标题、内容或编号）', q), field('状态', status), field('类别', category), field('排序', sort),
    field('到期不晚于', dueBy),
    h('div', { class: 'field' }, h('label', {}, overdue, ' 只看逾期')), h('div', { class: 'field' }, h('label', {}, mine, ' 只看我的')),
    h('div', { class: 'field' }, h('label', {}, counted, ' 显示总数')),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, '查询')));
    // Paged by the API's keyset cursor: `cursor` is this page's, `trail` the cursors of the pages before it (the first
    // page's written as FIRST), so 上一页 needs no offset and a deep page is as fast as the first.
    const cursor = params.get('cursor') || '';
    const trail = params.get('trail') ? params.get('trail').split('.') : [];
    const query = new URLSearchParams(params);
    for (const k of ['sort', 'page', 'trail']) query.delete(k);
    query.set('cursor', cursor);
    query.set('pageSize', params.get('pageSize') || '20');
    const data = await api('/api/demands?' + query.toString());
    const rows = data.items.slice();
    if (params.get('sort') === 'due') rows.sort((a, b) => (a.dueDate || '9999').localeCompare(b.dueDate || '9999'));
    if (params.get('sort') === 'number') rows.sort((a, b) => a.number.localeCompare(b.number));
    const pageNo = trail.length + 1;
    const table = h('table', {}, h('caption', { class: 'muted' }, data.total === null || data.total === undefined
      ? '第 ' + pageNo + ' 页，本页 ' + rows.length + ' 条' : '共 ' + data.total + ' 条，第 ' + pageNo + ' 页'),
      h('thead', {}, h('tr', {}, ['编号', '标题', '企业', '类别', '状态', '责任人/科室', '完成时限'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((d) => h('tr', {},
        h('td', {}, d.number), h('td', {}, h('a', { href: '#/demands/' + d.id }, d.title)), h('td', {}, d.enterpriseName),
        h('td', {}, CATEGORY[d.category] || d.category),
        h('td', {}, h('span', { class: d.overdue ? 'badge overdue' : 'badge' }, (STATUS[d.status] || d.status) + (d.overdue ? '·逾期' : ''))),
        h('td', {}, d.ownerName || d.departmentName || ''), h('td', {}, d.dueDate || '')))));
    const pager = cursorPager('/demands', params, trail, cursor, data);
    const tools = h('div', { class: 'actions' });
    if (has('commissioner', 'secretary')) {
      const progress = h('progress', { hidden: true, 'aria-label': '正在导出' });
      tools.append(h('button', { type: 'button', class: 'secondary', id: 'export', onclick: async (ev) => {
        ev.target.disabled = true; progress.hidden = false;
        try {
          const response = await fetch('/api/demands/export?format=xlsx', { credentials: 'same-origin' });
          if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
          const url = URL.createObjectURL(await response.blob());
          const a = h('a', { href: url, download: '诉求清单.xlsx' });
          document.body.append(a); a.click(); a.remove();
          toast('已导出诉求清单。');
        } catch (e) { toast(e.message); } finally { ev.target.disabled = false; progress.hidden = true; }
      } }, '导出清单（Excel）'), progress);
    }
    page('诉求清单', form, tools, table, pager);
  }

  // ---- 诉求详情 -------------------------------------------------------------------------------------------------
  // The one place that maps an action to its button and form. Once the API lists `allowedActions`, exactly those show;
  // until then they are inferred from the status and the caller's roles, as the API's rules stand.
  const ACTIONS = {
    accept: { label: '受理并制定计划', form: planForm, call: (id, body) => api('/api/demands/' + id + '/accept', { method: 'POST', body }) },
    progress: { label: '记录进展', form: progressForm, call: (id, body) => api('/api/demands/' + id + '/progress', { method: 'POST', body }) },
    urge: { label: '督办', form: textForm('督办意见', 'text'), call: (id, body) => api('/api/demands/' + id + '/urge', { method: 'POST', body }) },
    resolve: { label: '办结', form: textForm('办结情况', 'summary'), call: (id, body) => api('/api/demands/' + id + '/resolve', { method: 'POST', body }) },
    return: { label: '退回', form: textForm('退回理由', 'reason'), call: (id, body) => api('/api/demands/' + id + '/return', { method: 'POST', body }) },
    requestExtension: { label: '申请延期', form: extensionForm, call: (id, body) => api('/api/demands/' + id + '/extension', { method: 'POST', body }) },
    setResponsible: { label: '指定责任单位和责任人', form: responsibleForm, call: (id, body) => api('/api/demands/' + id + '/responsible', { method: 'POST', body }) },
    approveExtension: { label: '批准延期', form: textForm('意见（可不填）', 'comment', true), call: (id, body) => api('/api/demands/' + id + '/extension/approve', { method: 'POST', body }) },
    rejectExtension: { label: '驳回延期', form: textForm('意见（可不填）', 'comment', true), call: (id, body) => api('/api/demands/' + id + '/extension/reject', { method: 'POST', body }) },
    setDueDate: { label: '调整完成时限', form: dueDateForm, call: (id, body) => api('/api/demands/' + id + '/due-date', { method: 'POST', body }) },
    reviewAccept: { label: '审核通过', form: textForm('审核意见（可不填）', 'comment', true), call: (id, body) => api('/api/demands/' + id + '/review/accept', { method: 'POST', body }) },
    reviewReturn: { label: '审核退回', form: textForm('退回理由', 'reason'), call: (id, body) => api('/api/demands/' + id + '/review/return', { method: 'POST', body }) },
  };

  function allowedActions(d) {
    if (Array.isArray(d.allowedActions)) return d.allowedActions.filter((a) => ACTIONS[a]);
    const manager = has('commissioner', 'secretary');
    const owner = (d.owner && state.me.memberId === d.owner.id) || (d.department && has('department_liaison') && state.me.departmentId === d.department.id);
    const out = [];
    if (d.status === 'submitted' && manager) out.push('accept', 'return');
    if (d.status === 'accepted') {
      if (owner || manager) out.push('progress');
      if (manager) out.push('urge');
      if (owner) out.push('resolve');
      if (manager && d.pendingExtension) out.push('approveExtension', 'rejectExtension');
    }
    return out;
  }

  function textForm(labelText, name, optional) {
    return () => {
      const input = h('textarea', { name, required: !optional });
      return { controls: [field(labelText, input, true)], body: () => ({ [name]: input.value.trim() || (optional ? null : '') }) };
    };
  }

  function dueDateForm() {
    const due = h('input', { type: 'text', name: 'dueDate', required: true, placeholder: 'yyyy-mm-dd', pattern: '\\d{4}-\\d{2}-\\d{2}', inputmode: 'numeric' });
    const reason = h('textarea', { name: 'reason', required: true });
    return { controls: [field('新的完成时限', due), field('调整理由', reason, true)], body: () => ({ dueDate: due.value || null, reason: reason.value.trim() }) };
  }

  function extensionForm(d) {
    const due = h('input', { type: 'text', name: 'dueDate', required: true, placeholder: 'yyyy-mm-dd', pattern: '\\d{4}-\\d{2}-\\d{2}', inputmode: 'numeric',
      'aria-describedby': 'extension-hint' });
    const reason = h('textarea', { name: 'reason', required: true });
    return { controls: [h('p', { id: 'extension-hint', class: 'muted' }, '现在的完成时限：' + (d.dueDate || '未设定') + '。申请由服务专员或书记批准后生效。'),
      field('申请延至', due), field('延期理由', reason, true)],
    body: () => ({ dueDate: due.value.trim() || null, reason: reason.value.trim() }) };
  }

  // 责任单位/责任人 as the API takes them after acceptance: another body, its named person and that person's phone.
  function responsibleForm(d) {
    const r = d.responsible;
    const other = r && r.unitKind === 'other';
    const unit = h('input', { type: 'text', name: 'unitName', required: true, maxlength: '100', value: other ? r.unitName : '' });
    const person = h('input', { type: 'text', name: 'personName', required: true, maxlength: '50', value: other && r.personName ? r.personName : '' });
    const phone = h('input', { type: 'tel', name: 'personPhone', required: true, maxlength: '20', inputmode: 'numeric', autocomplete: 'off' });
    const reason = h('textarea', { name: 'reason' });
    return { controls: [h('p', { class: 'muted' }, '由其他单位承办时，写明该单位、单位里的责任人和其手机号；本支部成员认领或移交科室请用受理计划。'),
      field('责任单位', unit), field('责任人', person), field('责任人手机号', phone), field('调整理由（可不填）', reason, true)],
    body: () => ({ unitName: unit.value.trim(), personName: person.value.trim(), personPhone: phone.value.trim(), reason: reason.value.trim() || null }) };
  }

  function progressForm() {
    const kind = h('select', { name: 'kind' }, [['progress', '进展'], ['onsite', '现场服务'], ['expert', '专家指导'], ['note', '内部备注']]
      .map(([k, v]) => h('option', { value: k }, v)));
    const visibility = h('select', { name: 'visibility' }, h('option', { value: 'public' }, '企业可见'), h('option', { value: 'internal' }, '仅内部'));
    const text = h('textarea', { name: 'text', required: true });
    return { controls: [field('类型', kind), field('可见范围', visibility), field('内容', text, true)],
      body: () => ({ kind: kind.value, visibility: visibility.value, text: text.value.trim() }) };
  }

  function planForm(d) {
    const objective = h('textarea', { name: 'objective', required: true });
    const measures = h('textarea', { name: 'measures', required: true, 'aria-describedby': 'measures-hint' });
    const mode = h('select', { name: 'mode' }, h('option', { value: 'member' }, '由专班成员认领'), h('option', { value: 'department' }, '移交科室办理'));
    const member = h('select', { name: 'ownerMemberId' });
    const department = h('select', { name: 'departmentId', disabled: true });
    const unit = h('input', { type: 'text', name: 'responsibleUnit', maxlength: '100' });
    const due = h('input', { type: 'text', name: 'dueDate', required: true, placeholder: 'yyyy-mm-dd', pattern: '\\d{4}-\\d{2}-\\d{2}', inputmode: 'numeric' });
    mode.addEventListener('change', () => { member.disabled = mode.value !== 'member'; department.disabled = mode.value !== 'department'; });
    api('/api/members?pageSize=100').then((data) => member.replaceChildren(...items(data).map((m) => h('option', { value: m.id }, m.name)))).catch(() => {});
    api('/api/departments?pageSize=100').then((data) => department.replaceChildren(...items(data).map((x) => h('option', { value: x.id }, x.name)))).catch(() => {});
    return {
      controls: [field('工作目标', objective, true), field('思路举措（每行一条）', measures, true),
        h('p', { id: 'measures-hint', class: 'muted' }, '每行写一条举措。'),
        field('办理方式', mode), field('责任人（专班成员）', member), field('责任科室', department), field('责任单位', unit, true), field('完成时限', due)],
      body: () => ({
        objective: objective.value.trim(),
        measures: measures.value.split('\n').map((s) => s.trim()).filter(Boolean),
        ownerMemberId: mode.value === 'member' && member.value ? Number(member.value) : null,
        departmentId: mode.value === 'department' && department.value ? Number(department.value) : null,
        responsibleUnit: unit.value.trim() || null,
        dueDate: due.value || null,
      }),
    };
  }

  // 责任人 as the API structures it: a member, a department's liaison, or a named person of another body (with a phone).
  function responsiblePerson(d) {
    const r = d.responsible;
    if (!r) return d.owner ? d.owner.name : '';
    return [r.personName, r.personPhone].filter(Boolean).join('　');
  }

  async function demandDetail(id) {
    const d = await api('/api/demands/' + id);
    const kv = (pairs) => h('dl', { class: 'kv' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
      .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    const info = h('section', { class: 'panel', 'aria-labelledby': 'info-title' }, h('h2', { id: 'info-title' }, '诉求'),
      kv([['编号', d.number], ['企业', d.enterpriseName], ['类别', CATEGORY[d.category] || d.category],
        ['状态', (STATUS[d.status] || d.status) + (d.overdue ? '（已逾期）' : '')], ['提交时间', fmtTime(d.submittedAt)],
        ['期望时间', d.expectedBy], ['紧急', d.urgent ? '是' : '']]),
      h('p', {}, d.description));
    const plan = h('section', { class: 'panel', 'aria-labelledby': 'plan-title' }, h('h2', { id: 'plan-title' }, '办理计划'),
      d.objective ? kv([['工作目标', d.objective], ['思路举措', h('ol', {}, d.measures.map((m) => h('li', {}, m)))],
        ['责任单位', d.responsible ? d.responsible.unitName : (d.department ? d.department.name : d.responsibleUnit)],
        ['责任人', responsiblePerson(d)],
        ['完成时限', d.dueDate], ['待批延期', d.pendingExtension ? d.pendingExtension.dueDate + '：' + d.pendingExtension.reason : ''],
        ['办结情况', d.resolution], ['企业评价', d.rating ? (d.rating.solved ? '已解决' : '未解决') + '，满意度 ' + d.rating.satisfaction : '']])
        : h('p', { class: 'muted' }, '尚未受理。'));
    const timeline = h('section', { class: 'panel', 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, '办理过程'),
      // In the order things happened (an event recorded later about an earlier day, e.g. a meeting's decision, takes its place).
      h('ol', { class: 'timeline', id: 'timeline' }, d.timeline.slice().sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt)).map((e) => h('li', { 'data-kind': e.kind },
        h('div', {}, h('strong', {}, EVENT[e.kind] || e.kind), e.visibility === 'internal' ? h('span', { class: 'badge' }, '内部') : null,
          ' ', e.actorName || ''),
        e.text ? h('div', {}, e.text) : null,
        e.attachmentIds.length ? h('div', {}, e.attachmentIds.map((a) => h('a', { href: '/api/attachments/' + a, target: '_blank', rel: 'noopener' }, '附件 ' + a + ' '))) : null,
        h('div', { class: 'when' }, fmtTime(e.createdAt))))));
    const actionArea = h('div', { id: 'action-form' });
    const buttons = h('div', { class: 'actions', role: 'group', 'aria-label': '可办理的操作' }, allowedActions(d).map((name) => {
      const action = ACTIONS[name];
      return h('button', { type: 'button', 'data-action': name, onclick: () => openAction(d, name, actionArea) }, action.label);
    }));
    page(d.number + ' ' + d.title, h('div', { class: 'grid2' }, h('div', {}, info, plan, timeline),
      h('div', {}, h('section', { class: 'panel', 'aria-labelledby': 'actions-title' }, h('h2', { id: 'actions-title' }, '操作'),
        buttons.childElementCount ? buttons : h('p', { class: 'muted' }, '您现在没有可办理的操作。'), actionArea))));
  }

  function openAction(d, name, area) {
    const action = ACTIONS[name];
    const form = action.form(d);
    const error = h('p', { class: 'error', role: 'alert' });
    const submit = h('button', { type: 'submit' }, '提交：' + action.label);
    const el = h('form', { 'aria-label': action.label, onsubmit: async (ev) => {
      ev.preventDefault();
      submit.disabled = true; error.textContent = '';
      try {
        await action.call(d.id, form.body());
        toast(action.label + '已完成。');
        await demandDetail(d.id);
      } catch (e) { error.textContent = e.message; submit.disabled = false; }
    } }, h('h3', {}, action.label), form.controls, error, h('div', { class: 'actions' }, submit,
      h('button', { type: 'button', class: 'secondary', onclick: () => area.replaceChildren() }, '取消')));
    area.replaceChildren(el);
    const first = el.querySelector('textarea, input, select');
    if (first) first.focus();
  }

  // ---- 月度会商 -------------------------------------------------------------------------------------------------
  async function meetingList() {
    const data = await api('/api/meetings?pageSize=50');
    const list = h('table', {}, h('thead', {}, h('tr', {}, ['月份', '支部', '议题', '决定', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, items(data).map((m) => h('tr', {}, h('td', {}, h('a', { href: '#/meetings/' + m.id }, m.month)), h('td', {}, m.branchName),
        h('td', {}, String(m.agendaCount)), h('td', {}, String(m.decisionCount)),
        h('td', {}, h('a', { href: '#/meetings/' + m.id + '/projector' }, '投屏'))))));
    const content = [list];
    if (has('secretary')) {
      const month = h('input', { type: 'month', name: 'month', required: true, value: state.today.slice(0, 7) });
      const error = h('p', { class: 'error', role: 'alert' });
      content.unshift(h('form', { class: 'filters', onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const m = await api('/api/meetings', { method: 'POST', body: { month: month.value } });
          location.hash = '#/meetings/' + m.id;
        } catch (e) { error.textContent = e.message; }
      } }, field('会商月份', month), h('div', { class: 'field' }, h('button', { type: 'submit' }, '生成议程')), error));
    }
    page('月度会商', ...content);
  }

  async function meetingDetail(id) {
    const m = await api('/api/meetings/' + id);
    page(m.month + ' 月度会商（' + m.branchName + '）',
      h('div', { class: 'actions' }, h('a', { href: '#/meetings/' + id + '/projector' }, '打开投屏视图'), ' ',
        h('a', { href: '/api/meetings/' + id + '/minutes' }, '下载会议纪要')),
      h('h2', {}, '议程'),
      h('ol', {}, m.agenda.map((a) => h('li', {}, a.reasonName + '：', a.demand ? h('a', { href: '#/demands/' + a.demand.id }, a.demand.number + ' ' + a.demand.title) : a.enterprise.name,
        a.dueDate ? '（时限 ' + a.dueDate + '）' : ''))),
      h('h2', {}, '决定'),
      h('ul', {}, m.decisions.map((x) => h('li', {}, x.demand.number + ' ' + x.kindName + '：' + x.text))));
  }

  async function projector(id, params) {
    const m = await api('/api/meetings/' + id);
    document.body.classList.add('projector');
    const index = Math.min(Math.max(0, (Number(params.get('item')) || 1) - 1), Math.max(0, m.agenda.length - 1));
    const go = (i) => { location.hash = '#/meetings/' + id + '/projector?item=' + (i + 1); };
    if (!m.agenda.length) {
      page(m.month + ' 月度会商', h('p', {}, '本次会商没有议题。'), h('a', { href: '#/meetings/' + id }, '退出投屏'));
      return;
    }
    const a = m.agenda[index];
    const decisions = m.decisions.filter((x) => x.agendaItemId === a.id || (a.demand && x.demand.id === a.demand.id));
    const view = h('div', { class: 'projector-view' },
      h('p', { class: 'counter' }, '议题 ' + (index + 1) + ' / ' + m.agenda.length + ' · ' + a.reasonName),
      h('div', { class: 'item' },
        h('h2', {}, a.demand ? a.demand.number + ' ' + a.demand.title : a.enterprise.name),
        h('p', {}, '企业：' + a.enterprise.name + (a.dueDate ? '　完成时限：' + a.dueDate : '') + (a.demand ? '　状态：' + (STATUS[a.demand.status] || a.demand.status) : '')),
        a.note ? h('p', {}, a.note) : null),
      h('h2', {}, '会商决定'),
      h('ul', { class: 'decisions', id: 'decisions' }, decisions.length ? decisions.map((x) => h('li', {}, x.kindName + '：' + x.text + (x.dueDate ? '（新时限 ' + x.dueDate + '）' : '')))
        : h('li', { class: 'muted' }, '尚无决定')));
    if (has('secretary') && a.demand) {
      const kind = h('select', { name: 'kind' }, [['urge', '督办'], ['due_date', '调整完成时限'], ['escalate', '升级为重点督办'], ['note', '备注']]
        .map(([k, v]) => h('option', { value: k }, v)));
      const text = h('input', { type: 'text', name: 'text', required: true, size: '40' });
      const due = h('input', { type: 'text', name: 'dueDate', placeholder: 'yyyy-mm-dd', inputmode: 'numeric' });
      const error = h('p', { class: 'error', role: 'alert' });
      const submit = h('button', { type: 'submit' }, '记录决定');
      view.append(h('form', { class: 'filters', 'aria-label': '记录会商决定', onsubmit: async (ev) => {
        ev.preventDefault();
        submit.disabled = true;
        try {
          await api('/api/meetings/' + id + '/decisions', { method: 'POST', body: { agendaItemId: a.id, kind: kind.value, text: text.value.trim(),
            dueDate: kind.value === 'due_date' ? due.value || null : null } });
          toast('决定已记录并生效。');
          await projector(id, params);
          const list = document.getElementById('decisions');
          if (list) list.setAttribute('tabindex', '-1');
        } catch (e) { error.textContent = e.message; submit.disabled = false; }
      } }, field('决定', kind), field('内容', text), field('新的完成时限', due), h('div', { class: 'field' }, submit), error));
    }
    view.append(h('nav', { class: 'actions', 'aria-label': '议题切换' },
      h('button', { type: 'button', class: 'secondary', id: 'prev', disabled: index === 0, onclick: () => go(index - 1) }, '上一项'),
      h('button', { type: 'button', class: 'secondary', id: 'next', disabled: index >= m.agenda.length - 1, onclick: () => go(index + 1) }, '下一项'),
      h('a', { href: '#/meetings/' + id }, '退出投屏')));
    page(m.month + ' 月度会商', view);
  }

  document.addEventListener('keydown', (ev) => {
    if (!document.body.classList.contains('projector') || ev.target.closest('input, textarea, select')) return;
    if (ev.key === 'PageDown' || ev.key === 'ArrowRight') { const b = document.getElementById('next'); if (b && !b.disabled) b.click(); }
    if (ev.key === 'PageUp' || ev.key === 'ArrowLeft') { const b = document.getElementById('prev'); if (b && !b.disabled) b.click(); }
  });

  // What the other page files use. They run (deferred, in order) before DOMContentLoaded, so their pages are registered
  // before the first route.
  window.EcoConsole = Object.freeze({ h, field, toast, api, ApiError, page, pagerFor, has, items, fmtTime, addPage, STATUS, CATEGORY, roleName,
    today: () => state.today });
  document.addEventListener('DOMContentLoaded', start);
})();
