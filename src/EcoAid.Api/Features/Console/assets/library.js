// 政策库 in the console: the administrators' list, the editor with a preview of what readers will get, publishing, and the
// 码上说执法 codes with a printable 公示牌 per place. The preview is the service's own sanitised HTML (bodyHtml of the
// saved draft), shown in a sandboxed frame that may run nothing: what the editor sees is what the mini-program renders.
'use strict';

(() => {
  const { h, field, toast, api, page, has, items, fmtTime, addPage } = window.EcoConsole;

  const CATEGORIES = { project_approval: '项目审批', funding: '资金申报', honor: '荣誉评定', petition: '信访投诉', credit_repair: '信用修复',
    laws_standards: '法规标准', explainer: '执法说明（码上说执法）' };
  const STATES = { draft: '草稿', published: '已发布', unpublished: '已撤回' };
  const admins = () => has('admin', 'city_admin');

  async function policyList(_, params) {
    const status = h('select', { name: 'status' }, h('option', { value: '' }, '全部'),
      Object.entries(STATES).map(([k, v]) => h('option', { value: k, selected: params.get('status') === k }, v)));
    const q = h('input', { type: 'search', name: 'q', value: params.get('q') || '' });
    const form = h('form', { class: 'filters', role: 'search', onsubmit: (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      if (status.value) p.set('status', status.value);
      if (q.value.trim()) p.set('q', q.value.trim());
      location.hash = '#/policies?' + p.toString();
    } }, field('状态', status), field('标题', q), h('div', { class: 'field' }, h('button', { type: 'submit' }, '查询')));
    const query = new URLSearchParams(params);
    query.set('pageSize', '50');
    const data = await api('/api/policies/manage?' + query.toString());
    page('政策库', form, h('div', { class: 'actions' }, h('a', { href: '#/policies/new', id: 'new-policy' }, '新建文件')),
      h('table', {}, h('caption', { class: 'muted' }, '共 ' + data.total + ' 份'),
        h('thead', {}, h('tr', {}, ['标题', '分类', '状态', '修订', '更新时间'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, items(data).map((p) => h('tr', {}, h('td', {}, h('a', { href: '#/policies/' + p.id }, p.title)), h('td', {}, p.categoryName),
          h('td', {}, STATES[p.status] || p.status), h('td', {}, String(p.revision)), h('td', {}, fmtTime(p.updatedAt)))))));
  }

  async function policyEditor(m) {
    const id = m[1] === 'new' ? null : m[1];
    const p = id ? await api('/api/policies/' + id + '/manage') : null;
    const title = h('input', { type: 'text', name: 'title', required: true, value: p ? p.title : '', size: '60' });
    const category = h('select', { name: 'category' }, Object.entries(CATEGORIES).map(([k, v]) => h('option', { value: k, selected: p && p.category === k }, v)));
    const summary = h('textarea', { name: 'summary' });
    summary.value = p ? p.summary : '';
    const body = h('textarea', { name: 'body', required: true, class: 'html-source', 'aria-describedby': 'body-hint' });
    body.value = p ? p.body : '';
    const tags = h('input', { type: 'text', name: 'tags', value: p ? p.tags.join('，') : '' });
    const source = h('input', { type: 'text', name: 'source', value: p && p.source ? p.source : '' });
    const effective = h('input', { type: 'text', name: 'effectiveDate', placeholder: 'yyyy-mm-dd', inputmode: 'numeric', value: p && p.effectiveDate ? p.effectiveDate : '' });
    const error = h('p', { class: 'error', role: 'alert' });
    const save = h('button', { type: 'submit', id: 'save-policy' }, id ? '保存' : '保存草稿');
    const form = h('form', { class: 'panel', 'aria-label': '编辑文件', onsubmit: async (ev) => {
      ev.preventDefault();
      save.disabled = true; error.textContent = '';
      const fields = { title: title.value.trim(), category: category.value, summary: summary.value.trim() || null, body: body.value,
        tags: tags.value.split(/[,，、\s]+/).map((t) => t.trim()).filter(Boolean), source: source.value.trim() || null, effectiveDate: effective.value.trim() || null };
      try {
        const saved = id
          ? await api('/api/policies/' + id, { method: 'PUT', body: Object.assign(fields, { revision: p.revision }) })
          : await api('/api/policies', { method: 'POST', body: fields, headers: { 'Idempotency-Key': crypto.randomUUID() } });
        toast('已保存。');
        if (id) await policyEditor([null, id]); else location.hash = '#/policies/' + saved.id;
      } catch (e) { error.textContent = e.message; save.disabled = false; }
    } }, field('标题', title, true), field('分类', category), field('摘要', summary, true),
    field('正文（HTML：段落、标题、列表、表格、链接、图片；脚本、样式和事件属性会被去掉）', body, true),
    h('p', { id: 'body-hint', class: 'muted' }, '保存后右侧显示读者实际看到的内容。'),
    field('标签（用逗号分开）', tags), field('来源（发文机关与文号）', source, true), field('施行日期', effective), error, h('div', { class: 'actions' }, save));
    if (!p) {
      page('新建文件', form);
      return;
    }
    const status = h('p', {}, '状态：' + (STATES[p.status] || p.status) + '　修订 ' + p.revision + (p.publishedAt ? '　发布于 ' + fmtTime(p.publishedAt) : ''));
    const publish = p.status === 'published'
      ? h('button', { type: 'button', class: 'secondary', id: 'unpublish', onclick: () => act('unpublish', '已撤回。') }, '撤回')
      : h('button', { type: 'button', id: 'publish', onclick: () => act('publish', '已发布，读者几秒内可见。') }, '发布');
    async function act(what, done) {
      try { await api('/api/policies/' + id + '/' + what, { method: 'POST' }); toast(done); await policyEditor([null, id]); } catch (e) { toast(e.message); }
    }
    // The saved draft's sanitised body, as readers get it; the frame allows no scripts, forms or navigation of this page.
    const preview = h('iframe', { sandbox: '', title: '读者看到的正文', class: 'policy-preview', id: 'policy-preview' });
    preview.srcdoc = '<!doctype html><meta charset="utf-8"><h1>' + escapeText(p.title) + '</h1>' + p.bodyHtml;
    page(p.title, h('div', { class: 'grid2' }, h('div', {}, form),
      h('div', {}, h('section', { class: 'panel', 'aria-labelledby': 'publish-title' }, h('h2', { id: 'publish-title' }, '发布'), status,
        h('div', { class: 'actions' }, publish)),
      h('section', { class: 'panel', 'aria-labelledby': 'preview-title' }, h('h2', { id: 'preview-title' }, '预览（读者看到的）'), preview),
      codePanel(p))));
  }

  // The frame's title is the only text put into markup by hand here: escape it.
  function escapeText(s) {
    const div = document.createElement('div');
    div.textContent = s;
    return div.innerHTML;
  }

  // 码上说执法: one code per place the document is posted (source), each with its printable 公示牌.
  function codePanel(p) {
    const source = h('input', { type: 'text', name: 'qrSource', pattern: '[A-Za-z0-9_-]{1,20}', placeholder: '如 gate、workshop-2', maxlength: '20' });
    const out = h('div', { id: 'qr-result' });
    return h('section', { class: 'panel', 'aria-labelledby': 'qr-title' }, h('h2', { id: 'qr-title' }, '小程序码与公示牌'),
      p.status === 'published' ? null : h('p', { class: 'muted' }, '文件发布后，扫码才能打开。'),
      h('form', { class: 'filters', onsubmit: (ev) => {
        ev.preventDefault();
        const s = source.value.trim();
        const query = s ? '?source=' + encodeURIComponent(s) : '';
        out.replaceChildren(h('img', { src: '/api/policies/' + p.id + '/qrcode' + query, alt: '“' + p.title + '”的小程序码' + (s ? '（张贴位置 ' + s + '）' : ''), width: 200, height: 200 }),
          h('p', {}, h('a', { href: '#/policies/' + p.id + '/placard' + query, id: 'placard-link' }, '打开可打印的公示牌')));
      } }, field('张贴位置标记（英文字母、数字、_ 或 -，可不填）', source), h('div', { class: 'field' }, h('button', { type: 'submit' }, '生成小程序码'))), out);
  }

  // The 公示牌: title, code, branch and source on one A4 page; the print stylesheet hides everything else.
  async function placard(m, params) {
    const p = await api('/api/policies/' + m[1] + '/manage');
    const branch = await api('/api/branches/' + p.branchId).catch(() => null);
    const s = params.get('source');
    document.body.classList.add('print-page');
    page('公示牌', h('article', { class: 'placard', id: 'placard' },
      h('p', { class: 'placard-kicker' }, '码上说执法'),
      h('h2', {}, p.title),
      h('img', { src: '/api/policies/' + p.id + '/qrcode' + (s ? '?source=' + encodeURIComponent(s) : ''), alt: '扫码阅读“' + p.title + '”', width: 260, height: 260 }),
      h('p', {}, '微信扫一扫，阅读全文'),
      p.source ? h('p', { class: 'muted' }, '依据：' + p.source) : null,
      h('p', { class: 'placard-branch' }, branch ? branch.name : '')),
    h('div', { class: 'actions no-print' }, h('button', { type: 'button', onclick: () => window.print() }, '打印'),
      h('a', { href: '#/policies/' + p.id }, '返回编辑')));
  }

  addPage({ path: '/policies', name: '政策库', show: admins }, [
    { match: /^\/policies$/, show: admins, run: policyList },
    { match: /^\/policies\/(\d+|new)$/, show: admins, run: policyEditor },
    { match: /^\/policies\/(\d+)\/placard$/, show: admins, run: placard },
  ]);
})();
