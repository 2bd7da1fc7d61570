using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClassExit.Portal.Data;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Notifications;
using ClassExit.Portal.Domain.Webhooks;
using ClassExit.Portal.Features.BulkExits;
using ClassExit.Portal.Features.ExitRequests;
using ClassExit.Portal.Features.Webhooks;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Tests.Features.Authorization;
using ClassExit.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StandardWebhooks;

namespace ClassExit.Portal.Tests.Features.Webhooks;

/// <summary>
/// Webhooks end to end on the authorization matrix's two-organisation world (each test on its own copy of the file, a fake clock),
/// delivered to a real HTTP receiver in the test process: signatures, retries, 410, <c>member.exited</c> for every way an exit
/// completes, tenant isolation, SSRF refusals at save and at connection.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class WebhookDeliveryTests(MatrixWorldFixture fixture) : IClassFixture<MatrixWorldFixture>, IAsyncLifetime
{
    private static readonly string[] Exited = [EventKinds.MemberExited];
    private MatrixWorld World => fixture.World;
    private readonly FakeTimeProvider _clock = new(MatrixWorld.Now);
    private readonly List<ServiceProvider> _providers = [];
    private string _path = "";
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _path = World.NewCell();
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _providers) await p.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private IServiceProvider As(Persona persona, TimeProvider? clock = null, IDictionary<string, string?>? settings = null)
    {
        var services = TestSupport.ServicesOnDatabase.Create(_path, World.UserOf(persona), clock ?? _clock, settings);
        _providers.Add(services);
        return services.CreateScope().ServiceProvider;
    }

    private async Task<PortalDbContext> SystemAsync() =>
        (await As(Persona.Platform).GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync()).ForSystem();

    private async Task<(long Id, string Secret)> AddEndpointAsync(Persona admin, string url, string[] kinds, bool allowInternal = true)
    {
        var result = await As(admin).GetRequiredService<WebhooksService>().CreateAsync(url, kinds, allowInternal);
        Assert.True(result.Succeeded, $"endpoint refused: {result.Code}");
        Assert.StartsWith("whsec_", result.Secret);
        return (result.Id!.Value, result.Secret!);
    }

    private Task<int> DispatchAsync(TimeProvider? clock = null) => As(Persona.Platform, clock).GetRequiredService<WebhookDispatcher>().RunAsync(CancellationToken.None);

    /// <summary>The Standard Webhooks reference algorithm, written out here: base64 HMAC-SHA256 over "id.timestamp.body" with the secret's bytes.</summary>
    private static bool SignatureVerifies(WebhookReceiver.Received r, string secret)
    {
        var id = r.Headers["webhook-id"].ToString();
        var timestamp = r.Headers["webhook-timestamp"].ToString();
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{r.Body}")));
        var signatures = r.Headers["webhook-signature"].ToString().Split(' ');
        Assert.NotEmpty(signatures);
        return signatures.Any(s => s.StartsWith("v1,", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s[3..]), Encoding.ASCII.GetBytes(expected)));
    }

    private static JsonElement Data(WebhookReceiver.Received r) => JsonDocument.Parse(r.Body).RootElement.GetProperty("data");

    [Fact]
    public async Task ForceRemoval_DeliversMemberExited_SignedPerStandardWebhooks_ToTheOwnOrganisationOnly()
    {
        var (_, secret) = await AddEndpointAsync(Persona.Admin, _receiver.Url, Exited);
        await using var foreignReceiver = await WebhookReceiver.StartAsync();
        await AddEndpointAsync(Persona.Foreign, foreignReceiver.Url, Exited);
        var student = World.Student(true, 2);

        var result = await As(Persona.Admin).GetRequiredService<ExitService>().ForceRemoveAsync(World.ClassX, student, "违反班级纪律", MatrixWorld.Password);
        Assert.Equal(ExitRequestStatus.Completed, result.Status);
        Assert.Equal(1, await DispatchAsync());

        var received = Assert.Single(_receiver.Requests);
        Assert.True(SignatureVerifies(received, secret));
        var root = JsonDocument.Parse(received.Body).RootElement;
        Assert.Equal("member.exited", root.GetProperty("type").GetString());
        var data = root.GetProperty("data");
        Assert.Equal(World.ClassX, data.GetProperty("class_id").GetInt64());
        Assert.Equal(student, data.GetProperty("member_id").GetInt64());
        Assert.Equal("force_removal", data.GetProperty("exit_kind").GetString());
        Assert.False(data.GetProperty("silent").GetBoolean());
        await using var db = await SystemAsync();
        var version = await db.Members.Where(m => m.Id == student).Select(m => m.MembershipVersion).SingleAsync();
        Assert.Equal(version, data.GetProperty("membership_version").GetInt64());
        Assert.Equal(result.ExitRequestId, data.GetProperty("exit_request_id").GetInt64());
        Assert.Equal(received.Headers["webhook-id"].ToString(), (await db.WebhookDeliveries.SingleAsync(d => d.OrganisationId == World.OrgA)).MessageId);
        // Never another organisation's endpoint: OrgB's receiver heard nothing, and nothing was staged for it.
        Assert.Empty(foreignReceiver.Requests);
        Assert.False(await db.WebhookDeliveries.AnyAsync(d => d.OrganisationId == World.OrgB));
    }

    [Fact]
    public async Task PortalExit_And_SilentBatch_EachDeliverMemberExited_SilentStillSent()
    {
        await AddEndpointAsync(Persona.Admin, _receiver.Url, Exited);
        var onBehalf = await As(Persona.Admin).GetRequiredService<ExitService>().RequestAsync(
            new ExitCommand(World.ClassX, World.Student(true, 1), ExitKind.OnBehalf, ExitChannel.Portal, VerificationMethod.None));
        Assert.Equal(ExitRequestStatus.Completed, onBehalf.Status);
        var batch = await As(Persona.ApiKey).GetRequiredService<BatchExitService>().RunAsync(
            new BatchRequest(World.Accounts[Persona.Hr].MemberId, [World.ClassX], [World.Student(true, 3), World.Student(true, 4)], "200002", true, false), null);
        Assert.Equal(200, batch.HttpStatus);

        Assert.Equal(3, await DispatchAsync());
        var events = _receiver.Requests.Select(Data).ToList();
        Assert.Equal(3, events.Count);
        var single = Assert.Single(events, e => e.GetProperty("member_id").GetInt64() == World.Student(true, 1));
        Assert.Equal("on_behalf", single.GetProperty("exit_kind").GetString());
        var batched = events.Where(e => e.GetProperty("exit_kind").GetString() == "hr_batch").ToList();
        Assert.Equal([World.Student(true, 3), World.Student(true, 4)], batched.Select(e => e.GetProperty("member_id").GetInt64()).Order());
        // silent_mode suppresses the notice to the class, not the webhook.
        Assert.All(batched, e => Assert.True(e.GetProperty("silent").GetBoolean()));
        Assert.All(batched, e => Assert.False(e.GetProperty("class_notice").GetBoolean()));
        Assert.Equal(3, _receiver.Requests.Select(r => r.Headers["webhook-id"].ToString()).Distinct().Count());
    }

    [Fact]
    public async Task ServerError_IsRetriedOnTheSchedule_ThenSucceeds_WithTheSameWebhookId()
    {
        var (endpoint, secret) = await AddEndpointAsync(Persona.Admin, _receiver.Url, Exited);
        _receiver.Answer(500, 503);
        await As(Persona.Admin).GetRequiredService<ExitService>().ForceRemoveAsync(World.ClassX, World.Student(true, 2), "违反班级纪律", MatrixWorld.Password);

        Assert.Equal(1, await DispatchAsync());
        Assert.Equal(0, await DispatchAsync()); // not due again before its wait
        _clock.Advance(WebhookRetry.Wait(1));
        Assert.Equal(1, await DispatchAsync());
        _clock.Advance(WebhookRetry.Wait(2) - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await DispatchAsync());
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await DispatchAsync());
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await DispatchAsync()); // delivered: never sent again

        var requests = _receiver.Requests.ToList();
        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.Headers["webhook-id"].ToString()).Distinct());
        Assert.All(requests, r => Assert.True(SignatureVerifies(r, secret)));
        await using var db = await SystemAsync();
        var delivery = await db.WebhookDeliveries.SingleAsync(d => d.EndpointId == endpoint);
        Assert.Equal((WebhookDeliveryStatus.Succeeded, 3, 204), (delivery.Status, delivery.Attempts, delivery.ResponseCode));
        Assert.NotNull(delivery.DurationMs);
    }

    [Fact]
    public async Task Gone_DisablesTheEndpoint_Audited_AndNothingMoreIsSent()
    {
        var (endpoint, _) = await AddEndpointAsync(Persona.Admin, _receiver.Url, Exited);
        _receiver.Answer(410);
        var exits = As(Persona.Admin).GetRequiredService<ExitService>();
        await exits.ForceRemoveAsync(World.ClassX, World.Student(true, 2), "违反班级纪律", MatrixWorld.Password);
        Assert.Equal(1, await DispatchAsync());

        await using (var db = await SystemAsync())
        {
            var row = await db.WebhookEndpoints.SingleAsync(e => e.Id == endpoint);
            Assert.False(row.Enabled);
            Assert.Equal(WebhookDispatcher.GoneReason, row.DisabledReason);
            Assert.Equal(WebhookDeliveryStatus.Failed, (await db.WebhookDeliveries.SingleAsync(d => d.EndpointId == endpoint)).Status);
            Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "webhook.endpoint_disabled" && a.TargetId == endpoint.ToString() && a.OrganisationId == World.OrgA));
        }
        var listed = Assert.Single(await As(Persona.Admin).GetRequiredService<WebhooksService>().ListAsync());
        Assert.Equal(WebhookDispatcher.GoneReason, listed.DisabledReason);

        await exits.ForceRemoveAsync(World.ClassX, World.Student(true, 3), "违反班级纪律", MatrixWorld.Password);
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await DispatchAsync());
        Assert.Single(_receiver.Requests);
        await using var check = await SystemAsync();
        Assert.Equal(1, await check.WebhookDeliveries.CountAsync(d => d.EndpointId == endpoint));
    }

    [Fact]
    public async Task TestEvent_VerifiesWithTheStandardWebhooksPackage()
    {
        // The package checks the timestamp against the real clock: this test runs on it.
        var (endpoint, secret) = await AddEndpointAsync(Persona.Admin, _receiver.Url, Exited);
        var sent = await As(Persona.Admin, TimeProvider.System).GetRequiredService<WebhooksService>().SendTestAsync(endpoint);
        Assert.True(sent.Succeeded);
        Assert.Equal(1, await DispatchAsync(TimeProvider.System));
        var received = Assert.Single(_receiver.Requests);
        new StandardWebhook(secret).Verify(received.Body, received.Headers); // throws when it does not verify
        Assert.Equal(WebhookPayload.TestKind, JsonDocument.Parse(received.Body).RootElement.GetProperty("type").GetString());
        var tampered = new WebhookReceiver.Received(received.Headers, received.Body.Replace("Test", "Tost"), received.At);
        Assert.Throws<StandardWebhooks.Diagnostics.WebhookVerificationException>(() => new StandardWebhook(secret).Verify(tampered.Body, tampered.Headers));

        // Rotating the secret: the next delivery verifies with the new one only.
        var rotated = await As(Persona.Admin, TimeProvider.System).GetRequiredService<WebhooksService>().RotateSecretAsync(endpoint);
        Assert.True(rotated.Succeeded);
        await As(Persona.Admin, TimeProvider.System).GetRequiredService<WebhooksService>().SendTestAsync(endpoint);
        Assert.Equal(1, await DispatchAsync(TimeProvider.System));
        var second = _receiver.Requests.Last();
        Assert.True(SignatureVerifies(second, rotated.Secret!));
        Assert.False(SignatureVerifies(second, secret));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("https://10.20.30.40/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://192.168.1.10/hook")]
    public async Task InternalAddress_RefusedWithoutTheTick_AcceptedWithIt_BothAudited(string url)
    {
        var service = As(Persona.Admin).GetRequiredService<WebhooksService>();
        var refused = await service.CreateAsync(url, Exited, allowInternalAddress: false);
        Assert.Equal(ErrorCatalogue.WebhookAddressInternal, refused.Code);
        var accepted = await service.CreateAsync(url, Exited, allowInternalAddress: true);
        Assert.True(accepted.Succeeded);

        await using var db = await SystemAsync();
        Assert.Equal([url], await db.WebhookEndpoints.Where(e => e.OrganisationId == World.OrgA).Select(e => e.Url).ToListAsync());
        var refusal = await db.AuditEntries.SingleAsync(a => a.Action == "webhook.endpoint_refused");
        Assert.Equal((AuditOutcome.Refused, ErrorCatalogue.WebhookAddressInternal, true), (refusal.Outcome, refusal.Code, refusal.IsSecurityEvent));
        var created = await db.AuditEntries.SingleAsync(a => a.Action == "webhook.endpoint_created");
        Assert.True(created.IsSecurityEvent);
        Assert.Contains("\"allow_internal_address\":true", created.Details);
    }

    [Fact]
    public async Task AtDelivery_AnInternalAddress_IsRefusedWhenConnecting_DnsRebinding()
    {
        // The endpoint's name resolved to a public address when it was saved; now it resolves to loopback (here: the row says so directly).
        var (endpoint, _) = await AddEndpointAsync(Persona.Admin, "https://203.0.113.10/hook", Exited, allowInternal: false);
        await using (var db = await SystemAsync())
            await db.WebhookEndpoints.Where(e => e.Id == endpoint).ExecuteUpdateAsync(u => u.SetProperty(e => e.Url, _receiver.Url));
        await As(Persona.Admin).GetRequiredService<ExitService>().ForceRemoveAsync(World.ClassX, World.Student(true, 2), "违反班级纪律", MatrixWorld.Password);
        Assert.Equal(1, await DispatchAsync());

        Assert.Empty(_receiver.Requests);
        await using var check = await SystemAsync();
        var delivery = await check.WebhookDeliveries.SingleAsync(d => d.EndpointId == endpoint);
        Assert.Equal(WebhookDeliveryStatus.Pending, delivery.Status);
        Assert.Null(delivery.ResponseCode);
        Assert.Contains("internal address", delivery.LastError);
    }

    [Fact]
    public async Task HttpOutsideTheDemo_AndOtherBadInput_AreRefusedWithTheirCodes()
    {
        var https = As(Persona.Admin, settings: new Dictionary<string, string?> { ["Webhooks:AllowHttp"] = "false" }).GetRequiredService<WebhooksService>();
        Assert.Equal(ErrorCatalogue.WebhookUrlInvalid, (await https.CreateAsync(_receiver.Url, Exited, true)).Code);
        Assert.Equal(ErrorCatalogue.WebhookUrlInvalid, (await https.CreateAsync("https://user:pw@203.0.113.10/", Exited, true)).Code);
        Assert.Equal(ErrorCatalogue.WebhookNoEvents, (await https.CreateAsync("https://203.0.113.10/", [], true)).Code);
        Assert.Equal(ErrorCatalogue.WebhookNoEvents, (await https.CreateAsync("https://203.0.113.10/", ["no.such_event"], true)).Code);
        Assert.Equal(ErrorCatalogue.TextTooLong, (await https.CreateAsync("https://203.0.113.10/" + new string('a', 2000), Exited, true)).Code);
        for (var i = 0; i < 20; i++) Assert.True((await https.CreateAsync($"https://203.0.113.10/{i}", Exited, false)).Succeeded);
        Assert.Equal(ErrorCatalogue.WebhookEndpointLimit, (await https.CreateAsync("https://203.0.113.10/21", Exited, false)).Code);
    }

    [Fact]
    public async Task Resend_SendsTheSameWebhookIdAgain_AndTheLogPagesOnTheServer()
    {
        var (endpoint, _) = await AddEndpointAsync(Persona.Admin, _receiver.Url, Exited);
        var service = As(Persona.Admin).GetRequiredService<WebhooksService>();
        for (var i = 0; i < 3; i++) Assert.True((await service.SendTestAsync(endpoint)).Succeeded);
        Assert.Equal(3, await DispatchAsync());
        var page = await service.DeliveriesAsync(endpoint, page: 0, pageSize: 2);
        Assert.Equal(3, page.Total);
        Assert.Equal(2, page.Rows.Count);
        Assert.All(page.Rows, r => Assert.Equal((WebhookDeliveryStatus.Succeeded, 204), (r.Status, r.ResponseCode)));
        Assert.Single((await service.DeliveriesAsync(endpoint, page: 1, pageSize: 2)).Rows);

        var first = page.Rows[0];
        Assert.True((await service.ResendAsync(first.Id)).Succeeded);
        Assert.Equal(1, await DispatchAsync());
        var ids = _receiver.Requests.Select(r => r.Headers["webhook-id"].ToString()).ToList();
        Assert.Equal(4, ids.Count);
        Assert.Equal(first.MessageId, ids[^1]);
        Assert.Equal(2, ids.Count(i => i == first.MessageId));

        // Disabled: nothing resent, and a test event is refused.
        Assert.True((await service.SetEnabledAsync(endpoint, false)).Succeeded);
        Assert.Equal(ErrorCatalogue.WebhookEndpointDisabled, (await service.ResendAsync(first.Id)).Code);
        Assert.Equal(ErrorCatalogue.WebhookEndpointDisabled, (await service.SendTestAsync(endpoint)).Code);
        Assert.True((await service.DeleteAsync(endpoint)).Succeeded);
        await using var db = await SystemAsync();
        Assert.False(await db.WebhookDeliveries.AnyAsync(d => d.EndpointId == endpoint));
        Assert.Equal(["webhook.endpoint_created", "webhook.test_sent", "webhook.test_sent", "webhook.test_sent", "webhook.delivery_resent", "webhook.endpoint_disabled", "webhook.endpoint_deleted"],
            await db.AuditEntries.Where(a => a.Action.StartsWith("webhook.")).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
    }

    [Fact]
    public void RetrySchedule_DoublesFromAMinute_ForUpToADay()
    {
        var schedule = WebhookRetry.Schedule();
        Assert.Equal(TimeSpan.Zero, schedule[0]);
        Assert.Equal(TimeSpan.FromMinutes(1), schedule[1]);
        Assert.Equal(TimeSpan.FromMinutes(3), schedule[2]);
        Assert.InRange(schedule[^1], TimeSpan.FromHours(18), TimeSpan.FromDays(1));
        Assert.Equal(12, schedule.Count);
        var created = MatrixWorld.Now;
        Assert.Equal(created + schedule[^1], WebhookRetry.NextAttempt(created, schedule.Count - 1));
        Assert.Null(WebhookRetry.NextAttempt(created, schedule.Count));
    }
}
