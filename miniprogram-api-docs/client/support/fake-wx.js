'use strict';
// A stand-in for the mini-program's wx object that does real HTTP against the running service: wx.login asks the
// WeChat sandbox for a fresh code (what wx.login does on a phone), wx.request and wx.uploadFile use fetch.
const fs = require('node:fs');
const path = require('node:path');

const APP_ID = process.env.ECOAID_MINIPROGRAM_APPID || 'wxsandbox00000001';
// The WeChat sandbox is a program of its own beside the service (scripts/run.sh and scripts/client-tests.sh start it).
const SANDBOX_URL = process.env.ECOAID_SANDBOX_URL || 'http://127.0.0.1:5085/wechat-sandbox';

function createWx(baseUrl, openid, { dropResponses = 0 } = {}) {
  const storage = new Map();
  const stats = { logins: 0, requests: [] };
  let toDrop = dropResponses;

  return {
    stats,
    /** Makes the next n requests reach the server but lose their answer, as a dropped connection does. */
    dropNextResponses(n) { toDrop = n; },
    getStorageSync: (key) => storage.get(key),
    setStorageSync: (key, value) => storage.set(key, value),
    login({ success, fail }) {
      stats.logins += 1;
      fetch(`${SANDBOX_URL}/_sandbox/wx-login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ appid: APP_ID, openid }),
      }).then((r) => r.json()).then((body) => success({ code: body.code }), (e) => fail({ errMsg: String(e) }));
    },
    request({ url, method = 'GET', data, header = {}, success, fail }) {
      stats.requests.push({ url, method, header: { ...header } });
      const init = { method, headers: header };
      if (data !== undefined && method !== 'GET') init.body = typeof data === 'string' ? data : JSON.stringify(data);
      fetch(url, init).then(async (res) => {
        const text = await res.text();
        if (toDrop > 0) { toDrop -= 1; fail({ errMsg: 'request:fail timeout' }); return; }
        let body = text;
        try { body = text.length ? JSON.parse(text) : ''; } catch (e) { /* keep text */ }
        success({ statusCode: res.status, data: body, header: Object.fromEntries(res.headers) });
      }, (e) => fail({ errMsg: `request:fail ${e}` }));
    },
    uploadFile({ url, filePath, name, header = {}, success, fail }) {
      const form = new FormData();
      form.append(name, new Blob([fs.readFileSync(filePath)]), path.basename(filePath));
      fetch(url, { method: 'POST', headers: header, body: form })
        .then(async (res) => success({ statusCode: res.status, data: await res.text() }), (e) => fail({ errMsg: `uploadFile:fail ${e}` }));
    },
  };
}

module.exports = { createWx };
