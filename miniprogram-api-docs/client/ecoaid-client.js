/**
 * EcoAid 小程序接口客户端：包装 wx.request / wx.uploadFile。
 * - 登录：wx.login 取 code → POST /api/auth/login，令牌存入本地存储；
 * - 每个请求带 Authorization；收到 401 时重新登录一次并重发；
 * - 创建类请求（POST 新建资源）自动带 Idempotency-Key，网络失败重试时沿用同一个键；
 * - 错误统一为 ApiError：status、code（稳定的机器码）、message（可直接展示的中文）、errors（字段 → 提示）。
 * 纯 JavaScript（CommonJS），无需构建，直接 require 使用。
 */
'use strict';

const TOKEN_KEY = 'ecoaid.token';

class ApiError extends Error {
  constructor(status, problem) {
    const body = problem || {};
    super(body.detail || body.title || `请求失败（${status}）`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code || (status === 0 ? 'network.failed' : 'error');
    this.title = body.title || '请求失败';
    this.errors = body.errors || {};
    this.traceId = body.traceId;
  }
}

/** A random v4 UUID without relying on crypto APIs the mini-program may lack. */
function newKey() {
  let key = '';
  for (let i = 0; i < 32; i += 1) {
    const n = Math.floor(Math.random() * 16);
    key += (i === 12 ? 4 : i === 16 ? (n & 3) | 8 : n).toString(16);
    if (i === 7 || i === 11 || i === 15 || i === 19) key += '-';
  }
  return key;
}

/** wx.request as a promise resolving {statusCode, data, header}; a transport failure rejects with ApiError status 0. */
function call(wx, options) {
  return new Promise((resolve, reject) => {
    wx.request({
      ...options,
      success: (res) => resolve(res),
      fail: (err) => reject(new ApiError(0, { code: 'network.failed', title: '网络异常', detail: (err && err.errMsg) || '网络连接失败，请稍后重试。' })),
    });
  });
}

function parse(data) {
  if (typeof data !== 'string') return data;
  try { return data.length ? JSON.parse(data) : null; } catch (e) { return data; }
}

/**
 * @param {object} options
 * @param {string} options.baseUrl   服务地址，如 https://ecoaid.example.cn
 * @param {object} options.wx        小程序的 wx 对象（测试中可传入替身）
 * @param {number} [options.retries] 网络失败时的重试次数（默认 1；只重试网络失败，不重试服务端的错误回答）
 */
function createClient({ baseUrl, wx, retries = 1 }) {
  const base = baseUrl.replace(/\/+$/, '');
  let token = wx.getStorageSync ? wx.getStorageSync(TOKEN_KEY) || null : null;
  let loggingIn = null;

  function setToken(value) {
    token = value;
    if (wx.setStorageSync) wx.setStorageSync(TOKEN_KEY, value || '');
  }

  /** 用 wx.login 的 code 登录；并发调用共用一次登录。 */
  function login() {
    if (!loggingIn) {
      loggingIn = new Promise((resolve, reject) => {
        wx.login({
          success: ({ code }) => resolve(code),
          fail: (err) => reject(new ApiError(0, { code: 'auth.wx_login_failed', title: '微信登录失败', detail: (err && err.errMsg) || '无法获取登录凭证。' })),
        });
      }).then(async (code) => {
        const res = await call(wx, { url: `${base}/api/auth/login`, method: 'POST', data: { code }, header: { 'content-type': 'application/json' } });
        const body = parse(res.data);
        if (res.statusCode !== 200) throw new ApiError(res.statusCode, body);
        setToken(body.token);
        return body;
      }).finally(() => { loggingIn = null; });
    }
    return loggingIn;
  }

  /**
   * 发送请求。resolve 为响应体（204 为 null）；失败 reject ApiError。
   * @param {object} req {method, path, data, query, idempotent}；POST 默认视为创建请求并带 Idempotency-Key（idempotent: false 可关闭）。
   */
  async function request({ method = 'GET', path, data, query, idempotent, header: extra }) {
    const qs = query ? '?' + Object.keys(query).filter((k) => query[k] !== undefined && query[k] !== null)
      .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(query[k])}`).join('&') : '';
    const key = (idempotent !== undefined ? idempotent : method === 'POST') ? newKey() : null;
    let relogged = false;
    for (let attempt = 0; ; attempt += 1) {
      if (!token) await login();
      const header = { 'content-type': 'application/json', Authorization: `Bearer ${token}`, ...(extra || {}) };
      if (key) header['Idempotency-Key'] = key;
      let res;
      try {
        res = await call(wx, { url: `${base}${path}${qs}`, method, data, header });
      } catch (err) {
        if (attempt < retries) continue; // same Idempotency-Key: the server answers a repeat with the first result
        throw err;
      }
      const body = parse(res.data);
      if (res.statusCode === 401 && !relogged) {
        relogged = true;
        setToken(null);
        continue;
      }
      if (res.statusCode >= 200 && res.statusCode < 300) return res.statusCode === 204 ? null : body;
      throw new ApiError(res.statusCode, body);
    }
  }

  /** 上传附件（图片或 PDF），resolve {id, contentType, size}。 */
  async function upload({ filePath, name = 'file', path = '/api/attachments' }) {
    for (let relogged = false; ;) {
      if (!token) await login();
      const res = await new Promise((resolve, reject) => {
        wx.uploadFile({
          url: `${base}${path}`, filePath, name, header: { Authorization: `Bearer ${token}` },
          success: resolve,
          fail: (err) => reject(new ApiError(0, { code: 'network.failed', title: '上传失败', detail: (err && err.errMsg) || '网络连接失败。' })),
        });
      });
      const body = parse(res.data);
      if (res.statusCode === 401 && !relogged) { relogged = true; setToken(null); continue; }
      if (res.statusCode >= 200 && res.statusCode < 300) return body;
      throw new ApiError(res.statusCode, body);
    }
  }

  return {
    login,
    logout: async () => { if (token) await request({ method: 'POST', path: '/api/auth/logout', idempotent: false }); setToken(null); },
    request,
    upload,
    get: (path, query) => request({ method: 'GET', path, query }),
    post: (path, data, options) => request({ method: 'POST', path, data, ...(options || {}) }),
    put: (path, data) => request({ method: 'PUT', path, data }),
    get token() { return token; },
  };
}

module.exports = { createClient, ApiError };
