using System.Net;
using System.Net.Http.Json;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Infrastructure.Observability;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ClassExit.Portal.Tests.Operations;

/// <summary>/metrics (who may read it, what it shows after an exit) and the health endpoints.</summary>
[Collection(PortalCollection.Name)]
public class ObservabilityTests(PortalFactory factory)
{
    private static double Sample(string metrics, string name, params string[] labels)
    {
        var total = 0.0;
        var found = false;
        foreach (var line in metrics.Split('\n'))
        {
            if (!line.StartsWith(name + "{") && !line.StartsWith(name + " ")) continue;
            if (!labels.All(l => line.Contains(l))) continue;
            total += double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            found = true;
        }
        return found ? total : double.NaN;
    }

    [Fact]
    public async Task Metrics_Anonymous401_WrongKey401_StaffForbidden_KeyAndOperatorRead()
    {
        using var anonymous = await factory.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(51011, (await anonymous.JsonAsync()).GetProperty("code").GetInt32());
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);

        using var wrong = await factory.WithKey(PortalFactory.MetricsKey + "x").GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        // An API key is no metrics key.
        using var apiKey = await factory.WithKey("demo-school-hr-key").GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, apiKey.StatusCode);

        var admin = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(admin, "admin@school.demo");
        using var staff = await admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Forbidden, staff.StatusCode);

        var operatorClient = factory.CreateBrowserLikeClient();
        await factory.SignInAsync(operatorClient, "operator@platform.demo");
        using var byOperator = await operatorClient.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, byOperator.StatusCode);
        Assert.Contains("text/plain", byOperator.Content.Headers.ContentType?.ToString());

        using var byKey = await factory.WithKey(PortalFactory.MetricsKey).GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, byKey.StatusCode);
        var text = await byKey.Content.ReadAsStringAsync();
        Assert.Contains("dotnet_gc_collections_total", text);
        Assert.Contains("classexit_approvals_waiting", text);
    }

    [Fact]
    public async Task Metrics_AfterAnHrExit_ShowTheExitTheQuotaAndTheGauges()
    {
        var metrics = factory.WithKey(PortalFactory.MetricsKey);
        var before = await metrics.GetStringAsync("/metrics");
        var completedBefore = Sample(before, "classexit_exits_total", "outcome=\"completed\"", "kind=\"HrBatch\"");
        var grantedBefore = Sample(before, "classexit_quota_calls_total", "outcome=\"granted\"");

        // Its own organisation, HR key, class and student, removed by the HR system's bulk call.
        var secret = "metrics-test-" + Guid.NewGuid().ToString("N");
        long hrId, classId, studentId;
        await using (var db = factory.SystemDb())
        {
            var org = new Organisation($"Metrics Co {Guid.NewGuid():N}", "Asia/Shanghai", OrganisationKind.Enterprise, new ExitPolicy { DailyBatchQuota = 10 });
            db.Organisations.Add(org);
            await db.SaveChangesAsync();
            var hr = new Member(org.Id, "HR 指标", "M-HR");
            hr.GrantHrPermission();
            var owner = new Member(org.Id, "班主任", "M-OWN");
            var student = new Member(org.Id, "学员", "M-1");
            db.Members.AddRange(hr, owner, student);
            db.ReasonCodes.Add(new ReasonCode(org.Id, "600001", "组织调整"));
            await db.SaveChangesAsync();
            db.ApiKeys.Add(new ApiKey(org.Id, "metrics", hr.Id, secret, DateTimeOffset.UtcNow));
            var group = new ClassGroup(org.Id, "指标班", owner.Id, DateOnly.FromDateTime(DateTime.UtcNow.AddDays(120)), DateTimeOffset.UtcNow);
            db.Classes.Add(group);
            await db.SaveChangesAsync();
            db.Memberships.Add(new Membership(org.Id, group.Id, owner.Id, ClassRole.Owner, DateTimeOffset.UtcNow));
            db.Memberships.Add(new Membership(org.Id, group.Id, student.Id, ClassRole.Student, DateTimeOffset.UtcNow));
            await db.SaveChangesAsync();
            (hrId, classId, studentId) = (hr.Id, group.Id, student.Id);
        }
        using var exit = await factory.WithKey(secret).PostAsJsonAsync("/api/v1/exits/batch", new
        {
            operator_id = hrId,
            class_ids = new[] { classId },
            member_ids = new[] { studentId },
            reason_code = "600001",
        });
        Assert.Equal(HttpStatusCode.OK, exit.StatusCode);
        Assert.Equal("completed", (await exit.JsonAsync()).GetProperty("results")[0].GetProperty("status").GetString());

        var after = await metrics.GetStringAsync("/metrics");
        // At least this one: other hosts of the same test run (their own organisations) record on the same process-wide meter.
        Assert.True(Sample(after, "classexit_exits_total", "outcome=\"completed\"", "kind=\"HrBatch\"", "channel=\"Api\"")
            - (double.IsNaN(completedBefore) ? 0 : completedBefore) >= 1);
        Assert.True(Sample(after, "classexit_quota_calls_total", "outcome=\"granted\"") - (double.IsNaN(grantedBefore) ? 0 : grantedBefore) >= 1);

        // The gauges are the database's figures (read at most every 30 s, so compared with a count taken now they may lag; the demo's
        // pending requests are older than any test).
        await using var check = factory.SystemDb();
        var waiting = await check.ExitRequests.CountAsync(e => e.Status == ExitRequestStatus.PendingApproval);
        Assert.True(waiting > 0, "the demo has requests waiting for approval");
        var gauge = Sample(after, "classexit_approvals_waiting");
        Assert.False(double.IsNaN(gauge), "no classexit_approvals_waiting in /metrics");
        var fresh = await factory.Services.GetRequiredService<PortalGauges>().ReadAsync();
        Assert.Equal(waiting, fresh.ApprovalsWaiting);
        Assert.Equal(await check.Devices.CountAsync(d => d.IsStale), fresh.StaleDevices);
        Assert.True(fresh.OldestWaitingSeconds > 0);
        Assert.False(double.IsNaN(Sample(after, "classexit_approvals_oldest_age_seconds")));
        Assert.False(double.IsNaN(Sample(after, "classexit_devices_stale")));
    }

    [Fact]
    public async Task HangfireFilter_RecordsAJobsDuration_ByJobAndOutcome()
    {
        // The test host runs no Hangfire server: perform a job as Hangfire's own performer does, through the filter.
        var storage = factory.Services.GetRequiredService<Hangfire.JobStorage>();
        var job = Hangfire.Common.Job.FromExpression(() => NoopJob.Run());
        using var connection = storage.GetConnection();
        var id = connection.CreateExpiredJob(job, new Dictionary<string, string?> { ["RecurringJobId"] = "\"test-recurring\"" }, DateTime.UtcNow,
            TimeSpan.FromMinutes(5));
        var background = new Hangfire.BackgroundJob(id, job, DateTime.UtcNow);
        var perform = new Hangfire.Server.PerformContext(storage, connection, background, new Hangfire.JobCancellationToken(false));
        var filter = new HangfireJobMetrics();
        filter.OnPerforming(new Hangfire.Server.PerformingContext(perform));
        filter.OnPerformed(new Hangfire.Server.PerformedContext(perform, null, false, null));

        var text = await factory.WithKey(PortalFactory.MetricsKey).GetStringAsync("/metrics");
        Assert.True(Sample(text, "classexit_job_duration_seconds_count", "job=\"test-recurring\"", "outcome=\"succeeded\"") >= 1, text.Length.ToString());
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_IsAnonymous_AndSaysOnlyHealthy(string path)
    {
        using var response = await factory.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }
}

public static class NoopJob
{
    public static void Run() { }
}
