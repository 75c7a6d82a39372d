'use strict';
// The mini-program's view of a whole demand, against the real service (started by scripts/test.sh with the WeChat
// sandbox): a city administrator sets up a branch, people join by invite, an enterprise submits, the branch works it,
// the enterprise rates it.
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createClient, ApiError } = require('../ecoaid-client');
const { createWx } = require('../support/fake-wx');

const BASE = process.env.ECOAID_BASE_URL;
const CITY_ADMIN = process.env.ECOAID_CITY_ADMIN_OPENID;
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

function clientFor(openid, options) {
  const wx = createWx(BASE, openid, options);
  return { wx, api: createClient({ baseUrl: BASE, wx }) };
}

/** A fresh valid unified social credit code (region 000000, check character per GB 32100). */
function creditCode() {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const body = `91000000C${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  const sum = [...body].reduce((s, c, i) => s + alphabet.indexOf(c) * weights[i], 0);
  return body + alphabet[(31 - (sum % 31)) % 31];
}

const people = {};
let branchId; let enterpriseId; let ownerMemberId;

async function join(admin, openid, invite) {
  const { code } = await admin.post('/api/invites', invite);
  const person = clientFor(openid);
  const me = await person.api.post('/api/me/bind', { inviteCode: code }, { idempotent: false });
  return { ...person, me };
}

before(async () => {
  assert.ok(BASE, 'ECOAID_BASE_URL is not set: run these tests through scripts/test.sh, which starts the service.');
  assert.ok(CITY_ADMIN, 'ECOAID_CITY_ADMIN_OPENID is not set: run these tests through scripts/test.sh.');
  const admin = clientFor(CITY_ADMIN).api;
  const me = await admin.get('/api/me');
  assert.deepEqual(me.roles, ['city_admin']);
  branchId = (await admin.post('/api/branches', { name: `客户端测试支部${run}` })).id;
  ownerMemberId = (await admin.post('/api/members', { branchId, name: '责任成员', taskForceRole: 'member' })).id;
  const commissionerMemberId = (await admin.post('/api/members', { branchId, name: '服务专员', taskForceRole: 'member' })).id;
  enterpriseId = (await admin.post('/api/enterprises', { branchId, name: `测试企业${run}`, creditCode: creditCode(), liaisonMemberId: ownerMemberId })).id;
  people.staff = await join(admin, `js-staff-${run}`, { role: 'staff', branchId, enterpriseId });
  people.commissioner = await join(admin, `js-commissioner-${run}`, { role: 'commissioner', branchId, memberId: commissionerMemberId });
  people.owner = await join(admin, `js-owner-${run}`, { role: 'member', branchId, memberId: ownerMemberId });
});

test('an enterprise submits a demand with a photo and follows it through to its rating', async () => {
  const { staff, commissioner, owner } = people;
  const photo = path.join(os.tmpdir(), `ecoaid-${run}.png`);
  fs.writeFileSync(photo, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
  const attachment = await staff.api.upload({ filePath: photo });
  assert.equal(attachment.contentType, 'image/png');

  const created = await staff.api.post('/api/demands', {
    category: 'pollution_control', title: `危废暂存间不规范${run}`, description: '暂存间标识不全，请求现场指导。', attachmentIds: [attachment.id],
  });
  assert.equal(created.status, 'submitted');
  assert.match(created.number, /^SQ\d{4}-\d{4}$/);
  const submitRequest = staff.wx.stats.requests.find((r) => r.url.endsWith('/api/demands') && r.method === 'POST');
  assert.ok(submitRequest.header['Idempotency-Key'], 'creating calls carry an Idempotency-Key');

  const accepted = await commissioner.api.post(`/api/demands/${created.id}/accept`, {
    objective: '规范危废暂存', measures: ['现场指导', '复核台账'], ownerMemberId, dueInWorkingDays: 10,
  });
  assert.equal(accepted.status, 'accepted');
  await owner.api.post(`/api/demands/${created.id}/progress`, { kind: 'onsite', text: '已到现场指导', visibility: 'public' });
  await owner.api.post(`/api/demands/${created.id}/progress`, { kind: 'note', text: '内部备注', visibility: 'internal' });
  await owner.api.post(`/api/demands/${created.id}/resolve`, { summary: '暂存间已整改' });
  const closed = await staff.api.post(`/api/demands/${created.id}/confirm`, { solved: true, satisfaction: 5, comment: '满意' });

  assert.equal(closed.status, 'closed');
  assert.equal(closed.rating.satisfaction, 5);
  assert.deepEqual(closed.timeline.map((e) => e.kind), ['submitted', 'claimed', 'onsite', 'resolved', 'confirmed']);
  const mine = await staff.api.get('/api/demands', { q: run });
  assert.equal(mine.total, 1);
});

test('a lost answer is retried with the same Idempotency-Key and creates one demand', async () => {
  const { staff } = people;
  staff.wx.dropNextResponses(1);
  const title = `重试只建一条${run}`;
  const created = await staff.api.post('/api/demands', { category: 'other', title, description: '网络抖动' });
  const sends = staff.wx.stats.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/api/demands')).slice(-2);
  assert.equal(sends.length, 2);
  assert.equal(sends[0].header['Idempotency-Key'], sends[1].header['Idempotency-Key']);
  const found = await staff.api.get('/api/demands', { q: title });
  assert.equal(found.total, 1);
  assert.equal(found.items[0].id, created.id);
});

test('an expired token is replaced by logging in once more', async () => {
  const { staff } = people;
  staff.wx.setStorageSync('ecoaid.token', 'expired-or-revoked');
  const fresh = clientFor(`js-staff-${run}`);
  fresh.wx.setStorageSync('ecoaid.token', 'expired-or-revoked');
  const me = await fresh.api.get('/api/me');
  assert.equal(me.enterpriseId, enterpriseId);
  assert.equal(fresh.wx.stats.logins, 1);
});

test('problems become ApiError with the stable code and the Chinese message', async () => {
  const { staff, commissioner } = people;
  await assert.rejects(staff.api.post('/api/demands', { category: 'other', title: '长'.repeat(101), description: 'x' }), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'validation.failed');
    assert.ok(err.errors.title);
    assert.match(err.message, /[\u4e00-\u9fa5]/);
    return true;
  });
  const { id } = await staff.api.post('/api/demands', { category: 'other', title: `状态冲突${run}`, description: 'x' });
  await assert.rejects(staff.api.post(`/api/demands/${id}/confirm`, { solved: true, satisfaction: 5 }), { code: 'demand.invalid_transition', status: 409 });
  await assert.rejects(commissioner.api.get('/api/demands/999999999'), { code: 'not_found', status: 404 });
});

test('the enterprise finds the resolution in its inbox and marks it read', async () => {
  const { staff, commissioner, owner } = people;
  const { id } = await staff.api.post('/api/demands', { category: 'policy_inquiry', title: `站内消息${run}`, description: '请告知申报时间' });
  await commissioner.api.post(`/api/demands/${id}/accept`, { objective: '答复企业', measures: ['电话答复'], ownerMemberId, dueInWorkingDays: 3 });
  await owner.api.post(`/api/demands/${id}/resolve`, { summary: '已电话答复申报时间' });

  // The dispatcher runs in the background: give it a bounded while to deliver.
  let item;
  for (let i = 0; i < 40 && !item; i += 1) {
    const inbox = await staff.api.get('/api/me/notifications', { pageSize: 50 });
    item = inbox.items.find((n) => n.demandId === id && n.kind === 'demand_resolved');
    if (!item) await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(item, 'the resolution reached the enterprise\'s inbox');
  assert.equal(item.read, false);
  await staff.api.post(`/api/me/notifications/${item.id}/read`, undefined, { idempotent: false });
  const after = await staff.api.get('/api/me/notifications', { pageSize: 50 });
  assert.equal(after.items.find((n) => n.id === item.id).read, true);
});
