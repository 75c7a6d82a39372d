// A few calls of the mini-program written against the generated types: login, submitting a demand, the demand list
// and a demand's detail. If the OpenAPI document loses or changes what these rely on, `tsc --noEmit` fails.
import type { components, paths } from "./generated/ecoaid-api";

type JsonBody<P extends keyof paths, M extends keyof paths[P]> =
    paths[P][M] extends { requestBody: { content: { "application/json": infer B } } } ? B : never;
type JsonAnswer<P extends keyof paths, M extends keyof paths[P], S extends number> =
    paths[P][M] extends { responses: { [K in S]: { content: { "application/json": infer R } } } } ? R : never;
type ProblemAnswer<P extends keyof paths, M extends keyof paths[P], S extends number> =
    paths[P][M] extends { responses: { [K in S]: { content: { "application/problem+json": infer R } } } } ? R : never;

type Problem = components["schemas"]["ProblemDetails"];

// A stand-in for wx.request: the types are what is being checked, not the transport.
declare function call<T>(method: string, url: string, body?: unknown): T;

// 登录：wx.login 的 code 换令牌。
const loginBody: JsonBody<"/api/auth/login", "post"> = { code: "0a3Bcd000Xyz1A2B3C400aBcDe0Bcd0X" };
const login = call<JsonAnswer<"/api/auth/login", "post", 200>>("POST", "/api/auth/login", loginBody);
const token: string = login.token;
const roles: string[] = login.user.roles;
// @ts-expect-error the login body has no openid: the client sends only the code
const wrongLogin: JsonBody<"/api/auth/login", "post"> = { code: "x", openid: "o" };

// 提交诉求：201 带新诉求的编号。
const submitBody: JsonBody<"/api/demands", "post"> = {
    category: "pollution",
    title: "危废暂存间设置咨询",
    description: "想了解危废暂存间的建设标准",
    attachmentIds: [15],
    urgent: false,
};
const created = call<JsonAnswer<"/api/demands", "post", 201>>("POST", "/api/demands", submitBody);
const createdId: number = created.id;
const createdNumber: string = created.number;
// @ts-expect-error POST /api/demands answers 201, not 200
const notOk: JsonAnswer<"/api/demands", "post", 200> = created;
const rateLimited: ProblemAnswer<"/api/demands", "post", 429> = { code: "demand.daily_limit" };

// 诉求列表：分页，每项带版本与可做的操作。
const query: NonNullable<paths["/api/demands"]["get"]["parameters"]["query"]> = { status: "submitted", owner: "me", page: 1 };
const page = call<JsonAnswer<"/api/demands", "get", 200>>("GET", "/api/demands", query);
// 即将到期：办理中、完成时限在今天到 dueBy（yyyy-MM-dd）之间的诉求，服务端筛选并计数。
const dueSoon: NonNullable<paths["/api/demands"]["get"]["parameters"]["query"]> = { dueBy: "2026-03-09", includeTotal: true, cursor: "" };
call<JsonAnswer<"/api/demands", "get", 200>>("GET", "/api/demands", dueSoon);
// total is counted only when asked (null on cursor pages); nextCursor continues after this page.
const total: number = page.total ?? 0;
const nextCursor: string | null | undefined = page.nextCursor;
// @ts-expect-error total may be null: a client must not take it as a number
const unchecked: number = page.total;
const firstVersion: number | undefined = page.items[0]?.version;
const actions: string[] = page.items.flatMap((item) => item.allowedActions);
// A nullable field is optional and may be null: the compiler makes the page handle both.
const due: string = page.items[0]?.dueDate ?? "未设定";

// 诉求详情：时间线、责任人（可能为空）、404 是带 code 的 problem。
const detail = call<JsonAnswer<"/api/demands/{id}", "get", 200>>("GET", `/api/demands/${createdId}`);
const events: number = detail.timeline.length;
const ownerName: string | undefined = detail.owner?.name;
// @ts-expect-error owner may be null or absent
const ownerNameUnchecked: string = detail.owner.name;
const notFound: ProblemAnswer<"/api/demands/{id}", "get", 404> = { code: "not_found", title: "未找到" };
const problemCode: Problem["code"] = notFound.code;

// 受理：If-Match 带版本，冲突是 409 problem。
const acceptBody: JsonBody<"/api/demands/{id}/accept", "post"> = { ownerMemberId: 4, objective: "一周内答复", measures: ["现场指导"], dueDate: "2026-05-15" };
const accepted = call<JsonAnswer<"/api/demands/{id}/accept", "post", 200>>("POST", `/api/demands/${createdId}/accept`, acceptBody);
const stale: ProblemAnswer<"/api/demands/{id}/accept", "post", 409> = { code: "demand.stale" };

export const used = [token, roles, wrongLogin, createdNumber, notOk, rateLimited, total, nextCursor, unchecked, firstVersion, actions, due, events, ownerName,
    ownerNameUnchecked, problemCode, accepted.status, stale];
