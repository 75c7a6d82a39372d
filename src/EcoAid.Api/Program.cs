using EcoAid.Api.Features.Attachments;
using EcoAid.Api.Features.Auth;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Health;
using EcoAid.Api.Features.Invites;
using EcoAid.Api.Features.Me;
using EcoAid.Api.Features.Meetings;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Features.Organisation;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Features.Visits;
using EcoAid.Api.Features.PolicyLibrary;
using EcoAid.Api.Features.Reports;
using EcoAid.Api.Features.WechatCallback;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Database;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Wechat;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddJsonFile("appsettings.Local.json", optional: true);
builder.AddEcoAidDatabase();
builder.AddEcoAidHttp();
builder.AddEcoAidAuth();
builder.AddEcoAidWechat();
builder.AddEcoAidDocs();
builder.AddEcoAidDemands();
builder.AddEcoAidVisits();
builder.AddEcoAidPolicyLibrary();
builder.AddEcoAidDemoData();
builder.AddEcoAidNotifications();
builder.AddEcoAidReports();

var app = builder.Build();

if (args.Contains("migrate"))
{
    // Production applies migrations as a deployment step: `dotnet EcoAid.Api.dll migrate`.
    return await MigrateCommand.RunAsync(app);
}

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseIdempotencyBuffering();

app.MapHealth();
app.MapEcoAidDocs();
app.MapWechatSandboxIfEnabled();
app.MapAuth();
app.MapMe();
app.MapInvites();
app.MapBranches();
app.MapEnterprises();
app.MapMembers();
app.MapDepartments();
app.MapCalendar();
app.MapDemands();
app.MapAttachments();
app.MapExperts();
app.MapVisits();
app.MapMeetings();
app.MapStats();
app.MapReports();
app.MapPolicyLibrary();
app.MapNotifications();
app.MapWechatCallback();

await app.RunAsync();
return 0;

public partial class Program;
