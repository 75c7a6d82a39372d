using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Meetings;

public class MeetingTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (string Reason, long Id)[] Lines(JsonElement meeting) => meeting.GetProperty("agenda").EnumerateArray()
        .Select(a => (a.GetProperty("reason").GetString()!, a.GetProperty("demand").ValueKind == JsonValueKind.Null
            ? a.GetProperty("enterprise").GetProperty("id").GetInt64() : a.GetProperty("demand").GetProperty("id").GetInt64()))
        .ToArray();

    [Fact]
    public async Task TheAgendaTakesEachRuleUpToItsBoundaryAndNoFurther()
    {
        // Today is 2026-03-02 (Shanghai); "due soon" reaches 14 days ahead, to 2026-03-16.
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var crafted = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var owner = await world.MemberAsync(branchId, "责任成员");
        var department = await world.DepartmentAsync(branchId);
        var e = await world.EnterpriseAsync(branchId, owner);
        await crafted.VisitAsync(branchId, e, new DateOnly(2026, 3, 31));
        var previousMeeting = Crafted.Shanghai(2026, 2, 25, 16, 0);
        await crafted.MeetingAsync(branchId, new DateOnly(2026, 2, 1), previousMeeting);
        var before = previousMeeting.AddSeconds(-1);
        var after = previousMeeting.AddSeconds(1);
        var submitted = Crafted.Shanghai(2026, 1, 10);

        Task<long> Accepted(DateOnly due, long? dept = null, int reopened = 0, string status = "accepted") =>
            crafted.DemandAsync(branchId, e, submitted, status, acceptedAt: submitted.AddHours(1), due: due,
                ownerMemberId: dept is null ? owner : null, departmentId: dept, reopenCount: reopened);

        var overdue = await Accepted(new DateOnly(2026, 3, 1));
        var dueToday = await Accepted(new DateOnly(2026, 3, 2));
        var dueLastSoonDay = await Accepted(new DateOnly(2026, 3, 16));
        await Accepted(new DateOnly(2026, 3, 17));
        await Accepted(new DateOnly(2026, 2, 20), status: "resolved");
        var reopened = await Accepted(new DateOnly(2026, 3, 31), reopened: 1);
        await Accepted(new DateOnly(2026, 3, 31), reopened: 1, status: "closed");
        var transferred = await Accepted(new DateOnly(2026, 3, 31), dept: department);
        await Accepted(new DateOnly(2026, 3, 31), dept: department, status: "resolved");

        var ratedThree = await crafted.DemandAsync(branchId, e, submitted, "closed");
        await crafted.EventAsync(ratedThree, "confirmed", after, Crafted.Confirmation(true, 3));
        var ratedFour = await crafted.DemandAsync(branchId, e, submitted, "closed");
        await crafted.EventAsync(ratedFour, "confirmed", after, Crafted.Confirmation(true, 4));
        var ratedTwoBefore = await crafted.DemandAsync(branchId, e, submitted, "closed");
        await crafted.EventAsync(ratedTwoBefore, "reopened", before, Crafted.Confirmation(false, 2));

        var whistle = await crafted.DemandAsync(branchId, e, after, source: "whistle");
        await crafted.DemandAsync(branchId, e, before, source: "whistle");
        await crafted.DemandAsync(branchId, e, after, source: "mini_program");

        var visitedLastDayBefore = await world.EnterpriseAsync(branchId, owner);
        await crafted.VisitAsync(branchId, visitedLastDayBefore, new DateOnly(2026, 2, 28));
        var visitedFirstDayAfter = await world.EnterpriseAsync(branchId);
        await crafted.VisitAsync(branchId, visitedFirstDayAfter, new DateOnly(2026, 4, 1));

        var secretary = await world.UserAsync("secretary", cityId, branchId);
        var meeting = await DemandWorld.Expect(HttpStatusCode.Created, await secretary.PostAsJsonAsync("/api/meetings",
            new { month = "2026-03", heldOn = "2026-03-05", location = "支部会议室" }, Ct));

        (string, long)[] expected =
        [
            ("overdue", overdue),
            ("due_soon", dueToday), ("due_soon", dueLastSoonDay),
            ("reopened", reopened),
            ("low_rating", ratedThree),
            ("transferred", transferred),
            ("whistle", whistle),
            ("not_visited", visitedLastDayBefore), ("not_visited", visitedFirstDayAfter),
        ];
        Assert.Equal(expected.OrderBy(x => x).ToArray(), Lines(meeting).OrderBy(x => x).ToArray());
        // The reasons come in the meeting's order, and the generated notes say why.
        Assert.Equal(["overdue", "due_soon", "reopened", "low_rating", "transferred", "whistle", "not_visited"],
            Lines(meeting).Select(l => l.Reason).Distinct().ToArray());
        var overdueLine = meeting.GetProperty("agenda")[0];
        Assert.Equal("已逾期 1 天（完成时限 2026-03-01），责任人：责任成员", overdueLine.GetProperty("note").GetString());
        Assert.Equal(previousMeeting, meeting.GetProperty("windowStart").GetDateTimeOffset());

        // Once a month: the same month again is refused.
        await ProblemAssert.IsProblemAsync(await secretary.PostAsJsonAsync("/api/meetings", new { month = "2026-03" }, Ct),
            HttpStatusCode.Conflict, "meeting.already_exists");
        await ProblemAssert.IsProblemAsync(await secretary.PostAsJsonAsync("/api/meetings", new { month = "2026-05" }, Ct),
            HttpStatusCode.BadRequest, "validation.failed");
    }

    [Fact]
    public async Task TheAgendaListsAtMostTheLimitPerReasonInOrderAndCountsTheRest()
    {
        await using var app = new EcoAidApp(fixture, s => s["Meetings:AgendaLimitPerReason"] = "2");
        var world = new World(app);
        var crafted = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var owner = await world.MemberAsync(branchId, "责任成员");
        var e = await world.EnterpriseAsync(branchId, owner);
        await crafted.VisitAsync(branchId, e, new DateOnly(2026, 3, 10));
        var submitted = Crafted.Shanghai(2026, 1, 10);
        // Five overdue demands, the oldest due first; one due soon (under the limit: nothing counted for it).
        var overdue = new List<long>();
        foreach (var day in new[] { 20, 5, 25, 10, 15 })
        {
            overdue.Add(await crafted.DemandAsync(branchId, e, submitted, "accepted", acceptedAt: submitted.AddHours(1),
                due: new DateOnly(2026, 2, day), ownerMemberId: owner));
        }
        var dueSoon = await crafted.DemandAsync(branchId, e, submitted, "accepted", acceptedAt: submitted.AddHours(1), due: new DateOnly(2026, 3, 9), ownerMemberId: owner);

        var secretary = await world.UserAsync("secretary", cityId, branchId);
        var meeting = await DemandWorld.Expect(HttpStatusCode.Created, await secretary.PostAsJsonAsync("/api/meetings", new { month = "2026-03" }, Ct));
        Assert.Equal([("overdue", overdue[1]), ("overdue", overdue[3]), ("due_soon", dueSoon)], Lines(meeting));
        var omitted = meeting.GetProperty("agendaOmitted").EnumerateArray().ToArray();
        Assert.Single(omitted);
        Assert.Equal("overdue", omitted[0].GetProperty("reason").GetString());
        Assert.Equal(3, omitted[0].GetProperty("count").GetInt32());
        Assert.Equal("/api/demands?overdue=true", omitted[0].GetProperty("listLink").GetString());
        // Read again, the meeting says the same.
        var read = await DemandWorld.Expect(HttpStatusCode.OK, await secretary.GetAsync($"/api/meetings/{meeting.GetProperty("id").GetInt64()}", Ct));
        Assert.Equal(Lines(meeting), Lines(read));
        Assert.Equal(3, read.GetProperty("agendaOmitted")[0].GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task WithoutAnEarlierMeetingNewThingsCountFromTheFirstOfTheMonthBeforeInShanghaiTime()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var crafted = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var e = await world.EnterpriseAsync(branchId);
        await crafted.VisitAsync(branchId, e, new DateOnly(2026, 3, 2));
        await crafted.DemandAsync(branchId, e, Crafted.Shanghai(2026, 1, 31, 23, 30), source: "whistle");
        var firstOfFebruary = await crafted.DemandAsync(branchId, e, Crafted.Shanghai(2026, 2, 1, 0, 30), source: "whistle");
        var secretary = await world.UserAsync("secretary", cityId, branchId);

        var meeting = await DemandWorld.Expect(HttpStatusCode.Created, await secretary.PostAsJsonAsync("/api/meetings", new { month = "2026-03" }, Ct));

        Assert.Equal([("whistle", firstOfFebruary)], Lines(meeting));
        Assert.Equal(Crafted.Shanghai(2026, 2, 1), meeting.GetProperty("windowStart").GetDateTimeOffset());
    }

    [Fact]
    public async Task MembersAreNotifiedAndOnlyTheSecretaryChairsWhileCommissionersAndTheCityRead()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var (_, otherBranch) = await world.BranchAsync();
        var members = new[] { await world.MemberAsync(branchId), await world.MemberAsync(branchId) };
        var outsider = await world.MemberAsync(otherBranch);
        var secretary = await world.UserAsync("secretary", cityId, branchId, memberId: members[0]);
        var commissioner = await world.UserAsync("commissioner", cityId, branchId);
        var commissionerMember = (await DemandWorld.Expect(HttpStatusCode.OK, await commissioner.GetAsync("/api/me", Ct))).GetProperty("memberId").GetInt64();
        var cityViewer = await world.UserAsync("city_viewer", cityId, branchId);
        var otherSecretary = await world.UserAsync("secretary", cityId, otherBranch);

        var meeting = await DemandWorld.Expect(HttpStatusCode.Created, await secretary.PostAsJsonAsync("/api/meetings",
            new { month = "2026-03", heldOn = "2026-03-16", location = "支部会议室" }, Ct));
        var id = meeting.GetProperty("id").GetInt64();

        // Delivered, the announcement's wording is filled from the payload: title, time and place.
        await app.Services.GetRequiredService<EcoAid.Api.Features.Notifications.NotificationDispatcher>().DispatchPendingAsync(Ct);
        var inbox = await DemandWorld.Expect(HttpStatusCode.OK, await commissioner.GetAsync("/api/me/notifications?pageSize=100", Ct));
        var announcement = Assert.Single(inbox.GetProperty("items").EnumerateArray(), n => n.GetProperty("kind").GetString() == "meeting_scheduled");
        Assert.Equal("2026年3月会商：2026年3月16日，时间另行通知，支部会议室", announcement.GetProperty("summary").GetString());

        await using (var db = await app.OpenDatabaseAsync())
        {
            var notified = (await db.QueryAsync<long>("""
                SELECT recipient_id FROM notification_outbox WHERE kind = 'meeting_scheduled' AND recipient_type = 'member' AND recipient_id IN @ids
                """, new { ids = members.Append(commissionerMember).Append(outsider).ToArray() })).Order().ToArray();
            Assert.Equal(members.Append(commissionerMember).Order().ToArray(), notified);
        }
        foreach (var reader in new[] { secretary, commissioner, cityViewer })
        {
            await DemandWorld.Expect(HttpStatusCode.OK, await reader.GetAsync($"/api/meetings/{id}", Ct));
            var listed = await DemandWorld.Expect(HttpStatusCode.OK, await reader.GetAsync($"/api/meetings?month=2026-03&branchId={branchId}", Ct));
            Assert.Equal([id], listed.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("id").GetInt64()).ToArray());
        }
        await ProblemAssert.IsProblemAsync(await otherSecretary.GetAsync($"/api/meetings/{id}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await otherSecretary.PostAsJsonAsync($"/api/meetings/{id}/decisions",
            new { demandId = 1, kind = "note", text = "越权" }, Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await commissioner.PostAsJsonAsync("/api/meetings", new { month = "2026-03" }, Ct), HttpStatusCode.Forbidden, "auth.forbidden");
        foreach (var role in new[] { "staff", "member", "department_liaison" })
        {
            var user = await world.UserAsync(role, cityId, branchId);
            await ProblemAssert.IsProblemAsync(await user.GetAsync($"/api/meetings/{id}", Ct), HttpStatusCode.Forbidden, "auth.forbidden");
            await ProblemAssert.IsProblemAsync(await user.GetAsync($"/api/meetings/{id}/minutes", Ct), HttpStatusCode.Forbidden, "auth.forbidden");
        }
    }

    [Fact]
    public async Task DecisionsChangeTheDemandsThroughTheWorkflowAndAppearOnTheirTimelines()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var accepted = await w.AcceptedAsync();
        var submitted = await w.SubmitAsync();
        var resolved = await w.ResolvedAsync();
        var meeting = await DemandWorld.Expect(HttpStatusCode.Created, await w.Secretary.PostAsJsonAsync("/api/meetings", new { month = "2026-03" }, Ct));
        var id = meeting.GetProperty("id").GetInt64();
        var notVisitedItem = meeting.GetProperty("agenda").EnumerateArray().First(a => a.GetProperty("reason").GetString() == "not_visited").GetProperty("id").GetInt64();
        async Task<JsonElement> Decide(object body, HttpStatusCode status = HttpStatusCode.Created) =>
            await DemandWorld.Expect(status, await w.Secretary.PostAsJsonAsync($"/api/meetings/{id}/decisions", body, Ct));
        static (string Kind, string Text)[] Timeline(JsonElement d) => d.GetProperty("timeline").EnumerateArray()
            .Select(e => (e.GetProperty("kind").GetString()!, e.GetProperty("text").GetString() ?? "")).ToArray();

        var urged = await Decide(new { demandId = accepted, kind = "urge", text = "请本周内完成现场整改" });
        Assert.Equal("urge", urged.GetProperty("kind").GetString());
        Assert.True(urged.GetProperty("eventId").GetInt64() > 0);
        await Decide(new { demandId = accepted, kind = "due_date", dueDate = "2026-04-30", text = "企业改造需采购设备" });
        await Decide(new { demandId = accepted, kind = "reassign", departmentId = w.DepartmentId, text = "涉及执法认定" });
        await Decide(new { demandId = submitted, kind = "escalate", text = "企业多次反映" });
        await Decide(new { demandId = resolved, kind = "note", text = "下次回访时核实整改效果" });

        var a = await w.DetailAsync(w.Commissioner, accepted);
        Assert.Equal("2026-04-30", a.GetProperty("dueDate").GetString());
        Assert.Equal(w.DepartmentId, a.GetProperty("department").GetProperty("id").GetInt64());
        Assert.Equal(JsonValueKind.Null, a.GetProperty("owner").ValueKind);
        Assert.Equal("accepted", a.GetProperty("status").GetString());
        var timeline = Timeline(a);
        Assert.Contains(("urged", "2026年3月会商决定：请本周内完成现场整改"), timeline);
        Assert.Contains(("due_date_set", "完成时限调整为 2026-04-30（2026年3月会商决定：企业改造需采购设备）"), timeline);
        Assert.Contains(timeline, e => e.Kind == "reassigned" && e.Text.StartsWith("2026年3月会商决定：改为移交", StringComparison.Ordinal));
        var s = await w.DetailAsync(w.Commissioner, submitted);
        Assert.True(s.GetProperty("urgent").GetBoolean());
        Assert.Equal("submitted", s.GetProperty("status").GetString());
        Assert.Equal("escalated", Timeline(s)[^1].Kind);
        var r = await w.DetailAsync(w.Commissioner, resolved);
        Assert.Equal("resolved", r.GetProperty("status").GetString());
        Assert.Equal(("meeting_note", "2026年3月会商决定：下次回访时核实整改效果"), Timeline(r)[^1]);
        Assert.DoesNotContain(Timeline(await w.DetailAsync(w.Staff, resolved)), e => e.Kind == "meeting_note"); // internal

        var outbox = await w.OutboxAsync(accepted);
        Assert.Contains(("demand_urged", "member", w.OwnerMemberId), outbox);
        Assert.Contains(("demand_transferred", "user", await w.UserIdOfAsync(w.DepartmentLiaison)), outbox);

        // The state machine still rules: a resolved demand cannot be urged, and nothing is recorded.
        await ProblemAssert.IsProblemAsync(await w.Secretary.PostAsJsonAsync($"/api/meetings/{id}/decisions",
            new { demandId = resolved, kind = "urge", text = "督办" }, Ct), HttpStatusCode.Conflict, "demand.invalid_transition");
        await ProblemAssert.IsProblemAsync(await w.Secretary.PostAsJsonAsync($"/api/meetings/{id}/decisions",
            new { demandId = accepted, kind = "reassign", departmentId = w.DepartmentId, text = "再移交" }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        await ProblemAssert.IsProblemAsync(await w.Secretary.PostAsJsonAsync($"/api/meetings/{id}/decisions",
            new { agendaItemId = notVisitedItem, kind = "note", text = "安排回访" }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        await ProblemAssert.IsProblemAsync(await w.Secretary.PostAsJsonAsync($"/api/meetings/{id}/decisions",
            new { demandId = accepted, kind = "urge", text = "督办", dueDate = "2026-05-01" }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        var (_, otherBranch) = await new World(app).BranchAsync();
        var foreign = await new Crafted(app).DemandAsync(otherBranch, await new World(app).EnterpriseAsync(otherBranch), app.Clock.GetUtcNow());
        await ProblemAssert.IsProblemAsync(await w.Secretary.PostAsJsonAsync($"/api/meetings/{id}/decisions",
            new { demandId = foreign, kind = "note", text = "越权" }, Ct), HttpStatusCode.NotFound, "not_found");

        var read = await DemandWorld.Expect(HttpStatusCode.OK, await w.Secretary.GetAsync($"/api/meetings/{id}", Ct));
        Assert.Equal(["urge", "due_date", "reassign", "escalate", "note"],
            read.GetProperty("decisions").EnumerateArray().Select(d => d.GetProperty("kind").GetString()!).ToArray());

        var minutes = await w.Commissioner.GetAsync($"/api/meetings/{id}/minutes", Ct);
        Assert.Equal(HttpStatusCode.OK, minutes.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", minutes.Content.Headers.ContentType?.MediaType);
        var sheets = Xlsx.Read(await minutes.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(3, sheets.Count);
        Assert.Equal(["会商月份", "2026-03"], sheets[0][2]);
        Assert.Equal(meeting.GetProperty("agenda").GetArrayLength() + 1, sheets[1].Count);
        Assert.Equal(6, sheets[2].Count);
        Assert.Equal(new[] { "督办", "请本周内完成现场整改" }, sheets[2][1][3..5]);
        Assert.Equal("2026-04-30", sheets[2][2][5]);
    }

    [Fact]
    public async Task ADecisionRetriedWithItsIdempotencyKeyIsAppliedOnce()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var accepted = await w.AcceptedAsync();
        var id = (await DemandWorld.Expect(HttpStatusCode.Created, await w.Secretary.PostAsJsonAsync("/api/meetings", new { month = "2026-03" }, Ct)))
            .GetProperty("id").GetInt64();
        async Task<JsonElement> Post()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/meetings/{id}/decisions")
            {
                Content = JsonContent.Create(new { demandId = accepted, kind = "urge", text = "限期完成" }),
            };
            request.Headers.Add("Idempotency-Key", "decision-1");
            return await DemandWorld.Expect(HttpStatusCode.Created, await w.Secretary.SendAsync(request, Ct));
        }

        Assert.Equal((await Post()).GetProperty("id").GetInt64(), (await Post()).GetProperty("id").GetInt64());
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM demand_events WHERE demand_id = @accepted AND kind = 'urged'", new { accepted }));
    }
}
