using ClassExit.Portal.Data;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Exits.Policy;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Features.ApiKeys;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Features.ExitPolicies;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Ownership;
using ClassExit.Portal.Features.ReasonCodes;
using ClassExit.Portal.Features.Retention;
using ClassExit.Portal.Features.Users;
using ClassExit.Portal.Tests.Features.Authorization;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ClassExit.Portal.Tests.Features.Limits;

/// <summary>
/// Issue 15: every free-text input has one maximum (<see cref="TextLimits"/>). For each service method family, a value one
/// character over it is refused with 40003 (no table but the audit log changes, exactly one <c>input.refused</c> entry naming the
/// field and maximum) and a value of exactly the maximum is accepted. Each case runs on its own copy of the matrix world.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class TextLimitTests(MatrixWorldFixture fixture) : IClassFixture<MatrixWorldFixture>
{
    /// <param name="Act">Calls the service with a value of the given length; returns the refusal code or null when accepted.</param>
    /// <param name="AtMaxIsValid">False where the value's own format is stricter than the column (a version is at most 20 characters).</param>
    public sealed record LimitCase(string Field, Persona Persona, int Max, Func<PortalDbContext, MatrixWorld, Task<Dictionary<string, long>>> Arrange,
        Func<IServiceProvider, MatrixWorld, Dictionary<string, long>, int, Task<int?>> Act, bool AtMaxIsValid = true);

    private static string Text(int length) => new('字', length);

    private static Task<Dictionary<string, long>> Nothing(PortalDbContext db, MatrixWorld w) => Task.FromResult(new Dictionary<string, long>());

    private static int? CodeOf(string? line) => line is null ? null : int.Parse(line[1..line.IndexOf(']')]);

    private static int? CodeOf(ExitCommandResult r) => r.Decision.Outcome == ExitOutcome.Refused ? r.Decision.Reasons[0].Code : null;

    private static readonly LimitCase[] Cases =
    [
        new("force_removal_reason", Persona.Admin, TextLimits.Reason, Nothing, async (s, w, a, n) =>
            CodeOf(await s.GetRequiredService<ExitService>().ForceRemoveAsync(w.ClassX, w.Student(true, 1), Text(n), MatrixWorld.Password))),
        new("reject_reason", Persona.Admin, TextLimits.Reason, async (db, w) =>
            {
                var student = w.Student(true, 2);
                var request = new ExitRequest(w.OrgA, w.ClassX, student, ClassRole.Student, ExitKind.SelfExit, ExitChannel.Mobile,
                    VerificationMethod.Biometric, student, MatrixWorld.Now.AddHours(-2));
                db.ExitRequests.Add(request);
                (await db.Memberships.SingleAsync(m => m.ClassId == w.ClassX && m.MemberId == student)).MarkExitPending();
                await db.SaveChangesAsync();
                return new() { ["request"] = request.Id };
            },
            async (s, w, a, n) => (await s.GetRequiredService<ExitService>().RejectAsync(a["request"], 0, Text(n))).Code),
        new("exit_reason", Persona.Admin, TextLimits.Reason, Nothing, async (s, w, a, n) =>
            CodeOf(await s.GetRequiredService<ExitService>().RequestAsync(new ExitCommand(w.ClassX, w.Student(true, 3), ExitKind.OnBehalf, ExitChannel.Portal,
                VerificationMethod.None, Reason: Text(n))))),
        new("dissolve_reason", Persona.Admin, TextLimits.Reason, Nothing, async (s, w, a, n) =>
            (await s.GetRequiredService<DissolutionService>().DissolveAsync(w.ClassX, Text(n), MatrixWorld.Password)).Code),
        new("transfer_message", Persona.Owner, TextLimits.TransferMessage, Nothing, async (s, w, a, n) =>
            (await s.GetRequiredService<OwnershipService>().ProposeAsync(w.ClassX, w.SpareTeacher(true), Text(n), [])).Code),
        new("force_transfer_reason", Persona.Admin, TextLimits.Reason, Nothing, async (s, w, a, n) =>
            (await s.GetRequiredService<OwnershipService>().ForceAsync(w.ClassX, w.SpareTeacher(true), MatrixWorld.Password, Text(n))).Code),
        new("hold_reason", Persona.Admin, TextLimits.Reason, Nothing, (s, w, a, n) =>
            s.GetRequiredService<RetentionService>().PlaceHoldAsync(w.ClassX, null, Text(n), null)),
        new("quota_request_reason", Persona.Hr, TextLimits.Reason, Nothing, async (s, w, a, n) =>
            CodeOf(await s.GetRequiredService<QuotaRequestsService>().RequestAsync(5000, Text(n)))),
        new("quota_decision_note", Persona.Platform, TextLimits.DecisionNote, async (db, w) =>
            {
                var request = new Domain.Bulk.QuotaIncreaseRequest(w.OrgA, 500, 800, "学期初", w.Accounts[Persona.Hr].MemberId!.Value, MatrixWorld.Now.AddHours(-3));
                db.QuotaIncreaseRequests.Add(request);
                await db.SaveChangesAsync();
                return new() { ["request"] = request.Id };
            },
            (s, w, a, n) => s.GetRequiredService<QuotaRequestsService>().DecideAsync(a["request"], true, Text(n))),
        new("api_key_name", Persona.Admin, TextLimits.ApiKeyName, Nothing, async (s, w, a, n) =>
            (await s.GetRequiredService<ApiKeysService>().CreateAsync(Text(n), w.Accounts[Persona.Hr].MemberId!.Value, ["read"], MatrixWorld.Password)).Code),
        new("reason_code_label", Persona.Admin, TextLimits.ReasonCodeLabel, Nothing, async (s, w, a, n) =>
            CodeOf(await s.GetRequiredService<ReasonCodesService>().AddAsync("654321", Text(n)))),
        new("checklist_item", Persona.Admin, TextLimits.ChecklistItemTitle, Nothing, (s, w, a, n) =>
            s.GetRequiredService<HandoverChecklistService>().AddItemAsync(w.ClassX, Text(n), MatrixWorld.Password)),
        new("display_name", Persona.Admin, TextLimits.DisplayName, Nothing, async (s, w, a, n) =>
            (await s.GetRequiredService<UsersService>().CreateAsync(new NewUser(w.SpareTeacher(true), "spare-x@matrix.test", Text(n), PortalRoles.SchoolStaff,
                "Fresh#2026!once"), MatrixWorld.Password)).Code),
        new("email", Persona.Admin, TextLimits.Email, Nothing, async (s, w, a, n) =>
            (await s.GetRequiredService<UsersService>().CreateAsync(new NewUser(w.SpareTeacher(true), new string('a', n - "@matrix.test".Length) + "@matrix.test",
                "老师 子", PortalRoles.SchoolStaff, "Fresh#2026!once"), MatrixWorld.Password)).Code),
        new("minimum_client_version", Persona.Admin, TextLimits.ClientVersion, Nothing, async (s, w, a, n) =>
            (await s.GetRequiredService<PolicyService>().SaveAsync(new ExitPolicy { MinimumClientVersion = "3.1." + new string('1', n - 4) },
                MatrixWorld.Password)).Code, AtMaxIsValid: false),
    ];

    public static TheoryData<string, bool> Inputs()
    {
        var data = new TheoryData<string, bool>();
        foreach (var c in Cases)
        {
            data.Add(c.Field, true);
            if (c.AtMaxIsValid) data.Add(c.Field, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task OneOverTheMaximum_IsRefusedWith40003_ExactlyTheMaximum_IsAccepted(string field, bool over)
    {
        var world = fixture.World;
        var c = Cases.Single(x => x.Field == field);
        var path = world.NewCell();
        var clock = new FakeTimeProvider(MatrixWorld.Now);
        Dictionary<string, long> arranged;
        long lastAudit;
        await using (var services = MatrixWorld.Services(path, world.UserOf(Persona.Platform), clock))
        await using (var system = (await services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem())
        {
            arranged = await c.Arrange(system, world);
            lastAudit = await system.AuditEntries.MaxAsync(a => (long?)a.Id) ?? 0;
        }
        var before = await MatrixWorld.SnapshotAsync(path);

        int? code;
        await using (var services = MatrixWorld.Services(path, world.UserOf(c.Persona), clock))
        await using (var scope = services.CreateAsyncScope())
            code = await c.Act(scope.ServiceProvider, world, arranged, over ? c.Max + 1 : c.Max);

        await using var check = MatrixWorld.Services(path, world.UserOf(Persona.Platform), clock);
        await using var db = (await check.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();
        var written = await db.AuditEntries.Where(a => a.Id > lastAudit).ToListAsync();
        if (over)
        {
            Assert.Equal(ErrorCatalogue.TextTooLong, code);
            var after = await MatrixWorld.SnapshotAsync(path);
            Assert.Empty(before.Where(t => after[t.Key] != t.Value).Select(t => t.Key));
            var entry = Assert.Single(written);
            Assert.Equal(("input.refused", AuditOutcome.Refused, ErrorCatalogue.TextTooLong, field), (entry.Action, entry.Outcome, entry.Code, entry.TargetId));
            Assert.Contains($"\"max\":{c.Max}", entry.Details);
            Assert.Contains($"\"length\":{c.Max + 1}", entry.Details);
        }
        else
        {
            Assert.Null(code);
            Assert.NotEmpty(written);
            Assert.DoesNotContain(written, a => a.Outcome == AuditOutcome.Refused);
        }
    }

    [Fact]
    public void EveryLimit_IsTheColumnsMaximum_InTheModel()
    {
        using var db = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>()
            .UseSqlite("Data Source=:memory:").Options);
        int? Max<T>(string property) => db.Model.FindEntityType(typeof(T))!.FindProperty(property)!.GetMaxLength();
        Assert.Equal(TextLimits.Reason, Max<ExitRequest>(nameof(ExitRequest.Reason)));
        Assert.Equal(TextLimits.DecisionNote, Max<ExitRequest>(nameof(ExitRequest.DecisionNote)));
        Assert.Equal(TextLimits.TransferMessage, Max<Domain.Ownership.OwnershipTransfer>(nameof(Domain.Ownership.OwnershipTransfer.Message)));
        Assert.Equal(TextLimits.Reason, Max<Domain.Retention.LegalHold>(nameof(Domain.Retention.LegalHold.Reason)));
        Assert.Equal(TextLimits.Reason, Max<Domain.Bulk.QuotaIncreaseRequest>(nameof(Domain.Bulk.QuotaIncreaseRequest.Reason)));
        Assert.Equal(TextLimits.DecisionNote, Max<Domain.Bulk.QuotaIncreaseRequest>(nameof(Domain.Bulk.QuotaIncreaseRequest.DecisionNote)));
        Assert.Equal(TextLimits.ApiKeyName, Max<Domain.Access.ApiKey>(nameof(Domain.Access.ApiKey.Name)));
        Assert.Equal(TextLimits.ReasonCodeLabel, Max<ReasonCode>(nameof(ReasonCode.Label)));
        Assert.Equal(TextLimits.DisplayName, Max<Domain.Members.Member>(nameof(Domain.Members.Member.DisplayName)));
    }
}
