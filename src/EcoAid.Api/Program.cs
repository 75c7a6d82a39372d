using EcoAid.Api.Database.Seed;
using EcoAid.Api.Features.Attachments;
using EcoAid.Api.Features.Audit;
using EcoAid.Api.Features.Auth;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Console;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Health;
using EcoAid.Api.Features.Invites;
using EcoAid.Api.Features.Me;
using EcoAid.Api.Features.Meetings;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Features.Organisation;
using EcoAid.Api.Features.PolicyLibrary;
using EcoAid.Api.Features.Reports;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Features.Supervision;
using EcoAid.Api.Features.Whistle;
using EcoAid.Api.Features.CreditRepair;
using EcoAid.Api.Features.Leniency;
using EcoAid.Api.Features.Visits;
using EcoAid.Api.Features.WechatCallback;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Database;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Wechat;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddJsonFile("appsettings.Local.json", optional: true);

// The house: database, HTTP conventions, authentication, the WeChat client, the API reference.
builder.AddEcoAidDatabase();
builder.AddEcoAidHttp();
builder.AddEcoAidHardening();
builder.AddEcoAidAuthentication();
builder.AddEcoAidWechat();
builder.AddEcoAidDocs();

// The features, each wiring itself (its <Feature>Setup.cs).
builder.AddAuth();
builder.AddMe();
builder.AddInvites();
builder.AddOrganisation();
builder.AddDemands();
builder.AddAttachments();
builder.AddVisits();
builder.AddMeetings();
builder.AddStats();
builder.AddReports();
builder.AddPolicyLibrary();
builder.AddNotifications();
builder.AddWechatCallback();
builder.AddAudit();
builder.AddConsole();
builder.AddSupervision();
builder.AddWhistle();
builder.AddCreditRepair();
builder.AddLeniency();

// The dev run's demo data, in this order: the programme first, then what refers to it.
builder.AddDemoSeed(seed => seed
    .Then<DemoData>()               // branch, members, departments, enterprises, a user per role
    .Then<DemandDemoData>()         // demands of the demo enterprises
    .Then<VisitDemoData>()          // experts, visits and a meeting
    .Then<PolicyDemoData>()         // the policy library and material lists (look up the branch and enterprises)
    .Then<NotificationDemoData>()); // followers and subscribe acceptances of the demo users

var app = builder.Build();

if (args.Contains("migrate"))
{
    // Production applies migrations as a deployment step: `dotnet EcoAid.Api.dll migrate`.
    return await MigrateCommand.RunAsync(app);
}

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseEcoAidHardening();
app.UseConsoleFiles();
app.UseAuthentication();
app.UseConsoleCsrf();
app.UseRefusalAudit();
app.UseAuthorization();
app.UseEcoAidRateLimits();
app.UseIdempotencyBuffering();

app.MapHealth();
app.MapEcoAidDocs();

app.MapAuth();
app.MapMe();
app.MapInvites();
app.MapOrganisation();
app.MapCalendar();
app.MapDemands();
app.MapAttachments();
app.MapVisits();
app.MapMeetings();
app.MapStats();
app.MapReports();
app.MapPolicyLibrary();
app.MapSupervision();
app.MapWhistle();
app.MapCreditRepair();
app.MapLeniency();
app.MapNotifications();
app.MapWechatCallback();
app.MapAudit();
app.MapPersonalData();
app.MapConsole();

await app.RunAsync();
return 0;

public partial class Program;
