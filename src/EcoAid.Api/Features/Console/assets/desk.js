// The console's desk pages beyond the demand list: 统计, 报告, 审核, 回访 and 审计. Same rules as console.js: plain DOM,
// text only through textContent, every figure from the API (nothing computed here but the bar lengths).
'use strict';

(() => {
  const { h, field, toast, api, page, pagerFor, has, items, fmtTime, addPage, CATEGORY, today } = window.EcoConsole;

  const monthOf = (day) => day.slice(0, 7);
  const percent = (rate) => rate && rate.value !== null && rate.value !== undefined ? (rate.value * 100).toFixed(1) + '%' : '—';

  // A horizontal bar chart in SVG: one bar a row, its label and its count written beside it. The figure's caption names it
  // and the same numbers are in the table next to it, so the chart is decoration for a screen reader (aria-hidden).
  function barChart(caption, rows) {
    const ns = 'http://www.w3.org/2000/svg';
    const el = (tag, attrs, text) => {
      const e = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
      if (text !== undefined) e.textContent = text;
      return e;
    };
    const max = Math.max(1, ...rows.map((r) => r.value));
    const rowHeight = 28, labelWidth = 120, barWidth = 320, width = labelWidth + barWidth + 60;
    const svg = el('svg', { viewBox: '0 0 ' + width + ' ' + (rows.length * rowHeight + 8), width, height: rows.length * rowHeight + 8,
      'aria-hidden': 'true', class: 'chart' });
    rows.forEach((r, i) => {
      const y = i * rowHeight + 4;
      svg.append(el('text', { x: labelWidth - 8, y: y + 18, 'text-anchor': 'end' }, r.label));
      svg.append(el('rect', { x: labelWidth, y: y + 4, height: rowHeight - 10, width: Math.round(barWidth * r.value / max), 'data-value': r.value }));
      svg.append(el('text', { x: labelWidth + Math.round(barWidth * r.value / max) + 6, y: y + 18 }, String(r.value)));
    });
    return h('figure', { class: 'chart-figure' }, svg, h('figcaption', {}, caption));
  }

  function table(headers, rows, caption) {
    return h('table', {}, caption ? h('caption', { class: 'muted' }, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))));
  }

  const RATE_NAMES = [['response', '响应率'], ['onTime', '按期办结率'], ['resolution', '解决率'], ['satisfaction', '满意率']];
  const rateRows = (rates) => RATE_NAMES.filter(([k]) => rates[k]).map(([k, name]) => [name, percent(rates[k]), String(rates[k].numerator), String(rates[k].denominator)]);

  async function branchSelect(params) {
    if (!has('city_viewer', 'city_admin')) return null;
    const select = h('select', { name: 'branchId' }, h('option', { value: '' }, '全市'));
    const data = await api('/api/branches?pageSize=100');
    select.append(...items(data).map((b) => h('option', { value: b.id, selected: params.get('branchId') === String(b.id) }, b.name)));
    return select;
  }

  // ---- 统计 ----------------------------------------------------------------------------------------------------------
  async function statsPage(_, params) {
    const day = today();
    const from = h('input', { type: 'date', name: 'from', value: params.get('from') || monthOf(day) + '-01' });
    const to = h('input', { type: 'date', name: 'to', value: params.get('to') || day });
    const branch = await branchSelect(params);
    const form = h('form', { class: 'filters', onsubmit: (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams({ from: from.value, to: to.value });
      if (branch && branch.value) p.set('branchId', branch.value);
      location.hash = '#/stats?' + p.toString();
    } }, field('开始日期', from), field('结束日期', to), branch ? field('支部', branch) : null,
    h('div', { class: 'field' }, h('button', { type: 'submit' }, '统计')));
    const query = new URLSearchParams({ from: from.value, to: to.value });
    if (branch && branch.value) query.set('branchId', branch.value);
    const data = await api('/api/stats/overview?' + query.toString());
    const t = data.total;
    const cards = h('div', { class: 'cards' }, [['收集诉求', t.submitted], ['办结', t.resolutions], ['企业确认', t.confirmations], ['回访', t.visits]]
      .map(([name, n]) => h('section', { class: 'card', 'aria-label': name }, h('h2', {}, name), h('div', { class: 'n' }, String(n)))));
    const content = [form, h('p', { class: 'muted' }, data.from + ' 至 ' + data.to + '（北京时间），响应时限 ' + data.responseLimitHours + ' 小时。'), cards,
      h('h2', {}, '四个比率'), table(['比率', '值', '分子', '分母'], rateRows(t.rates)),
      h('div', { class: 'grid2' },
        h('div', {}, h('h2', {}, '按类别'), barChart('按类别的诉求数', t.byCategory.map((c) => ({ label: c.name, value: c.count })))),
        h('div', {}, h('h2', {}, '按状态'), barChart('这些诉求现在的状态', t.byStatus.map((c) => ({ label: c.name, value: c.count })))))];
    for (const b of data.branches) {
      content.push(h('h2', {}, b.branchName + '：专班成员'),
        table(['成员', '负责', '办结', '回访', '按期办结率', '解决率', '满意率'], b.members.map((m) => [m.name, String(m.assigned), String(m.resolutions),
          String(m.visits), percent(m.rates.onTime), percent(m.rates.resolution), percent(m.rates.satisfaction)])),
        h('h2', {}, b.branchName + '：企业'),
        table(['企业', '诉求', '已关闭', '回访', '响应率', '按期办结率', '满意率'], b.enterprises.map((e) => [e.name, String(e.submitted), String(e.closed),
          String(e.visits), percent(e.rates.response), percent(e.rates.onTime), percent(e.rates.satisfaction)])));
    }
    if (has('city_viewer', 'city_admin') && !(branch && branch.value)) {
      const side = await api('/api/stats/branches?month=' + monthOf(to.value));
      content.push(h('h2', {}, '各支部对比（' + monthOf(to.value) + '）'), branchTable(side));
    }
    page('统计', ...content);
  }

  // The city's table (GET /api/stats/branches): each branch as of the month's end, side by side.
  function branchTable(side) {
    if (!side.branches.length) return h('p', { class: 'muted' }, '没有支部数据。');
    return table(['支部', '累计收集', '办理中', '已办结', '逾期', '当月新收集', '当月办结', '回访', '响应率', '按期办结率', '满意率'],
      side.branches.map((b) => [b.name, String(b.collected), String(b.inProgress), String(b.closed), String(b.overdue), String(b.newThisMonth),
        String(b.closedThisMonth), String(b.visits), percent(b.rates.response), percent(b.rates.onTime), percent(b.rates.satisfaction)]),
      '截至 ' + side.asOfDate);
  }

  // ---- 报告 ----------------------------------------------------------------------------------------------------------
  async function reportsPage(_, params) {
    const month = h('input', { type: 'month', name: 'month', required: true, value: params.get('month') || monthOf(today()) });
    const branch = await branchSelect(params);
    const content = [];
    const progress = h('progress', { hidden: true, 'aria-label': '正在签发' });
    const error = h('p', { class: 'error', role: 'alert' });
    if (has('secretary', 'city_admin')) {
      const submit = h('button', { type: 'submit', id: 'issue-report' }, '签发月报');
      content.push(h('form', { class: 'filters', 'aria-label': '签发月报', onsubmit: async (ev) => {
        ev.preventDefault();
        submit.disabled = true; progress.hidden = false; error.textContent = '';
        try {
          const body = { month: month.value, branchId: branch && branch.value ? Number(branch.value) : null };
          const report = await api('/api/reports', { method: 'POST', body, headers: { 'Idempotency-Key': crypto.randomUUID() } });
          toast(report.month + ' 月报已签发。');
          await reportsPage(_, new URLSearchParams({ month: month.value }));
        } catch (e) { error.textContent = e.message; submit.disabled = false; progress.hidden = true; }
      } }, field('月份', month), branch ? field('范围', branch) : null, h('div', { class: 'field' }, submit), progress, error),
      h('p', { class: 'muted' }, '签发时按该月月末（本月为此刻）的办理记录计算，留存月报（xlsx）和工作信息（docx），以后下载的文件与签发时完全相同。'));
    }
    const data = await api('/api/reports?pageSize=50');
    content.push(h('h2', {}, '已签发的月报'), items(data).length
      ? table(['月份', '范围', '截至', '签发人', '签发时间', '文件'], items(data).map((r) => [r.month, r.scopeName, r.asOfDate, r.issuedBy ? r.issuedBy.name : '',
        fmtTime(r.issuedAt), h('span', {}, r.files.map((f) => h('a', { href: f.url, download: f.fileName, class: 'file-link' },
          (f.format === 'xlsx' ? '月报（Excel）' : '工作信息（Word）') + ' ')))]))
      : h('p', { class: 'muted' }, '还没有签发过月报。'));
    const chartMonth = month.value;
    const scope = branch && branch.value ? '&branchId=' + branch.value : '';
    content.push(h('h2', {}, chartMonth + ' 统计图'), h('div', { class: 'report-charts' },
      [['categories', '按类别'], ['months', '近十二个月'], ['rates', '四个比率']].map(([kind, name]) =>
        h('figure', {}, h('img', { src: '/api/stats/charts/' + kind + '?month=' + chartMonth + scope, alt: chartMonth + ' ' + name + '统计图', width: 480 }),
          h('figcaption', {}, name)))));
    page('报告', ...content);
  }

  // ---- 审核 ----------------------------------------------------------------------------------------------------------
  async function reviewPage() {
    const data = await api('/api/demands?status=pending_review&pageSize=50');
    page('待审核诉求',
      h('p', { class: 'muted' }, '内容检查提示需要人工审核的诉求。打开诉求，核对内容后点“审核通过”或“审核退回”。'),
      data.items.length ? table(['编号', '标题', '企业', '类别', '提交时间'], data.items.map((d) => [d.number,
        h('a', { href: '#/demands/' + d.id }, d.title), d.enterpriseName, CATEGORY[d.category] || d.category, fmtTime(d.submittedAt)]), '共 ' + data.total + ' 条')
        : h('p', { id: 'review-empty' }, '没有待审核的诉求。'));
  }

  // ---- 回访 ----------------------------------------------------------------------------------------------------------
  const VISIT_KINDS = [['follow_up', '回访督查'], ['onsite', '现场帮扶'], ['expert', '专家指导']];

  async function visitsPage() {
    const content = [];
    if (has('member', 'commissioner', 'secretary')) {
      const due = await api('/api/visits/due?pageSize=50');
      content.push(h('h2', {}, '本月待回访企业'), items(due).length
        ? table(['企业', '联络人', '上次回访'], items(due).map((v) => [v.enterpriseName, v.liaison ? v.liaison.name : '', v.lastVisitedOn || '从未回访']))
        : h('p', { class: 'muted' }, '本月的回访都已完成。'));
      content.push(visitForm(items(due)));
    }
    const done = await api('/api/visits?pageSize=30');
    content.push(h('h2', {}, '回访记录'), items(done).length
      ? table(['日期', '企业', '方式', '参加人', '发现的问题'], items(done).map((v) => [v.visitedOn, v.enterpriseName, v.kindName,
        v.participants.members.map((m) => m.name).concat(v.participants.experts.map((x) => x.name + '（专家）')).join('、'), v.findings]))
      : h('p', { class: 'muted' }, '还没有回访记录。'));
    page('回访', ...content);
  }

  function visitForm(due) {
    const enterprise = h('select', { name: 'enterpriseId', required: true });
    api('/api/enterprises?pageSize=100').then((data) => enterprise.replaceChildren(...items(data).map((e) =>
      h('option', { value: e.id, selected: due.length && due[0].enterpriseId === e.id }, e.name)))).catch(() => {});
    const members = h('select', { name: 'memberIds', multiple: true, required: true, size: 4 });
    api('/api/members?pageSize=100').then((data) => members.replaceChildren(...items(data).map((m) => h('option', { value: m.id }, m.name)))).catch(() => {});
    const visitedOn = h('input', { type: 'date', name: 'visitedOn', required: true, value: today() });
    const kind = h('select', { name: 'kind' }, VISIT_KINDS.map(([k, v]) => h('option', { value: k }, v)));
    const findings = h('textarea', { name: 'findings', required: true, maxlength: '2000' });
    const error = h('p', { class: 'error', role: 'alert' });
    const submit = h('button', { type: 'submit' }, '记录回访');
    return h('form', { class: 'panel', 'aria-label': '记录回访', onsubmit: async (ev) => {
      ev.preventDefault();
      submit.disabled = true; error.textContent = '';
      try {
        await api('/api/visits', { method: 'POST', body: { enterpriseId: Number(enterprise.value), visitedOn: visitedOn.value, kind: kind.value,
          participants: { memberIds: [...members.selectedOptions].map((o) => Number(o.value)), expertIds: [] }, findings: findings.value.trim() } });
        toast('回访已记录。');
        await visitsPage();
      } catch (e) { error.textContent = e.message; submit.disabled = false; }
    } }, h('h2', {}, '记录一次回访'), field('企业', enterprise), field('日期', visitedOn), field('方式', kind),
    field('参加的专班成员（可多选）', members), field('发现的问题与处理情况', findings, true), error, submit);
  }

  // ---- 审计 ----------------------------------------------------------------------------------------------------------
  const AUDIT_KINDS = { login: '登录', access_refused: '拒绝访问', invite_created: '生成邀请码', role_granted: '授予身份', role_changed: '变更身份',
    phone_revealed: '查看完整手机号', export: '导出', report_downloaded: '下载月报', report_issued: '签发月报', personal_data_viewed: '查看个人数据',
    personal_data_exported: '导出本人数据', user_deactivated: '注销用户' };

  const SUBJECTS = { demand: '诉求', invite: '邀请码', report: '月报', user: '用户', enterprise: '企业', member: '成员', department: '科室',
    policy: '政策文件', visit: '回访', supervision_batch: '监督帮扶清单', leniency_check: '首违不罚核查' };

  async function auditPage(_, params) {
    const kind = h('select', { name: 'kind' }, h('option', { value: '' }, '全部'),
      Object.entries(AUDIT_KINDS).map(([k, v]) => h('option', { value: k, selected: params.get('kind') === k }, v)));
    const from = h('input', { type: 'date', name: 'from', value: params.get('from') || '' });
    const to = h('input', { type: 'date', name: 'to', value: params.get('to') || '' });
    const pageNo = Math.max(1, Number(params.get('page')) || 1);
    const form = h('form', { class: 'filters', onsubmit: (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      if (kind.value) p.set('kind', kind.value);
      if (from.value) p.set('from', from.value);
      if (to.value) p.set('to', to.value);
      location.hash = '#/audit?' + p.toString();
    } }, field('类型', kind), field('开始日期', from), field('结束日期', to), h('div', { class: 'field' }, h('button', { type: 'submit' }, '查询')));
    const query = new URLSearchParams(params);
    query.set('page', String(pageNo));
    query.set('pageSize', '50');
    const data = await api('/api/audit-events?' + query.toString());
    const subject = (e) => e.subjectType ? (SUBJECTS[e.subjectType] || e.subjectType) + (e.subjectId ? ' #' + e.subjectId : '')
      : (e.path ? e.method + ' ' + e.path : '');
    page('安全审计', form,
      table(['时间', '类型', '操作人', '对象', '结果'], items(data).map((e) => [fmtTime(e.occurredAt), AUDIT_KINDS[e.kind] || e.kind,
        e.actorName || (e.actorUserId ? '用户 #' + e.actorUserId : '（未登录）'), subject(e), e.status ? String(e.status) : '']), '共 ' + data.total + ' 条'),
      pagerFor('/audit', params, pageNo, data));
  }

  // ---- 日历 ----------------------------------------------------------------------------------------------------------
  const DAY_KINDS = { holiday: '放假', workday: '调休上班' };

  async function calendarPage(_, params) {
    const year = Number(params.get('year')) || Number(today().slice(0, 4));
    const days = await api('/api/calendar?year=' + year);
    const content = [h('nav', { class: 'actions', 'aria-label': '年份' }, [year - 1, year, year + 1].map((y) =>
      h('a', { href: '#/calendar?year=' + y, 'aria-current': y === year ? 'page' : null }, y + ' 年'))),
    h('p', { class: 'muted' }, '完成时限按工作日计算：跳过下表的放假日，计入调休上班日。'),
    days.length ? table(['日期', '安排', '名称'], days.map((d) => [d.day, DAY_KINDS[d.kind] || d.kind, d.name]), year + ' 年共 ' + days.length + ' 天')
      : h('p', { class: 'error', id: 'calendar-missing' }, year + ' 年的节假日安排还没有导入，完成时限只跳过周末。')];
    if (has('city_admin')) content.push(calendarImport(year));
    page(year + ' 年节假日安排', ...content);
  }

  // The city administrator imports a year from the State Council's notice as an xlsx: first a preview of what changes,
  // then the same file applied.
  function calendarImport(year) {
    const file = h('input', { type: 'file', name: 'file', required: true, accept: '.xlsx' });
    const yearInput = h('input', { type: 'number', name: 'year', required: true, value: String(year + 1), min: '2000', max: '2100' });
    const title = h('input', { type: 'text', name: 'noticeTitle', required: true, size: '40' });
    const number = h('input', { type: 'text', name: 'documentNo' });
    const published = h('input', { type: 'date', name: 'publishedOn', required: true });
    const error = h('p', { class: 'error', role: 'alert' });
    const result = h('div', { id: 'calendar-preview', 'aria-live': 'polite' });
    const send = async (apply) => {
      const body = new FormData();
      body.append('file', file.files[0]);
      body.append('year', yearInput.value);
      body.append('noticeTitle', title.value.trim());
      if (number.value.trim()) body.append('documentNo', number.value.trim());
      body.append('publishedOn', published.value);
      body.append('apply', apply ? 'true' : 'false');
      return api('/api/calendar/import/xlsx', { method: 'POST', body });
    };
    const show = (r) => {
      const list = (name, rows) => rows.length ? [h('h3', {}, name + '（' + rows.length + ' 天）'),
        h('ul', {}, rows.map((d) => h('li', {}, d.day + ' ' + (DAY_KINDS[d.kind] || d.kind) + ' ' + d.name)))] : [];
      result.replaceChildren(h('p', {}, (r.applied ? '已导入 ' : '预览 ') + r.year + ' 年：新增 ' + r.added.length + ' 天，变更 ' + r.changed.length + ' 天，删除 '
        + r.removed.length + ' 天，不变 ' + r.unchanged + ' 天。'), ...list('新增', r.added), ...list('变更', r.changed), ...list('删除', r.removed),
      r.applied ? null : h('button', { type: 'button', id: 'calendar-apply', onclick: async (ev) => {
        ev.target.disabled = true;
        try { show(await send(true)); toast(r.year + ' 年的节假日安排已导入。'); } catch (e) { error.textContent = e.message; ev.target.disabled = false; }
      } }, '确认导入'));
    };
    return h('form', { class: 'panel', 'aria-label': '导入节假日安排', onsubmit: async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      try { show(await send(false)); } catch (e) { error.textContent = e.message; }
    } }, h('h2', {}, '导入一年的安排（xlsx）'),
    h('p', { class: 'muted' }, '第一行表头为“日期、类型、名称”，类型填“放假”或“调休上班”。先预览差异，确认后再导入；导入会替换该年的全部安排。'),
    field('文件', file), field('年份', yearInput), field('通知标题', title, true), field('文号（可不填）', number), field('发布日期', published),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, '预览')), error, result);
  }

  // ---- 企业、成员、科室 -------------------------------------------------------------------------------------------
  // The registry, one tab a kind; administrators add entries and make one-time invite codes for the people behind them.
  const TASK_FORCE_ROLES = { member: '专班成员', commissioner: '服务专员', secretary: '支部书记' };
  const REGISTRY = {
    enterprises: { name: '企业', path: '/api/enterprises',
      columns: ['企业名称', '统一社会信用代码', '行业', '联系人', '联系电话', '包挂成员'],
      row: (e) => [e.name, e.creditCode, e.industry || '', e.contactName || '', e.contactPhone || '', e.liaisonMemberName || ''],
      fields: [['name', '企业名称', true], ['creditCode', '统一社会信用代码', true], ['industry', '行业'], ['address', '地址'], ['contactName', '联系人'],
        ['contactPhone', '联系电话']],
      invite: (e) => ({ role: 'staff', enterpriseId: e.id }), inviteLabel: '邀请企业联系人' },
    members: { name: '成员', path: '/api/members',
      columns: ['姓名', '职务', '专班角色', '电话', '包挂企业数'],
      row: (m) => [m.name, m.title || '', TASK_FORCE_ROLES[m.taskForceRole] || m.taskForceRole, m.phone || '', String(m.liaisonEnterpriseIds.length)],
      fields: [['name', '姓名', true], ['title', '职务'], ['phone', '电话']],
      invite: (m) => ({ role: m.taskForceRole in TASK_FORCE_ROLES ? m.taskForceRole : 'member', memberId: m.id }), inviteLabel: '生成绑定邀请码' },
    departments: { name: '科室', path: '/api/departments',
      columns: ['科室', '说明'],
      row: (d) => [d.name, d.description || ''],
      fields: [['name', '科室名称', true], ['description', '说明']],
      invite: (d) => ({ role: 'department_liaison', departmentId: d.id }), inviteLabel: '邀请科室联络人' },
  };

  async function registryPage(m) {
    const kind = m[1] || 'enterprises';
    const spec = REGISTRY[kind];
    const admin = has('admin', 'city_admin');
    const data = await api(spec.path + '?pageSize=100');
    const invites = h('div', { id: 'invite-result', 'aria-live': 'polite' });
    const rows = items(data).map((x) => {
      const cells = spec.row(x);
      if (admin) {
        cells.push(h('button', { type: 'button', class: 'secondary', 'data-invite': x.id, onclick: async (ev) => {
          ev.target.disabled = true;
          try {
            const invite = await api('/api/invites', { method: 'POST', body: spec.invite(x) });
            invites.replaceChildren(h('p', { class: 'panel' }, spec.inviteLabel + '（' + cells[0] + '）：邀请码 ', h('strong', { class: 'invite-code' }, invite.code),
              '，' + fmtTime(invite.expiresAt) + ' 前在小程序“绑定身份”页输入，只能使用一次。'));
          } catch (e) { invites.replaceChildren(h('p', { class: 'error', role: 'alert' }, e.message)); } finally { ev.target.disabled = false; }
        } }, spec.inviteLabel));
      }
      return cells;
    });
    const tabs = h('nav', { class: 'actions', 'aria-label': '名录' }, Object.entries(REGISTRY).map(([k, v]) =>
      h('a', { href: '#/registry/' + k, 'aria-current': k === kind ? 'page' : null }, v.name)));
    const content = [tabs, invites, table(admin ? [...spec.columns, '邀请'] : spec.columns, rows, '共 ' + data.total + ' 个')];
    if (admin) content.push(registryForm(kind, spec));
    page(spec.name + '名录', ...content);
  }

  function registryForm(kind, spec) {
    const inputs = spec.fields.map(([name, , required]) => h('input', { type: 'text', name, required: !!required }));
    const error = h('p', { class: 'error', role: 'alert' });
    return h('form', { class: 'panel', 'aria-label': '新增' + spec.name, onsubmit: async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      const body = {};
      spec.fields.forEach(([name], i) => { body[name] = inputs[i].value.trim() || null; });
      try {
        await api(spec.path, { method: 'POST', body, headers: { 'Idempotency-Key': crypto.randomUUID() } });
        toast('已新增' + spec.name + '：' + body.name);
        await registryPage([null, kind]);
      } catch (e) { error.textContent = e.message; }
    } }, h('h2', {}, '新增' + spec.name), h('div', { class: 'filters' }, spec.fields.map(([, label], i) => field(label, inputs[i]))),
    error, h('button', { type: 'submit' }, '保存'));
  }

  // ---- 资料清单 -------------------------------------------------------------------------------------------------------
  // 送政策: the published documents sent to one enterprise as a list, and who there has read each list.
  async function materialsPage(_, params) {
    const enterprises = items(await api('/api/enterprises?pageSize=100'));
    if (!enterprises.length) { page('资料清单', h('p', { class: 'muted' }, '没有可查看的企业。')); return; }
    const chosen = params.get('enterpriseId') || String(enterprises[0].id);
    const select = h('select', { name: 'enterpriseId', onchange: () => { location.hash = '#/materials?enterpriseId=' + select.value; } },
      enterprises.map((e) => h('option', { value: e.id, selected: String(e.id) === chosen }, e.name)));
    const sent = await api('/api/enterprises/' + chosen + '/materials');
    const content = [h('div', { class: 'filters' }, field('企业', select))];
    if (has('member', 'commissioner')) content.push(await materialForm(chosen, params));
    content.push(h('h2', {}, '已送达的资料清单'), sent.length
      ? table(['送达时间', '发送人', '文件', '附言', '阅读情况'], sent.map((m) => [fmtTime(m.sentAt), m.senderName,
        h('ul', {}, m.documents.map((d) => h('li', {}, d.title + (d.available ? '' : '（已撤回）')))), m.note || '',
        m.reads.length ? m.reads.map((r) => r.displayName + ' ' + fmtTime(r.readAt) + ' 已读').join('；') : '未读']))
      : h('p', { class: 'muted', id: 'materials-empty' }, '还没有给这家企业送过资料。'));
    page('资料清单', ...content);
  }

  async function materialForm(enterpriseId, params) {
    const policies = items(await api('/api/policies?pageSize=50'));
    const boxes = policies.map((p) => h('input', { type: 'checkbox', name: 'policyIds', value: p.id }));
    const note = h('textarea', { name: 'note', maxlength: '500' });
    const error = h('p', { class: 'error', role: 'alert' });
    const submit = h('button', { type: 'submit' }, '送达企业');
    return h('form', { class: 'panel', 'aria-label': '送政策', onsubmit: async (ev) => {
      ev.preventDefault();
      submit.disabled = true; error.textContent = '';
      try {
        const policyIds = boxes.filter((b) => b.checked).map((b) => Number(b.value));
        await api('/api/enterprises/' + enterpriseId + '/materials', { method: 'POST', body: { policyIds, note: note.value.trim() || null },
          headers: { 'Idempotency-Key': crypto.randomUUID() } });
        toast('资料清单已送达，企业联系人会收到通知。');
        await materialsPage(null, params);
      } catch (e) { error.textContent = e.message; submit.disabled = false; }
    } }, h('h2', {}, '送政策'), policies.length
      ? h('fieldset', {}, h('legend', {}, '选择已发布的文件（最多 50 份）'), policies.map((p, i) => h('label', { class: 'check' }, boxes[i], ' ' + p.title + '（' + p.categoryName + '）')))
      : h('p', { class: 'muted' }, '政策库里还没有已发布的文件。'),
    field('附言（可不填）', note, true), error, submit);
  }

  const READERS = ['secretary', 'city_viewer', 'city_admin'];
  addPage({ path: '/review', name: '审核', show: () => has('commissioner', 'secretary') },
    [{ match: /^\/review$/, show: () => has('commissioner', 'secretary'), run: reviewPage }]);
  addPage({ path: '/visits', name: '回访', show: () => has('member', 'commissioner', 'secretary', 'city_viewer', 'city_admin') },
    [{ match: /^\/visits$/, run: visitsPage }]);
  addPage({ path: '/stats', name: '统计', show: () => has(...READERS) }, [{ match: /^\/stats$/, show: () => has(...READERS), run: statsPage }]);
  addPage({ path: '/reports', name: '报告', show: () => has(...READERS) }, [{ match: /^\/reports$/, show: () => has(...READERS), run: reportsPage }]);
  const BRANCH_READERS = ['member', 'commissioner', 'secretary', 'department_liaison', 'admin', 'city_viewer', 'city_admin'];
  addPage({ path: '/registry', name: '企业与成员', show: () => has(...BRANCH_READERS) },
    [{ match: /^\/registry(?:\/(enterprises|members|departments))?$/, show: () => has(...BRANCH_READERS), run: registryPage }]);
  addPage({ path: '/materials', name: '资料清单', show: () => has('member', 'commissioner', 'secretary') },
    [{ match: /^\/materials$/, show: () => has('member', 'commissioner', 'secretary'), run: materialsPage }]);
  addPage({ path: '/calendar', name: '日历', show: () => true }, [{ match: /^\/calendar$/, run: calendarPage }]);
  addPage({ path: '/audit', name: '审计', show: () => has('admin', 'city_admin') }, [{ match: /^\/audit$/, show: () => has('admin', 'city_admin'), run: auditPage }]);
})();
