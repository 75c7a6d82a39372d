using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Organisation;

public class EnterpriseAdminTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AdminCreatesEnterpriseWithFullWidthCodeStoredNormalized()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var liaison = await world.MemberAsync(branchId, "钱进");
        var admin = await world.UserAsync("admin", cityId, branchId);
        var code = World.CreditCode();
        var fullWidth = string.Concat(code.Select(c => (char)(c + 0xFEE0))).ToLowerInvariant();

        var response = await admin.PostAsJsonAsync("/api/enterprises", new
        {
            name = "邳州市绿源环保科技有限公司", creditCode = fullWidth, address = "邳州市运河街道", industry = "环保设备",
            contactName = "王经理", contactPhone = "13812345678", liaisonMemberId = liaison,
        }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(code, created.GetProperty("creditCode").GetString());
        Assert.Equal("钱进", created.GetProperty("liaisonMemberName").GetString());
        Assert.Equal("13812345678", created.GetProperty("contactPhone").GetString()); // admins see numbers in full
        Assert.Equal($"/api/enterprises/{created.GetProperty("id").GetInt64()}", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task NonAdminsSeePhoneNumbersMasked()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var enterpriseId = await world.EnterpriseAsync(branchId);
        var secretary = await world.UserAsync("secretary", cityId, branchId);

        var enterprise = await secretary.GetFromJsonAsync<JsonElement>($"/api/enterprises/{enterpriseId}", Ct);
        var members = await secretary.GetFromJsonAsync<JsonElement>("/api/members", Ct);

        Assert.Equal("137****5678", enterprise.GetProperty("contactPhone").GetString());
        Assert.All(members.GetProperty("items").EnumerateArray(), m => Assert.Contains("****", m.GetProperty("phone").GetString()));
    }

    [Theory]
    [InlineData("91310115MA1H8R7C6D")]
    [InlineData("12345")]
    [InlineData("")]
    public async Task InvalidCreditCodeIsAFieldError(string creditCode)
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);

        var response = await admin.PostAsJsonAsync("/api/enterprises", new { name = "某企业", creditCode }, Ct);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("creditCode", out var messages));
        Assert.False(string.IsNullOrWhiteSpace(messages[0].GetString()));
    }

    [Fact]
    public async Task DuplicateCreditCodeIsAConflictAndNothingIsWritten()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);
        var code = World.CreditCode();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/enterprises", new { name = "甲公司", creditCode = code }, Ct)).StatusCode);

        var response = await admin.PostAsJsonAsync("/api/enterprises", new { name = "乙公司", creditCode = code }, Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "enterprise.duplicate_credit_code");
        var list = await admin.GetFromJsonAsync<JsonElement>($"/api/enterprises?q={code}", Ct);
        Assert.Equal(1, list.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task OverLongNameIsRejectedNotCut()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);

        var response = await admin.PostAsJsonAsync("/api/enterprises", new { name = new string('企', 101), creditCode = World.CreditCode() }, Ct);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
    }

    [Fact]
    public async Task LiaisonFromAnotherBranchIsRefused()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var (_, otherBranch) = await world.BranchAsync();
        var stranger = await world.MemberAsync(otherBranch);
        var admin = await world.UserAsync("admin", cityId, branchId);

        var response = await admin.PostAsJsonAsync("/api/enterprises", new { name = "丙公司", creditCode = World.CreditCode(), liaisonMemberId = stranger }, Ct);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("liaisonMemberId", out _));
    }

    [Fact]
    public async Task UpdateChangesTheEnterprise()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var enterpriseId = await world.EnterpriseAsync(branchId);
        var liaison = await world.MemberAsync(branchId, "吴刚");
        var admin = await world.UserAsync("admin", cityId, branchId);
        var code = World.CreditCode();

        var response = await admin.PutAsJsonAsync($"/api/enterprises/{enterpriseId}",
            new { name = "新名称有限公司", creditCode = code, industry = "化工", liaisonMemberId = liaison }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var updated = await admin.GetFromJsonAsync<JsonElement>($"/api/enterprises/{enterpriseId}", Ct);
        Assert.Equal("新名称有限公司", updated.GetProperty("name").GetString());
        Assert.Equal(code, updated.GetProperty("creditCode").GetString());
        Assert.Equal(liaison, updated.GetProperty("liaisonMemberId").GetInt64());
    }

    [Fact]
    public async Task PageSizeOverHundredIsRefused()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);

        var response = await admin.GetAsync("/api/enterprises?pageSize=101", Ct);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("pageSize", out _));
    }

    [Fact]
    public async Task MembersAndDepartmentsAreCreatedAndListed()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);

        var member = await admin.PostAsJsonAsync("/api/members", new { name = "郑洁", title = "纪检委员", taskForceRole = "member", phone = "13600001111" }, Ct);
        var badMember = await admin.PostAsJsonAsync("/api/members", new { name = "郑洁", taskForceRole = "boss", phone = "123" }, Ct);
        var department = await admin.PostAsJsonAsync("/api/departments", new { name = "法制宣传科" }, Ct);
        var duplicate = await admin.PostAsJsonAsync("/api/departments", new { name = "法制宣传科" }, Ct);

        Assert.Equal(HttpStatusCode.Created, member.StatusCode);
        var problem = await ProblemAssert.IsProblemAsync(badMember, HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("taskForceRole", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("phone", out _));
        Assert.Equal(HttpStatusCode.Created, department.StatusCode);
        await ProblemAssert.IsProblemAsync(duplicate, HttpStatusCode.Conflict, "department.duplicate_name");
        var members = await admin.GetFromJsonAsync<JsonElement>("/api/members", Ct);
        Assert.Contains(members.GetProperty("items").EnumerateArray(), m => m.GetProperty("name").GetString() == "郑洁");
    }
}
